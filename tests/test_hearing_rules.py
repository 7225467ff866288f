"""R9, the hearing (issue 14): an Independent Person can always be found, notice in clear working
days, no hearing on a weekend or bank holiday, a late hearing given a reason and shown as late,
the subject member's response with its clock, the MO's summary, the papers with the notice, and
changes after scheduling. Each drives a case on the time-skipping server and checks dates,
stage, letters (rendered, from the outbox) and history."""

from datetime import date, time

import pytest
from sqlalchemy.orm import Session

from conduct import actions as a
from conduct import hearing_rules as h
from conduct.roster import IndependentPerson
from conduct.vocabulary import AssessmentOutcome, ClockName, ClockState, Finding, Party, Provision, Stage
from starter import caseload, roster_io
from tests import factories
from tests.harness import Case, CaseDriver, Refused
from tests.steps import DEM, IO, MO, open_and_triage, panel_for, refer_and_investigate, roles_for

SUBJECT = factories.intake().subject_members[0]
PANEL = panel_for("worthing", {SUBJECT})
FINAL = date(2030, 1, 7)  # a Monday; the hearing clock falls due on 7 April 2030
VENUE = "Council Chamber, Worthing Town Hall"


def two_ips():  # noqa: ANN201
    roster = factories.roster()
    roster.independent_persons = roster.independent_persons[:2]
    return roster


async def to_hearing(driver: CaseDriver, **overrides: object) -> Case:
    case = await open_and_triage(driver, **overrides)
    await refer_and_investigate(driver, case)
    await driver.travel_to_day(FINAL)
    await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach of respect."))
    return case


def hearing(day: date, ip: str = "ip-3", **extra: object) -> a.ScheduleHearing:
    return a.ScheduleHearing(officer=DEM, date=day, panel=PANEL, ip=ip, starts_at=time(10), venue=VENUE, **extra)


def texts(case: Case, subject_has: str, to: str | None = None) -> list[str]:
    """The plain text of each letter in the outbox whose subject contains `subject_has`."""
    return [
        m.get_body(preferencelist=("plain",)).get_content()
        for m in case.outbox()
        if subject_has in m["Subject"] and (to is None or to in m["To"])
    ]


def events(state, name: str) -> list[str]:  # noqa: ANN001
    return [t.summary for t in state.timeline if t.event == name]


async def test_two_ips_the_hearing_goes_ahead_with_the_subjects_ip(driver: CaseDriver) -> None:
    """Reproduction: two IPs, ip-1 consulted at assessment, ip-2 given to the subject member (R6).
    Before, both were barred and no investigated case could be heard."""
    case = await to_hearing(driver, roster=two_ips())
    state = await case.status()
    assert (state.subject_ip, state.stage) == ("ip-2", Stage.HEARING_PENDING)
    with pytest.raises(Refused, match=r"ip-1 advised at assessment; R9 needs a different .* \(ip-2 can attend\)"):
        await case.act("schedule_hearing", hearing(date(2030, 2, 20), ip="ip-1"))
    result = await case.act("schedule_hearing", hearing(date(2030, 2, 20), ip="ip-2"))
    assert any("ip-2 also advises the subject member on procedure (R6)" in w for w in result.warnings)
    state = await case.status()
    assert (state.hearing.ip, state.hearing.date, state.stage) == ("ip-2", date(2030, 2, 20), Stage.HEARING_PENDING)
    assert "independent_person" in roles_for(await case.letters(), "hearing_notice")
    (ip_letter,) = texts(case, "notice of hearing", to="rupert.catchpole")
    assert "Wednesday 20 February 2030 at 10:00, at Council Chamber, Worthing Town Hall" in ip_letter
    assert events(state, "hearing_scheduled") == [f"hearing fixed for 2030-02-20 at 10:00, {VENUE}; in public"]


