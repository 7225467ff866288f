"""`conduct cases` from the case register (SQL, indexed), not Temporal visibility: the register
is the officers' record (DESIGN.md, "Architecture"), it answers with 10,000 open cases in
milliseconds, and visibility stays for operators and the Temporal UI.

Each line is what visibility gave before (`starter.cases.CaseLine`), so the table and the JSON
keep their fields: the next deadline is the earliest due date of a running clock (pending or
lapsed), as the workflow's `ComplaintNextDeadline` attribute holds it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from conduct.case import RUNNING_STATES
from conduct.register import ClockRow, ComplaintRow, DecisionRow
from starter.cases import CaseLine, Which

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from conduct.vocabulary import Stage

LATE_HEARINGS = select(DecisionRow.reference, DecisionRow.summary).where(DecisionRow.kind == "hearing_late")


def list_cases(
    session: Session,
    today: date,
    stage: Stage | None = None,
    council: str | None = None,
    member: str | None = None,
    group: str | None = None,
    overdue: bool = False,
    which: Which = "open",
) -> list[CaseLine]:
    """Cases matching the filters, soonest deadline first, then by reference. Stage, council,
    open/closed and overdue are indexed columns; member and group are read from the rows those
    leave (a JSON list and map, which SQLite and PostgreSQL index differently)."""
    next_due = (  # per listed case, through the clocks' (state, reference) index
        select(func.min(ClockRow.due))
        .where(ClockRow.reference == ComplaintRow.reference, ClockRow.state.in_(sorted(RUNNING_STATES)))
        .scalar_subquery()
    )
    row = ComplaintRow
    query = select(row.reference, row.council, row.stage, row.subject_members, row.subject_groups, row.overdue,
                   row.closed_at, next_due)  # fmt: skip
    if which == "open":
        query = query.where(ComplaintRow.closed_at.is_(None))
    elif which == "closed":
        query = query.where(ComplaintRow.closed_at.is_not(None))
    if stage is not None:
        query = query.where(ComplaintRow.stage == stage.value)
    if council:
        query = query.where(ComplaintRow.council == council)
    if overdue:
        query = query.where(ComplaintRow.overdue.is_(True))
    # R9: a hearing fixed after its due date (conduct.projection's "hearing_late" decision) shows as late.
    late = {ref: summary.partition(":")[0] for ref, summary in session.execute(LATE_HEARINGS)}
    lines = []
    for (
        reference,
        council_id,
        stage_word,
        subject_members,
        subject_groups,
        is_overdue,
        closed_at,
        due,
    ) in session.execute(query):
        members = list(subject_members or [])
        groups = sorted({g for g in (subject_groups or {}).values() if g})
        if (member and member not in members) or (group and group not in groups):
            continue
        lines.append(
            CaseLine.model_construct(  # every value comes from the register's typed columns
                reference=reference,
                council=council_id,
                stage=stage_word,
                subject_members=members,
                groups=groups,
                next_deadline=due,
                days_left=(due - today).days if due else None,
                overdue=bool(is_overdue),
                late=late.get(reference, ""),
                status="running" if closed_at is None else "completed",
            )
        )
    return sorted(lines, key=lambda c: (c.next_deadline is None, c.next_deadline or date.max, c.reference))
