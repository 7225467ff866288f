"""Confidentiality is a decision, and it is kept everywhere (issue 13; R1, R18, DESIGN "Who sees
what"): the MO decides a request for confidentiality; a refused complainant may withdraw before
anything naming them is sent; a subject member not told of the complaint hears nothing of it; group
counts include notified cases only; an officer's text naming a confidential complainant is refused
before it reaches the subject member, the Group Leader or the panel; democratic services never
learn a confidential complainant's identity."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from conduct import actions as a
from conduct import audit, reports
from conduct.register import make_engine
from conduct.vocabulary import AssessmentOutcome, ClockName, ClockState, Finding, NoActionGround, Stage
from tests import factories
from tests.cli_on_test_server import cli_on
from tests.harness import Case, CaseDriver, Refused
from tests.steps import DEM, IO, MO, RECEIVED, open_and_triage, refer_and_investigate

NAME = factories.COMPLAINANT_NAME  # "Harriet Lomax"
SUBJECT = "desmond.achterberg@worthing.example"
LEADER = "catherine.pryce@worthing.example"
DEM_EMAIL = "helen.mayhew@adur-worthing.example"


def confidential(**overrides: object) -> dict[str, object]:
    return {"intake": factories.intake(confidential=True, confidentiality_reason="I fear reprisals.", **overrides)}


def body(message) -> str:  # noqa: ANN001
    return message.get_body(preferencelist=("plain",)).get_content()


def mail(case: Case, template: str, to: str) -> list[str]:
    """The plain bodies of the letters of `template` sent to `to`."""
    return [
        body(m)
        for m in case.outbox()
        if f"-{template}/" in str(m["X-Conduct-Idempotency-Key"]) and m["To"].addresses[0].addr_spec == to
    ]


def events(state, name: str) -> list[str]:  # noqa: ANN001
    return [t.summary for t in state.timeline if t.event == name]


# ----------------------------------------------------------------------------- R18: the decision


async def test_refused_confidentiality_holds_the_subjects_notice_until_the_complainant_may_no_longer_withdraw(
    driver: CaseDriver,
) -> None:
    await driver.travel_to_day(RECEIVED)  # Monday 5 November 2029
    case = await driver.open(**confidential())
    result = await case.act("confidentiality", a.Confidentiality(officer=MO, grant=False, reason="Needed to answer."))
    assert "2029-11-19" in result.message  # 10 working days
    state = await case.status()
    assert state.confidentiality is not None and state.confidentiality.withdraw_by == date(2029, 11, 19)
    assert state.clocks[ClockName.CONFIDENTIALITY].due == date(2029, 11, 19)
    [refusal] = mail(case, "confidentiality_refused", "harriet.lomax@example.org")
    assert "will be shared" in refusal and "Monday 19 November 2029" in refusal and "withdraw" in refusal
    assert "Needed to answer." in refusal

    held = await case.act("triage", a.Triage(officer=MO, notify=True))
    assert "held until 2029-11-19" in held.message
    state = await case.status()
    assert (state.stage, state.subject_notified, state.notice_held) == (Stage.ASSESSMENT, False, True)
    assert await case.letters("subject_notified") == []
    with pytest.raises(Refused, match="already given; it is held"):
        await case.act("triage", a.Triage(officer=MO, notify=True))

    await driver.travel_to_day(date(2029, 11, 19), hour=23)
    await case.settle()
    assert await case.letters("subject_notified") == []  # the last day to withdraw is not over
    await driver.travel_to_day(date(2029, 11, 20), hour=9)
    await case.settle()
    state = await case.status()
    assert (state.subject_notified, state.notice_held) == (True, False)
    assert state.clocks[ClockName.CONFIDENTIALITY].state is ClockState.MET
    assert events(state, "confidentiality_window_ended") == [
        "time to withdraw ended; the complainant's identity may go out"
    ]
    [notice] = mail(case, "subject_notified", SUBJECT)
    assert NAME in notice  # refused and not withdrawn: the identity may now be shared
    assert mail(case, "group_leader_informed", LEADER)


async def test_a_complainant_who_withdraws_in_time_is_never_named_and_the_subject_never_told(
    driver: CaseDriver,
) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open(**confidential())
    await case.act("confidentiality", a.Confidentiality(officer=MO, grant=False, reason="Needed to answer."))
    await case.act("triage", a.Triage(officer=MO, notify=True))
    await driver.travel_to_day(date(2029, 11, 14))
    await case.act("withdraw", a.Withdraw(officer=MO, text="I would rather withdraw than be named."))
    await driver.travel_to_day(date(2029, 11, 21))
    await case.settle()
    state = await case.status()
    assert state.confidentiality is not None and state.confidentiality.withdrew_in_window
    assert state.notice_held and not state.subject_notified
    await case.act("withdrawal_decision", a.WithdrawalDecision(officer=MO, stop=True, ip="ip-1", view="Fine."))
    await case.settle()
    state = await case.status()
    assert state.stage is Stage.CLOSED
    assert [m for m in case.outbox() if m["To"].addresses[0].addr_spec in (SUBJECT, LEADER)] == []
    assert "withdrawal_decision not sent to the subject member: not notified" in events(state, "letter_withheld")


async def test_granted_confidentiality_is_told_and_decided_once(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open(**confidential())
    await case.act("confidentiality", a.Confidentiality(officer="deputy", grant=True, reason="Real risk."))
    [granted] = mail(case, "confidentiality_granted", "harriet.lomax@example.org")
    assert "has agreed" in granted and "Real risk." in granted
    with pytest.raises(Refused, match="confidentiality was already granted"):
        await case.act("confidentiality", a.Confidentiality(officer=MO, grant=False, reason="Changed my mind."))
    await case.act("triage", a.Triage(officer=MO, notify=True))
    [notice] = mail(case, "subject_notified", SUBJECT)
    assert NAME not in notice
    history = await case.history_events()
    updates = [e for e in history if e.HasField("workflow_execution_update_accepted_event_attributes")]
    assert any(u.workflow_execution_update_accepted_event_attributes.accepted_request.input.name ==
               "confidentiality" for u in updates)  # fmt: skip


async def test_only_a_request_for_confidentiality_is_decided(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open()
    with pytest.raises(Refused, match="did not ask for confidentiality"):
        await case.act("confidentiality", a.Confidentiality(officer=MO, grant=True, reason="x"))


# ----------------------------------------------------------------------------- R1: withheld notice


async def test_withdrawal_after_withheld_notice_sends_the_subject_nothing(driver: CaseDriver) -> None:
    """Reproduction (issue 13): notice withheld, then a withdrawal sent the subject member "The
    complainant has asked to withdraw the complaint about you", their first news of it."""
    await driver.travel_to_day(RECEIVED)
    case = await driver.open()
    await case.act("triage", a.Triage(officer=MO, notify=False, reason="Police enquiries."))
    await case.act("withdraw", a.Withdraw(officer=MO, text="Please stop."))
    await case.act("withdrawal_decision", a.WithdrawalDecision(officer=MO, stop=True, ip="ip-1", view="Fine."))
    await case.settle()
    assert (await case.status()).stage is Stage.CLOSED
    assert mail(case, "withdrawal_decision", SUBJECT) == []
    assert not any("asked to withdraw the complaint about you" in body(m) for m in case.outbox())
    assert mail(case, "withdrawal_decision", "harriet.lomax@example.org")