async def test_the_assessment_ip_attends_with_a_reason_when_no_other_is_left(driver: CaseDriver) -> None:
    case = await to_hearing(driver, roster=two_ips())
    only_one = two_ips()
    only_one.independent_persons = only_one.independent_persons[:1]  # ip-2 has resigned
    await case.act("update_roster", a.UpdateRoster(officer=MO, roster=only_one, reason="ip-2 resigned"))
    with pytest.raises(Refused, match="no other Independent Person is on the roster; give --reason"):
        await case.act("schedule_hearing", hearing(date(2030, 2, 20), ip="ip-1"))
    why = "ip-2 resigned; a new IP is not appointed until May"
    result = await case.act("schedule_hearing", hearing(date(2030, 2, 20), ip="ip-1", reason=why))
    assert any("ip-1 advised at assessment" in w and why in w for w in result.warnings)
    state = await case.status()
    assert (state.hearing.ip, state.hearing.reason) == ("ip-1", why)
    assert state.hearing.warnings == result.warnings  # the warning stays on the case
    assert roles_for(await case.letters(), "hearing_notice").count("independent_person") == 1


async def test_notice_counts_clear_working_days_and_short_notice_needs_agreement(driver: CaseDriver) -> None:
    case = await to_hearing(driver)  # today: Monday 7 January 2030
    with pytest.raises(Refused, match="2030-01-12 is a Saturday: a hearing is held on a working day"):
        await case.act("schedule_hearing", hearing(date(2030, 1, 12)))
    # Monday 14th: Tuesday to Friday are 4 clear working days (calendar days would say 6).
    with pytest.raises(Refused, match=r"gives 4 clear working days' notice; R9 asks for 5 \(s.100B LGA 1972\)"):
        await case.act("schedule_hearing", hearing(date(2030, 1, 14)))
    with pytest.raises(Exception, match="short notice needs the reason"):
        a.ScheduleHearing(officer=DEM, date=date(2030, 1, 14), panel=PANEL, ip="ip-3", short_notice=True)
    agreed = "Both parties agreed by e-mail on 7 January."
    result = await case.act("schedule_hearing", hearing(date(2030, 1, 14), short_notice=True, reason=agreed))
    assert f"4 clear working days' notice, less than the 5 R9 asks; the parties agreed: {agreed}" in result.warnings
    state = await case.status()
    assert state.hearing.short_notice and not state.hearing.late
    assert events(state, "hearing_scheduled")[0].endswith(f"at short notice, the parties agreeing: {agreed}")
    (notice,) = texts(case, "notice of hearing", to="desmond.achterberg")
    assert "The hearing will be held in public." in notice
    assert "Papers for the hearing (WBC-2029-0001)" in notice and "Breach of respect." in notice
    assert "Not received; it was asked for by 2030-01-21." in notice  # the response clock (10 working days)
    assert "To follow." in notice  # the MO's summary is not in yet
    assert agreed not in notice  # the reason is on the case, not in letters
    # Adjourned to a bank holiday: refused (Easter Monday, 22 April 2030).
    with pytest.raises(Refused, match=r"2030-04-22 is a bank holiday \(Easter Monday\)"):
        await case.act("adjourn_hearing", a.AdjournHearing(officer=DEM, date=date(2030, 4, 22), reason="Unwell."))


async def test_a_late_hearing_needs_a_reason_and_shows_as_late(driver: CaseDriver) -> None:
    case = await to_hearing(driver)
    assert (await case.status()).clocks[ClockName.HEARING].due == date(2030, 4, 7)
    with pytest.raises(Refused, match=r"2030-04-19 is a bank holiday \(Good Friday\)"):
        await case.act("schedule_hearing", hearing(date(2030, 4, 19)))
    with pytest.raises(Refused, match="2030-04-10 is after the hearing's due date 2030-04-07 .* give --reason"):
        await case.act("schedule_hearing", hearing(date(2030, 4, 10)))
    why = "The only date all three panel members can sit."
    result = await case.act("schedule_hearing", hearing(date(2030, 4, 10), reason=why))
    assert any(
        "the hearing on 2030-04-10 is after its due date 2030-04-07: it is late (R9)" in w for w in result.warnings
    )
    state = await case.status()
    assert state.hearing.late and "LATE, after its due date" in events(state, "hearing_scheduled")[0]
    (notice,) = texts(case, "notice of hearing", to="desmond.achterberg")
    assert "this hearing is later than that" in notice
    # `conduct cases` (the register): the next deadline is the subject's response; the hearing shows as late.
    with roster_io.register(driver.settings) as engine, Session(engine) as db:
        (line,) = caseload.list_cases(db, FINAL)
    assert (line.next_deadline, line.days_left, line.late) == (date(2030, 1, 21), 14, "hearing 2030-04-10")
    # Once the hearing has decided, the hearing clock is met late and the case no longer shows as late.
    await driver.travel_to_day(date(2030, 4, 10), hour=16)
    await case.act(
        "hearing_outcome",
        a.RecordHearingOutcome(
            attended=True,
            officer=DEM,
            finding=Finding.BREACH,
            reasons="x",
            ip_view="A breach.",
            breached=[list(Provision)[0]],
        ),
    )
    state = await case.status()
    assert state.clocks[ClockName.HEARING].state is ClockState.MET_LATE
    with roster_io.register(driver.settings) as engine, Session(engine) as db:
        (line,) = caseload.list_cases(db, date(2030, 4, 10))
    assert line.late == ""


