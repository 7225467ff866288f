"""Actions that are not allowed now are refused by the update's validator, with a reason that names
the case, its stage and what is allowed, and nothing enters the workflow's history."""

from datetime import date

import pytest
from pydantic import BaseModel, ValidationError
from temporalio.api.enums.v1 import EventType

from conduct import actions as a
from conduct.intake import Complainant
from conduct.vocabulary import AssessmentOutcome, ComplainantType, Finding, NoActionGround, Sanction
from tests import factories
from tests.harness import Case, CaseDriver, Refused
from tests.steps import DEM, IO, MO, RECEIVED, open_and_triage, panel_for, refer_and_investigate

SUBJECT = factories.intake().subject_members[0]
WORKFLOW_TASK_EVENTS = {
    "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
    "EVENT_TYPE_WORKFLOW_TASK_STARTED",
    "EVENT_TYPE_WORKFLOW_TASK_COMPLETED",
}


async def assert_refused(case: Case, update: str, payload: BaseModel, *fragments: str) -> str:
    await case.settle()
    before = len(await case.history_events())
    with pytest.raises(Refused) as refused:
        await case.act(update, payload)
    message = str(refused.value)
    for fragment in fragments:
        assert fragment in message
    # The time-skipping server keeps the empty workflow task that carried the rejected update (a
    # real server discards it as speculative); nothing else may be added: no update, activity,
    # timer or letter.
    added = {EventType.Name(e.event_type) for e in (await case.history_events())[before:]}
    assert added <= WORKFLOW_TASK_EVENTS, f"a refused action left {added - WORKFLOW_TASK_EVENTS} in history"
    return message


