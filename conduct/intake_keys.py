"""Idempotent intake: one submission (one idempotency key) is one reference, however often it
is posted, even concurrently. The reference then names the workflow, whose start reuses a
running workflow of the same id.

A key may come with the digest of what was submitted under it (the API's keys do): the same key
with another digest is another complaint reusing the key, and is refused (`KeyReused`) rather
than answered with the first complaint's reference, which would silently drop the second."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from conduct.register import Base, Bind, _transaction, next_reference


class IntakeKeyRow(Base):
    __tablename__ = "intake_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    digest: Mapped[str | None] = mapped_column(
        String(64),
        nullable=True,
        default=None,
        comment="SHA-256 of the submitted complaint; null for form submissions and older rows",
    )


class KeyReused(ValueError):
    """The idempotency key was first used for a different complaint. The message names no reference."""


def reference_for(bind: Bind, key: str, council_code: str, year: int, digest: str | None = None) -> tuple[str, bool]:
    """The reference of submission `key`, allocating one the first time; True when new. With a
    `digest`, a key first used with another digest raises KeyReused.

    The number and the key are taken in one transaction: a concurrent post of the same key
    queues on the counter's lock, then fails on the key and rolls back, number included; its
    retry finds the winner's row. No number is skipped."""

    def work(s: Session) -> tuple[str, bool]:
        existing = s.execute(
            select(IntakeKeyRow.reference, IntakeKeyRow.digest).where(IntakeKeyRow.key == key)
        ).one_or_none()
        if existing:
            reference, first_digest = existing
            if digest is not None and first_digest is not None and first_digest != digest:
                raise KeyReused("this idempotency key was already used for a different complaint")
            return reference, False
        reference = next_reference(s, council_code, year)
        s.add(IntakeKeyRow(key=key, reference=reference, created_at=datetime.now(UTC), digest=digest))
        s.flush()
        return reference, True

    return _transaction(bind, work)


def key_in_use(bind: Bind, key: str) -> bool:
    """Whether a complaint was opened (a reference allocated) under `key`."""
    with Session(bind) as s:
        return s.execute(select(IntakeKeyRow.key).where(IntakeKeyRow.key == key)).first() is not None
