"""Who takes part in a case, in the register (issue 12): the officers' API checks the person
before each action from here (conduct/access.py), without asking the case's workflow. The
workflow's validator checks the same again, so a register a checkpoint behind refuses nothing
the case would allow for long, and lets nothing through the case would refuse.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch rebuild of `complaints` on SQLite would cascade-delete its parties.
    op.add_column(
        "complaints",
        sa.Column("stood_down", sa.JSON(), nullable=True, comment="R16: officers recorded as conflicted (ids)"),
    )
    op.add_column(
        "complaints",
        sa.Column(
            "deputy_acting",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
            comment="R16: the deputy acts for a conflicted MO",
        ),
    )


def downgrade() -> None:
    op.drop_column("complaints", "deputy_acting")
    op.drop_column("complaints", "stood_down")
