"""A political group's figures for the yearly report, from the register (run in an activity).

- Members at the period's end: the group's members on the roster in force on that day (the
  newest import on or before it; the first roster when none is that old), less co-optees and
  anyone elected after it.
- Trained on the Code: members who attended a Code of Conduct session since their last election,
  on or before the period's end (conduct/training.py).
- Complaints: those received in the period (London dates) about a member of the group as it
  stood on receipt, counted once per group, and only once the subject member has been notified
  (a complaint whose notice was withheld is not shown to the group: DESIGN "who sees what"). The
  register's `subject_notified` says which. Each counts in the column of the furthest point it
  reached (conduct/report_levels.py); a complaint recorded as referred to an ombudsman or
  regulator reached `external`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from conduct import reports, training
from conduct.calendar import LONDON
from conduct.group_report import SOURCES, FiguresRequest, GroupFigures, SourceFigures, percent
from conduct.referrals import ExternalReferralRow
from conduct.register import Bind, DecisionRow, _with_session
from conduct.report_levels import POINT_ORDER, LevelPoint, ReportLevel, column_of, default_levels
from conduct.roster import Council, Roster
from conduct.roster_store import RosterRow, current_roster
from conduct.vocabulary import AssessmentOutcome, Outcome, Stage

NOTIFIED_SUMMARY = "The subject member is notified"  # how the register writes a notifying triage


def roster_on(bind: Bind, day: date) -> Roster | None:
    """The roster in force at the end of `day` (London); the oldest one if none is that old."""
    end = datetime.combine(day, time.max, tzinfo=LONDON).astimezone(UTC)

    def work(s: Session) -> Roster | None:
        row = s.scalar(select(RosterRow).where(RosterRow.imported_at <= end).order_by(RosterRow.id.desc()).limit(1))
        if row is None:
            row = s.scalar(select(RosterRow).order_by(RosterRow.id).limit(1))
        return Roster.model_validate_json(row.body) if row else None

    return _with_session(bind, work)


def levels_for(council: Council) -> list[ReportLevel]:
    return list(council.report_levels) or default_levels(council.nation)


def furthest_point(case: reports.CaseRecord, referred: bool) -> LevelPoint:
    """The furthest point a case reached; an external referral is the furthest of all."""
    if referred:
        return LevelPoint.EXTERNAL
    level = reports.level_reached(case)
    if level == "hearing":
        return LevelPoint.HEARING
    if level == "investigation":
        return LevelPoint.INVESTIGATION
    if level == "informal_resolution":
        return LevelPoint.INFORMAL_RESOLUTION
    decided = case.assessment_outcome in (AssessmentOutcome.NO_ACTION.value, AssessmentOutcome.REFER.value)
    closed = case.stage is Stage.CLOSED or case.outcome in (Outcome.NO_ACTION, Outcome.REFERRED, Outcome.WITHDRAWN)
    return LevelPoint.NO_ACTION if decided or closed else LevelPoint.OPEN


def notified_references(bind: Bind, references: list[str]) -> set[str]:
    if not references:
        return set()
    query = select(DecisionRow.reference, DecisionRow.summary).where(
        DecisionRow.reference.in_(references), DecisionRow.kind == "triage"
    )
    return _with_session(
        bind, lambda s: {ref for ref, summary in s.execute(query) if summary.startswith(NOTIFIED_SUMMARY)}
    )


def referred_references(bind: Bind, references: list[str], by: date) -> set[str]:
    if not references:
        return set()
    query = select(ExternalReferralRow.reference).where(
        ExternalReferralRow.reference.in_(references), ExternalReferralRow.referred_on <= by
    )
    return _with_session(bind, lambda s: set(s.scalars(query)))


def group_figures(bind: Bind, request: FiguresRequest, roster: Roster | None = None) -> GroupFigures:
    """The figures of one group (see the module's docstring for what counts)."""
    roster = roster or roster_on(bind, request.period_to) or current_roster(bind)
    if roster is None:
        raise LookupError("no roster in force: import one with `conduct roster import`")
    council = roster.council(request.council)
    if council is None:
        raise LookupError(f"council {request.council!r} is not on the roster")
    members = [
        m
        for m in roster.members
        if m.sits_on(council.id)  # dual-hatted members count on each council, in their group there
        and m.group_on(council.id) == request.group
        and not m.co_opted
        and (m.elected_on is None or m.elected_on <= request.period_to)
    ]
    records = training.attendance(bind, [m.id for m in members])
    trained = sum(1 for m in members if training.trained_on_code(m, records, request.period_to))

    cases = _with_session(bind, lambda s: reports.load_cases(s, request.period_from, request.period_to, council.id))
    mine = [c for c in cases if request.group in {c.subject_groups.get(m) for m in c.subject_members}]
    references = [c.reference for c in mine]
    referred = referred_references(bind, references, request.period_to)

    levels = levels_for(council)
    by_source: dict[str, Counter[LevelPoint]] = defaultdict(Counter)
    for case in mine:
        if not case.subject_notified:  # the register's R1 flag (conduct/reports.py CaseRecord)
            continue
        by_source[reports.SOURCE_OF[case.complainant_type]][furthest_point(case, case.reference in referred)] += 1
    rows = []
    uncounted: Counter[str] = Counter()
    for source in SOURCES:
        points = by_source[source]
        columns = {level.title: sum(points[p] for p in level.points) for level in levels}
        for p in POINT_ORDER:
            if points[p] and column_of(p, levels) is None:
                uncounted[p.value] += points[p]
        rows.append(
            SourceFigures(
                source=source,
                columns=columns,
                points={p.value: points[p] for p in POINT_ORDER},
                total=sum(points.values()),
            )
        )
    leader = roster.group_leader(council.id, request.group)
    return GroupFigures(
        council=council.id,
        council_name=council.name,
        nation=council.nation.value,
        group=request.group,
        leader_id=leader.id if leader else None,
        leader_name=leader.name if leader else "",
        period_from=request.period_from,
        period_to=request.period_to,
        members=len(members),
        trained=trained,
        trained_percent=percent(trained, len(members)),
        levels=[level.title for level in levels],
        rows=rows,
        complaints=sum(r.total for r in rows),
        not_in_a_column=dict(uncounted),
    )


def groups_with_members(roster: Roster, council: str) -> list[str]:
    """The political groups with members on `council`, in roster order (co-optees left out)."""
    return list(dict.fromkeys(m.group_on(council) for m in roster.members_of(council) if not m.co_opted))