async def test_withheld_notice_keeps_decisions_from_the_subject_until_triage_notify_tells_them(
    driver: CaseDriver,
) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open()
    await case.act("triage", a.Triage(officer=MO, notify=False, reason="Police enquiries."))
    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Informal."))
    informal = a.Assess(
        officer=MO,
        outcome=AssessmentOutcome.INFORMAL,
        actions=["training"],
        reasons="Training.",
        tests=factories.TESTED,
    )
    await case.act("assess", informal)
    assert mail(case, "decision_informal", SUBJECT) == []
    assert mail(case, "group_leader_informed", LEADER) == []  # the Group Leader would tell them
    assert mail(case, "decision_informal", "harriet.lomax@example.org")
    with pytest.raises(Refused, match="already withheld; to tell them now, use triage --notify"):
        await case.act("triage", a.Triage(officer=MO, notify=False, reason="Still."))

    await driver.travel_to_day(date(2029, 11, 20))
    told = await case.act("triage", a.Triage(officer=MO, notify=True))  # at stage informal_resolution
    assert told.stage == Stage.INFORMAL_RESOLUTION.value and "notified" in told.message
    assert mail(case, "subject_notified", SUBJECT) and mail(case, "group_leader_informed", LEADER)
    await case.act("informal_outcome", a.InformalOutcome(officer=MO, resolved=True, text="Training done."))
    assert mail(case, "informal_outcome", SUBJECT)
    state = await case.status()
    assert state.subject_notified is True
    assert [t.stage for t in state.timeline if t.event == "subject_notified"] == [Stage.INFORMAL_RESOLUTION]


