"""Letters are claimed before they are sent (`notifications.status`: sending, sent, failed), and
register writes are ordered by the case's revision (`complaints.revision`).

Rows already there are letters that were sent (status `sent`) and complaints written before
revisions (revision 0: the next sync of the case, at a revision of 1 or more, replaces them).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _has_column(table: str, column: str) -> bool:
    """A database made by the pre-Alembic `create_all` of a newer model already has it (it is
    stamped 0001 and then upgraded)."""
    return column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    # ADD COLUMN with a constant default needs no table rebuild, on SQLite or PostgreSQL.
    if op.get_context().as_sql or not _has_column("complaints", "revision"):
        _add_revision()
    if op.get_context().as_sql or not _has_column("notifications", "status"):
        _add_status()


def _add_revision() -> None:
    op.add_column(
        "complaints",
        sa.Column(
            "revision",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="the workflow's revision of the last sync written",
        ),
    )


def _add_status() -> None:
    op.add_column(
        "notifications",
        sa.Column(
            "status",
            sa.String(length=10),
            server_default="sent",
            nullable=False,
            comment="sending (claimed), sent, or failed (refused for good)",
        ),
    )


def downgrade() -> None:
    # Claims that never became letters are dropped with the column that told them apart.
    op.execute(sa.text("DELETE FROM notifications WHERE status <> 'sent'"))
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("status")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("revision")
