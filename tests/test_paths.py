"""One end-to-end test per path through the procedure, on the time-skipping server.

Each drives the case as officers would, at fixed London dates, and checks stage, outcome,
clocks, letters (who got what) and the timeline.
"""

from datetime import date

import pytest
from sqlalchemy import text

from conduct import actions as a
from conduct.register import make_engine
from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    ClockState,
    Finding,
    InformalAction,
    NoActionGround,
    Outcome,
    Stage,
)
from tests import factories
from tests.harness import CaseDriver, Refused
from tests.steps import IO, MO, drive_to_published_breach, open_and_triage, refer_and_investigate, roles_for


async def test_no_action(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await driver.travel_to_day(date(2029, 11, 20))
    result = await case.act(
        "assess",
        a.Assess(
            officer=MO,
            outcome=AssessmentOutcome.NO_ACTION,
            grounds=[NoActionGround.TRIVIAL],
            reasons="Minor.",
            tests=factories.UNMERITED,
        ),
    )
    assert result.stage == Stage.CLOSED
    state = await case.status()
    assert state.outcome is Outcome.NO_ACTION
    clock = state.clocks[ClockName.ASSESSMENT]
    assert (clock.due, clock.state, clock.met_on) == (date(2029, 12, 3), ClockState.MET, date(2029, 11, 20))
    letters = await case.letters()
    assert roles_for(letters, "acknowledgement") == ["complainant"]
    assert roles_for(letters, "subject_notified") == ["subject_member"]
    assert roles_for(letters, "group_leader_informed") == ["group_leader"]
    assert roles_for(letters, "decision_no_action") == ["complainant", "subject_member"]
    assert [t.event for t in state.timeline][:3] == ["received", "clock_started", "triage"]
    # R4: dismissed matters stay on record in the case register.
    engine = make_engine(driver.settings.resolved_database_url)
    with engine.connect() as conn:
        row = conn.execute(text("select stage, outcome from complaints where reference = :r"), {"r": case.reference})
        assert tuple(row.one()) == ("closed", "no_action")
    # The letters really went out: one .eml per recipient, all with this case's reference.
    assert len(case.outbox()) == len(letters)
    assert await case.handle.result()  # the workflow completed


async def test_informal_resolution_resolved(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await case.act(
        "assess",
        a.Assess(
            officer=MO,
            outcome=AssessmentOutcome.INFORMAL,
            actions=[InformalAction.APOLOGY],
            reasons="Apology.",
            tests=factories.TESTED,
        ),
    )
    assert (await case.status()).stage is Stage.INFORMAL_RESOLUTION
    # R5: the MO is reminded to review the informal resolution (every 28 days by default).
    await driver.travel_to_day(date(2029, 12, 4))
    assert roles_for(await case.letters(), "informal_review_reminder") == ["monitoring_officer"]
    result = await case.act("informal_outcome", a.InformalOutcome(officer=MO, resolved=True, text="Apology made."))
    assert result.stage == Stage.CLOSED
    state = await case.status()
    assert state.outcome is Outcome.RESOLVED_INFORMALLY
    letters = await case.letters()
    assert roles_for(letters, "decision_informal") == ["complainant", "subject_member"]
    assert roles_for(letters, "informal_outcome") == ["complainant", "subject_member"]


async def test_informal_resolution_failed_then_investigation(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await case.act(
        "assess",
        a.Assess(
            officer=MO,
            outcome=AssessmentOutcome.INFORMAL,
            actions=[InformalAction.MEDIATION],
            reasons="Mediate.",
            tests=factories.TESTED,
        ),
    )
    await driver.travel_to_day(date(2029, 11, 26))
    await case.act("informal_outcome", a.InformalOutcome(officer=MO, resolved=False, text="Mediation failed."))
    investigate = a.Assess(
        officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Needs investigation.", tests=factories.TESTED
    )
    with pytest.raises(Refused, match="consult an Independent Person after informal resolution failed"):
        await case.act("assess", investigate)
    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Investigate."))
    result = await case.act("assess", investigate)
    assert result.stage == Stage.INVESTIGATOR_APPOINTMENT
    state = await case.status()
    assert state.subject_ip == "ip-2"  # R6: not ip-1, whom the MO consulted
    clock = state.clocks[ClockName.INVESTIGATOR_APPOINTMENT]
    assert (clock.started.date(), clock.due) == (date(2029, 11, 26), date(2029, 12, 10))
    letters = await case.letters()
    assert roles_for(letters, "decision_investigate") == ["complainant", "subject_member"]
    assert roles_for(letters, "chair_advised") == ["committee_chair"]
    assert roles_for(letters, "subject_ip_details") == ["subject_member"]


async def test_investigation_finds_no_breach(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await refer_and_investigate(driver, case)
    state = await case.status()
    assert state.stage is Stage.INVESTIGATION  # both parties responded: the comment period closed early
    assert state.clocks[ClockName.COMMENT_PERIOD].state is ClockState.MET
    await driver.travel_to_day(date(2030, 1, 7))
    result = await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.NO_BREACH, text="No breach."))
    assert result.stage == Stage.CLOSED
    state = await case.status()
    assert state.outcome is Outcome.NO_BREACH
    investigation = state.clocks[ClockName.INVESTIGATION]
    assert (investigation.due, investigation.state) == (date(2030, 1, 12), ClockState.MET)
    letters = await case.letters()
    assert roles_for(letters, "investigator_appointed") == ["complainant", "investigating_officer", "subject_member"]
    assert roles_for(letters, "draft_report") == ["complainant", "monitoring_officer", "subject_member"]
    assert roles_for(letters, "final_report_no_breach") == ["complainant", "subject_member"]
    assert not state.published


async def test_breach_hearing_sanctions_notice_published(driver: CaseDriver) -> None:
    case = await drive_to_published_breach(driver)
    state = await case.status()
    assert (state.stage, state.outcome, state.published) == (Stage.CLOSED, Outcome.BREACH, True)
    clocks = {n.value: (c.due, c.state.value) for n, c in state.clocks.items()}
    assert clocks == {
        "assessment": (date(2029, 12, 3), "met"),
        "investigator_appointment": (date(2029, 11, 19), "met"),
        "investigation": (date(2030, 1, 12), "met"),
        "comment_period": (date(2029, 12, 31), "met"),
        "hearing": (date(2030, 4, 7), "met"),
        "decision_notice": (date(2030, 3, 20), "met"),
        "subject_response": (date(2030, 1, 21), "stopped"),  # R9: no response came; the hearing went ahead
    }
    assert state.hearing and state.hearing.adjournments == ["2030-02-20: Member unwell."]
    letters = await case.letters()
    assert roles_for(letters, "further_breach") == ["monitoring_officer"]
    assert roles_for(letters, "referred_to_hearing") == ["complainant", "democratic_services", "subject_member"]
    notice_roles = ["complainant", "independent_person", "investigating_officer", "monitoring_officer"]
    assert roles_for(letters, "hearing_notice") == sorted([*notice_roles, *["panel_member"] * 3, "subject_member"])
    assert roles_for(letters, "hearing_adjourned") == roles_for(letters, "hearing_notice")
    assert roles_for(letters, "decision_notice") == [
        "complainant",
        "group_leader",
        "investigating_officer",
        "subject_member",
    ]
    assert roles_for(letters, "sanction_committee_removal") == ["group_leader"]
    engine = make_engine(driver.settings.resolved_database_url)
    with engine.connect() as conn:
        notice = conn.execute(text("select text from published_notices where reference = :r"), {"r": case.reference})
        published = notice.scalar_one()
    assert "breach of the Code of Conduct" in published and "no right of appeal" in published
    assert factories.intake().complainant.name not in published  # the complainant is never named publicly


async def test_parish_member_referred_to_association(driver: CaseDriver) -> None:
    case = await open_and_triage(driver, "LPC-2029-0001", intake=factories.parish_intake())
    state = await case.status()
    assert state.hearing_council == "adur"
    result = await case.act(
        "assess",
        a.Assess(
            officer=MO, outcome=AssessmentOutcome.REFER, reasons="For the parish association.", tests=factories.TESTED
        ),
    )
    assert result.stage == Stage.WITH_ASSOCIATION  # R3: the association may send it back (test_assessment.py)
    assert roles_for(await case.letters(), "decision_referred") == ["complainant", "subject_member"]
    settled = a.RecordAssociationAnswer(officer=MO, outcome="settled", text="Settled by the parish council.")
    assert (await case.act("association_answer", settled)).stage == Stage.CLOSED
    assert (await case.status()).outcome is Outcome.REFERRED


async def test_refer_refused_for_principal_council_member(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    with pytest.raises(Refused, match="only a parish member's complaint can be referred"):
        await case.act(
            "assess", a.Assess(officer=MO, outcome=AssessmentOutcome.REFER, reasons="x", tests=factories.TESTED)
        )


async def test_withdrawal_stop(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await refer_and_investigate(driver, case)
    await case.act("withdraw", a.Withdraw(officer=MO, text="I no longer wish to proceed."))
    assert (await case.status()).stage is Stage.WITHDRAWAL_REQUESTED
    with pytest.raises(Refused, match="final-report is not allowed at this stage"):
        await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.BREACH, text="x"))
    result = await case.act(
        "withdrawal_decision", a.WithdrawalDecision(officer=MO, stop=True, ip="ip-2", view="No sign of intimidation.")
    )
    assert result.stage == Stage.CLOSED
    state = await case.status()
    assert state.outcome is Outcome.WITHDRAWN
    assert state.clocks[ClockName.INVESTIGATION].state is ClockState.STOPPED
    letters = await case.letters()
    assert roles_for(letters, "withdrawal_received") == ["complainant"]
    assert roles_for(letters, "withdrawal_decision") == ["complainant", "subject_member"]
    await case.handle.result()


async def test_withdrawal_continue(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await case.act("withdraw", a.Withdraw(officer=MO, text="Withdraw please."))
    result = await case.act(
        "withdrawal_decision",
        a.WithdrawalDecision(officer=MO, stop=False, ip="ip-2", view="Possible intimidation of the complainant."),
    )
    assert result.stage == Stage.ASSESSMENT
    result = await case.act(
        "assess",
        a.Assess(
            officer=MO,
            outcome=AssessmentOutcome.NO_ACTION,
            grounds=[NoActionGround.OTHER],
            reasons="x",
            tests=factories.UNMERITED,
        ),
    )
    assert result.stage == Stage.CLOSED
    assert (await case.status()).outcome is Outcome.NO_ACTION


async def test_linked_complaints(driver: CaseDriver) -> None:
    first = await open_and_triage(driver, "WBC-2029-0001")
    second = await driver.open("WBC-2029-0002")
    await first.act("link", a.Link(officer=MO, other_reference="WBC-2029-0002"))
    assert (await first.status()).linked == ["WBC-2029-0002"]
    assert (await second.status()).linked == ["WBC-2029-0001"]
    with pytest.raises(Refused, match="already linked"):
        await first.act("link", a.Link(officer=MO, other_reference="WBC-2029-0002"))
    with pytest.raises(Refused, match="cannot be linked to itself"):
        await first.act("link", a.Link(officer=MO, other_reference="WBC-2029-0001"))
