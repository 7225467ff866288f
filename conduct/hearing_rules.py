"""R9, the hearing, as pure checks: who may attend, when it may be held, what the papers are.

The arrangements ask for "a different Independent Member at the Hearing", three councillors of
the subject's own council, and "sufficient notice"; section 100B of the Local Government Act
1972 gives five clear working days. A case must never be stuck: where the roster leaves no other
Independent Person, the assessment IP attends with a recorded reason and a warning.

`conduct/rules.py` calls these from its checks (the validators); `workflows/hearing.py` carries the
actions out. Pure: the workflow calls them, and so do the tests.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from pydantic import Field, model_validator

from conduct.actions import OfficerAction, ScheduleHearing, Text
from conduct.calendar import WorkingCalendar
from conduct.case import CaseState, Hearing
from conduct.roster import Roster
from conduct.vocabulary import ClockName, Role

# Cases opened before these rules start no response clock and keep their old commands.
PATCH = "hearing-rules"


class RecordSubjectResponse(OfficerAction):
    """R9: the subject member's written response to the final report, before the hearing."""

    agreed: Text = Field(default="", description="facts the subject member agrees")
    disputed: Text = Field(default="", description="facts the subject member disputes")
    evidence: Text = Field(default="", description="evidence they will rely on (none new at the hearing)")

    @model_validator(mode="after")
    def _says_something(self) -> RecordSubjectResponse:
        if not (self.agreed.strip() or self.disputed.strip()):
            raise ValueError("the response needs the facts agreed or the facts disputed")
        return self


class RecordHearingSummary(OfficerAction):
    """R9: the MO's report to the panel summarising the allegation, agreed facts, disputed issues."""

    text: Text = Field(min_length=1)


class ChangeHearing(OfficerAction):
    """R9: a new panel, Independent Person or parish adviser after the hearing was fixed."""

    panel: list[str] | None = Field(default=None, min_length=3, max_length=3)
    ip: str | None = None
    parish_adviser: str | None = None
    starts_at: time | None = None
    venue: Text | None = None
    reason: Text = Field(min_length=1)

    @model_validator(mode="after")
    def _changes_something(self) -> ChangeHearing:
        if all(v is None for v in (self.panel, self.ip, self.parish_adviser, self.starts_at, self.venue)):
            raise ValueError("say what changes: the panel, the Independent Person, the parish adviser, time or venue")
        return self


class ReplaceInvestigator(OfficerAction):
    """R6/R7: another Investigating Officer takes over; the investigation clock goes on."""

    investigator: str = Field(min_length=1)
    reason: Text = Field(min_length=1)


# ----------------------------------------------------------------------------- who attends


def assessment_ips(case: CaseState) -> set[str]:
    return {c.ip for c in case.consultations}


def ip_check(case: CaseState, roster: Roster, ip: str, reason: str) -> tuple[str | None, str | None]:
    """(refusal, warning) for `ip` attending the hearing. The assessment IP is barred while any
    other IP is on the roster; the subject's own IP (R6) while a third is free. Otherwise the
    hearing goes ahead: with the subject's IP, warned; with the assessment IP, given a reason."""
    if roster.independent_person(ip) is None:
        return f"{ip!r} is not an Independent Person on the roster", None
    everyone = [p.id for p in roster.independent_persons]
    used = assessment_ips(case)
    if ip in used:
        others = [i for i in everyone if i not in used]
        if others:
            return (
                f"{ip} advised at assessment; R9 needs a different Independent Person at the hearing "
                f"({', '.join(others)} can attend)"
            ), None
        if not reason.strip():
            return (
                f"{ip} advised at assessment and no other Independent Person is on the roster; "
                "give --reason to let them attend (R9)"
            ), None
        return None, (
            f"{ip} advised at assessment: R9 asks for a different Independent Person, and none other is on the "
            f"roster; recorded reason: {reason.strip()}"
        )
    if ip == case.subject_ip:
        free = [i for i in everyone if i not in used and i != case.subject_ip]
        if free:
            return (
                f"{ip} advises the subject member (R6); R9 needs a different Independent Person at the hearing "
                f"({', '.join(free)} can attend)"
            ), None
        return None, f"{ip} also advises the subject member on procedure (R6); no other Independent Person is free"
    return None, None


def panel_refusal(case: CaseState, roster: Roster, panel: list[str]) -> str | None:
    """R9: three different councillors of the council whose sub-committee hears the case, none a party."""
    if len(set(panel)) != 3:
        return "the panel needs three different councillors (R9)"
    complainant_member = case.intake.complainant.member_id
    for n, member_id in enumerate(panel):
        member = roster.member(member_id)
        if member is None:
            return f"panel member {member_id!r} is not on the roster"
        if member_id in case.subject_members:
            return f"panel member {member_id!r} is the subject member"
        if member_id == complainant_member:  # by place, not id: the audit log holds no complainant's details
            nth = ("first", "second", "third")[n] if n < 3 else f"number {n + 1}"
            return f"the {nth} panel member is the complainant"
        if not member.sits_on(case.hearing_council):  # a dual-hatted member sits on several
            return (
                f"panel member {member_id!r} sits on {member.council}, not {case.hearing_council}, "
                "whose sub-committee hears this case (R9)"
            )
    return None


