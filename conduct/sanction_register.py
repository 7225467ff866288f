"""The register's mirror of each sanction's follow-up (workflows/sanction.py), for `conduct cases
--sanctions-due` and for the training register to find the follow-ups a course completes. The
workflow stays the source of truth; a write with an older revision than the row's is ignored, so
retried or reordered activities never go backwards (as conduct/group_report_register.py).

Migration 0011 creates the table. No complainant data: the member, the sanction and its terms.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Date, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from conduct.register import Base, Bind, _transaction, _with_session
from conduct.sanctions import FollowUpState, FollowUpStatus, TrainingMet, course_matches

OPEN = (FollowUpStatus.PENDING.value, FollowUpStatus.OVERDUE.value)


class SanctionFollowUpRow(Base):
    __tablename__ = "sanction_follow_ups"
    __table_args__ = (Index("ix_sanction_follow_ups_status_due", "status", "due"),)

    workflow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    council: Mapped[str] = mapped_column(String(64))
    sanction: Mapped[str] = mapped_column(String(30))
    subject_members: Mapped[list[str]] = mapped_column(JSON)
    terms: Mapped[str] = mapped_column(String(300), default="", comment="committee and period, meeting, or course")
    course: Mapped[str] = mapped_column(String(200), default="")
    hearing_date: Mapped[date] = mapped_column(Date)
    due: Mapped[date] = mapped_column(Date)
    grace_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    complied_on: Mapped[date | None] = mapped_column(Date)
    escalated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer, default=0)


class FollowUpLine(BaseModel):
    """One row, as `conduct cases --sanctions-due` prints it."""

    reference: str
    sanction: str
    subject_members: list[str]
    terms: str
    due: date
    days_left: int
    status: str
    escalated: bool
    workflow_id: str


def mirror(bind: Bind, state: FollowUpState) -> bool:
    """Upsert the row from the workflow's state. False when the row already holds a newer revision."""
    start = state.start

    def work(s: Session) -> bool:
        row = s.get(SanctionFollowUpRow, state.workflow_id)
        if row is not None and row.revision > state.revision:
            return False
        values: dict[str, Any] = {
            "reference": start.reference,
            "council": start.council,
            "sanction": start.sanction.value,
            "subject_members": list(start.subject_members),
            "terms": start.terms[:300],
            "course": start.course[:200],
            "hearing_date": start.hearing_date,
            "due": start.due,
            "grace_until": start.grace_until,
            "status": state.status.value,
            "complied_on": state.complied_on,
            "escalated_at": state.escalated_at,
            "closed_at": state.closed_at,
            "revision": state.revision,
        }
        if row is None:
            s.add(SanctionFollowUpRow(workflow_id=state.workflow_id, **values))
        else:
            for field, value in values.items():
                setattr(row, field, value)
        return True

    return _transaction(bind, work)


def due_lines(bind: Bind, today: date, council: str | None = None, member: str | None = None) -> list[FollowUpLine]:
    """The open follow-ups (pending, or overdue and still waiting), soonest due first."""
    query = select(SanctionFollowUpRow).where(
        SanctionFollowUpRow.status.in_(OPEN), SanctionFollowUpRow.closed_at.is_(None)
    )
    if council:
        query = query.where(SanctionFollowUpRow.council == council)
    query = query.order_by(SanctionFollowUpRow.due, SanctionFollowUpRow.reference, SanctionFollowUpRow.sanction)

    def work(s: Session) -> list[FollowUpLine]:
        return [
            FollowUpLine(
                reference=r.reference,
                sanction=r.sanction,
                subject_members=list(r.subject_members or []),
                terms=r.terms,
                due=r.due,
                days_left=(r.due - today).days,
                status=r.status,
                escalated=r.escalated_at is not None,
                workflow_id=r.workflow_id,
            )
            for r in s.scalars(query)
            if member is None or member in (r.subject_members or [])
        ]

    return _with_session(bind, work)


def open_training(bind: Bind, members: list[str]) -> list[SanctionFollowUpRow]:
    """Open training follow-ups of any of `members` (the training CLI's question)."""
    query = select(SanctionFollowUpRow).where(
        SanctionFollowUpRow.status.in_(OPEN),
        SanctionFollowUpRow.closed_at.is_(None),
        SanctionFollowUpRow.sanction == "training",
    )
    wanted = set(members)

    def work(s: Session) -> list[SanctionFollowUpRow]:
        rows = [r for r in s.scalars(query) if wanted & set(r.subject_members or [])]
        for r in rows:
            s.expunge(r)
        return rows

    return _with_session(bind, work)


def course_met(bind: Bind, members: list[str], course: str, since: date) -> TrainingMet:
    """Whether every one of `members` attended a session that is the course, on or after `since`:
    the session and day by which the last of them had (R17: a training sanction met)."""
    from conduct.training import TrainingSessionRow, attendance

    records = attendance(bind, members)
    titles = _with_session(bind, lambda s: {r.id: r.title for r in s.scalars(select(TrainingSessionRow))})
    met: dict[str, tuple[date, str]] = {}
    for r in records:
        matches = r.held_on >= since and course_matches(course, r.session, titles.get(r.session, ""))
        if matches and (r.member not in met or r.held_on < met[r.member][0]):
            met[r.member] = (r.held_on, r.session)
    if not members or any(m not in met for m in members):
        return TrainingMet()
    held_on, session = max(met[m] for m in members)
    return TrainingMet(session=session, held_on=held_on)
