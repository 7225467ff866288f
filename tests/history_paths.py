"""The routes through a case that the replay corpus records (tests/record_histories.py): one per
path through the procedure, closed, and one per stage, left running. Running cases are what new
workflow code must replay, so each stage has one.

Each route drives a fresh case on its own time-skipping server from Monday 5 November 2029, as
tests/steps.py does, and returns the case where its history should be taken.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from conduct import actions as a
from conduct.vocabulary import AssessmentOutcome, Finding, InformalAction, NoActionGround, Party, Provision, Sanction
from tests import factories
from tests.harness import Case, CaseDriver
from tests.steps import DEM, IO, MO, RECEIVED, open_and_triage, panel_for, refer_and_investigate

Route = Callable[[CaseDriver], Awaitable[Case]]

NO_ACTION = a.Assess(
    officer=MO,
    outcome=AssessmentOutcome.NO_ACTION,
    grounds=[NoActionGround.TRIVIAL],
    reasons="x",
    tests=factories.UNMERITED,
)
INVESTIGATE = a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED)
INFORMAL = a.Assess(
    officer=MO,
    outcome=AssessmentOutcome.INFORMAL,
    actions=[InformalAction.APOLOGY],
    reasons="Apology.",
    tests=factories.TESTED,
)


def subject_email() -> str:
    """The subject member's address: the one the refusing mail provider never accepts."""
    subject = factories.roster().member(factories.intake().subject_members[0])
    assert subject is not None
    return str(subject.email)


# ----------------------------------------------------------------------------- closed cases


async def no_action(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await driver.travel_to_day(date(2029, 11, 20))
    await case.act("assess", NO_ACTION)
    return case


async def referral(driver: CaseDriver) -> Case:
    """A parish councillor's complaint about a member of the same parish council, referred to the
    county association, which settles it."""
    case = await running_with_association(driver)
    settled = a.RecordAssociationAnswer(officer=MO, outcome="settled", text="Settled by the parish council.")
    await case.act("association_answer", settled)
    return case


async def running_with_association(driver: CaseDriver) -> Case:
    """R3: referred to the county association, waiting for its answer."""
    case = await open_and_triage(driver, "LPC-2029-0001", intake=factories.parish_intake())
    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.REFER, reasons="For the association.", tests=factories.TESTED),
    )
    return case


async def running_with_police(driver: CaseDriver) -> Case:
    """R3: referred to the police as a possible criminal offence, waiting for their answer."""
    case = await open_and_triage(driver)
    police = a.Assess(
        officer=MO, outcome=AssessmentOutcome.POLICE, reasons="A possible DPI offence.", tests=factories.TESTED
    )
    await case.act("assess", police)
    return case


