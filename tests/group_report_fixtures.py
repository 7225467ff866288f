"""A council year seeded for the Group Leaders' reports, with every figure worked out by hand.

Worthing is made Welsh for these tests (the seed form is Welsh: Informal / Local Resolution /
PSOW). Its Liberal Democrats sit as Independents (no Group Leader), so three groups report:
Conservative (leader wbc-01), Labour (wbc-03) and Green (wbc-05). Period 1 June 2029 to 31 May
2030. Everyone was elected on 6 May 2027 except wbc-04 (by-election 1 September 2029) and wbc-11
(Labour, elected 1 July 2030, after the period: not a member at its end).

Training (sessions from tests' CSV):
  LGA-CON  code-of-conduct 2027-06-10: wbc-01, wbc-02, wbc-03, wbc-04 (before wbc-04's election)
  EQ-2029  equalities      2029-10-01: wbc-05
  PLAN-29  committee Planning 2029-11-05: wbc-01
  LGA-GRN  code-of-conduct 2030-06-10 (after the period): wbc-06
  => Conservative 2 of 2 (100%), Labour 1 of 2 (50%), Green 0 of 2 (0%).

Complaints (all Worthing unless said; "notified" unless said):
  WBC-2029-0101 wbc-04 Labour   public      no action, closed          -> Labour public: no column (no action)
  WBC-2029-0102 wbc-04 Labour   public      informal resolution        -> Labour public: Informal
  WBC-2029-0103 wbc-04 Labour   officer     investigation              -> Labour officers: Local Resolution
  WBC-2030-0104 wbc-04 Labour   councillor  breach found at a hearing  -> Labour councillors: Local Resolution
  WBC-2029-0105 wbc-04 Labour   public      notice withheld            -> not counted
  WBC-2029-0106 wbc-04 Labour   public      received 20 May 2029       -> not counted (before the period)
  WBC-2029-0201 wbc-05 Green    officer     informal resolution        -> Green officers: Informal
  WBC-2029-0202 wbc-05 Green    public      investigation, then PSOW   -> Green public: PSOW
  WBC-2029-0301 wbc-01 Cons.    parish clerk no action, closed         -> Conservative officers: no column
  WBC-2029-0302 wbc-01 + wbc-04 public      not yet assessed           -> Conservative public and Labour public:
                                                                          no column (not yet assessed)
  ADC-2029-0401 adc-03 Labour (Adur) public informal                   -> not Worthing
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from conduct.case import Decision
from conduct.register import sync_case
from conduct.roster import Committee, Member, Roster
from conduct.vocabulary import AssessmentOutcome, ClockName, ClockState, Nation, Outcome, Stage
from tests import factories

PERIOD = (date(2029, 6, 1), date(2030, 5, 31))
DUE = date(2030, 6, 28)
GRACE = 14
REMINDER_DAYS = [14, 7]

TRAINING_CSV = """\
kind,session,title,date,type,committee,provider,group,member
session,LGA-CON,Code of Conduct: all members,2027-06-10,code-of-conduct,,LGA,,
attendance,LGA-CON,,,,,,,wbc-01
attendance,LGA-CON,,,,,,,wbc-02
attendance,LGA-CON,,,,,,,wbc-03
attendance,LGA-CON,,,,,,,wbc-04
session,EQ-2029,Equalities and standards,2029-10-01,equalities,,LGA,,
attendance,EQ-2029,,,,,,,wbc-05
# a comment row,,,,,,,,
session,PLAN-29,Planning Committee training,2029-11-05,committee,Planning,Monitoring Officer,,
attendance,PLAN-29,,,,,,,wbc-01
session,LGA-GRN,Code of Conduct: Green group,2030-06-10,code-of-conduct,,LGA,Green,
attendance,LGA-GRN,,,,,,,wbc-06
"""

# (group, public, officers, councillors) -> the Welsh columns, each with its row total
EXPECTED: dict[str, dict[str, Any]] = {
    "Conservative": {
        "members": 2,
        "trained": 2,
        "percent": 100,
        "rows": {
            "public": ({"Informal": 0, "Local Resolution": 0, "PSOW": 0}, 1),
            "officers": ({"Informal": 0, "Local Resolution": 0, "PSOW": 0}, 1),
            "councillors": ({"Informal": 0, "Local Resolution": 0, "PSOW": 0}, 0),
        },
        "complaints": 2,
        "not_in_a_column": {"open": 1, "no_action": 1},
    },
    "Labour": {
        "members": 2,
        "trained": 1,
        "percent": 50,
        "rows": {
            "public": ({"Informal": 1, "Local Resolution": 0, "PSOW": 0}, 3),
            "officers": ({"Informal": 0, "Local Resolution": 1, "PSOW": 0}, 1),
            "councillors": ({"Informal": 0, "Local Resolution": 1, "PSOW": 0}, 1),
        },
        "complaints": 5,
        "not_in_a_column": {"open": 1, "no_action": 1},
    },
    "Green": {
        "members": 2,
        "trained": 0,
        "percent": 0,
        "rows": {
            "public": ({"Informal": 0, "Local Resolution": 0, "PSOW": 1}, 1),
            "officers": ({"Informal": 1, "Local Resolution": 0, "PSOW": 0}, 1),
            "councillors": ({"Informal": 0, "Local Resolution": 0, "PSOW": 0}, 0),
        },
        "complaints": 2,
        "not_in_a_column": {},
    },
}


def roster() -> Roster:
    r = factories.roster()
    worthing = r.council("worthing")
    assert worthing is not None
    worthing.nation = Nation.WALES
    for m in r.members:
        if m.council == "worthing":
            m.elected_on = date(2027, 5, 6)
            if m.group == "Liberal Democrat":
                m.group = "Independent"
    r.member("wbc-04").elected_on = date(2029, 9, 1)  # type: ignore[union-attr]
    r.member("wbc-01").committees = ["Planning"]  # type: ignore[union-attr]
    r.member("wbc-05").committees = ["Planning", "Standards"]  # type: ignore[union-attr]
    r.member("wbc-03").committees = ["Standards"]  # type: ignore[union-attr]
    r.members.append(
        Member(
            id="wbc-11",
            name="Kwame Mensah",
            email="kwame.mensah@worthing.example",
            council="worthing",
            group="Labour",
            elected_on=date(2030, 7, 1),
        )
    )
    r.group_leaders = [g for g in r.group_leaders if not (g.council == "worthing" and g.group == "Liberal Democrat")]
    r.committees = [
        Committee(name="Planning", council="worthing", required_training=["code-of-conduct", "committee"]),
        Committee(name="Standards", council="worthing", required_training=["equalities"]),
    ]
    assert not r.problems()
    return r


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _complainant(kind: str) -> dict[str, Any]:
    if kind == "councillor":
        return {"name": "Farid Nasser", "email": "farid.nasser@worthing.example", "type": "councillor",
                "member_id": "wbc-06"}  # fmt: skip
    if kind == "officer":
        return {"name": "Olu Adebayo", "email": "olu.adebayo@worthing.example", "type": "officer"}
    if kind == "parish_clerk":
        return {"name": "Yvonne Partridge", "email": "clerk@lancing-parish.example", "type": "parish_clerk"}
    return {"name": factories.COMPLAINANT_NAME, "email": "harriet.lomax@example.org", "type": "public"}


def case(
    reference: str,
    received: date,
    subjects: dict[str, str],
    kind: str,
    reached: str,
    *,
    notified: bool = True,
    council: str = "worthing",
) -> Any:
    """A case state as sync_case receives it, stopped at `reached`: open, no_action, informal,
    investigation or breach (the factory's whole hearing path)."""
    base = factories.case_state()
    received_at = _at(received)
    assessed = _at(received.replace(day=min(received.day + 10, 28)))
    clocks = {
        ClockName.ASSESSMENT: factories.clock(
            ClockName.ASSESSMENT, received_at, received, state=ClockState.MET, met_on=assessed.date()
        )
    }
    values: dict[str, Any] = {
        "reference": reference,
        "workflow_id": f"complaint-{reference}",
        "council": council,
        "hearing_council": council,
        "subject_members": list(subjects),
        "subject_groups": subjects,
        "received_at": received_at,
        "intake": factories.intake(council=council, subject_members=list(subjects), complainant=_complainant(kind)),
        "subject_notified": notified,
        "notice_withheld_reason": "" if notified else "It would prejudice the investigation.",
        "timeline": [],
        "letters": [],
    }
    if reached == "breach":
        values["closed_at"] = _at(received.replace(day=min(received.day + 20, 28)))
        return base.model_copy(update=values)
    values.update(
        stage=Stage.ASSESSMENT, outcome=None, closed_at=None, subject_ip=None, investigator=None,
        final_report=None, hearing=None, hearing_outcome=None, notice_issued_at=None, assessment=None,
        clocks={},
    )  # fmt: skip
    if reached == "open":
        return base.model_copy(update=values)
    outcome = {
        "no_action": AssessmentOutcome.NO_ACTION,
        "informal": AssessmentOutcome.INFORMAL,
        "investigation": AssessmentOutcome.INVESTIGATE,
    }[reached]
    values["assessment"] = Decision(outcome=outcome, reasons="Assessed.", officer="mo", at=assessed)
    values["clocks"] = clocks
    if reached == "no_action":
        values.update(stage=Stage.CLOSED, outcome=Outcome.NO_ACTION, closed_at=assessed)
    elif reached == "informal":
        values.update(stage=Stage.INFORMAL_RESOLUTION)
    else:
        values.update(stage=Stage.INVESTIGATION, investigator="io-1")
        clocks[ClockName.INVESTIGATOR_APPOINTMENT] = factories.clock(
            ClockName.INVESTIGATOR_APPOINTMENT, assessed, assessed.date(), rule="R6", length="14 calendar days"
        )
    return base.model_copy(update=values)


LABOUR, GREEN, CONSERVATIVE = {"wbc-04": "Labour"}, {"wbc-05": "Green"}, {"wbc-01": "Conservative"}
CASES = [
    ("WBC-2029-0101", date(2029, 7, 2), LABOUR, "public", "no_action", True),
    ("WBC-2029-0102", date(2029, 8, 6), LABOUR, "public", "informal", True),
    ("WBC-2029-0103", date(2029, 9, 10), LABOUR, "officer", "investigation", True),
    ("WBC-2030-0104", date(2030, 1, 10), LABOUR, "councillor", "breach", True),
    ("WBC-2029-0105", date(2029, 10, 1), LABOUR, "public", "open", False),
    ("WBC-2029-0106", date(2029, 5, 20), LABOUR, "public", "informal", True),
    ("WBC-2029-0201", date(2029, 11, 5), GREEN, "officer", "informal", True),
    ("WBC-2029-0202", date(2029, 12, 3), GREEN, "public", "investigation", True),
    ("WBC-2029-0301", date(2029, 12, 10), CONSERVATIVE, "parish_clerk", "no_action", True),
    ("WBC-2029-0302", date(2030, 3, 4), {"wbc-01": "Conservative", "wbc-04": "Labour"}, "public", "open", True),
]


def seed_cases(engine: Any) -> None:
    for reference, received, subjects, kind, reached, notified in CASES:
        assert sync_case(engine, case(reference, received, subjects, kind, reached, notified=notified))
    adur = case("ADC-2029-0401", date(2029, 9, 3), {"adc-03": "Labour"}, "public", "informal", council="adur")
    assert sync_case(engine, adur)


def seed_training(engine: Any) -> None:
    """TRAINING_CSV straight into the register (the CLI import is tested on its own)."""
    from conduct import training
    from starter.training_cli import read_training_csv

    sessions, attended = read_training_csv(TRAINING_CSV, roster())
    for s in sessions:
        training.save_session(engine, s)
    for session, member in attended:
        training.record_attendance(engine, session, [member])
