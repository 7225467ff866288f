"""Personal data sealed at rest (issue 12): parties' names and e-mails and letters' recipients
become text columns holding `enc1:...` values (conduct.sealed_columns).

Rows already there are sealed here when the migrating engine holds the key ring (every server
process passes CONDUCT_ENCRYPTION_KEYS, and so does the `alembic` command line through the
application's settings). Migrated without keys, they stay in clear and are read as they are;
the development register can also simply be rebuilt: every case is synced again from its workflow.
SQLite's secure_delete (set on every connection) overwrites the clear text a seal replaces.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from conduct.sealed_columns import cipher_of, is_sealed

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, column, former type, nullable
COLUMNS = (
    ("parties", "name", sa.String(length=200), False),
    ("parties", "email", sa.String(length=320), True),
    ("notifications", "to", sa.String(length=320), False),
)


def _retype(table: str, to_text: bool) -> None:
    if op.get_context().as_sql and op.get_context().dialect.name == "sqlite":
        return  # SQLite's copy needs the live table; its VARCHAR(n) is text of any length anyway
    with op.batch_alter_table(table) as batch:  # SQLite: the table is copied
        for name, column, former, nullable in COLUMNS:
            if name == table:
                old, new = (former, sa.Text()) if to_text else (sa.Text(), former)
                batch.alter_column(column, type_=new, existing_type=old, existing_nullable=nullable)


def _reseal(seal: bool) -> None:
    """Seal (or, going down, open) the values of the personal columns with the engine's key ring."""
    bind = op.get_bind()
    cipher = cipher_of(bind.dialect)
    if cipher is None or op.get_context().as_sql:
        return
    for table, column, _, _ in COLUMNS:
        t = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.Text))
        rows = bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all()
        for row_id, value in rows:
            if seal and not is_sealed(value):
                new = cipher.seal(value, f"{table}.{column}")
            elif not seal and is_sealed(value):
                new = cipher.unseal(value, f"{table}.{column}")
            else:
                continue
            bind.execute(sa.update(t).where(t.c.id == row_id).values({column: new}))


def upgrade() -> None:
    _retype("parties", to_text=True)
    _retype("notifications", to_text=True)
    _reseal(seal=True)


def downgrade() -> None:
    _reseal(seal=False)
    _retype("parties", to_text=False)
    _retype("notifications", to_text=False)