# ----------------------------------------------------------------------------- when


def calendar_for(case: CaseState, roster: Roster) -> WorkingCalendar:
    """The council's working days, with the closure days the hearing clock was computed with."""
    council = roster.council(case.council) or roster.council(case.hearing_council)
    assert council is not None
    clock = case.clocks.get(ClockName.HEARING)
    return WorkingCalendar(council.nation, clock.deadline.closures if clock else ())


def clear_working_days(cal: WorkingCalendar, today: date, day: date) -> int:
    """Working days strictly between the day notice is given and the day of the hearing."""
    return sum(1 for n in range(1, (day - today).days) if cal.is_working_day(today + timedelta(days=n)))


def not_a_working_day(cal: WorkingCalendar, day: date) -> str | None:
    """What `day` is, when no hearing can be held on it."""
    if day.weekday() >= 5:
        return f"a {day:%A}"
    holiday = cal._holidays.get(day)  # noqa: SLF001 - the name of the bank holiday, for the refusal
    if holiday:
        return f"a bank holiday ({holiday})"
    if day in cal.closures:
        return "a council closure day"
    return None


def hearing_due(case: CaseState) -> date | None:
    clock = case.clocks.get(ClockName.HEARING)
    return clock.due if clock else None


def is_late(case: CaseState, day: date) -> bool:
    due = hearing_due(case)
    return due is not None and day > due


def date_refusal(
    case: CaseState, roster: Roster, day: date, today: date, short_notice: bool, reason: str
) -> str | None:
    """A hearing is held on a working day, with the notice R9 asks (less where the parties agree),
    and after its due date only with a reason."""
    cal = calendar_for(case, roster)
    what = not_a_working_day(cal, day)
    if what:
        return f"{day.isoformat()} is {what}: a hearing is held on a working day"
    clear, need = clear_working_days(cal, today, day), case.hearing_notice_days
    if clear < need and not short_notice:
        return (
            f"{day.isoformat()} gives {clear} clear working days' notice; R9 asks for {need} (s.100B LGA 1972). "
            "Where the parties agree to less, use --short-notice --reason"
        )
    if is_late(case, day) and not reason.strip():
        due = hearing_due(case)
        assert due is not None
        return (
            f"{day.isoformat()} is after the hearing's due date {due.isoformat()} "
            "(R9: within 3 months of the final report); give --reason to hold it late"
        )
    return None


def schedule_refusal(case: CaseState, roster: Roster, p: ScheduleHearing, today: date) -> str | None:
    return (
        panel_refusal(case, roster, p.panel)
        or ip_check(case, roster, p.ip, p.reason)[0]
        or adviser_refusal(roster, p.parish_adviser)
        or date_refusal(case, roster, p.date, today, p.short_notice, p.reason)
    )


def adviser_refusal(roster: Roster, adviser: str | None) -> str | None:
    if adviser is not None and roster.member(adviser) is None:
        return f"parish adviser {adviser!r} is not on the roster"
    return None


def schedule_warnings(case: CaseState, roster: Roster, p: ScheduleHearing, today: date) -> list[str]:
    """What the officer is told, and the case records, when the hearing is fixed."""
    warnings = []
    ip_warning = ip_check(case, roster, p.ip, p.reason)[1]
    if ip_warning:
        warnings.append(ip_warning)
    cal = calendar_for(case, roster)
    clear, need = clear_working_days(cal, today, p.date), case.hearing_notice_days
    if clear < need:
        warnings.append(
            f"{clear} clear working days' notice, less than the {need} R9 asks; the parties agreed: {p.reason.strip()}"
        )
    if is_late(case, p.date):
        due = hearing_due(case)
        assert due is not None
        warnings.append(
            f"the hearing on {p.date.isoformat()} is after its due date {due.isoformat()}: it is late (R9); "
            f"reason recorded: {p.reason.strip()}"
        )
    if p.starts_at is None or not p.venue.strip():
        warnings.append("the notice gives no time or venue; give them with change-hearing, which sends a new notice")
    return warnings


def adjourn_refusal(case: CaseState, roster: Roster, day: date) -> str | None:
    what = not_a_working_day(calendar_for(case, roster), day)
    return f"{day.isoformat()} is {what}: a hearing is held on a working day" if what else None


