"""Counts by group include a case only once its subject member has been notified (issue 13,
DESIGN "Who sees what"): the register says so in `complaints.subject_notified`.

Rows already there take it from their triage decision as conduct.projection words it ("The
subject member is notified ..."); every case's next sync writes it from the workflow.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch (copy-and-move) rebuild of `complaints` on SQLite drops the table,
    # and its ON DELETE CASCADE would take every party row with it.
    op.add_column(
        "complaints",
        sa.Column(
            "subject_notified",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
            comment="R1: told of the complaint (group counts need it)",
        ),
    )
    op.execute(
        "UPDATE complaints SET subject_notified = TRUE WHERE reference IN "
        "(SELECT reference FROM decisions WHERE kind = 'triage' AND summary LIKE 'The subject member is notified%')"
    )


def downgrade() -> None:
    op.drop_column("complaints", "subject_notified")  # SQLite 3.35+: no rebuild (see upgrade)
