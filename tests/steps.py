"""Steps shared by the workflow tests: officers' ids and the common routes through a case."""

from datetime import date, time

from conduct import actions as a
from conduct.vocabulary import AssessmentOutcome, Finding, Party, Provision, Sanction
from tests import factories
from tests.harness import Case, CaseDriver

MO = "mo"
DEPUTY = "deputy"
IO = "io-1"
DEM = "dem"

# Received Monday 5 November 2029: no bank holidays in England until Christmas.
RECEIVED = date(2029, 11, 5)


def panel_for(case_council: str, exclude: set[str]) -> list[str]:
    """Three members of the council from three different groups, none of them excluded."""
    chosen, groups = [], set()
    for m in factories.roster().members:
        if m.council == case_council and m.id not in exclude and m.group not in groups:
            chosen.append(m.id)
            groups.add(m.group)
        if len(chosen) == 3:
            return chosen
    raise AssertionError("roster has too few groups for a panel")


async def open_and_triage(driver: CaseDriver, reference: str = "WBC-2029-0001", **overrides: object) -> Case:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open(reference, **overrides)
    await case.act("triage", a.Triage(officer=MO, notify=True))
    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Merits a look."))
    return case


def roles_for(letters: list[tuple[str, str]], template: str) -> list[str]:
    return sorted(role for t, role in letters if t == template)


async def refer_and_investigate(driver: CaseDriver, case: Case) -> None:
    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    await driver.travel_to_day(date(2029, 11, 12))
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    await driver.travel_to_day(date(2029, 12, 17))
    await case.act("draft_report", a.DraftReport(officer=IO, text="Draft findings."))
    await case.act("comment", a.RecordComment(officer=MO, party=Party.COMPLAINANT, text="Agree."))
    await case.act("comment", a.RecordComment(officer=IO, party=Party.SUBJECT, declined=True))


async def drive_to_published_breach(driver: CaseDriver) -> Case:
    """The full hearing path; also the source of the recorded history for the replay test."""
    case = await open_and_triage(driver)
    await refer_and_investigate(driver, case)
    await driver.travel_to_day(date(2030, 1, 7))
    await case.act(
        "final_report",
        a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach of respect.", further_breach="Also 7.1."),
    )
    subject = factories.intake().subject_members[0]
    panel = panel_for("worthing", {subject})
    hearing = a.ScheduleHearing(
        officer=DEM, date=date(2030, 2, 20), panel=panel, ip="ip-3", starts_at=time(10), venue="Council Chamber"
    )
    result = await case.act("schedule_hearing", hearing)
    assert result.warnings == []
    await driver.travel_to_day(date(2030, 2, 18))
    await case.act("adjourn_hearing", a.AdjournHearing(officer=DEM, date=date(2030, 3, 6), reason="Member unwell."))
    await driver.travel_to_day(date(2030, 3, 6), hour=16)
    await case.act(
        "hearing_outcome",
        a.RecordHearingOutcome(
            attended=True,
            officer=DEM,
            finding=Finding.BREACH,
            sanctions=[Sanction.FORMAL_LETTER, Sanction.COMMITTEE_REMOVAL],
            committee="Planning",  # R10: the committee and the period
            committee_until=date(2030, 9, 30),
            reasons="On the balance of probabilities the member breached paragraph 1.",
            breached=[Provision.RESPECT],
            ip_view="The Independent Person considered that the member failed to show respect.",
        ),
    )
    await driver.travel_to_day(date(2030, 3, 12))
    await case.act("issue_notice", a.IssueNotice(officer=MO))  # R12: drafts the public notice
    await case.act("publish", a.Publish(officer=MO))  # the MO approves it
    return case
