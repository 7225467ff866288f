"""A clock's earlier lapses and its extensions (issue 14): a lapse, once it happened, stays in the
statistics when the clock starts afresh (information asked for after the assessment clock
lapsed), and an extension given by the MO is shown as such in reviews.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "clocks", sa.Column("lapsed_before", sa.JSON(), nullable=True, comment="earlier due dates it lapsed on")
    )
    op.add_column(
        "clocks", sa.Column("extensions", sa.JSON(), nullable=True, comment="extensions given, with their reasons")
    )


def downgrade() -> None:
    with op.batch_alter_table("clocks") as batch:
        batch.drop_column("extensions")
        batch.drop_column("lapsed_before")
