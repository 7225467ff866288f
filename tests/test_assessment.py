"""Sections 3-4 (issue 14, "Assessment") and R9's attendance, on the time-skipping server: the
initial tests and the public interest test recorded with every outcome, the four grounds that were
one, the parish referral's condition and the association sending a case back, the police referral
that pauses the case until the police answer, and whether the subject member attended the hearing.
Each checks dates, stage, the letters in the outbox with their wording, and the history."""

from __future__ import annotations

import email.message
from datetime import date, time
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.worker import Replayer

from conduct import actions as a
from conduct import publication as pub
from conduct.case import Decision
from conduct.projection import case_sync
from conduct.vocabulary import (
    GROUND_TITLES,
    AssessmentOutcome,
    ClockName,
    ClockState,
    Finding,
    InitialTest,
    NoActionGround,
    Outcome,
    Provision,
    Sanction,
    Stage,
)
from tests import factories
from tests.harness import Case, CaseDriver, Refused
from tests.steps import DEM, IO, MO, RECEIVED, open_and_triage, panel_for, refer_and_investigate
from worker import WORKFLOWS

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "letters"


def _assess(outcome: AssessmentOutcome, tests: object = None, **fields: object) -> a.Assess:
    return a.Assess(officer=MO, outcome=outcome, reasons=fields.pop("reasons", "Reasons."), tests=tests, **fields)


def _mail(case: Case, template: str) -> dict[str, email.message.EmailMessage]:
    """The outbox's letters of `template`, by the recipient's role (from the idempotency key)."""
    found = {}
    for m in case.outbox():
        key = m["X-Conduct-Idempotency-Key"]
        if f"-{template}/" in key:
            found[key.split("/")[2]] = m
    return found