# ----------------------------------------------------------------------------- counts by group


async def test_counts_by_group_include_a_case_only_once_its_subject_is_notified(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    notified = await driver.open("WBC-2029-0001")
    await notified.act("triage", a.Triage(officer=MO, notify=True))
    withheld = await driver.open("WBC-2029-0002")
    await withheld.act("triage", a.Triage(officer=MO, notify=False, reason="Prejudice."))
    await driver.open("WBC-2029-0003")  # untriaged

    def labour() -> int:
        engine = make_engine(driver.settings.resolved_database_url)
        try:
            with Session(engine) as s:
                stats = reports.group_statistics(reports.load_cases(s))
        finally:
            engine.dispose()
        return sum(g.complaints for g in stats if (g.council, g.group) == ("worthing", "Labour"))

    assert labour() == 1
    await withheld.act("triage", a.Triage(officer=MO, notify=True))
    assert labour() == 2


# ----------------------------------------------------------------------------- officers' words


async def test_a_text_naming_a_confidential_complainant_is_refused_for_the_subject_unless_reviewed(
    driver: CaseDriver,
) -> None:
    case = await open_and_triage(driver, **confidential())
    naming = a.Assess(
        officer=MO, outcome=AssessmentOutcome.NO_ACTION, grounds=[NoActionGround.TRIVIAL],
        reasons="Ms Lomax (01903 000000) was not shouted at.", tests=factories.UNMERITED,
    )  # fmt: skip
    with pytest.raises(Refused) as refused:
        await case.act("assess", naming)
    reason = str(refused.value)
    assert "the reasons holds the complainant's name" in reason and "complainant's phone" in reason
    assert "(subject member)" in reason
    assert "--reviewed" in reason and "stage assessment" in reason
    assert (await case.status()).assessment is None
    await case.act("assess", naming.model_copy(update={"reviewed": True, "note": "Checked with legal."}))
    state = await case.status()
    assert state.stage is Stage.CLOSED
    assert [n.text for n in state.notes] == ["Checked with legal."]
    assert not any("Checked with legal." in body(m) for m in case.outbox())


async def test_the_refusal_of_a_text_naming_a_confidential_complainant_does_not_quote_it(driver: CaseDriver) -> None:
    """Reproduction (R18): the refusal quoted the name, e-mail and phone it found; it goes into the
    update's failure, the history of a re-check and the audit log. It says where and what, not the text."""
    case = await open_and_triage(driver, **confidential())
    naming = a.Assess(
        officer=MO, outcome=AssessmentOutcome.NO_ACTION, grounds=[NoActionGround.TRIVIAL],
        reasons="Harriet Lomax (harriet.lomax@example.org, 01903-000-000) was not shouted at.",
        tests=factories.UNMERITED,
    )  # fmt: skip
    with pytest.raises(Refused) as refused:
        await case.act("assess", naming)
    reason = str(refused.value)
    for detail in ("Harriet", "Lomax", "harriet.lomax", "01903", "000-000"):
        assert detail.lower() not in reason.lower(), reason
    for what in ("name", "e-mail", "phone"):
        assert f"the reasons holds the complainant's {what} (subject member)" in reason
    assert reason.count("complainant's name") == 1  # the whole name and its parts: one place, said once
    assert "--reviewed" in reason and "confidential (R18)" in reason


async def test_a_one_off_letter_naming_a_confidential_complainant_is_refused_for_the_subject(
    driver: CaseDriver,
) -> None:
    """Reproduction (R18): `conduct letter --to subject` sent its text unchecked, so an officer's
    one-off letter could tell the subject member who complained. Its reader is the party."""
    from conduct.record import LetterParty
    from conduct.record_actions import SendLetter

    case = await open_and_triage(driver, **confidential())
    text = "Ms Lomax has asked that you do not contact her about this."
    with pytest.raises(Refused) as refused:
        await case.act("letter", SendLetter(officer=MO, to=LetterParty.SUBJECT, text=text))
    reason = str(refused.value)
    assert "the text holds the complainant's name (subject member)" in reason and "--reviewed" in reason
    assert "Lomax" not in reason
    with pytest.raises(Refused, match="complainant's name \\(Group Leader\\)"):
        await case.act("letter", SendLetter(officer=MO, to=LetterParty.GROUP_LEADER, text=text))
    await case.act("letter", SendLetter(officer=MO, to=LetterParty.COMPLAINANT, text=text))  # their own name
    await case.settle()
    assert await case.letters("correspondence") == [("correspondence", "complainant")]
    await case.act("letter", SendLetter(officer=MO, to=LetterParty.SUBJECT, text=text, reviewed=True))
    await case.settle()
    assert any(text in b for b in mail(case, "correspondence", SUBJECT))


async def test_a_text_naming_a_complainant_who_is_not_confidential_goes_out(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    reasons = "Ms Lomax was not shouted at."
    await case.act(
        "assess",
        a.Assess(
            officer=MO,
            outcome=AssessmentOutcome.NO_ACTION,
            grounds=["trivial"],
            reasons=reasons,
            tests=factories.UNMERITED,
        ),
    )
    assert any(reasons in text for text in mail(case, "decision_no_action", SUBJECT))


async def test_the_officer_sees_what_named_the_complainant_and_the_audit_log_does_not(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Reproduction (R18): `perform` wrote the workflow's refusal, quoting the name, e-mail and phone
    it found, into DATA_DIR/audit.log. The command shows them to the officer who sent them; the log
    says where and what only."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    async with cli_on(env, data_dir, "confidential") as conduct:
        ref = await conduct.open_case(confidential=True, confidentiality_reason="I fear reprisals.")
        await conduct.ok("triage", ref, "--notify")
        await conduct.ok("consult-ip", ref, "--ip", "ip-1", "--text", "No action.")
        text = "Harriet Lomax (harriet.lomax@example.org, 01903 000000) was not shouted at."
        assess = ("assess", ref, "--outcome", "no-action", "--ground", "trivial", "--text", text, "--tests-met",
                  "--public-interest", "not-met", "--public-interest-reason", "Too minor.")  # fmt: skip
        refused = await conduct.run(*assess)
        assert refused.exit_code == 3, refused.output
        logged = (data_dir / audit.AUDIT_FILE).read_text()
        for detail in ("Harriet", "Lomax", "harriet.lomax", "01903"):
            assert detail not in logged
        [line] = [x for x in audit.read(data_dir) if x.case == ref and x.action == "assess"]
        assert line.result == "refused" and "the reasons holds the complainant's e-mail (subject member)" in line.reason
        shown = " ".join(refused.output.split())
        assert 'the reasons holds the complainant\'s name "Harriet Lomax", "Harriet", "Lomax" (subject member)' in shown
        assert '"harriet.lomax@example.org"' in shown and '"01903 000000"' in shown and "--reviewed" in shown
        reviewed = await conduct.ok(*assess, "--reviewed")
        assert "closed" in reviewed.output


def test_help_says_where_the_text_goes() -> None:
    from starter.actions_cli import app

    def page(command: str) -> str:
        """The --help page's words, without the box drawing and wrapping."""
        shown = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
        return " ".join(shown.replace("│", " ").split())

    assess = page("assess")
    assert "goes to: complainant, subject member" in assess and "--reviewed" in assess and "--note" in assess
    outcome = page("hearing-outcome")
    assert "goes to: complainant, subject member, Investigating Officer, Group Leader, parish clerk" in outcome
    decide = page("confidentiality")
    assert "--grant" in decide and "--refuse" in decide and "goes to: complainant" in decide


def test_the_confirmation_names_the_recipients(capsys: pytest.CaptureFixture[str]) -> None:
    from starter.actions_cli import _told

    _told("final_report", ("--text", "text", "Breach."), ("--note", "note", "Internal."), ("--further-breach",
          "further_breach", ""))  # fmt: skip
    printed = capsys.readouterr().out
    assert "--text: goes to: Monitoring Officer, complainant, subject member, democratic services" in printed
    assert "--note: an internal note on the case: goes to nobody, never in a letter" in printed
    assert "--further-breach" not in printed


# ----------------------------------------------------------------------------- democratic services


async def test_the_referral_to_democratic_services_does_not_name_a_confidential_complainant(
    driver: CaseDriver,
) -> None:
    """Reproduction (issue 13): the `referred_to_hearing` letter to democratic services named them."""
    case = await open_and_triage(driver, **confidential())
    await refer_and_investigate(driver, case)
    await driver.travel_to_day(date(2030, 1, 7))
    await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach of respect."))
    [referral] = mail(case, "referred_to_hearing", DEM_EMAIL)
    assert NAME not in referral and "harriet.lomax" not in referral
    [to_complainant] = mail(case, "referred_to_hearing", "harriet.lomax@example.org")
    assert "Breach of respect." in to_complainant
    assert DEM  # democratic services act on the case from here