async def informal_resolved(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await case.act("assess", INFORMAL)
    await driver.travel_to_day(date(2029, 12, 4))  # past the first review reminder
    await case.act("informal_outcome", a.InformalOutcome(officer=MO, resolved=True, text="Apology made."))
    return case


async def informal_failed_no_action(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await case.act("assess", INFORMAL)
    await driver.travel_to_day(date(2029, 11, 26))
    await case.act("informal_outcome", a.InformalOutcome(officer=MO, resolved=False, text="No apology."))
    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Leave it."))
    await case.act("assess", NO_ACTION)
    return case


async def investigation_no_breach(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await refer_and_investigate(driver, case)
    await driver.travel_to_day(date(2030, 1, 7))
    await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.NO_BREACH, text="No breach."))
    return case


async def hearing_breach(driver: CaseDriver) -> Case:
    """Hearing, adjournment, breach with sanctions, decision notice published."""
    case = await _to_hearing_scheduled(driver)
    await driver.travel_to_day(date(2030, 2, 18))
    await case.act("adjourn_hearing", a.AdjournHearing(officer=DEM, date=date(2030, 3, 6), reason="Member unwell."))
    await _hearing_outcome(driver, case)
    await driver.travel_to_day(date(2030, 3, 12))
    await case.act("issue_notice", a.IssueNotice(officer=MO))  # R12: drafts the public notice
    await case.act("publish", a.Publish(officer=MO))
    return case


async def withdrawal_stopped(driver: CaseDriver) -> Case:
    case = await _withdrawal_requested(driver)
    stop = a.WithdrawalDecision(officer=MO, stop=True, ip="ip-2", view="No sign of intimidation.")
    await case.act("withdrawal_decision", stop)
    return case


async def withdrawal_continued(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await case.act("withdraw", a.Withdraw(officer=MO, text="Withdraw please."))
    go_on = a.WithdrawalDecision(officer=MO, stop=False, ip="ip-2", view="Possible intimidation.")
    await case.act("withdrawal_decision", go_on)
    await case.act("assess", NO_ACTION)
    return case


async def request_info(driver: CaseDriver) -> Case:
    case = await _awaiting_information(driver)
    await driver.travel_to_day(date(2029, 12, 17))
    await case.act("info_received", a.InformationReceived(officer=MO))
    await case.act("triage", a.Triage(officer=MO, notify=True))
    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Minor."))
    await case.act("assess", NO_ACTION)
    return case


async def stop_restart_clock(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await driver.travel_to_day(date(2029, 11, 12))
    await case.act("stop_clock", a.StopClock(officer=MO, reason="Subject member in hospital."))
    await driver.travel_to_day(date(2029, 11, 19))
    await case.act("restart_clock", a.RestartClock(officer=MO))
    await driver.travel_to_day(date(2029, 11, 21))
    await case.act("assess", NO_ACTION)
    return case


async def lapse_escalation(driver: CaseDriver) -> Case:
    """The assessment clock reminds, lapses and escalates; the late decision is still taken."""
    case = await open_and_triage(driver)
    await driver.travel_to_day(date(2029, 12, 12))  # lapsed on 4 December, and a week more
    await case.act("assess", NO_ACTION)
    return case


async def delivery_failure_permanent(driver: CaseDriver) -> Case:
    """The provider refuses the subject member's address for good (see REFUSED in the recorder):
    each letter to them fails at once, is recorded and escalated, and the case goes on."""
    case = await open_and_triage(driver)
    await case.act("assess", NO_ACTION)
    return case


# ----------------------------------------------------------------------------- running cases


async def running_triage(driver: CaseDriver) -> Case:
    await driver.travel_to_day(RECEIVED)
    return await driver.open()


async def _awaiting_information(driver: CaseDriver) -> Case:
    case = await running_triage(driver)
    await case.act("request_info", a.RequestInformation(officer=MO, text="Please send the email you mention."))
    return case


async def running_assessment(driver: CaseDriver) -> Case:
    return await open_and_triage(driver)


async def running_informal_resolution(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await case.act("assess", INFORMAL)
    return case


async def running_investigator_appointment(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await case.act("assess", INVESTIGATE)
    return case


async def running_investigation(driver: CaseDriver) -> Case:
    case = await running_investigator_appointment(driver)
    await driver.travel_to_day(date(2029, 11, 12))
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    return case


async def running_comments(driver: CaseDriver) -> Case:
    case = await running_investigation(driver)
    await driver.travel_to_day(date(2029, 12, 17))
    await case.act("draft_report", a.DraftReport(officer=IO, text="Draft findings."))
    await case.act("comment", a.RecordComment(officer=MO, party=Party.COMPLAINANT, text="Agree."))
    return case


async def _to_hearing_scheduled(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await refer_and_investigate(driver, case)
    await driver.travel_to_day(date(2030, 1, 7))
    breach = a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach of respect.", further_breach="Also 7.1.")
    await case.act("final_report", breach)
    panel = panel_for("worthing", {factories.intake().subject_members[0]})
    await case.act("schedule_hearing", a.ScheduleHearing(officer=DEM, date=date(2030, 2, 20), panel=panel, ip="ip-3"))
    return case


async def _hearing_outcome(driver: CaseDriver, case: Case) -> None:
    await driver.travel_to_day(date(2030, 3, 6), hour=16)
    outcome = a.RecordHearingOutcome(
        attended=True,
        officer=DEM,
        finding=Finding.BREACH,
        sanctions=[Sanction.FORMAL_LETTER, Sanction.COMMITTEE_REMOVAL],
        committee="Planning",  # R10: the committee and the period
        committee_until=date(2030, 9, 30),
        reasons="On the balance of probabilities the member breached paragraph 1.",
        breached=[Provision.RESPECT],
        ip_view="The member failed to show respect.",
    )
    await case.act("hearing_outcome", outcome)


async def running_decision_notice(driver: CaseDriver) -> Case:
    case = await _to_hearing_scheduled(driver)
    await _hearing_outcome(driver, case)
    return case


async def _withdrawal_requested(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await refer_and_investigate(driver, case)
    await case.act("withdraw", a.Withdraw(officer=MO, text="I no longer wish to proceed."))
    return case


async def _lead_and_follower(driver: CaseDriver) -> tuple[Case, Case]:
    """R14: a second complaint about the same post follows the first (`link LEAD OTHER --lead`,
    the `follow` action), and both are decided once, on the lead."""
    await driver.travel_to_day(RECEIVED)
    lead, follower = await driver.open("WBC-2029-0001"), await driver.open("WBC-2029-0002")
    subjects = factories.intake().subject_members
    await follower.act("follow", a.Link(officer=MO, other_reference=lead.reference, other_subjects=subjects))
    await lead.act("triage", a.Triage(officer=MO, notify=True))
    await lead.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="No case to answer."))
    await lead.act("assess", NO_ACTION)
    await follower.settle()
    return lead, follower


async def lead_decided_with_follower(driver: CaseDriver) -> Case:
    return (await _lead_and_follower(driver))[0]


async def follower_decided_with_lead(driver: CaseDriver) -> Case:
    return (await _lead_and_follower(driver))[1]


ROUTES: dict[str, Route] = {
    "no_action": no_action,
    "referral": referral,
    "informal_resolved": informal_resolved,
    "informal_failed_no_action": informal_failed_no_action,
    "investigation_no_breach": investigation_no_breach,
    "hearing_breach": hearing_breach,
    "withdrawal_stopped": withdrawal_stopped,
    "withdrawal_continued": withdrawal_continued,
    "request_info": request_info,
    "stop_restart_clock": stop_restart_clock,
    "lapse_escalation": lapse_escalation,
    "delivery_failure_permanent": delivery_failure_permanent,
    "lead_decided_with_follower": lead_decided_with_follower,  # R14
    "follower_decided_with_lead": follower_decided_with_lead,
    "running_triage": running_triage,
    "running_awaiting_information": _awaiting_information,
    "running_assessment": running_assessment,
    "running_informal_resolution": running_informal_resolution,
    "running_investigator_appointment": running_investigator_appointment,
    "running_investigation": running_investigation,
    "running_comments": running_comments,
    "running_hearing_pending": _to_hearing_scheduled,
    "running_decision_notice": running_decision_notice,
    "running_withdrawal_requested": _withdrawal_requested,
    # Ready for the next recording of the corpus (the lead records it): R3's two waiting stages.
    "running_with_association": running_with_association,
    "running_with_police": running_with_police,
}
"""File name (without .json) -> route. Names starting `running_` stay open at that stage."""
