"""Channels and receipt (issue 14): how each complaint arrived (`complaints.channel`: online, post,
email, in_person; rows already there arrived online), and the print queue of letters to parties
without e-mail (conduct/print_queue.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild of `complaints` on SQLite would cascade-delete its parties.
    op.add_column(
        "complaints",
        sa.Column(
            "channel",
            sa.String(20),
            nullable=False,
            server_default="online",
            comment="how it arrived: online, post, email, in_person",
        ),
    )
    op.create_table(
        "print_queue",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(400), nullable=False, unique=True, comment="the letter's idempotency key"),
        sa.Column("reference", sa.String(32), nullable=False, index=True),
        sa.Column("template", sa.String(60), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        # sealed at rest by conduct.sealed_columns (the model's EncryptedText)
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False, comment="the sealed PDF (conduct.documents.DocumentRef)"),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=True, index=True),
        sa.Column("posted_by", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("print_queue")
    op.drop_column("complaints", "channel")  # SQLite 3.35+: no rebuild (see upgrade)
