"""Realistic, fictional test data shared by the test suite.

Two principal councils (Worthing Borough Council 'worthing'/WBC and Adur District Council
'adur'/ADC) and one parish (Lancing Parish Council 'lancing-parish'/LPC, heard by Adur), ten
members per principal council in five groups (Conservative, Labour, Green, Liberal Democrat:
two each with the first as Group Leader; two Independents with no leader), three parish
councillors, a parish co-optee on Adur's committee, three Independent Persons (ip-1..ip-3) and
the officers mo, deputy, io-1, io-2 and dem. Every name is invented; every address is @*.example.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from conduct.assessment import AssessmentTests
from conduct.case import (
    CaseState,
    Clock,
    Decision,
    Hearing,
    HearingOutcome,
    IPConsultation,
    Report,
    TimelineEntry,
)
from conduct.deadline import Deadline
from conduct.intake import Complainant, ComplaintIntake, StartComplaint
from conduct.letters import LetterContext, Recipient
from conduct.roster import Committee, Contact, Council, GroupLeader, IndependentPerson, Member, Officer, Roster
from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    ClockState,
    CouncilKind,
    Finding,
    Nation,
    Outcome,
    RecipientRole,
    Role,
    Sanction,
    Stage,
)

LONDON = ZoneInfo("Europe/London")
REFERENCE = "WBC-2026-0001"
RECEIVED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
COMPLAINANT_NAME = "Harriet Lomax"

GROUPS = ("Conservative", "Labour", "Green", "Liberal Democrat", "Independent")
LEADING_GROUPS = ("Conservative", "Labour", "Green", "Liberal Democrat")

_WORTHING = [
    ("Alice Hartley", "Conservative"),
    ("Bernard Okafor", "Conservative"),
    ("Catherine Pryce", "Labour"),
    ("Desmond Achterberg", "Labour"),
    ("Eleanor Whitcombe", "Green"),
    ("Farid Nasser", "Green"),
    ("Gwendolyn Marsh", "Liberal Democrat"),
    ("Horace Bellamy", "Liberal Democrat"),
    ("Imogen Tate", "Independent"),
    ("Jasper Quayle", "Independent"),
]
_ADUR = [
    ("Kenneth Ashdown", "Conservative"),
    ("Lorna Fairweather", "Conservative"),
    ("Martin Obi", "Labour"),
    ("Nadia Kowalczyk", "Labour"),
    ("Oliver Penhaligon", "Green"),
    ("Priya Raman", "Green"),
    ("Quentin Hollis", "Liberal Democrat"),
    ("Rosalind Vane", "Liberal Democrat"),
    ("Simon Threlfall", "Independent"),
    ("Tabitha Crewe", "Independent"),
]
_LANCING = [
    ("Victor Hale", "Independent"),
    ("Wendy Ambrose", "Independent"),
    ("Xavier Lund", "Independent"),
]


def _email(name: str, domain: str) -> str:
    return f"{name.lower().replace(' ', '.')}@{domain}"


def _members(prefix: str, council: str, domain: str, people: list[tuple[str, str]], elected_on: date) -> list[Member]:
    return [
        Member(
            id=f"{prefix}-{i:02d}", name=name, email=_email(name, domain), council=council, group=group,
            elected_on=elected_on, committees=ADUR_COMMITTEES.get(f"{prefix}-{i:02d}", []),
        )
        for i, (name, group) in enumerate(people, start=1)
    ]  # fmt: skip


# Adur's committees and who sits on them (`conduct training check`); Worthing's are left to tests.
ADUR_COMMITTEES = {"adc-01": ["Planning"], "adc-02": ["Planning", "Licensing"], "adc-05": ["Licensing"]}


def roster() -> Roster:
    """A fresh roster (callers may mutate it)."""
    worthing = _members("wbc", "worthing", "worthing.example", _WORTHING, date(2024, 5, 2))
    adur = _members("adc", "adur", "adur.example", _ADUR, date(2023, 5, 4))
    lancing = _members("lpc", "lancing-parish", "lancing-parish.example", _LANCING, date(2023, 5, 4))
    co_optee = Member(
        id="adc-co-1",
        name="Ursula Finch",
        email="ursula.finch@sompting-parish.example",
        council="adur",
        group="Independent",
        co_opted=True,
    )
    leaders = [
        GroupLeader(council=council, group=group, member=next(m.id for m in members if m.group == group))
        for council, members in (("worthing", worthing), ("adur", adur))
        for group in LEADING_GROUPS
    ]
    councils = [
        Council(
            id="worthing",
            name="Worthing Borough Council",
            code="WBC",
            nation=Nation.ENGLAND,
            committee_chair=Contact(name="Bernard Okafor", email="bernard.okafor@worthing.example"),
        ),
        Council(
            id="adur",
            name="Adur District Council",
            code="ADC",
            nation=Nation.ENGLAND,
            committee_chair=Contact(name="Lorna Fairweather", email="lorna.fairweather@adur.example"),
            vice_chair=Contact(name="Kenneth Ashdown", email="kenneth.ashdown@adur.example"),
        ),
        Council(
            id="lancing-parish",
            name="Lancing Parish Council",
            code="LPC",
            nation=Nation.ENGLAND,
            kind=CouncilKind.PARISH,
            principal="adur",
            clerk=Contact(name="Yvonne Partridge", email="clerk@lancing-parish.example"),
        ),
    ]
    independent_persons = [
        IndependentPerson(id="ip-1", name="Margaret Ellory", email="margaret.ellory@independent.example"),
        IndependentPerson(id="ip-2", name="Rupert Catchpole", email="rupert.catchpole@independent.example"),
        IndependentPerson(id="ip-3", name="Sunita Varma", email="sunita.varma@independent.example"),
    ]
    officers = [
        Officer(
            id="mo",
            name="Joanna Whitlock",
            email="joanna.whitlock@adur-worthing.example",
            roles=[Role.MONITORING_OFFICER],
        ),
        Officer(
            id="deputy",
            name="Patrick Delaney",
            email="patrick.delaney@adur-worthing.example",
            roles=[Role.DEPUTY_MONITORING_OFFICER],
        ),
        Officer(
            id="io-1",
            name="Fiona Blackwood",
            email="fiona.blackwood@adur-worthing.example",
            roles=[Role.INVESTIGATING_OFFICER],
        ),
        Officer(
            id="io-2",
            name="Gareth Pennington",
            email="gareth.pennington@investigations.example",
            roles=[Role.INVESTIGATING_OFFICER],
        ),
        Officer(
            id="dem",
            name="Helen Mayhew",
            email="helen.mayhew@adur-worthing.example",
            roles=[Role.DEMOCRATIC_SERVICES],
        ),
    ]
    return Roster(
        councils=councils,
        members=[*worthing, *adur, co_optee, *lancing],
        group_leaders=leaders,
        independent_persons=independent_persons,
        officers=officers,
        committees=[
            Committee(name="Planning", council="adur", required_training=["code-of-conduct", "committee"]),
            Committee(name="Licensing", council="adur", required_training=["code-of-conduct"]),
        ],
    )


# Sections 3-4: every assessment records the initial tests and the public interest test.
TESTED = AssessmentTests(public_interest=True, public_interest_reason="A serious allegation, worth taking further.")
UNMERITED = AssessmentTests(public_interest=False, public_interest_reason="Too minor to merit any further action.")


def intake(**overrides: Any) -> ComplaintIntake:
    """A public complaint about Cllr Desmond Achterberg (wbc-04, Labour; leader wbc-03)."""
    data: dict[str, Any] = {
        "complainant": Complainant(
            name=COMPLAINANT_NAME,
            email="harriet.lomax@example.org",
            address="14 Marine Parade, Worthing BN11 3PT",
            phone="01903 000000",
        ),
        "council": "worthing",
        "subject_members": ["wbc-04"],
        "conduct_dates": [date(2026, 2, 20)],
        "provisions": ["respect", "disrepute"],
        "description": (
            "At the Planning Committee on 20 February 2026 the councillor shouted at me from the "
            "dais while I was speaking as an objector, and called me a liar in front of the public gallery."
        ),
    }
    data.update(overrides)
    return ComplaintIntake.model_validate(data)


def parish_intake(complainant_member: str | None = "lpc-02", **overrides: Any) -> ComplaintIntake:
    """Section 4's parish case: Cllr Wendy Ambrose (lpc-02) complains about Cllr Victor Hale (lpc-01),
    both of Lancing Parish Council. `complainant_member=None`: a member of the public complains instead."""
    complainant = (
        Complainant(
            name="Wendy Ambrose", email="wendy.ambrose@lancing-parish.example", type="councillor",
            member_id=complainant_member,
        )
        if complainant_member
        else intake().complainant
    )  # fmt: skip
    return intake(council="lancing-parish", subject_members=["lpc-01"], complainant=complainant, **overrides)


def start_complaint(**overrides: Any) -> StartComplaint:
    data: dict[str, Any] = {
        "reference": REFERENCE,
        "received_at": RECEIVED_AT,
        "intake": intake(),
        "roster": roster(),
    }
    data.update(overrides)
    return StartComplaint.model_validate(data)


# ----------------------------------------------------------------------------- letters


def recipient(role: RecipientRole = RecipientRole.COMPLAINANT, **overrides: Any) -> Recipient:
    defaults: dict[RecipientRole, tuple[str, str, str]] = {
        RecipientRole.COMPLAINANT: (COMPLAINANT_NAME, "harriet.lomax@example.org", "complainant"),
        RecipientRole.SUBJECT_MEMBER: ("Desmond Achterberg", "desmond.achterberg@worthing.example", "wbc-04"),
        RecipientRole.GROUP_LEADER: ("Catherine Pryce", "catherine.pryce@worthing.example", "wbc-03"),
        RecipientRole.INDEPENDENT_PERSON: ("Rupert Catchpole", "rupert.catchpole@independent.example", "ip-2"),
        RecipientRole.MONITORING_OFFICER: ("Joanna Whitlock", "joanna.whitlock@adur-worthing.example", "mo"),
        RecipientRole.DEPUTY_MONITORING_OFFICER: (
            "Patrick Delaney",
            "patrick.delaney@adur-worthing.example",
            "deputy",
        ),
        RecipientRole.INVESTIGATING_OFFICER: (
            "Fiona Blackwood",
            "fiona.blackwood@adur-worthing.example",
            "io-1",
        ),
        RecipientRole.DEMOCRATIC_SERVICES: ("Helen Mayhew", "helen.mayhew@adur-worthing.example", "dem"),
        RecipientRole.COMMITTEE_CHAIR: ("Bernard Okafor", "bernard.okafor@worthing.example", "worthing"),
        RecipientRole.PANEL_MEMBER: ("Gwendolyn Marsh", "gwendolyn.marsh@worthing.example", "wbc-07"),
        RecipientRole.PARISH_CLERK: ("Yvonne Partridge", "clerk@lancing-parish.example", "lancing-parish"),
        RecipientRole.PARISH_ADVISER: ("Ursula Finch", "ursula.finch@sompting-parish.example", "adc-co-1"),
    }
    name, email, rid = defaults[RecipientRole(role)]
    data: dict[str, Any] = {"name": name, "email": email, "role": role, "id": rid}
    data.update(overrides)
    return Recipient.model_validate(data)


def letter_context(**overrides: Any) -> LetterContext:
    """Every field filled in."""
    data: dict[str, Any] = {
        "reference": REFERENCE,
        "council_name": "Worthing Borough Council",
        "subject_names": ["Desmond Achterberg"],
        "complainant_name": COMPLAINANT_NAME,
        "complainant_identity_withheld": False,
        "provisions": ["1. Respect", "5. Disrepute"],
        "received_on": date(2026, 3, 2),
        "text": "The councillor's remarks were made at a public meeting.\n\nThey were recorded on the webcast.",
        "items": ["a formal letter from the Monitoring Officer", "further training and guidance"],
        "person_name": "Rupert Catchpole",
        "person_email": "rupert.catchpole@independent.example",
        "hearing_date": date(2026, 6, 17),
        "clock": ClockName.ASSESSMENT,
        "clock_due": date(2026, 3, 30),
        "clock_rule": "R2: 20 working days",
        "assessment_due": date(2026, 3, 30),
    }
    data.update(overrides)
    return LetterContext.model_validate(data)


# ----------------------------------------------------------------------------- case state


def _lapses_at(due: date) -> datetime:
    return datetime.combine(due + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)


def clock(
    name: ClockName,
    started: datetime,
    due: date,
    *,
    state: ClockState = ClockState.PENDING,
    met_on: date | None = None,
    rule: str = "R2",
    length: str = "20 working days",
) -> Clock:
    deadline = Deadline(
        clock=name,
        start=started.astimezone(LONDON).date(),
        due=due,
        lapses_at=_lapses_at(due),
        remind_on=None,
        remind_at=None,
        rule=length,
        nation=Nation.ENGLAND,
        closures=[],
        calendar_version="test",
    )
    return Clock(
        name=name,
        rule=rule,
        started=started,
        due=due,
        lapses_at=deadline.lapses_at,
        state=state,
        met_on=met_on,
        deadline=deadline,
    )


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def case_state(**overrides: Any) -> CaseState:
    """A case that went the whole way: investigation, breach found at a hearing, notice sent."""
    received = RECEIVED_AT
    assessed = _at(date(2026, 3, 20))
    appointed = _at(date(2026, 3, 27))
    final = _at(date(2026, 5, 22))
    hearing_day = date(2026, 7, 8)
    decided = _at(hearing_day, 15)
    closed = _at(date(2026, 7, 15))
    data: dict[str, Any] = {
        "reference": REFERENCE,
        "workflow_id": f"complaint-{REFERENCE}",
        "council": "worthing",
        "hearing_council": "worthing",
        "subject_members": ["wbc-04"],
        "subject_groups": {"wbc-04": "Labour"},
        "received_at": received,
        "intake": intake(),
        "stage": Stage.CLOSED,
        "outcome": Outcome.BREACH,
        "closed_at": closed,
        "subject_notified": True,
        "consultations": [
            IPConsultation(ip="ip-1", at=_at(date(2026, 3, 18)), stage=Stage.ASSESSMENT, view="Investigate."),
        ],
        "assessment": Decision(
            outcome=AssessmentOutcome.INVESTIGATE,
            reasons="The allegation, if proved, could amount to a breach of paragraph 1.",
            officer="mo",
            at=assessed,
        ),
        "subject_ip": "ip-2",
        "investigator": "io-1",
        "final_report": Report(
            text="The councillor failed to treat the complainant with respect.",
            officer="io-1",
            at=final,
            finding=Finding.BREACH,
        ),
        "hearing": Hearing(date=hearing_day, panel=["wbc-01", "wbc-05", "wbc-07"], ip="ip-3"),
        "hearing_outcome": HearingOutcome(
            finding=Finding.BREACH,
            sanctions=[Sanction.FORMAL_LETTER, Sanction.TRAINING],
            reasons="On the balance of probabilities the remarks were disrespectful.",
            hearing_date=hearing_day,
            officer="dem",
            at=decided,
        ),
        "notice_issued_at": closed,
        "clocks": {
            ClockName.ASSESSMENT: clock(
                ClockName.ASSESSMENT, received, date(2026, 3, 30), state=ClockState.MET, met_on=assessed.date()
            ),
            ClockName.INVESTIGATOR_APPOINTMENT: clock(
                ClockName.INVESTIGATOR_APPOINTMENT,
                assessed,
                date(2026, 4, 3),
                state=ClockState.MET,
                met_on=appointed.date(),
                rule="R6",
                length="14 calendar days",
            ),
            ClockName.INVESTIGATION: clock(
                ClockName.INVESTIGATION,
                appointed,
                date(2026, 5, 27),
                state=ClockState.MET,
                met_on=final.date(),
                rule="R7",
                length="2 calendar months",
            ),
            ClockName.HEARING: clock(
                ClockName.HEARING,
                final,
                date(2026, 8, 22),
                state=ClockState.MET,
                met_on=hearing_day,
                rule="R9",
                length="3 calendar months",
            ),
            ClockName.DECISION_NOTICE: clock(
                ClockName.DECISION_NOTICE,
                decided,
                date(2026, 7, 22),
                state=ClockState.MET,
                met_on=closed.date(),
                rule="R11",
                length="14 calendar days",
            ),
        },
        "timeline": [
            TimelineEntry(at=received, event="received", summary="Complaint received.", stage=Stage.TRIAGE),
            TimelineEntry(
                at=_at(date(2026, 3, 3)),
                event="triage",
                summary="Subject member to be notified.",
                officer="mo",
                stage=Stage.TRIAGE,
            ),
            TimelineEntry(
                at=assessed,
                event="assessment",
                summary="Referred for investigation.",
                officer="mo",
                stage=Stage.ASSESSMENT,
            ),
            TimelineEntry(at=closed, event="closed", summary="Decision notice sent.", stage=Stage.CLOSED),
        ],
    }
    data.update(overrides)
    return CaseState.model_validate(data)
