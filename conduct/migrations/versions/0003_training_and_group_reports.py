"""The training register (sessions and attendance), referrals of complaints to an ombudsman or
external regulator, and the register's mirror of the Group Leaders' yearly reports (issue 15).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
TABLES = ("training_sessions", "training_attendance", "external_referrals", "group_reports")


def _missing(table: str) -> bool:
    """A database made by the pre-Alembic `create_all` of a newer model already has the table (it is
    stamped 0001 and then upgraded)."""
    return op.get_context().as_sql or not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _missing("training_sessions"):
        op.create_table(
            "training_sessions",
            sa.Column("id", sa.String(length=40), nullable=False),
            sa.Column("title", sa.String(length=200), nullable=False),
            sa.Column("held_on", sa.Date(), nullable=False),
            sa.Column("kind", sa.String(length=30), nullable=False),
            sa.Column("committee", sa.String(length=100), nullable=True),
            sa.Column("provider", sa.String(length=200), nullable=False),
            sa.Column(
                "group", sa.String(length=100), nullable=True, comment="the political group it was held for, if any"
            ),
            sa.Column("created_at", UTC_DATETIME, nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_training_sessions_held_on", "training_sessions", ["held_on"], unique=False)
    if _missing("training_attendance"):
        op.create_table(
            "training_attendance",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("session_id", sa.String(length=40), nullable=False),
            sa.Column("member", sa.String(length=64), nullable=False),
            sa.Column("recorded_at", UTC_DATETIME, nullable=False),
            sa.ForeignKeyConstraint(["session_id"], ["training_sessions.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("session_id", "member", name="uq_training_attendance_session_member"),
        )
        op.create_index("ix_training_attendance_session_id", "training_attendance", ["session_id"], unique=False)
        op.create_index("ix_training_attendance_member", "training_attendance", ["member"], unique=False)
    if _missing("external_referrals"):
        op.create_table(
            "external_referrals",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("reference", sa.String(length=32), nullable=False),
            sa.Column("body", sa.String(length=200), nullable=False, comment="the ombudsman or regulator, e.g. PSOW"),
            sa.Column("referred_on", sa.Date(), nullable=False),
            sa.Column("note", sa.Text(), nullable=False),
            sa.Column("officer", sa.String(length=64), nullable=True),
            sa.Column("recorded_at", UTC_DATETIME, nullable=False),
            sa.ForeignKeyConstraint(["reference"], ["complaints.reference"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("reference", "body", name="uq_external_referrals_reference_body"),
        )
        op.create_index("ix_external_referrals_reference", "external_referrals", ["reference"], unique=False)
    if _missing("group_reports"):
        op.create_table(
            "group_reports",
            sa.Column("workflow_id", sa.String(length=200), nullable=False),
            sa.Column("council", sa.String(length=64), nullable=False),
            sa.Column("group", sa.String(length=100), nullable=False),
            sa.Column("period_from", sa.Date(), nullable=False),
            sa.Column("period_to", sa.Date(), nullable=False),
            sa.Column("due", sa.Date(), nullable=False),
            sa.Column("expires_on", sa.Date(), nullable=False),
            sa.Column("leader", sa.String(length=64), nullable=True),
            sa.Column("status", sa.String(length=20), nullable=False),
            sa.Column("figures", sa.JSON(), nullable=True),
            sa.Column("narrative", sa.JSON(), nullable=False),
            sa.Column("drafts", sa.Integer(), nullable=False),
            sa.Column("last_saved_at", UTC_DATETIME, nullable=True),
            sa.Column("submitted_at", UTC_DATETIME, nullable=True),
            sa.Column("mo_told_at", UTC_DATETIME, nullable=True),
            sa.Column("revision", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("workflow_id"),
        )
        op.create_index("ix_group_reports_council", "group_reports", ["council"], unique=False)
        op.create_index("ix_group_reports_period_to", "group_reports", ["period_to"], unique=False)


def downgrade() -> None:
    for table in ("group_reports", "external_referrals", "training_attendance", "training_sessions"):
        op.drop_table(table)  # their indexes go with them
