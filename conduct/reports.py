"""Reports computed from the workflows' own record: the clocks, outcomes and parties that each
complaint workflow wrote and `sync_case` mirrored into the case register. Never a spreadsheet.

`load_cases` reads the register into plain `CaseRecord`s; everything else is a pure function of
those records (and of an explicit `as_of` day where "now" matters), so the CLI, the reporting
workflow's activities and the tests all compute the same figures.

- `review`: the Standards Committee's timeliness review: for every clock of the cases received in
  a period, met / met late (days late = met_on - due) / lapsed and still open (days overdue =
  as_of - due) / pending / stopped; a clock that lapsed before it started afresh or was extended
  is counted in `lapsed_earlier` whatever its state now, and extensions are shown with reasons;
  the time each stage took (clock started -> met_on, calendar
  days) with median and worst; cases closed per outcome.
- `group_statistics`: the Group Leader form ("Number, Source and Level of Complaints"): per
  council and political group (the subject's group as recorded on receipt), complaints by source
  and by the highest level reached.
- `patterns`: subject members and complainants with several complaints inside a rolling 12
  months, dismissed ones included (R4: dismissed matters stay recorded).

Decisions (documented in the CLI help too):
- Source: public -> public; officer -> officers; councillor -> councillors; parish_clerk ->
  officers (a parish clerk is the parish council's officer).
- Level reached (the highest of): `assessment` (no action, referral to the county association,
  withdrawn or still open before any further step: no column of the Welsh form, whose
  "Informal" is an informal resolution), `informal_resolution` (the form's "Informal"),
  `investigation` (referred for investigation: the investigator-appointment clock started),
  `hearing` (a final report found a breach: the hearing clock started); the Welsh form's "Local
  Resolution" is investigation and hearing. `breach_found` counts cases the Hearings
  Sub-Committee found in breach (outcome `breach`). The Group Leaders' yearly reports
  (conduct/group_figures.py) add the PSOW column from recorded referrals, per council.
- A complaint about members of two groups counts once for each group.
- Periods and ages are London dates (received_at converted to Europe/London).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from conduct.calendar import london_date
from conduct.projection import DELAY_REASON
from conduct.register import ClockRow, ComplaintRow, DecisionRow, PartyRow
from conduct.report_models import (  # noqa: F401  (the reporting workflow's models, re-exported)
    RecipientsRequest,
    ReportPeriod,
    ReportReceipt,
    ReportRecipient,
    ReportRequest,
    ReportRun,
    SendReport,
    calendar_year,
    periods_before,
    quarter,
)
from conduct.sealed_columns import prefetch_case_keys
from conduct.vocabulary import ClockName, ClockState, ComplainantType, Outcome, RecipientRole, Stage

# ----------------------------------------------------------------------------- records


class ClockRecord(BaseModel):
    name: ClockName
    started: datetime
    due: date
    state: ClockState
    met_on: date | None = None
    delay_reason: str = ""  # why it lapsed, as the MO recorded it (`conduct note --delay-reason`)
    lapsed_before: list[date] = []  # earlier due dates it lapsed on before it started afresh or was extended
    extensions: list[str] = []  # "previous due -> new due: reason", each given by the MO


class CaseRecord(BaseModel):
    reference: str
    council: str
    hearing_council: str = ""
    stage: Stage
    outcome: Outcome | None = None
    received_at: datetime
    closed_at: datetime | None = None
    overdue: bool = False
    subject_members: list[str] = []
    subject_groups: dict[str, str] = {}
    complainant_type: ComplainantType
    complainant_email: str | None = None
    confidential: bool = False
    subject_notified: bool = Field(default=False, description="R1: told of the complaint; counted by group only then")
    assessment_outcome: str | None = None
    clocks: list[ClockRecord] = []

    @property
    def received_on(self) -> date:
        return london_date(self.received_at)


def _assessment_outcome(summary: str) -> str | None:
    """The MO's assessment as written by sync_case: "Outcome: investigate. ..." -> "investigate"."""
    if not summary.startswith("Outcome: "):
        return None
    return summary.removeprefix("Outcome: ").split(".", 1)[0].strip().replace(" ", "_")


