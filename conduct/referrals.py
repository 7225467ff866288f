"""Referrals of a complaint to an ombudsman or external regulator (in Wales the Public Services
Ombudsman, PSOW; elsewhere e.g. the police for a registrable-interest offence), recorded on the
register by the Monitoring Officer, so that the yearly report's "PSOW" column counts real cases.

The complaint workflow has no action for it yet (see README "Promoting compliance"): until it
does, `conduct referral record` writes here, and a case with a referral reaches the furthest
level, `external`, in the Group Leaders' figures.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from conduct.register import Base, Bind, ComplaintRow, _transaction, _with_session


class ExternalReferralRow(Base):
    __tablename__ = "external_referrals"
    __table_args__ = (UniqueConstraint("reference", "body", name="uq_external_referrals_reference_body"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(ForeignKey("complaints.reference", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(String(200), comment="the ombudsman or regulator, e.g. PSOW")
    referred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    officer: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime]


class ExternalReferral(BaseModel):
    reference: str = Field(pattern=r"^[A-Z]{2,6}-\d{4}-\d{4,}$")
    body: str = Field(min_length=1, max_length=200)
    referred_on: date
    note: str = Field(default="", max_length=5000)
    officer: str | None = None


class UnknownCase(LookupError):
    pass


def record_referral(bind: Bind, referral: ExternalReferral) -> bool:
    """Record a referral; the same case and body again updates the date and note. True when new."""

    def work(s: Session) -> bool:
        if s.get(ComplaintRow, referral.reference) is None:
            raise UnknownCase(referral.reference)
        row = s.scalar(
            select(ExternalReferralRow).where(
                ExternalReferralRow.reference == referral.reference, ExternalReferralRow.body == referral.body
            )
        )
        if row is None:
            s.add(ExternalReferralRow(**referral.model_dump(), recorded_at=datetime.now(UTC)))
            s.flush()
            return True
        row.referred_on, row.note, row.officer = referral.referred_on, referral.note, referral.officer
        return False

    return _transaction(bind, work)


def referrals(bind: Bind, references: list[str] | None = None) -> list[ExternalReferral]:
    query = select(ExternalReferralRow).order_by(ExternalReferralRow.referred_on, ExternalReferralRow.id)
    if references is not None:
        query = query.where(ExternalReferralRow.reference.in_(references))
    return _with_session(
        bind,
        lambda s: [
            ExternalReferral(
                reference=r.reference, body=r.body, referred_on=r.referred_on, note=r.note, officer=r.officer
            )
            for r in s.scalars(query)
        ],
    )
