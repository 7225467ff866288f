"""Sanctions followed up (issue 14, R17): the register's mirror of each SanctionFollowUp workflow
(conduct/sanction_register.py), for `conduct cases --sanctions-due` and the training register.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def _missing(table: str) -> bool:
    """A database made by the pre-Alembic `create_all` of a newer model already has the table (it is
    stamped 0001 and then upgraded), as in 0003."""
    return op.get_context().as_sql or not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if not _missing("sanction_follow_ups"):
        return
    op.create_table(
        "sanction_follow_ups",
        sa.Column("workflow_id", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("sanction", sa.String(length=30), nullable=False),
        sa.Column("subject_members", sa.JSON(), nullable=False),
        sa.Column("terms", sa.String(length=300), nullable=False, comment="committee and period, meeting, or course"),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("hearing_date", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("grace_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("complied_on", sa.Date(), nullable=True),
        sa.Column("escalated_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("workflow_id"),
    )
    op.create_index("ix_sanction_follow_ups_reference", "sanction_follow_ups", ["reference"], unique=False)
    op.create_index("ix_sanction_follow_ups_status_due", "sanction_follow_ups", ["status", "due"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sanction_follow_ups_status_due", table_name="sanction_follow_ups")
    op.drop_index("ix_sanction_follow_ups_reference", table_name="sanction_follow_ups")
    op.drop_table("sanction_follow_ups")
