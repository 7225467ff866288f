"""Indexes for `conduct cases` read from the register (issue 12): the open cases, the overdue
ones, and each case's running clocks, without a scan of every row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_complaints_closed_at_overdue", "complaints", ["closed_at", "overdue"])
    op.create_index("ix_clocks_state_reference", "clocks", ["state", "reference"])


def downgrade() -> None:
    op.drop_index("ix_clocks_state_reference", table_name="clocks")
    op.drop_index("ix_complaints_closed_at_overdue", table_name="complaints")