def load_cases(
    session: Session, received_from: date | None = None, received_to: date | None = None, council: str | None = None
) -> list[CaseRecord]:
    """The cases received between the two London dates (inclusive), with their clocks, oldest first."""
    query = select(ComplaintRow).order_by(ComplaintRow.received_at, ComplaintRow.reference)
    if council:
        query = query.where(ComplaintRow.council == council)
    rows = [
        r
        for r in session.scalars(query)
        if (received_from is None or london_date(r.received_at) >= received_from)
        and (received_to is None or london_date(r.received_at) <= received_to)
    ]
    references = [r.reference for r in rows]
    clocks: dict[str, list[ClockRecord]] = defaultdict(list)
    emails: dict[str, str | None] = {}
    assessments: dict[str, str | None] = {}
    if references:
        for c in session.scalars(select(ClockRow).where(ClockRow.reference.in_(references)).order_by(ClockRow.id)):
            clocks[c.reference].append(
                ClockRecord(
                    name=c.name,
                    started=c.started,
                    due=c.due,
                    state=c.state,
                    met_on=c.met_on,
                    lapsed_before=c.lapsed_before or [],
                    extensions=c.extensions or [],
                )
            )
        prefetch_case_keys(session.get_bind(), references)  # their sealed e-mails: one key query per 500 cases
        parties = select(PartyRow).where(
            PartyRow.reference.in_(references), PartyRow.role == RecipientRole.COMPLAINANT.value
        )
        emails = {p.reference: p.email for p in session.scalars(parties)}
        decisions = select(DecisionRow).where(DecisionRow.reference.in_(references), DecisionRow.kind == "assessment")
        assessments = {d.reference: _assessment_outcome(d.summary) for d in session.scalars(decisions)}
        _add_delay_reasons(session, references, clocks)
    return [
        CaseRecord(
            reference=r.reference,
            council=r.council,
            hearing_council=r.hearing_council,
            stage=r.stage,
            outcome=r.outcome,
            received_at=r.received_at,
            closed_at=r.closed_at,
            overdue=r.overdue,
            subject_members=r.subject_members or [],
            subject_groups=r.subject_groups or {},
            complainant_type=r.complainant_type,
            complainant_email=emails.get(r.reference),
            confidential=r.confidential,
            subject_notified=r.subject_notified,
            assessment_outcome=assessments.get(r.reference),
            clocks=clocks.get(r.reference, []),
        )
        for r in rows
    ]


def _add_delay_reasons(session: Session, references: list[str], clocks: dict[str, list[ClockRecord]]) -> None:
    """The latest delay reason recorded for each clock (decision rows "clock: reason")."""
    rows = select(DecisionRow).where(DecisionRow.reference.in_(references), DecisionRow.kind == DELAY_REASON)
    for row in session.scalars(rows.order_by(DecisionRow.at)):
        name, _, reason = row.summary.partition(": ")
        for clock in clocks.get(row.reference, []):
            if clock.name.value == name:
                clock.delay_reason = reason


# ----------------------------------------------------------------------------- review

CLOCK_ORDER = list(ClockName)
CLOSED_STATES = (ClockState.MET, ClockState.MET_LATE)


class ClockLine(BaseModel):
    reference: str
    clock: ClockName
    started: date
    due: date
    state: ClockState
    met_on: date | None = None
    days_late: int | None = None  # met_late: met_on - due; lapsed: as_of - due
    days_taken: int | None = None  # met or met_late: met_on - started
    projected: bool = Field(default=False, description="pending now, and lapsed by as_of unless met first")
    delay_reason: str = Field(default="", description="why it lapsed, as recorded on the case")
    lapsed_before: list[date] = Field(default=[], description="earlier due dates it lapsed on; they stay counted")
    extensions: list[str] = Field(default=[], description="extensions given, with their reasons")


class ClockSummary(BaseModel):
    clock: ClockName | None = Field(description="None for the totals over every clock")
    total: int = 0
    met: int = 0
    met_late: int = 0
    lapsed: int = 0
    pending: int = 0
    stopped: int = 0
    lapsed_earlier: int = 0  # clocks that lapsed once and then started afresh or were extended
    extended: int = 0  # clocks given more time by the MO (shown with the reason per line)
    late_days: list[int] = []  # days late of each met_late clock, in case order
    overdue_days: list[int] = []  # days overdue of each lapsed clock as of the report
    median_days: float | None = None  # stage duration: clock started -> met_on
    worst_days: int | None = None
    worst_reference: str | None = None


class Review(BaseModel):
    received_from: date | None
    received_to: date | None
    council: str | None
    as_of: date
    cases: int
    open_cases: int
    closed: dict[str, int]  # outcome -> number of cases closed with it
    totals: ClockSummary  # every clock together
    clocks: list[ClockSummary]  # one per clock name that occurs, in procedure order
    lines: list[ClockLine]  # every clock, per case, as `conduct show` prints it