async def test_the_subject_members_response_its_clock_and_the_papers(driver: CaseDriver) -> None:
    case = await to_hearing(driver)
    clock = (await case.status()).clocks[ClockName.SUBJECT_RESPONSE]
    assert (clock.due, clock.rule) == (date(2030, 1, 21), "10 working days (R9)")  # 7 Jan + 10 working days
    (referral,) = texts(case, "referred to the Hearings Sub-Committee", to="desmond.achterberg")
    assert "(by Sunday 7 April 2030)" in referral and "and by Monday 21 January 2030, please send" in referral
    await driver.travel_to_day(date(2030, 1, 15))  # the reminder: 5 working days before (14 January)
    assert roles_for(await case.letters(), "subject_response_reminder") == ["subject_member"]
    (reminder,) = texts(case, "your written response is due by Monday 21 January 2030")
    assert "which facts you agree and which you expect to dispute" in reminder
    # The MO's summary before the hearing is fixed: it waits for the notice.
    summary = "Allegation: disrespect at the meeting of 3 October. Agreed: the words used. Disputed: their tone."
    result = await case.act("hearing_summary", h.RecordHearingSummary(officer=MO, text=summary))
    assert "it goes to the panel and parties with the notice" in result.message
    await driver.travel_to_day(date(2030, 1, 22))  # the response was due on the 21st
    state = await case.status()
    response_clock = state.clocks[ClockName.SUBJECT_RESPONSE]
    assert (response_clock.state, state.overdue) == (ClockState.STOPPED, False)
    assert roles_for(await case.letters(), "subject_response_missed") == ["monitoring_officer", "subject_member"]
    (missed,) = texts(case, "no written response received", to="desmond.achterberg")
    assert "a response received now will be recorded as late" in missed
    assert events(state, "response_missed") == ["no written response from the subject member by 2030-01-21"]
    await case.act("schedule_hearing", hearing(date(2030, 2, 20)))
    (panel_notice,) = texts(case, "notice of hearing", to=factories.roster().member(PANEL[0]).email)
    assert summary in panel_notice and "Not received; it was asked for by 2030-01-21." in panel_notice
    await driver.travel_to_day(date(2030, 1, 23))
    response = h.RecordSubjectResponse(
        officer=MO, agreed="I said the words.", disputed="That they were meant as abuse.", evidence="The webcast."
    )
    result = await case.act("subject_response", response)
    assert result.message.startswith("subject member's response recorded, late")
    state = await case.status()
    assert state.subject_response.late and state.clocks[ClockName.SUBJECT_RESPONSE].state is ClockState.MET_LATE
    papers = roles_for(await case.letters(), "hearing_papers")
    assert papers.count("panel_member") == 3 and "complainant" in papers and "subject_member" in papers
    (again,) = texts(case, "papers for the hearing", to="desmond.achterberg")
    assert "The subject member's written response to the Investigating Officer's report is now on record." in again
    assert "Facts agreed (received after the date asked for):\nI said the words." in again
    with pytest.raises(Refused, match="the subject member's response is already recorded"):
        await case.act("subject_response", response)


