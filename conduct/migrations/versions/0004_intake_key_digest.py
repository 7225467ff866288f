"""The digest of what was submitted under each idempotency key, so that the same key with another
complaint is refused instead of answered with the first complaint's reference (issue 13).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _missing() -> bool:
    """A database made by the pre-Alembic `create_all` of a newer model already has the column."""
    if op.get_context().as_sql:
        return True
    return "digest" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("intake_keys")}


def upgrade() -> None:
    if _missing():
        op.add_column(
            "intake_keys",
            sa.Column(
                "digest",
                sa.String(length=64),
                nullable=True,
                comment="SHA-256 of the submitted complaint; null for form submissions and older rows",
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("intake_keys") as batch:
        batch.drop_column("digest")
