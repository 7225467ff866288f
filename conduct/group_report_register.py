"""The register's mirror of each GroupReport workflow: its figures, the newest narrative and where
it stands, so that `conduct group-reports status` and `compile` read one table instead of asking
Temporal. The workflow stays the source of truth (every draft is in its history); a write with an
older revision than the row's is ignored, so retried or reordered activities never go backwards.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Date, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from conduct.calendar import london_date
from conduct.group_report import GroupFigures, GroupReportState, Narrative, ReportStatus
from conduct.register import Base, Bind, _transaction, _with_session


class GroupReportRow(Base):
    __tablename__ = "group_reports"

    workflow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    council: Mapped[str] = mapped_column(String(64), index=True)
    group: Mapped[str] = mapped_column(String(100))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date, index=True)
    due: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    leader: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    narrative: Mapped[dict[str, Any]] = mapped_column(JSON)
    drafts: Mapped[int] = mapped_column(Integer, default=0)
    last_saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    mo_told_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer, default=0)


class GroupReportRecord(BaseModel):
    """One row, as status and compile read it."""

    workflow_id: str
    council: str
    group: str
    period_from: date
    period_to: date
    due: date
    expires_on: date
    leader: str | None = None
    status: ReportStatus
    figures: GroupFigures | None = None
    narrative: Narrative = Narrative()
    drafts: int = 0
    last_saved_at: datetime | None = None
    submitted_at: datetime | None = None
    mo_told_at: datetime | None = None

    def overdue(self, today: date) -> bool:
        """Derived, never stored: nothing submitted and the due date has passed."""
        return self.status is not ReportStatus.SUBMITTED and today > self.due

    def late(self) -> bool:
        return self.submitted_at is not None and london_date(self.submitted_at) > self.due


def mirror(bind: Bind, state: GroupReportState) -> bool:
    """Upsert the row from the workflow's state. False when the row already holds a newer revision."""

    def work(s: Session) -> bool:
        row = s.get(GroupReportRow, state.workflow_id)
        if row is not None and row.revision > state.revision:
            return False
        start = state.start
        values: dict[str, Any] = {
            "council": start.council,
            "group": start.group,
            "period_from": start.period_from,
            "period_to": start.period_to,
            "due": start.due,
            "expires_on": start.expires_on,
            "leader": state.figures.leader_id if state.figures else None,
            "status": state.status.value,
            "figures": state.figures.model_dump(mode="json") if state.figures else None,
            "narrative": state.narrative.model_dump(mode="json"),
            "drafts": len(state.drafts),
            "last_saved_at": state.drafts[-1].at if state.drafts else None,
            "submitted_at": state.submitted_at,
            "mo_told_at": state.mo_told_at,
            "revision": state.revision,
        }
        if row is None:
            s.add(GroupReportRow(workflow_id=state.workflow_id, **values))
        else:
            for field, value in values.items():
                if getattr(row, field) != value:
                    setattr(row, field, value)
        s.flush()
        return True

    return _transaction(bind, work)


def records(
    bind: Bind, council: str | None = None, period_from: date | None = None, period_to: date | None = None
) -> list[GroupReportRecord]:
    """The mirrored reports (of one council and period, when given), by council, period and group."""
    query = select(GroupReportRow).order_by(GroupReportRow.council, GroupReportRow.period_to, GroupReportRow.group)
    if council:
        query = query.where(GroupReportRow.council == council)
    if period_from:
        query = query.where(GroupReportRow.period_from == period_from)
    if period_to:
        query = query.where(GroupReportRow.period_to == period_to)

    def work(s: Session) -> list[GroupReportRecord]:
        return [
            GroupReportRecord(
                workflow_id=r.workflow_id,
                council=r.council,
                group=r.group,
                period_from=r.period_from,
                period_to=r.period_to,
                due=r.due,
                expires_on=r.expires_on,
                leader=r.leader,
                status=r.status,
                figures=GroupFigures.model_validate(r.figures) if r.figures else None,
                narrative=Narrative.model_validate(r.narrative or {}),
                drafts=r.drafts,
                last_saved_at=r.last_saved_at,
                submitted_at=r.submitted_at,
                mo_told_at=r.mo_told_at,
            )
            for r in s.scalars(query)
        ]

    return _with_session(bind, work)