async def test_changes_after_scheduling_and_a_replacement_investigator(driver: CaseDriver) -> None:
    roster = factories.roster()
    roster.independent_persons.append(
        IndependentPerson(id="ip-4", name="Tobias Renwick", email="tobias.renwick@independent.example")
    )
    case = await open_and_triage(driver, roster=roster)
    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    await driver.travel_to_day(date(2029, 11, 12))
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    due = (await case.status()).clocks[ClockName.INVESTIGATION].due
    await driver.travel_to_day(date(2029, 11, 20))
    with pytest.raises(Refused, match="io-1 is already the Investigating Officer"):
        await case.act("replace_investigator", h.ReplaceInvestigator(officer=MO, investigator=IO, reason="x"))
    await case.act(
        "replace_investigator", h.ReplaceInvestigator(officer=MO, investigator="io-2", reason="Io-1 is ill.")
    )
    state = await case.status()
    investigation = state.clocks[ClockName.INVESTIGATION]
    assert (state.investigator, investigation.due, investigation.state) == ("io-2", due, ClockState.PENDING)
    assert events(state, "investigator_replaced") == ["io-2 replaces io-1 as Investigating Officer: Io-1 is ill."]
    letters = roles_for(await case.letters(), "investigator_replaced")
    assert letters == ["complainant", "investigating_officer", "investigating_officer", "subject_member"]
    (new_io,) = texts(case, "new Investigating Officer", to="gareth.pennington")
    assert "appointed you Investigating Officer" in new_io and "Io-1 is ill." in new_io
    (old_io,) = texts(case, "you have been replaced", to="fiona.blackwood")
    assert "Gareth Pennington as Investigating Officer" in old_io
    (complainant,) = texts(case, "new Investigating Officer", to=str(factories.intake().complainant.email))
    assert "Io-1 is ill." not in complainant and "its timetable is unchanged" in complainant
    with pytest.raises(Refused, match="io-1 is not the Investigating Officer appointed"):
        await case.act("draft_report", a.DraftReport(officer=IO, text="Draft."))
    await driver.travel_to_day(date(2029, 12, 17))
    await case.act("draft_report", a.DraftReport(officer="io-2", text="Draft."))
    await case.act("comment", a.RecordComment(officer=MO, party=Party.COMPLAINANT, declined=True))
    await case.act("comment", a.RecordComment(officer=MO, party=Party.SUBJECT, declined=True))
    await driver.travel_to_day(FINAL)
    await case.act("final_report", a.FinalReport(officer="io-2", finding=Finding.BREACH, text="Breach."))
    await case.act("schedule_hearing", hearing(date(2030, 2, 20)))
    # A panel member falls ill; ip-3 is replaced by ip-4; the room moves.
    out, new = PANEL[2], next(m.id for m in roster.members if m.council == "worthing" and m.id not in {*PANEL, SUBJECT})
    with pytest.raises(Refused, match="nothing changes"):
        await case.act("change_hearing", h.ChangeHearing(officer=DEM, ip="ip-3", reason="x"))
    with pytest.raises(Refused, match=r"ip-2 advises the subject member \(R6\)"):
        await case.act("change_hearing", h.ChangeHearing(officer=DEM, ip="ip-2", reason="x"))
    change = h.ChangeHearing(
        officer=DEM, panel=[*PANEL[:2], new], ip="ip-4", venue="Committee Room 1", reason="A member is unwell."
    )
    result = await case.act("change_hearing", change)
    assert result.message.startswith("hearing changed") and result.stage == "hearing_pending"
    state = await case.status()
    assert (state.hearing.panel, state.hearing.ip, state.hearing.venue) == (
        [*PANEL[:2], new],
        "ip-4",
        "Committee Room 1",
    )
    assert len(state.hearing.changes) == 1 and "A member is unwell." in state.hearing.changes[0]
    assert events(state, "hearing_changed")[0].startswith(f"hearing changed: panel {', '.join(PANEL)} -> ")
    leaving, joining = roster.member(out), roster.member(new)
    (released,) = texts(case, "you are no longer needed at the hearing", to=leaving.email)
    assert "you are no longer asked to sit on or attend it" in released
    (changed,) = texts(case, "change to the hearing", to=joining.email)
    assert "This is a new notice of the hearing." in changed and "at Committee Room 1" in changed
    assert "The Independent Person attending is now Tobias Renwick" in changed and "A member is unwell." in changed
    (notice,) = texts(case, "notice of hearing", to=joining.email)  # the newcomer gets the papers
    assert "Papers for the hearing" in notice
    assert texts(case, "you are no longer needed", to="sunita.varma")  # ip-3 released
    assert texts(case, "notice of hearing", to="tobias.renwick")
