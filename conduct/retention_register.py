"""The register's side of retention: which cases and notices are due, and a shredded case's rows
turned into anonymised statistics.

What stays of a case (every report still adds up): the complaint row's council, hearing council,
stage, outcome, dates, overdue flag, complainant type (the source), confidentiality and
publication flags; the subject members' groups, under ids that name no one
(`removed:<reference>:<n>`, one per member and case, so no false pattern joins two cases); the
clocks; each decision's kind and time, and an assessment's outcome ("Outcome: investigate.").
What goes: every party row (names, e-mails), decision texts and their officers, letters'
recipients and subjects. `retention_records` says when and under which rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from conduct.calendar import london_date
from conduct.register import (
    Base,
    Bind,
    ComplaintRow,
    DecisionRow,
    NotificationRow,
    PartyRow,
    PublishedNoticeRow,
    _transaction,
    _with_session,
)
from conduct.retention import (
    DEFAULT_NOTICE_RETENTION_YEARS,
    DEFAULT_RETENTION_YEARS,
    DueCase,
    DueNotice,
    years_after,
)
from conduct.roster import Roster

REMOVED_TEXT = "[removed under the retention policy]"


class RetentionRecordRow(Base):
    __tablename__ = "retention_records"

    reference: Mapped[str] = mapped_column(String(32), primary_key=True)
    council: Mapped[str] = mapped_column(String(64), index=True)
    closed_on: Mapped[date] = mapped_column(Date)
    removed_on: Mapped[date] = mapped_column(Date)
    retention_years: Mapped[int] = mapped_column(Integer)
    uploads_deleted: Mapped[int] = mapped_column(Integer, default=0)
    letters_deleted: Mapped[int] = mapped_column(Integer, default=0)
    recorded_at: Mapped[datetime]


def _years(roster: Roster | None, council: str, notices: bool = False) -> int:
    found = roster.council(council) if roster is not None else None
    if found is None:
        return DEFAULT_NOTICE_RETENTION_YEARS if notices else DEFAULT_RETENTION_YEARS
    return int(getattr(found, "notice_retention_years" if notices else "retention_years"))


def due_cases(bind: Bind, roster: Roster | None, on: date) -> list[DueCase]:
    """Closed cases whose retention ended on or before `on`, not shredded yet, oldest first."""

    def read(s: Session) -> list[DueCase]:
        done = select(RetentionRecordRow.reference)
        rows = s.execute(
            select(ComplaintRow.reference, ComplaintRow.council, ComplaintRow.closed_at)
            .where(ComplaintRow.closed_at.is_not(None), ComplaintRow.reference.not_in(done))
            .order_by(ComplaintRow.closed_at, ComplaintRow.reference)
        ).all()
        due = []
        for reference, council, closed_at in rows:
            closed_on = london_date(closed_at)
            years = _years(roster, council)
            if years_after(closed_on, years) <= on:
                due.append(DueCase(reference=reference, council=council, closed_on=closed_on,
                                   retention_years=years, due_on=years_after(closed_on, years)))  # fmt: skip
        return due

    return _with_session(bind, read)


def due_notices(bind: Bind, roster: Roster | None, on: date) -> list[DueNotice]:
    """Published decision notices whose own period ended on or before `on`."""

    def read(s: Session) -> list[DueNotice]:
        due = []
        for row in s.scalars(select(PublishedNoticeRow).order_by(PublishedNoticeRow.published_at)):
            published_on = london_date(row.published_at)
            years = _years(roster, row.council, notices=True)
            if years_after(published_on, years) <= on:
                due.append(DueNotice(reference=row.reference, council=row.council, published_on=published_on,
                                     retention_years=years, due_on=years_after(published_on, years)))  # fmt: skip
        return due

    return _with_session(bind, read)


def record_of(bind: Bind, reference: str) -> RetentionRecordRow | None:
    return _with_session(bind, lambda s: s.get(RetentionRecordRow, reference))


def anonymise(bind: Bind, case: DueCase, on: date, uploads_deleted: int, letters_deleted: int) -> int:
    """Turn the case's rows into statistics and record it (one transaction; repeatable). Returns
    the number of rows changed or removed."""

    def work(s: Session) -> int:
        changed = 0
        row = s.get(ComplaintRow, case.reference)
        if row is not None:
            pseudonyms = {m: f"removed:{case.reference}:{n}" for n, m in enumerate(row.subject_members or [], 1)}
            if any(not m.startswith("removed:") for m in pseudonyms):
                row.subject_groups = {
                    pseudonyms.get(m, m): g for m, g in (row.subject_groups or {}).items() if m in pseudonyms
                }
                row.subject_members = list(pseudonyms.values())
                changed += 1
        changed += s.execute(delete(PartyRow).where(PartyRow.reference == case.reference)).rowcount
        for decision in s.scalars(select(DecisionRow).where(DecisionRow.reference == case.reference)):
            kept = decision.summary.split(".", 1)[0] + ". " if decision.summary.startswith("Outcome: ") else ""
            if decision.summary != kept + REMOVED_TEXT:
                decision.summary, decision.officer = kept + REMOVED_TEXT, None
                changed += 1
        changed += s.execute(
            update(NotificationRow.__table__)
            .where(NotificationRow.__table__.c.reference == case.reference)
            .values(to="", subject="")
        ).rowcount
        if s.get(RetentionRecordRow, case.reference) is None:
            s.add(
                RetentionRecordRow(
                    reference=case.reference,
                    council=case.council,
                    closed_on=case.closed_on,
                    removed_on=on,
                    retention_years=case.retention_years,
                    uploads_deleted=uploads_deleted,
                    letters_deleted=letters_deleted,
                    recorded_at=datetime.now(UTC),
                )
            )
        return changed

    return _transaction(bind, work)


def remove_notice(bind: Bind, reference: str) -> bool:
    """Take a notice off the public pages for good (its retention period is over)."""
    return bool(
        _transaction(
            bind, lambda s: s.execute(delete(PublishedNoticeRow).where(PublishedNoticeRow.reference == reference))
        ).rowcount
    )