def change_refusal(case: CaseState, roster: Roster, p: ChangeHearing, today: date) -> str | None:
    hearing = case.hearing
    assert hearing is not None  # rules._precondition
    same = (
        (p.panel is None or sorted(p.panel) == sorted(hearing.panel))
        and (p.ip is None or p.ip == hearing.ip)
        and (p.parish_adviser is None or p.parish_adviser == hearing.parish_adviser)
        and (p.starts_at is None or p.starts_at == hearing.starts_at)
        and (p.venue is None or p.venue == hearing.venue)
    )
    if same:
        return "nothing changes: the panel, Independent Person, adviser, time and venue are those already fixed"
    if p.panel is not None:
        reason = panel_refusal(case, roster, p.panel)
        if reason:
            return reason
    if p.ip is not None:
        reason = ip_check(case, roster, p.ip, p.reason)[0]
        if reason:
            return reason
    return adviser_refusal(roster, p.parish_adviser)


def replace_refusal(case: CaseState, roster: Roster, p: ReplaceInvestigator, today: date) -> str | None:
    if case.investigator is None:
        return "no Investigating Officer is appointed yet; use appoint-investigator"
    if p.investigator == case.investigator:
        return f"{p.investigator} is already the Investigating Officer"
    officer = roster.officer(p.investigator)
    if officer is None:
        return f"{p.investigator!r} is not an officer on the roster"
    if Role.INVESTIGATING_OFFICER not in officer.roles:
        return f"{p.investigator!r} is not an investigating officer"
    if {Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER} & set(officer.roles):
        return f"{p.investigator} is the Monitoring Officer or deputy, who advises the panel and is never the IO (R16)"
    return None


# ----------------------------------------------------------------------------- the papers


def papers(case: CaseState) -> str:
    """The hearing papers as they stand: the final report, the subject member's response and the
    MO's summary (R9). They go to the panel and the parties with the notice, and again when a
    paper is added."""
    report = case.final_report.text if case.final_report else "(none)"
    response = case.subject_response
    response_due = case.clocks.get(ClockName.SUBJECT_RESPONSE)
    if response is not None:
        late = " (received after the date asked for)" if response.late else ""
        reply = (
            f"Facts agreed{late}:\n{response.agreed or '(none stated)'}\n\n"
            f"Facts disputed:\n{response.disputed or '(none stated)'}\n\n"
            f"Evidence relied on:\n{response.evidence or '(none)'}"
        )
    elif response_due is not None:
        reply = f"Not received; it was asked for by {response_due.due.isoformat()}."
    else:
        reply = "Not received."
    summary = case.hearing_summary.text if case.hearing_summary else "To follow."
    return (
        f"Papers for the hearing ({case.reference})\n\n"
        f"1. The Investigating Officer's final report\n\n{report}\n\n"
        f"2. The subject member's written response\n\n{reply}\n\n"
        f"3. The Monitoring Officer's summary for the Sub-Committee\n\n{summary}"
    )


def notice_context(case: CaseState) -> dict[str, object]:
    """What every hearing letter says of the arrangements: time, venue, public or private, late."""
    hearing = case.hearing
    assert hearing is not None
    return {
        "hearing_date": hearing.date,
        "hearing_time": hearing.starts_at.strftime("%H:%M") if hearing.starts_at else "",
        "hearing_venue": hearing.venue,
        "hearing_private_reason": hearing.private_reason if hearing.private else "",
        "hearing_late": hearing.late,
    }


# ----------------------------------------------------------------------------- for conduct/rules.py


def precondition(case: CaseState, name: str) -> str | None:
    """What must hold of the case itself for the hearing's own actions."""
    if name == "subject_response" and case.subject_response is not None:
        return "the subject member's response is already recorded"
    if name == "hearing_summary" and case.hearing_summary is not None:
        return "the Monitoring Officer's summary is already recorded"
    if name == "change_hearing" and case.hearing is None:
        return "no hearing is fixed yet; use schedule-hearing"
    return None


CHECKS = {
    "change_hearing": change_refusal,
    "replace_investigator": replace_refusal,
}


def scheduled_words(hearing: Hearing) -> str:
    """The timeline's line for a hearing fixed: date, time, venue, public or private, and why."""
    words = f"hearing fixed for {hearing.date.isoformat()}"
    if hearing.starts_at:
        words += f" at {hearing.starts_at:%H:%M}"
    if hearing.venue:
        words += f", {hearing.venue}"
    words += f"; in private: {hearing.private_reason}" if hearing.private else "; in public"
    if hearing.late:
        words += f"; LATE, after its due date: {hearing.reason}"
    if hearing.short_notice:
        words += f"; at short notice, the parties agreeing: {hearing.reason}"
    return words


def hearing_from(case: CaseState, roster: Roster, p: ScheduleHearing, today: date, warnings: list[str]) -> Hearing:
    """The hearing as fixed, with what makes it late or at short notice."""
    short = clear_working_days(calendar_for(case, roster), today, p.date) < case.hearing_notice_days
    return Hearing(
        date=p.date,
        panel=p.panel,
        ip=p.ip,
        parish_adviser=p.parish_adviser,
        warnings=warnings,
        starts_at=p.starts_at,
        venue=p.venue.strip(),
        private=p.private,
        private_reason=p.private_reason.strip(),
        reason=p.reason.strip(),
        late=is_late(case, p.date),
        short_notice=short,
    )
