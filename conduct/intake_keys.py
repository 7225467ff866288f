"""Idempotent intake: one submission (one idempotency key) is one reference, however often it
is posted, even concurrently. The reference then names the workflow, whose start reuses a
running workflow of the same id."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from conduct.register import Base, Bind, _transaction, next_reference


class IntakeKeyRow(Base):
    __tablename__ = "intake_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def reference_for(bind: Bind, key: str, council_code: str, year: int) -> tuple[str, bool]:
    """The reference of submission `key`, allocating one the first time; True when new.

    The number and the key are taken in one transaction: a concurrent post of the same key
    queues on the counter's lock, then fails on the key and rolls back, number included; its
    retry finds the winner's row. No number is skipped."""

    def work(s: Session) -> tuple[str, bool]:
        existing = s.execute(select(IntakeKeyRow.reference).where(IntakeKeyRow.key == key)).scalar_one_or_none()
        if existing:
            return existing, False
        reference = next_reference(s, council_code, year)
        s.add(IntakeKeyRow(key=key, reference=reference, created_at=datetime.now(UTC)))
        s.flush()
        return reference, True

    return _transaction(bind, work)
