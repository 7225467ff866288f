"""Publication by approval (issue 13, R12): a decision notice reaches `published_notices` only once
the MO approves its draft, and can then be corrected or withdrawn. The row says which
(`status`, `version`, `corrected_at`, `withdrawn_at`) and carries the structured notice (`content`)
and what the public list shows and filters by (`councillors`, `outcome`, `decided_on`).

Rows published before this (at issue-notice) become status `published`, version 0, with their
text as it was; their page shows that text.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "published_notices"


def _missing() -> bool:
    """A database made by the pre-Alembic `create_all` of a newer model already has the columns."""
    if op.get_context().as_sql:
        return True
    return "status" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(TABLE)}


def upgrade() -> None:
    if not _missing():
        return
    # ADD COLUMN, not a batch copy: SQLite adds a NOT NULL column with a default in place, and the
    # DBA's offline SQL (`alembic upgrade --sql`) needs no live table to reflect.
    columns = [
        sa.Column(
            "status", sa.String(length=12), nullable=False, server_default="published", comment="published or withdrawn"
        ),
        sa.Column(
            "version",
            sa.Integer(),
            nullable=False,
            server_default="0",
            comment="the case's notice version; a lower one never overwrites",
        ),
        sa.Column("content", sa.JSON(), nullable=True, comment="conduct.publication.NoticeView"),
        sa.Column("councillors", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True, comment="the hearing's date"),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    ]
    for column in columns:
        op.add_column(TABLE, column)
    op.create_index("ix_published_notices_decided_on", TABLE, ["decided_on"])


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_index("ix_published_notices_decided_on")
        for column in ("withdrawn_at", "corrected_at", "decided_on", "outcome", "councillors", "content", "version"):
            batch.drop_column(column)
        batch.drop_column("status")