def _text(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def _html(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]


async def _another(driver: CaseDriver, reference: str, **overrides: object) -> Case:
    """A second case on the same server, opened now (`open_and_triage` travels to the day of the first)."""
    case = await driver.open(reference, **overrides)
    await case.act("triage", a.Triage(officer=MO, notify=True))
    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Merits a look."))
    return case


async def _replays(driver: CaseDriver, case: Case) -> None:
    """The new paths are deterministic: the case's history replays against the code that made it."""
    history = await case.handle.fetch_history()
    replayer = Replayer(workflows=WORKFLOWS, data_converter=driver.client.data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def _events(state: object) -> list[str]:
    return [t.event for t in state.timeline]  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- tests and grounds


async def test_every_outcome_records_the_tests_and_its_letters_give_them(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    with pytest.raises(Refused, match="record the initial tests and the public interest test with every assessment"):
        await case.act("assess", _assess(AssessmentOutcome.INVESTIGATE))
    failed = a.AssessmentTests(failed=[InitialTest.BREACH_IF_PROVEN], public_interest=True, public_interest_reason="x")
    with pytest.raises(Refused, match=r"an investigation needs every initial test .* \(breach-if-proven\)"):
        await case.act("assess", _assess(AssessmentOutcome.INVESTIGATE, failed))
    with pytest.raises(Refused, match="informal resolution needs every initial test met; not met: breach-if-proven"):
        await case.act("assess", _assess(AssessmentOutcome.INFORMAL, failed, actions=["apology"]))

    await driver.travel_to_day(date(2029, 11, 14))
    tests = a.AssessmentTests(public_interest=True, public_interest_reason="A councillor shouting at the public.")
    result = await case.act("assess", _assess(AssessmentOutcome.INVESTIGATE, tests, reasons="Serious."))
    assert result.stage == Stage.INVESTIGATOR_APPOINTMENT
    state = await case.status()
    assert state.assessment is not None and state.assessment.tests == tests
    assert state.clocks[ClockName.ASSESSMENT].state is ClockState.MET
    letters = _mail(case, "decision_investigate")
    assert sorted(letters) == ["complainant", "subject_member"]
    for message in letters.values():
        body = _text(message)
        assert "The Monitoring Officer applied the initial tests and the public interest test:" in body
        assert "- Met: the councillor was a member and acting as a member, so the Code of Conduct applies" in body
        assert "- Met: the complainant is identified: the complaint is not anonymous" in body
        assert "- The public interest test is met: A councillor shouting at the public." in body
        assert "<li>The public interest test is met: A councillor shouting at the public.</li>" in _html(message)
    summary = next(d.summary for d in case_sync(state, 1).decisions if d.kind == "assessment")  # the register
    assert "Tests: Met: the councillor was a member" in summary and "public interest test is met" in summary


async def test_four_grounds_and_no_letter_calls_a_complaint_malicious_unless_chosen(driver: CaseDriver) -> None:
    unmerited = a.AssessmentTests(public_interest=False, public_interest_reason="A dispute between rival candidates.")
    political = _assess(AssessmentOutcome.NO_ACTION, unmerited, grounds=[NoActionGround.POLITICALLY_MOTIVATED])
    case = await open_and_triage(driver)
    met = unmerited.model_copy(update={"public_interest": True})
    with pytest.raises(Refused, match=r"politically-motivated is the public interest test not met"):
        await case.act("assess", political.model_copy(update={"tests": met}))
    not_member = _assess(AssessmentOutcome.NO_ACTION, unmerited, grounds=[NoActionGround.NOT_AS_MEMBER])
    with pytest.raises(Refused, match="not-as-member is the initial test code-engaged not met: add --test-failed"):
        await case.act("assess", not_member)
    assert (await case.act("assess", political)).stage == Stage.CLOSED
    for message in _mail(case, "decision_no_action").values():
        body = _text(message)
        assert "- the complaint appears to be politically motivated" in body
        assert "malicious" not in body.lower() and "malicious" not in _html(message).lower()
        assert "- The public interest test is not met: A dispute between rival candidates." in body
    assert (await case.status()).outcome is Outcome.NO_ACTION

    malicious = await _another(driver, "WBC-2029-0002")
    await malicious.act(
        "assess",
        _assess(AssessmentOutcome.NO_ACTION, unmerited, grounds=[NoActionGround.MALICIOUS, NoActionGround.TIT_FOR_TAT]),
    )
    body = _text(_mail(malicious, "decision_no_action")["complainant"])
    assert "- the complaint appears to be malicious" in body and "- the complaint appears to be tit-for-tat" in body

    # Four grounds where there was one; no title but malicious's says malicious, and no template does.
    titles = {g: GROUND_TITLES[g] for g in GROUND_TITLES}
    assert [g for g, t in titles.items() if "malicious" in t] == [NoActionGround.MALICIOUS]
    assert not [p.name for p in TEMPLATES.glob("*.j2") if "malicious" in p.read_text().lower()]
    # A decision recorded before the split ("vexatious" meant all four) decodes and reads as vexatious alone.
    old = Decision.model_validate(
        {"outcome": "no_action", "grounds": ["vexatious"], "reasons": "x", "officer": MO, "at": "2026-01-05T10:00:00Z"}
    )
    assert old.tests is None and GROUND_TITLES[old.grounds[0]] == "the complaint appears to be vexatious"
    assert a.Assess.model_validate({"officer": MO, "outcome": "investigate", "reasons": "x"}).tests is None


# ----------------------------------------------------------------------------- the county association


async def test_association_referral_needs_a_parish_councillor_and_a_returned_case_is_assessed_again(
    driver: CaseDriver,
) -> None:
    public = await open_and_triage(driver, "LPC-2029-0001", intake=factories.parish_intake(complainant_member=None))
    refer = _assess(AssessmentOutcome.REFER, factories.TESTED, reasons="For the association.")
    with pytest.raises(Refused, match="the complainant is not a member of Lancing Parish Council: section 4"):
        await public.act("assess", refer)

    case = await _another(driver, "LPC-2029-0002", intake=factories.parish_intake())
    result = await case.act("assess", refer)
    assert result.stage == Stage.WITH_ASSOCIATION and "association-answer" in result.message
    state = await case.status()
    assert not any(c.running for c in state.clocks.values())  # nothing runs while the association has it
    letters = _mail(case, "decision_referred")
    assert sorted(letters) == ["complainant", "subject_member"]
    body = _text(letters["complainant"])
    assert "If the Association returns the complaint, the Monitoring Officer will assess it again" in body
    assert "- The public interest test is met: A serious allegation, worth taking further." in body
    assert [x.split(" (")[0] for x in state.allowed if x.startswith("association")] == ["association-answer"]

    await driver.travel_to_day(date(2029, 12, 3))
    back = a.RecordAssociationAnswer(officer=MO, outcome="returned", text="Serious enough for the procedure.")
    result = await case.act("association_answer", back)
    assert result.stage == Stage.ASSESSMENT
    state = await case.status()
    clock = state.clocks[ClockName.ASSESSMENT]
    assert clock.running and clock.due == date(2030, 1, 3)  # 20 working days from Mon 3 Dec, past Christmas
    assert state.assessment is None and [d.outcome for d in state.earlier_assessments] == [AssessmentOutcome.REFER]
    assert [(r.body, r.outcome, r.returned) for r in state.referral_answers] == [("association", "returned", True)]
    answer = _mail(case, "association_answer")
    assert sorted(answer) == ["complainant", "subject_member"]
    assert "The complaint therefore comes back into the council's procedure." in _text(answer["subject_member"])
    assert "Serious enough for the procedure." in _text(answer["complainant"])
    assert "association_returned" in _events(state)

    investigate = _assess(AssessmentOutcome.INVESTIGATE, factories.TESTED, reasons="Serious.")
    with pytest.raises(Refused, match="came back for a fresh assessment: consult an Independent Person again"):
        await case.act("assess", investigate)
    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Investigate it."))
    assert (await case.act("assess", investigate)).stage == Stage.INVESTIGATOR_APPOINTMENT
    assert (await case.status()).clocks[ClockName.ASSESSMENT].state is ClockState.MET
    await _replays(driver, case)


# ----------------------------------------------------------------------------- the police


async def test_police_referral_pauses_the_case_until_the_police_answer(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    police = _assess(AssessmentOutcome.POLICE, factories.TESTED, reasons="An undeclared land interest (Table 1).")
    await driver.travel_to_day(date(2029, 11, 7))
    result = await case.act("assess", police)
    assert result.stage == Stage.WITH_POLICE and "police-answer" in result.message
    letters = _mail(case, "decision_police")
    assert sorted(letters) == ["complainant", "monitoring_officer", "subject_member"]
    body = _text(letters["complainant"])
    assert "has referred the matter to the police" in body and "section 34 of the Localism Act 2011" in body
    assert "paragraph 9 of the Code of Conduct" in body and "No time limit of the council's procedure runs" in body
    assert "An undeclared land interest (Table 1)." in body
    assert "conduct police-answer WBC-2029-0001 --outcome" in _text(letters["monitoring_officer"])
    assert "conduct police-answer" not in body

    # Four months with the police: no clock runs, so nothing reminds, lapses or escalates.
    await driver.travel_to_day(date(2030, 3, 4))
    state = await case.status()
    assert state.stage is Stage.WITH_POLICE and not state.overdue
    assert not any(c.running for c in state.clocks.values())
    assert not _mail(case, "clock_escalation") and not _mail(case, "clock_reminder")
    with pytest.raises(Refused, match="assess is not allowed at this stage"):
        await case.act("assess", police)

    answer = a.RecordPoliceAnswer(officer=MO, outcome="no_action", text="The register was corrected in time.")
    result = await case.act("police_answer", answer)
    assert result.stage == Stage.ASSESSMENT and "2030-04-01" in result.message
    state = await case.status()
    assert state.clocks[ClockName.ASSESSMENT].due == date(2030, 4, 1)  # 20 working days from Mon 4 March
    told = _mail(case, "police_answer")
    assert sorted(told) == ["complainant", "monitoring_officer", "subject_member"]
    assert "The police have now answered: the police will take no action." in _text(told["subject_member"])
    assert "will assess it again under the council's procedure" in _text(told["complainant"])
    assert "police_returned" in _events(state)

    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-2", view="Minor now."))
    no_action = _assess(AssessmentOutcome.NO_ACTION, factories.UNMERITED, grounds=[NoActionGround.TRIVIAL])
    assert (await case.act("assess", no_action)).stage == Stage.CLOSED
    state = await case.status()
    assert state.outcome is Outcome.NO_ACTION
    assert [d.outcome for d in state.earlier_assessments] == [AssessmentOutcome.POLICE]
    await _replays(driver, case)


async def test_a_charge_closes_the_case_and_a_subject_not_notified_hears_nothing(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open("WBC-2029-0003")
    await case.act("triage", a.Triage(officer=MO, notify=False, reason="Would alert the member to the police."))
    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="A matter for the police."))
    await case.act("assess", _assess(AssessmentOutcome.POLICE, factories.TESTED, reasons="Possible DPI offence."))
    assert sorted(_mail(case, "decision_police")) == ["complainant", "monitoring_officer"]
    await driver.travel_to_day(date(2030, 1, 14))
    charged = a.RecordPoliceAnswer(officer=MO, outcome="charged", text="Charged under s.34 Localism Act 2011.")
    result = await case.act("police_answer", charged)
    assert result.stage == Stage.CLOSED
    state = await case.status()
    assert state.outcome is Outcome.REFERRED and state.closed_at is not None
    told = _mail(case, "police_answer")
    assert sorted(told) == ["complainant", "monitoring_officer"]
    assert "the complaint under the Code of Conduct is now closed" in _text(told["complainant"])
    assert "police_answered" in _events(state)
    await case.handle.result()


# ----------------------------------------------------------------------------- R9 attendance


async def test_hearing_records_attendance_in_the_letter_and_the_notice(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    await refer_and_investigate(driver, case)
    await driver.travel_to_day(date(2030, 1, 7))
    await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach of respect."))
    panel = panel_for("worthing", {factories.intake().subject_members[0]})
    hearing = a.ScheduleHearing(officer=DEM, date=date(2030, 2, 20), panel=panel, ip="ip-3", starts_at=time(10))
    await case.act("schedule_hearing", hearing)
    await driver.travel_to_day(date(2030, 2, 20), hour=16)
    outcome = dict(
        officer=DEM, finding=Finding.BREACH, sanctions=[Sanction.FORMAL_LETTER], reasons="Disrespect.",
        breached=[Provision.RESPECT], ip_view="A breach.",
    )  # fmt: skip
    with pytest.raises(Refused, match=r"record whether the subject member attended the hearing \(--attended"):
        await case.act("hearing_outcome", a.RecordHearingOutcome(**outcome))
    with pytest.raises(Refused, match="record that the panel proceeded in their absence"):
        await case.act("hearing_outcome", a.RecordHearingOutcome(**outcome, attended=False))
    with pytest.raises(ValidationError, match="proceeding in the subject member's absence needs --attended no"):
        a.RecordHearingOutcome(**outcome, attended=True, proceeded_in_absence=True, absence_reason="x")
    reason = "The member gave no reason for not attending and had been given proper notice."
    absent = a.RecordHearingOutcome(**outcome, attended=False, proceeded_in_absence=True, absence_reason=reason)
    await case.act("hearing_outcome", absent)
    state = await case.status()
    assert state.hearing_outcome is not None and state.hearing_outcome.attended is False
    assert "proceeded_in_absence" in _events(state)
    await case.act("issue_notice", a.IssueNotice(officer=MO))
    letters = _mail(case, "decision_notice")
    expected = (
        "The councillor did not attend the hearing. The Sub-Committee decided to proceed in the councillor's absence"
    )
    for role in ("complainant", "subject_member"):
        body = _text(letters[role])
        assert expected in " ".join(body.split()) and reason in body
    state = await case.status()
    assert state.notice is not None and reason in state.notice.content.attendance
    assert reason in pub.as_text(pub.view(state.notice))  # the public notice's draft says so too


# ----------------------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("assess", "WBC-2029-0001", "--outcome", "investigate", "--text", "x"), "record the initial tests"),
        (("assess", "WBC-2029-0001", "--outcome", "police", "--text", "x", "--tests-met", "--test-failed",
          "identified", "--public-interest", "met", "--public-interest-reason", "x"), "give --tests-met, or"),
        (("assess", "WBC-2029-0001", "--outcome", "police", "--text", "x", "--tests-met", "--public-interest", "met"),
         "--public-interest-reason"),
        (("assess", "WBC-2029-0001", "--outcome", "refer", "--text", "x", "--tests-met", "--public-interest",
          "maybe", "--public-interest-reason", "x"), "maybe"),
        (("police-answer", "WBC-2029-0001", "--outcome", "arrested", "--text", "x"), "arrested"),
        (("association-answer", "WBC-2029-0001", "--outcome", "ignored", "--text", "x"), "ignored"),
        (("hearing-outcome", "WBC-2029-0001", "--no-breach", "--ip-view", "x", "--text", "x"), "--attended yes|no"),
        (("hearing-outcome", "WBC-2029-0001", "--no-breach", "--ip-view", "x", "--text", "x", "--attended", "no"),
         "give --proceeded-in-absence --reason TEXT, or adjourn"),
        (("hearing-outcome", "WBC-2029-0001", "--no-breach", "--ip-view", "x", "--text", "x", "--attended", "yes",
          "--proceeded-in-absence"), "go with --attended no"),
    ],
)  # fmt: skip
def test_the_commands_say_what_is_missing(args: tuple[str, ...], message: str) -> None:
    """Bad usage exits 2 with a plain reason, before anything is sent (no Temporal needed)."""
    from typer.testing import CliRunner

    from starter.cli import app

    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    flat = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and message in flat, (result.exit_code, result.output)
    assert "Traceback" not in result.output
