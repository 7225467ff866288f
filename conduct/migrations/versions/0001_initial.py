"""The case register as first released: complaints and their parties, decisions, clocks and
letters; reference counters; published decision notices; rosters; intake keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Aware datetimes; SQLite stores them naive in UTC (conduct.register.UTCDateTime).
UTC_DATETIME = sa.DateTime(timezone=True)


def _case_child(name: str, *columns: sa.Column, unique: tuple[str, ...], unique_name: str) -> None:
    """A child table of `complaints`: id, reference (FK, cascading, indexed), `columns`."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["reference"], ["complaints.reference"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*unique, name=unique_name),
    )
    op.create_index(f"ix_{name}_reference", name, ["reference"], unique=False)


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("workflow_id", sa.String(length=200), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("hearing_council", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("subject_members", sa.JSON(), nullable=False),
        sa.Column("subject_groups", sa.JSON(), nullable=False),
        sa.Column("complainant_type", sa.String(length=20), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False, comment="time of the latest event of the case"),
        sa.PrimaryKeyConstraint("reference"),
    )
    op.create_index("ix_complaints_council", "complaints", ["council"], unique=False)
    op.create_index("ix_complaints_received_at", "complaints", ["received_at"], unique=False)
    op.create_index("ix_complaints_stage", "complaints", ["stage"], unique=False)

    _case_child(
        "parties",
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False, comment="roster id, or 'complainant'"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        unique=("reference", "role", "party_id"),
        unique_name="uq_parties_reference_role_id",
    )
    _case_child(
        "decisions",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("officer", sa.String(length=64), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        unique=("reference", "kind", "at"),
        unique_name="uq_decisions_reference_kind_at",
    )
    _case_child(
        "clocks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("started", UTC_DATETIME, nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=True),
        unique=("reference", "name"),
        unique_name="uq_clocks_reference_name",
    )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("to", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_notifications_reference", "notifications", ["reference"], unique=False)

    op.create_table(
        "reference_counters",
        sa.Column("council_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("council_code", "year"),
    )

    op.create_table(
        "published_notices",
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("published_at", UTC_DATETIME, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("reference"),
    )
    op.create_index("ix_published_notices_council", "published_notices", ["council"], unique=False)

    op.create_table(
        "rosters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("imported_at", UTC_DATETIME, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "intake_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("reference"),
    )


def downgrade() -> None:
    for table in ("intake_keys", "rosters", "published_notices", "reference_counters", "notifications"):
        op.drop_table(table)
    for table in ("clocks", "decisions", "parties"):
        op.drop_table(table)  # their indexes go with them
    op.drop_table("complaints")
