"""Per-case data keys and retention (issue 13): `case_keys` holds each case's data key wrapped by
the key ring (conduct.case_keys); `retention_records` says which cases' personal data was removed,
when and under which rule (conduct.retention_register).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

UTC_DATETIME = sa.DateTime(timezone=True)

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_keys",
        sa.Column("reference", sa.String(length=32), primary_key=True),
        sa.Column(
            "ring_key_id",
            sa.String(length=64),
            nullable=False,
            comment="the ring's key that wrapped it; '' once shredded",
        ),
        sa.Column("wrapped", sa.Text(), nullable=True, comment="base64(nonce | AES-GCM(data key)); NULL once shredded"),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("shredded_on", sa.Date(), nullable=True),
    )
    op.create_table(
        "retention_records",
        sa.Column("reference", sa.String(length=32), primary_key=True),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=False),
        sa.Column("uploads_deleted", sa.Integer(), nullable=False),
        sa.Column("letters_deleted", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
    )
    op.create_index("ix_retention_records_council", "retention_records", ["council"])


def downgrade() -> None:
    op.drop_index("ix_retention_records_council", table_name="retention_records")
    op.drop_table("retention_records")
    op.drop_table("case_keys")