def clock_line(reference: str, c: ClockRecord, as_of: date) -> ClockLine:
    """One clock as of `as_of`: a clock still pending whose due date is before it is counted as
    lapsed (`projected`), so a review as of a later day shows what will go overdue."""
    started = london_date(c.started)
    days_late = days_taken = None
    state, projected = c.state, False
    if state is ClockState.PENDING and as_of > c.due:
        state, projected = ClockState.LAPSED, True
    if state in CLOSED_STATES and c.met_on is not None:
        days_taken = (c.met_on - started).days
        if state is ClockState.MET_LATE:
            days_late = (c.met_on - c.due).days
    elif state is ClockState.LAPSED:
        days_late = (as_of - c.due).days
    return ClockLine(
        reference=reference,
        clock=c.name,
        started=started,
        due=c.due,
        state=state,
        met_on=c.met_on,
        days_late=days_late,
        days_taken=days_taken,
        projected=projected,
        delay_reason=c.delay_reason,
        lapsed_before=c.lapsed_before,
        extensions=c.extensions,
    )


def _summarise(name: ClockName | None, lines: list[ClockLine]) -> ClockSummary:
    s = ClockSummary(clock=name, total=len(lines))
    durations: list[tuple[int, str]] = []
    for line in lines:
        setattr(s, line.state.value, getattr(s, line.state.value) + 1)
        s.lapsed_earlier += bool(line.lapsed_before)
        s.extended += bool(line.extensions)
        if line.state is ClockState.MET_LATE and line.days_late is not None:
            s.late_days.append(line.days_late)
        if line.state is ClockState.LAPSED and line.days_late is not None:
            s.overdue_days.append(line.days_late)
        if line.days_taken is not None:
            durations.append((line.days_taken, line.reference))
    if durations:
        s.median_days = float(statistics.median(d for d, _ in durations))
        s.worst_days, s.worst_reference = max(durations, key=lambda d: d[0])
    return s


def review(
    cases: list[CaseRecord],
    as_of: date,
    received_from: date | None = None,
    received_to: date | None = None,
    council: str | None = None,
) -> Review:
    """The timeliness review of `cases` (already chosen by period and council) as of `as_of`."""
    lines = [clock_line(case.reference, c, as_of) for case in cases for c in case.clocks]
    by_name: dict[ClockName, list[ClockLine]] = defaultdict(list)
    for line in lines:
        by_name[line.clock].append(line)
    closed = Counter(case.outcome.value for case in cases if case.stage is Stage.CLOSED and case.outcome)
    return Review(
        received_from=received_from,
        received_to=received_to,
        council=council,
        as_of=as_of,
        cases=len(cases),
        open_cases=sum(1 for case in cases if case.stage is not Stage.CLOSED),
        closed={o.value: closed[o.value] for o in Outcome if closed[o.value]},
        totals=_summarise(None, lines),
        clocks=[_summarise(name, by_name[name]) for name in CLOCK_ORDER if by_name[name]],
        lines=lines,
    )


# ----------------------------------------------------------------------------- group statistics

SOURCES = ("public", "officers", "councillors")
SOURCE_OF: dict[ComplainantType, str] = {
    ComplainantType.PUBLIC: "public",
    ComplainantType.OFFICER: "officers",
    ComplainantType.COUNCILLOR: "councillors",
    ComplainantType.PARISH_CLERK: "officers",
}
LEVELS = ("assessment", "informal_resolution", "investigation", "hearing")
LEVEL_TITLES = {
    "assessment": "No action or not yet assessed",
    "informal_resolution": "Informal resolution (Wales: Informal)",
    "investigation": "Investigation",
    "hearing": "Hearing",
    "breach_found": "Breach found",
}
_REPORT_STAGES = {Stage.HEARING_PENDING, Stage.DECISION_NOTICE}
_INVESTIGATION_STAGES = {Stage.INVESTIGATOR_APPOINTMENT, Stage.INVESTIGATION, Stage.COMMENTS}


def level_reached(case: CaseRecord) -> str:
    names = {c.name for c in case.clocks}
    if ClockName.HEARING in names or case.outcome is Outcome.BREACH or case.stage in _REPORT_STAGES:
        return "hearing"
    if (
        ClockName.INVESTIGATOR_APPOINTMENT in names
        or case.outcome is Outcome.NO_BREACH
        or case.stage in _INVESTIGATION_STAGES
        or case.assessment_outcome == "investigate"
    ):
        return "investigation"
    if (
        case.assessment_outcome == "informal"
        or case.outcome is Outcome.RESOLVED_INFORMALLY
        or case.stage is Stage.INFORMAL_RESOLUTION
    ):
        return "informal_resolution"
    return "assessment"


class SourceRow(BaseModel):
    source: str
    assessment: int = 0
    informal_resolution: int = 0
    investigation: int = 0
    hearing: int = 0
    breach_found: int = 0
    total: int = 0