async def test_wrong_stage_wrong_role_unknown_officer(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open()
    message = await assert_refused(
        case,
        "appoint_investigator",
        a.AppointInvestigator(officer=MO, investigator=IO),
        "WBC-2029-0001 is at stage triage",
        "appoint-investigator is not allowed at this stage",
        "Allowed now: triage (deputy_monitoring_officer/monitoring_officer)",
    )
    assert "request-info" in message and "withdraw" in message
    await assert_refused(
        case,
        "triage",
        a.Triage(officer=IO, notify=True),
        "io-1 (investigating_officer) cannot triage: it needs deputy_monitoring_officer or monitoring_officer",
    )
    await assert_refused(
        case, "triage", a.Triage(officer="nobody", notify=True), "officer 'nobody' is not on the roster"
    )
    # The deputy may act for the MO.
    await case.act("triage", a.Triage(officer="deputy", notify=False, reason="Would prejudice the case."))
    assert (await case.status()).notice_withheld_reason == "Would prejudice the case."
    assert await case.letters("subject_notified") == []


async def test_decision_needs_an_independent_persons_view_first(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open()
    await case.act("triage", a.Triage(officer=MO, notify=True))
    decision = a.Assess(
        officer=MO,
        outcome=AssessmentOutcome.NO_ACTION,
        grounds=[NoActionGround.TRIVIAL],
        reasons="x",
        tests=factories.UNMERITED,
    )
    await assert_refused(
        case, "assess", decision, "an Independent Person must be consulted before the assessment decision (R2)"
    )
    await assert_refused(
        case,
        "consult_ip",
        a.ConsultIndependentPerson(officer=MO, ip="ip-9", view="x"),
        "'ip-9' is not an Independent Person on the roster",
    )


async def test_no_different_independent_person_for_the_subject(driver: CaseDriver) -> None:
    roster = factories.roster()
    roster.independent_persons = roster.independent_persons[:1]
    await driver.travel_to_day(RECEIVED)
    case = await driver.open(roster=roster)
    await case.act("triage", a.Triage(officer=MO, notify=True))
    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Investigate."))
    await assert_refused(
        case,
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="x", tests=factories.TESTED),
        "R6 needs an Independent Person other than ip-1 for the subject member",
    )


async def test_investigating_officer_only_on_their_own_case(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    await assert_refused(
        case,
        "appoint_investigator",
        a.AppointInvestigator(officer=MO, investigator="dem"),
        "'dem' is not an investigating officer",
    )
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    await assert_refused(
        case,
        "draft_report",
        a.DraftReport(officer="io-2", text="Not my case."),
        "io-2 is not the Investigating Officer appointed to WBC-2029-0001",
    )
    await assert_refused(
        case,
        "draft_report",
        a.DraftReport(officer=MO, text="The MO does not write the report."),
        "mo (monitoring_officer) cannot draft-report: it needs investigating_officer",
    )


async def test_hearing_panel_and_independent_person_rules(driver: CaseDriver) -> None:
    councillor = Complainant(name="Cllr Ivy Newbold", email="ivy@worthing.example", type=ComplainantType.COUNCILLOR)
    roster = factories.roster()
    complainant_member = next(m for m in roster.members if m.council == "worthing" and m.id != SUBJECT)
    councillor.member_id = complainant_member.id
    case = await open_and_triage(driver, intake=factories.intake(complainant=councillor))
    await refer_and_investigate(driver, case)
    await driver.travel_to_day(date(2030, 1, 7))
    await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach."))
    good = panel_for("worthing", {SUBJECT, complainant_member.id})
    adur_member = next(m.id for m in roster.members if m.council == "adur")

    def hearing(panel: list[str], ip: str = "ip-3", day: date = date(2030, 2, 20)) -> a.ScheduleHearing:
        return a.ScheduleHearing(officer=DEM, date=day, panel=panel, ip=ip)

    await assert_refused(case, "schedule_hearing", hearing([SUBJECT, *good[:2]]), f"{SUBJECT!r} is the subject member")
    # The complainant by place, not by id: the refusal goes into the audit log, which holds no complainant's details.
    named = await assert_refused(case, "schedule_hearing", hearing([good[0], complainant_member.id, good[1]]),
                                 "the second panel member is the complainant")  # fmt: skip
    assert complainant_member.id not in named
    await assert_refused(
        case, "schedule_hearing", hearing([adur_member, *good[:2]]), "sits on adur, not worthing", "(R9)"
    )
    # ip-1 advised at assessment; ip-2 was given to the subject member (R6).
    for ip in ("ip-1", "ip-2"):
        await assert_refused(case, "schedule_hearing", hearing(good, ip=ip), "R9 needs a different Independent Person")
    await assert_refused(
        case, "schedule_hearing", hearing(good, day=date(2030, 1, 6)), "the hearing date 2030-01-06 is in the past"
    )
    await assert_refused(
        case,
        "hearing_outcome",
        a.RecordHearingOutcome(attended=True, officer=DEM, finding=Finding.BREACH, reasons="x"),
        "no hearing is fixed yet; use schedule-hearing",
    )
    # Two of the three from one group, at one clear working day's notice the parties agreed to:
    # allowed, with warnings (R9 asks for different groups "wherever possible"; less than 5 clear
    # working days needs the parties' agreement, conduct/hearing_rules.py).
    two_greens = ["wbc-02", "wbc-05", "wbc-06"]  # Conservative, Green, Green
    short = hearing(two_greens, day=date(2030, 1, 9)).model_copy(update={"short_notice": True, "reason": "agreed"})
    result = await case.act("schedule_hearing", short)
    assert result.warnings == [
        "the panel is not from three different groups (Conservative, Green, Green); R9 asks for it where possible",
        "1 clear working days' notice, less than the 5 R9 asks; the parties agreed: agreed",
        "the notice gives no time or venue; give them with change-hearing, which sends a new notice",
    ]
    assert (await case.status()).hearing is not None


def test_payloads_reject_malformed_actions_before_they_are_sent() -> None:
    with pytest.raises(ValidationError, match="withholding notice from the subject member needs a reason"):
        a.Triage(officer=MO, notify=False)
    with pytest.raises(ValidationError, match="sanctions can only follow a finding of breach"):
        a.RecordHearingOutcome(
            attended=True, officer=DEM, finding=Finding.NO_BREACH, sanctions=[Sanction.TRAINING], reasons="x"
        )
    with pytest.raises(ValidationError, match="a decision to take no action needs at least one ground"):
        a.Assess(officer=MO, outcome=AssessmentOutcome.NO_ACTION, reasons="x", tests=factories.UNMERITED)
    with pytest.raises(ValidationError, match="either the comment's text or that the party declined"):
        a.RecordComment(officer=MO, party=a.Party.SUBJECT, text="x", declined=True)
    with pytest.raises(ValidationError):
        a.ScheduleHearing(officer=DEM, date=date(2030, 1, 1), panel=["a", "b"], ip="ip-3")
