"""Every clock of the procedure: exact due dates, the reminder before, escalation at lapse (letters,
overdue flag, stage unchanged), and that the late action still succeeds afterwards.

Expected dates are worked out by hand in the comments, not by the code under test.
"""

from datetime import date

import pytest

from conduct import actions as a
from conduct import search
from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    ClockState,
    Finding,
    Nation,
    NoActionGround,
    Sanction,
    Stage,
)
from tests import factories
from tests.harness import Case, CaseDriver, Refused
from tests.steps import DEM, IO, MO, RECEIVED, open_and_triage, panel_for, refer_and_investigate, roles_for

NO_ACTION = a.Assess(
    officer=MO,
    outcome=AssessmentOutcome.NO_ACTION,
    grounds=[NoActionGround.TRIVIAL],
    reasons="x",
    tests=factories.UNMERITED,
)


async def overdue_attribute(case: Case) -> bool | None:
    return (await case.handle.describe()).typed_search_attributes.get(search.OVERDUE)


async def test_assessment_clock_reminds_escalates_and_still_accepts_the_decision(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    clock = (await case.status()).clocks[ClockName.ASSESSMENT]
    # Mon 5 Nov 2029 + 20 working days (no bank holidays) = Mon 3 Dec 2029; it lapses at the start
    # of Tue 4 Dec (GMT, so midnight UTC); reminder 5 working days before the due date: Mon 26 Nov.
    assert clock.due == date(2029, 12, 3)
    assert clock.lapses_at.isoformat() == "2029-12-04T00:00:00+00:00"
    assert clock.remind_at is not None and clock.remind_at.isoformat() == "2029-11-26T00:00:00+00:00"
    assert clock.deadline.rule == "20 working days" and clock.deadline.nation is Nation.ENGLAND

    await driver.travel_to_day(date(2029, 11, 23))
    assert await case.letters("clock_reminder") == []
    await driver.travel_to_day(date(2029, 11, 26))
    assert await case.letters("clock_reminder") == [("clock_reminder", "monitoring_officer")]
    assert not (await case.status()).overdue

    await driver.travel_to_day(date(2029, 12, 3), hour=23)
    assert (await case.status()).clocks[ClockName.ASSESSMENT].state is ClockState.PENDING
    await driver.travel_to_day(date(2029, 12, 4), hour=9)
    state = await case.status()
    assert state.clocks[ClockName.ASSESSMENT].state is ClockState.LAPSED
    assert (state.stage, state.overdue) == (Stage.ASSESSMENT, True)
    assert roles_for(await case.letters(), "clock_escalation") == ["deputy_monitoring_officer", "monitoring_officer"]
    assert await overdue_attribute(case) is True
    escalation = [m for m in case.outbox() if "clock_escalation" in m["X-Conduct-Idempotency-Key"]]
    assert len(escalation) == 2 and all(case.reference in m["Subject"] for m in escalation)
    assert [t.event for t in state.timeline].count("clock_lapsed") == 1

    # The case kept waiting: the decision is still accepted, and the clock is met late.
    await driver.travel_to_day(date(2029, 12, 6))
    await case.act("assess", NO_ACTION)
    state = await case.status()
    clock = state.clocks[ClockName.ASSESSMENT]
    assert (clock.state, clock.met_on, state.overdue) == (ClockState.MET_LATE, date(2029, 12, 6), False)
    assert len(await case.letters("clock_escalation")) == 2  # escalated once, not again


@pytest.mark.parametrize(
    ("nation", "received", "due"),
    [
        # Christmas: Mon 10 Dec 2029. England counts 11-14 Dec (4), 17-21 (9), 24 (10), skips 25-26
        # Dec, 27-28 (12), 31 (13), skips 1 Jan, 2-4 Jan (16), 7-10 Jan (20): Thu 10 Jan 2030.
        (Nation.ENGLAND, date(2029, 12, 10), date(2030, 1, 10)),
        # Scotland also keeps 2 January: one working day later, Fri 11 Jan 2030.
        (Nation.SCOTLAND, date(2029, 12, 10), date(2030, 1, 11)),
        # Easter 2030 (Good Friday 19 Apr, Easter Monday 22 Apr, early May bank holiday 6 May), from
        # Mon 8 Apr. England: 9-12 Apr (4), 15-18 (8), 23-26 (12), 29-30 (14), 1-3 May (17), 7-9 May
        # (20): Thu 9 May. Scotland works Easter Monday: Wed 8 May.
        (Nation.ENGLAND, date(2030, 4, 8), date(2030, 5, 9)),
        (Nation.SCOTLAND, date(2030, 4, 8), date(2030, 5, 8)),
        # St Patrick's Day 2030 is a Sunday, kept on Mon 18 Mar in Northern Ireland. From Mon 4 Mar:
        # England 5-8 (4), 11-15 (9), 18-22 (14), 25-29 (19), 1 Apr (20); Northern Ireland: Tue 2 Apr.
        (Nation.ENGLAND, date(2030, 3, 4), date(2030, 4, 1)),
        (Nation.NORTHERN_IRELAND, date(2030, 3, 4), date(2030, 4, 2)),
    ],
)
async def test_assessment_due_date_by_nation_across_bank_holidays(
    driver: CaseDriver, nation: Nation, received: date, due: date
) -> None:
    roster = factories.roster()
    next(c for c in roster.councils if c.id == "worthing").nation = nation
    await driver.travel_to_day(received)
    case = await driver.open(roster=roster)
    clock = (await case.status()).clocks[ClockName.ASSESSMENT]
    assert (clock.due, clock.deadline.nation) == (due, nation)


async def test_request_for_information_restarts_the_assessment_clock(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open()
    await case.act("request_info", a.RequestInformation(officer=MO, text="Please send the email you mention."))
    state = await case.status()
    assert (state.stage, state.clocks[ClockName.ASSESSMENT].state) == (Stage.AWAITING_INFORMATION, ClockState.STOPPED)
    assert roles_for(await case.letters(), "information_request") == ["complainant"]
    # A stopped clock neither reminds nor lapses, however long it waits.
    await driver.travel_to_day(date(2029, 12, 14))
    assert await case.letters("clock_escalation") == []
    await driver.travel_to_day(date(2029, 12, 17))
    await case.act("info_received", a.InformationReceived(officer=MO))
    state = await case.status()
    # Mon 17 Dec 2029 + 20 working days: 18-21 Dec (4), 24 (5), 27-28 (7), 31 (8), 2-4 Jan (11),
    # 7-11 Jan (16), 14-17 Jan (20): Thu 17 Jan 2030.
    assert (state.stage, state.clocks[ClockName.ASSESSMENT].due) == (Stage.TRIAGE, date(2030, 1, 17))


async def test_stopped_clock_leaves_paused_days_out_of_its_due_date(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await driver.travel_to_day(date(2029, 11, 12))
    await case.act("stop_clock", a.StopClock(officer=MO, reason="Subject member in hospital."))
    assert (await case.status()).clocks[ClockName.ASSESSMENT].state is ClockState.STOPPED
    with pytest.raises(Refused, match="no stage clock is running"):
        await case.act("stop_clock", a.StopClock(officer=MO, reason="again"))
    await driver.travel_to_day(date(2029, 11, 19))
    result = await case.act("restart_clock", a.RestartClock(officer=MO))
    # Paused Mon 12 - Fri 16 Nov: five working days, so Mon 3 Dec becomes Mon 10 Dec.
    clock = (await case.status()).clocks[ClockName.ASSESSMENT]
    assert (clock.due, clock.state, result.message) == (
        date(2029, 12, 10),
        ClockState.PENDING,
        "assessment clock restarted, due 2029-12-10",
    )
    assert [(p.start, p.end) for p in clock.pauses] == [(date(2029, 11, 12), date(2029, 11, 19))]
    # The old due date passes quietly; the new one escalates.
    await driver.travel_to_day(date(2029, 12, 5))
    assert await case.letters("clock_escalation") == []
    await driver.travel_to_day(date(2029, 12, 11))
    assert len(await case.letters("clock_escalation")) == 2


async def test_investigator_appointment_clock_escalates_after_14_days(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    clock = (await case.status()).clocks[ClockName.INVESTIGATOR_APPOINTMENT]
    assert clock.due == date(2029, 11, 19)  # Mon 5 Nov + 14 calendar days
    await driver.travel_to_day(date(2029, 11, 20))
    state = await case.status()
    assert (state.stage, state.overdue) == (Stage.INVESTIGATOR_APPOINTMENT, True)
    assert roles_for(await case.letters(), "clock_escalation") == ["deputy_monitoring_officer", "monitoring_officer"]
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    state = await case.status()
    assert state.clocks[ClockName.INVESTIGATOR_APPOINTMENT].state is ClockState.MET_LATE
    assert (state.stage, state.overdue) == (Stage.INVESTIGATION, False)


async def test_comment_period_closes_itself_without_escalation(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    await driver.travel_to_day(date(2029, 12, 17))
    await case.act("draft_report", a.DraftReport(officer=IO, text="Draft."))
    await case.act("comment", a.RecordComment(officer=MO, party=a.Party.COMPLAINANT, text="Fine."))
    clock = (await case.status()).clocks[ClockName.COMMENT_PERIOD]
    assert clock.due == date(2029, 12, 31)  # 17 Dec + 14 days, not moved off New Year's Eve
    with pytest.raises(Refused, match="the 14-day comment period cannot be stopped"):
        await case.act("stop_clock", a.StopClock(officer=MO, reason="x", clock=ClockName.COMMENT_PERIOD))
    final = a.FinalReport(officer=IO, finding=Finding.NO_BREACH, text="No breach.")
    with pytest.raises(Refused, match="the comment period is open until 2029-12-31"):
        await case.act("final_report", final)
    await driver.travel_to_day(date(2030, 1, 1))
    state = await case.status()
    comment = state.clocks[ClockName.COMMENT_PERIOD]
    assert (comment.state, comment.met_on, state.stage) == (ClockState.MET, date(2029, 12, 31), Stage.INVESTIGATION)
    assert ("clock_escalation", "monitoring_officer") not in await case.letters()
    result = await case.act("final_report", final)
    assert result.stage == Stage.CLOSED


async def test_investigation_target_escalates_to_the_investigating_officer_too(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    await driver.travel_to_day(date(2029, 11, 12))
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    clock = (await case.status()).clocks[ClockName.INVESTIGATION]
    # Appointed Mon 12 Nov 2029 + 2 calendar months = Sat 12 Jan 2030 (not moved to a working day);
    # reminder 5 working days before: Mon 7 Jan.
    assert clock.due == date(2030, 1, 12)
    assert clock.remind_at is not None and clock.remind_at.date() == date(2030, 1, 7)
    await driver.travel_to_day(date(2030, 1, 14))
    letters = await case.letters()
    # The MO was reminded of the appointment clock on Mon 12 Nov, the IO of this one on Mon 7 Jan.
    assert roles_for(letters, "clock_reminder") == ["investigating_officer", "monitoring_officer"]
    assert roles_for(letters, "clock_escalation") == [
        "deputy_monitoring_officer",
        "investigating_officer",
        "monitoring_officer",
    ]
    state = await case.status()
    assert (state.stage, state.overdue) == (Stage.INVESTIGATION, True)
    await case.act("draft_report", a.DraftReport(officer=IO, text="Late draft."))
    assert (await case.status()).clocks[ClockName.INVESTIGATION].state is ClockState.LAPSED


async def test_hearing_and_decision_notice_clocks(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await refer_and_investigate(driver, case)
    await driver.travel_to_day(date(2030, 1, 7))
    await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach."))
    assert (await case.status()).clocks[ClockName.HEARING].due == date(2030, 4, 7)  # 7 Jan + 3 months
    subject = factories.intake().subject_members[0]
    panel = panel_for("worthing", {subject})
    late = a.ScheduleHearing(officer=DEM, date=date(2030, 4, 10), panel=panel, ip="ip-3", reason="No panel sooner.")
    await case.act("schedule_hearing", late)  # R9: after the due date, with a reason
    outcome = a.RecordHearingOutcome(
        attended=True,
        officer=DEM,
        finding=Finding.BREACH,
        sanctions=[Sanction.TRAINING],
        course="Code of Conduct refresher",
        reasons="x",
        breached=["respect"],
        ip_view="x",
    )
    await driver.travel_to_day(date(2030, 4, 8))
    state = await case.status()
    assert (state.clocks[ClockName.HEARING].state, state.overdue) == (ClockState.LAPSED, True)
    assert roles_for(await case.letters(), "clock_escalation") == ["deputy_monitoring_officer", "monitoring_officer"]
    with pytest.raises(Refused, match="the hearing is on 2030-04-10; its outcome can be recorded from that day"):
        await case.act("hearing_outcome", outcome)
    await driver.travel_to_day(date(2030, 4, 10), hour=15)
    await case.act("hearing_outcome", outcome)
    state = await case.status()
    assert state.clocks[ClockName.HEARING].state is ClockState.MET_LATE
    notice = state.clocks[ClockName.DECISION_NOTICE]
    assert (notice.due, state.stage, state.overdue) == (date(2030, 4, 24), Stage.DECISION_NOTICE, False)
    await driver.travel_to_day(date(2030, 4, 25))
    assert len(await case.letters("clock_escalation")) == 4  # hearing (2) and decision notice (2)
    assert (await case.status()).overdue
    await case.act("issue_notice", a.IssueNotice(officer=MO))
    state = await case.status()
    assert (state.clocks[ClockName.DECISION_NOTICE].state, state.stage) == (ClockState.MET_LATE, Stage.CLOSED)
