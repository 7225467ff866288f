"""Sanctions (R10) and their follow-up (R17), as data and pure checks.

A hearing outcome names each sanction's parameters: the committee a member is to stand down from
and until when, the Full Council meeting at which a public apology is to be made, and the training
course. Each sanction imposed is then followed up by a workflow of its own (workflows/sanction.py,
`SanctionFollowUp`), started when the decision notice is issued, so the complaint closes with its
notice while the follow-ups run on: a due date, a reminder, compliance recorded (`conduct
sanction-complied`, or the training register for a course), escalation to the Monitoring Officer
when missed, and a closing letter to the standards committee's chair. A public apology not made is
followed by censure at Full Council, as the arrangements say (section 9).

Pure: no Temporal, no I/O; the workflow and the CLI both import it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from conduct.actions import ActionResult, OfficerAction, RecordHearingOutcome
from conduct.calendar import WorkingCalendar
from conduct.letters import Recipient
from conduct.roster import Officer, Roster
from conduct.sanction_times import SanctionTimes
from conduct.vocabulary import SANCTION_TITLES, Role, Sanction

# Histories recorded before sanctions were followed up start no follow-up (workflow.patched).
PATCH = "sanction-follow-up"
UPDATE = "sanction_complied"
# Who may record a sanction complied with: those who record hearing outcomes and training.
RECORDERS = frozenset({Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER, Role.DEMOCRATIC_SERVICES})
COMMAND_WORDS = {s: s.value.replace("_", "-") for s in Sanction}

# What each sanction asks, and of whom, for the letters ("... by 12 June 2030").
DUTY: dict[Sanction, str] = {
    Sanction.FORMAL_LETTER: "the Monitoring Officer sends the subject member a formal letter",
    Sanction.PUBLIC_APOLOGY: "the subject member makes a public apology at Full Council",
    Sanction.TRAINING: "the subject member attends the training the Monitoring Officer provides",
    Sanction.PERSONAL_APOLOGY: "the subject member writes a personal apology to the complainant",
    Sanction.COMMITTEE_REMOVAL: (
        "the Group Leader stands the subject member down from the committee and appoints a temporary replacement"
    ),
}


# ----------------------------------------------------------------------------- the hearing's parameters


def terms_refusal(p: RecordHearingOutcome) -> str | None:
    """R10: each sanction names its parameters, and no parameter comes without its sanction. Of the
    payload alone (rules.PAYLOAD_CHECKS: never re-checked on replay, so outcomes recorded before
    these fields existed, which decode with empty defaults, still replay)."""
    return terms_problem(set(p.sanctions), p.committee, p.committee_until, p.apology_meeting, p.course)


def terms_problem(
    imposed: set[Sanction], committee: str, until: date | None, meeting: date | None, course: str
) -> str | None:
    """`terms_refusal` on the flags themselves (the CLI's usage check, exit 2)."""
    if Sanction.COMMITTEE_REMOVAL in imposed and not committee.strip():
        return "removal from a committee names the committee (--committee NAME, from the roster's committees)"
    if Sanction.COMMITTEE_REMOVAL in imposed and until is None:
        return "removal from a committee names the period: the day it ends (--until YYYY-MM-DD)"
    if Sanction.PUBLIC_APOLOGY in imposed and meeting is None:
        return "a public apology names the Full Council meeting at which it is made (--apology-meeting YYYY-MM-DD)"
    if Sanction.TRAINING in imposed and not course.strip():
        return "training names the course (--course TEXT, as the training register will title the session)"
    strays = [
        flag
        for flag, given, sanction in (
            ("--committee", bool(committee.strip()), Sanction.COMMITTEE_REMOVAL),
            ("--until", until is not None, Sanction.COMMITTEE_REMOVAL),
            ("--apology-meeting", meeting is not None, Sanction.PUBLIC_APOLOGY),
            ("--course", bool(course.strip()), Sanction.TRAINING),
        )
        if given and sanction not in imposed
    ]
    if strays:
        needs = {"--committee": "committee-removal", "--until": "committee-removal",
                 "--apology-meeting": "public-apology", "--course": "training"}  # fmt: skip
        return "; ".join(f"{flag} goes with --sanction {needs[flag]}, which was not given" for flag in strays)
    return None


def council_committees(roster: Roster, council: str) -> list[str]:
    """The committees of `council` the roster knows: those configured, and those its members sit on."""
    names = [c.name for c in roster.committees if c.council == council]
    names += [name for m in roster.members if m.council == council for name in m.committees]
    return list(dict.fromkeys(names))


def parameters_refusal(roster: Roster, council: str, hearing_day: date, p: RecordHearingOutcome) -> str | None:
    """What the parameters must be against the case: a committee of the member's council, a period
    that ends after the hearing, a meeting on or after it. Each applies only when its field is given,
    so an outcome recorded before the fields existed is never refused on replay."""
    known = council_committees(roster, council)
    # A roster that names none of the council's committees cannot say; the name is taken as given.
    if p.committee.strip() and known and p.committee.strip() not in known:
        return f"{p.committee.strip()!r} is not a committee of {council} (committees: {', '.join(known)})"
    if p.committee_until is not None and p.committee_until <= hearing_day:
        return f"the removal from the committee must end after the hearing ({hearing_day.isoformat()})"
    if p.apology_meeting is not None and p.apology_meeting < hearing_day:
        return f"the Full Council meeting for the apology must be on or after the hearing ({hearing_day.isoformat()})"
    return None


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def terms_words(sanction: Sanction, committee: str, until: date | None, meeting: date | None, course: str) -> str:
    """The sanction's parameters in words, for letters and lists ("" when it has none)."""
    if sanction is Sanction.COMMITTEE_REMOVAL and committee:
        return f"the {committee} committee" + (f" until {_day(until)}" if until else "")
    if sanction is Sanction.PUBLIC_APOLOGY and meeting:
        return f"the Full Council meeting of {_day(meeting)}"
    if sanction is Sanction.TRAINING and course:
        return f"the course “{course}”"
    return ""


def sanction_terms(sanction: Sanction, outcome: BaseModel) -> str:
    """`terms_words` of a recorded outcome (conduct.case.HearingOutcome)."""
    return terms_words(
        sanction,
        getattr(outcome, "committee", ""),
        getattr(outcome, "committee_until", None),
        getattr(outcome, "apology_meeting", None),
        getattr(outcome, "course", ""),
    )


def sanction_line(sanction: Sanction, outcome: BaseModel) -> str:
    """The sanction as the decision notice lists it: its title, and its parameters."""
    terms = sanction_terms(sanction, outcome)
    return SANCTION_TITLES[sanction] + (f": {terms}" if terms else "")


# ----------------------------------------------------------------------------- the follow-up


def follow_up_id(reference: str, sanction: Sanction) -> str:
    """The follow-up's workflow id, derivable from the case and the sanction (the CLI needs no
    look-up); under the case's own id, so the codec seals it with the case's data key."""
    return f"complaint-{reference}/sanction-{sanction.value}"


class FollowUpStatus(StrEnum):
    PENDING = "pending"  # before its due date
    OVERDUE = "overdue"  # due date passed, MO told; compliance may still be recorded
    COMPLIED = "complied"
    COMPLIED_LATE = "complied_late"
    MISSED = "missed"  # not complied with: the chair told
    CENSURE = "censure"  # a public apology not made: censure at Full Council follows

    @property
    def open(self) -> bool:
        return self in (FollowUpStatus.PENDING, FollowUpStatus.OVERDUE)


class Recipients(BaseModel):
    """Who the follow-up writes to, resolved by the complaint from its roster when it starts one."""

    model_config = ConfigDict(extra="ignore")

    subjects: list[Recipient] = []
    monitoring: list[Recipient] = Field(default=[], description="the MO (the deputy where acting) and the deputy")
    responsible: list[Recipient] = Field(default=[], description="reminded before the due date")
    chair: list[Recipient] = Field(default=[], description="the standards committee's chair (or vice-chair)")


class FollowUpStart(BaseModel):
    """Travels in history: lenient, and no complainant data (the follow-up never writes to them)."""

    model_config = ConfigDict(extra="ignore")

    reference: str
    sanction: Sanction
    council: str
    council_name: str
    signing_council_name: str = ""
    signed_by: str = Field(default="", description="R16: the deputy acting for a conflicted MO; empty: the MO")
    subject_members: list[str]
    subject_names: list[str]
    hearing_date: date
    imposed_on: date = Field(description="the day the decision notice was issued")
    due: date
    reminder_on: date | None = None
    grace_until: date
    committee: str = ""
    committee_until: date | None = None
    apology_meeting: date | None = None
    course: str = ""
    recipients: Recipients = Recipients()
    recorders: list[str] = Field(
        default=[], description="officers who may record compliance (RECORDERS), not conflicted"
    )

    @property
    def terms(self) -> str:
        return terms_words(self.sanction, self.committee, self.committee_until, self.apology_meeting, self.course)


class FollowUpState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    workflow_id: str
    start: FollowUpStart
    status: FollowUpStatus = FollowUpStatus.PENDING
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    complied_on: date | None = None
    complied_by: str | None = None
    complied_note: str = ""
    session: str = Field(default="", description="the training register's session that met it, if any")
    closed_at: datetime | None = None
    letters: list[str] = Field(default=[], description="idempotency keys of the letters sent")
    failures: list[str] = Field(default=[], description="letters the mail provider refused for good")
    revision: int = 0


class FollowUpEnd(BaseModel):
    """What a follow-up returns: small, since its parent, still open (R12), records it in its history."""

    status: FollowUpStatus
    complied_on: date | None = None


class SanctionComplied(OfficerAction):
    """R17: the sanction was complied with on `on` (signed like every officer action)."""

    sanction: Sanction
    on: date
    session: str = Field(
        default="", max_length=40, description="the training register's session, if it came from there"
    )


class TrainingCheck(BaseModel):
    """Ask the training register whether one of `members` attended the course since `since`."""

    reference: str
    members: list[str]
    course: str
    since: date


class TrainingMet(BaseModel):
    """The register's answer: the session that met the course, if any."""

    session: str = ""
    held_on: date | None = None


def follow_up_start(
    *,
    reference: str,
    sanction: Sanction,
    council: str,
    council_name: str,
    signing_council_name: str,
    signed_by: str,
    subject_members: list[str],
    subject_names: list[str],
    hearing_date: date,
    imposed_on: date,
    outcome: RecordHearingOutcome | BaseModel,
    times: SanctionTimes,
    recipients: Recipients,
    officers: list[Officer],
    conflicted: set[str],
) -> FollowUpStart:
    """The follow-up of one sanction imposed, with its due, reminder and grace dates."""
    committee = getattr(outcome, "committee", "") if sanction is Sanction.COMMITTEE_REMOVAL else ""
    until = getattr(outcome, "committee_until", None) if sanction is Sanction.COMMITTEE_REMOVAL else None
    meeting = getattr(outcome, "apology_meeting", None) if sanction is Sanction.PUBLIC_APOLOGY else None
    course = getattr(outcome, "course", "") if sanction is Sanction.TRAINING else ""
    due = due_date(sanction, imposed_on, times, meeting)
    reminder = WorkingCalendar.add_days(due, -times.reminder_days) if times.reminder_days else None
    return FollowUpStart(
        reference=reference,
        sanction=sanction,
        council=council,
        council_name=council_name,
        signing_council_name=signing_council_name,
        signed_by=signed_by,
        subject_members=subject_members,
        subject_names=subject_names,
        hearing_date=hearing_date,
        imposed_on=imposed_on,
        due=due,
        reminder_on=reminder if reminder and reminder > imposed_on else None,
        grace_until=WorkingCalendar.add_days(due, times.grace_days),
        committee=committee,
        committee_until=until,
        apology_meeting=meeting,
        course=course,
        recipients=recipients,
        recorders=recorders(officers, conflicted),
    )


def due_date(sanction: Sanction, imposed_on: date, times: SanctionTimes, meeting: date | None = None) -> date:
    """Calendar days and months from the notice (DESIGN "Time"); a public apology: its meeting."""
    if sanction is Sanction.PUBLIC_APOLOGY and meeting is not None:
        return max(meeting, imposed_on)
    if sanction is Sanction.TRAINING:
        return WorkingCalendar.add_months(imposed_on, times.training_months)
    days = {
        Sanction.FORMAL_LETTER: times.formal_letter_days,
        Sanction.PERSONAL_APOLOGY: times.personal_apology_days,
        Sanction.COMMITTEE_REMOVAL: times.committee_removal_days,
    }.get(sanction, times.personal_apology_days)
    return WorkingCalendar.add_days(imposed_on, days)


def complied_refusal(state: FollowUpState, p: SanctionComplied, today: date) -> str | None:
    """Why compliance cannot be recorded now (the follow-up's validator; roles: `person_refusal`)."""
    start = state.start
    name = f"{start.reference} ({COMMAND_WORDS[start.sanction]})"
    if p.sanction is not start.sanction:
        return f"{name}: refused: this follow-up is of {COMMAND_WORDS[start.sanction]}, not {COMMAND_WORDS[p.sanction]}"
    if not state.status.open:
        done = f" on {state.complied_on.isoformat()}" if state.complied_on else ""
        return f"{name}: refused: the follow-up is closed ({state.status.value}{done}); nothing more to record"
    if p.on < start.hearing_date:
        return f"{name}: refused: --on {p.on.isoformat()} is before the hearing ({start.hearing_date.isoformat()})"
    if p.on > today:
        return f"{name}: refused: --on {p.on.isoformat()} is in the future"
    return None


def recorders(officers: list[Officer], conflicted: set[str]) -> list[str]:
    """Who may record compliance: an officer with a recorder's role not conflicted on the case (R16)."""
    return [o.id for o in officers if set(o.roles) & RECORDERS and o.id not in conflicted]


def person_refusal(start: FollowUpStart, officer_id: str) -> str | None:
    """The person (DESIGN "Trust"): one of the case's `recorders` when the follow-up began."""
    if officer_id in start.recorders:
        return None
    need = " or ".join(sorted(r.value for r in RECORDERS))
    return (
        f"{start.reference} ({COMMAND_WORDS[start.sanction]}): refused: {officer_id} cannot record a sanction "
        f"complied with: it needs {need}, not conflicted on the case (R16)"
    )


def answer(state: FollowUpState, message: str) -> ActionResult:
    return ActionResult(reference=state.start.reference, stage=f"sanction {state.status.value}", message=message)


def course_matches(course: str, session_id: str, title: str) -> bool:
    """A training sanction's course is met by a session whose title (or id) is the course, in any
    case and spacing: the MO names the course at the hearing as the register will title it."""

    def norm(text: str) -> str:
        return " ".join(text.casefold().split())

    wanted = norm(course)
    return bool(wanted) and wanted in (norm(session_id), norm(title))