class GroupStatistics(BaseModel):
    council: str
    group: str
    year: int | None = None
    received_from: date | None = None
    received_to: date | None = None
    complaints: int = 0
    rows: list[SourceRow]  # public, officers, councillors: the form's rows
    references: list[str] = []


def group_statistics(
    cases: list[CaseRecord],
    year: int | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
) -> list[GroupStatistics]:
    """One GroupStatistics per (council, group) with at least one complaint, sorted by both. A
    case counts only once its subject member has been notified (DESIGN "Who sees what"): a
    complaint untriaged, or whose notice is withheld or held, is not shown by group."""
    groups: dict[tuple[str, str], GroupStatistics] = {}
    for case in cases:
        if not case.subject_notified:
            continue
        level = level_reached(case)
        source = SOURCE_OF[case.complainant_type]
        for group in sorted(set(case.subject_groups.get(m, "Unknown") for m in case.subject_members)):
            g = groups.get((case.council, group))
            if g is None:
                g = groups[(case.council, group)] = GroupStatistics(
                    council=case.council,
                    group=group,
                    year=year,
                    received_from=received_from,
                    received_to=received_to,
                    rows=[SourceRow(source=s) for s in SOURCES],
                )
            row = next(r for r in g.rows if r.source == source)
            setattr(row, level, getattr(row, level) + 1)
            row.total += 1
            row.breach_found += case.outcome is Outcome.BREACH
            g.complaints += 1
            g.references.append(case.reference)
    return [groups[k] for k in sorted(groups)]


GROUP_CSV_COLUMNS = ("council", "group", "source", *LEVELS, "breach_found", "total")


def group_rows(stats: list[GroupStatistics]) -> list[dict[str, Any]]:
    """Flat rows for CSV: one per council, group and source (the form's layout, machine-readable)."""
    return [{"council": g.council, "group": g.group, **row.model_dump()} for g in stats for row in g.rows]


# ----------------------------------------------------------------------------- patterns


def mask_email(email: str) -> str:
    """h***@e***.org: enough for an officer to recognise, not enough to read off a screen."""
    local, _, domain = email.partition("@")
    name, dot, tld = domain.rpartition(".")
    if not dot:
        name, tld = domain, ""
    masked_domain = f"{name[:1]}***" + (f".{tld}" if tld else "")
    return f"{local[:1]}***@{masked_domain}"


def _plus_year(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


class Pattern(BaseModel):
    kind: str  # "subject_member" or "complainant"
    who: str  # member id, or the complainant's e-mail (masked when any complaint was confidential)
    masked: bool = False
    complaints: int  # inside the densest rolling 12-month window
    window_from: date
    window_to: date
    references: list[str]
    outcomes: dict[str, int]  # outcome (or "open") -> number, dismissed (no_action) included


def _densest(cases: list[CaseRecord]) -> list[CaseRecord]:
    """The largest run of cases received within 12 months of its first (earliest such run)."""
    ordered = sorted(cases, key=lambda c: (c.received_at, c.reference))
    best: list[CaseRecord] = []
    for i, first in enumerate(ordered):
        end = _plus_year(first.received_on)
        run = [c for c in ordered[i:] if c.received_on < end]
        if len(run) > len(best):
            best = run
    return best


def patterns(cases: list[CaseRecord], minimum: int = 2) -> list[Pattern]:
    """Subject members and complainants (e-mail, case-insensitive) with at least `minimum`
    complaints received within any 12 months, most complaints first."""
    by_member: dict[str, list[CaseRecord]] = defaultdict(list)
    by_email: dict[str, list[CaseRecord]] = defaultdict(list)
    for case in cases:
        for member in dict.fromkeys(case.subject_members):
            by_member[member].append(case)
        if case.complainant_email:
            by_email[case.complainant_email.strip().lower()].append(case)
    found: list[Pattern] = []
    for kind, groups in (("subject_member", by_member), ("complainant", by_email)):
        for key, group in groups.items():
            run = _densest(group)
            if len(run) < minimum:
                continue
            masked = kind == "complainant" and any(c.confidential for c in group)
            outcomes = Counter(c.outcome.value if c.outcome else "open" for c in run)
            found.append(
                Pattern(
                    kind=kind,
                    who=mask_email(key) if masked else key,
                    masked=masked,
                    complaints=len(run),
                    window_from=run[0].received_on,
                    window_to=run[-1].received_on,
                    references=[c.reference for c in run],
                    outcomes=dict(sorted(outcomes.items())),
                )
            )
    return sorted(found, key=lambda p: (p.kind != "subject_member", -p.complaints, p.who))
