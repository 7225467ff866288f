"""Issue 14, section 7's fairness and section 3's information requests, driven on the
time-skipping server: the draft and final reports reach the parties with their documents and the
closing date, `extend`, late comments, further breaches, information chased and a case closed for
want of it, and a lapse that stays in the record. Dates are worked out by hand in the comments."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from activities.mail import MailAttachment, SendGridBackend, build_message
from conduct import actions as a
from conduct import register, reports
from conduct.codec import new_key_spec
from conduct.document_store import DocumentStore
from conduct.settings import Settings
from conduct.vocabulary import AssessmentOutcome, ClockName, ClockState, Finding, NoActionGround, Party, Stage
from tests.harness import Case, CaseDriver, Refused
from tests.steps import IO, MO, RECEIVED, open_and_triage
from tests.test_mail_backends import mail

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def settings(tmp_path: Path, settings: Settings) -> Settings:
    """The usual test settings with an encryption key: documents are never kept in clear."""
    return settings.model_copy(update={"encryption_keys": new_key_spec("test-documents")})


def _letters(case: Case, template: str) -> dict[str, object]:
    """The outbox's messages of `template`, by the recipient's role (from the idempotency key)."""
    found = {}
    for m in case.outbox():
        key = m["X-Conduct-Idempotency-Key"]
        if f"-{template}/" in key:
            found[key.split("/")[2]] = m
    return found


def _attachments(message: object) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}  # type: ignore[attr-defined]


def _body(message: object) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]


async def _to_investigation(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await case.act(
        "assess",
        a.Assess(
            officer=MO,
            outcome=AssessmentOutcome.INVESTIGATE,
            reasons="Serious.",
            tests={"public_interest": True, "public_interest_reason": "x"},
        ),
    )
    await driver.travel_to_day(date(2029, 11, 12))
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    return case


async def test_reports_reach_the_parties_with_their_documents_closing_date_extension_and_late_comment(
    driver: CaseDriver,
) -> None:
    case = await _to_investigation(driver)
    store = DocumentStore(driver.settings)
    statement, _ = store.put(case.reference, "witness-statement.pdf", PDF)
    sealed = store.path(case.reference, statement.id).read_bytes()
    assert PDF not in sealed and b"%PDF" not in sealed  # encrypted at rest

    # R7: further breaches can be reported at any time during the investigation, before the draft.
    await driver.travel_to_day(date(2029, 12, 3))
    with pytest.raises(Refused, match="io-2 is not the Investigating Officer"):
        await case.act("further_breach", a.ReportFurtherBreach(officer="io-2", text="x"))
    await case.act("further_breach", a.ReportFurtherBreach(officer=IO, text="The member also misused a council car."))
    breach = _letters(case, "further_breach")
    assert list(breach) == ["monitoring_officer"]
    assert "misused a council car" in _body(breach["monitoring_officer"])

    # Mon 17 Dec 2029: the draft. Comment period 14 days: Mon 31 Dec 2029, in the letter as a date.
    await driver.travel_to_day(date(2029, 12, 17))
    draft = a.DraftReport(officer=IO, text="Draft: the councillor shouted at the objector.", documents=[statement])
    await case.act("draft_report", draft)
    state = await case.status()
    assert (state.stage, state.clocks[ClockName.COMMENT_PERIOD].due) == (Stage.COMMENTS, date(2029, 12, 31))
    letters = _letters(case, "draft_report")
    assert sorted(letters) == ["complainant", "monitoring_officer", "subject_member"]
    for message in letters.values():
        attached = _attachments(message)
        assert attached["witness-statement.pdf"] == PDF
        assert b"shouted at the objector" in attached[f"{case.reference}-draft-report.txt"]
        assert "shouted at the objector" in _body(message)
    assert "please send any comments by Monday 31 December 2029" in _body(letters["complainant"])
    assert "- witness-statement.pdf" in _body(letters["subject_member"])

    # The MO extends the comment period (Christmas), with a reason; the assessment clock is never extended.
    with pytest.raises(Refused, match="the assessment clock is not extended"):
        await case.act(
            "extend", a.ExtendClock(officer=MO, clock=ClockName.ASSESSMENT, until=date(2030, 1, 7), reason="x")
        )
    await case.act(
        "extend", a.ExtendClock(officer=MO, clock=ClockName.COMMENT_PERIOD, until=date(2030, 1, 7), reason="Christmas")
    )
    clock = (await case.status()).clocks[ClockName.COMMENT_PERIOD]
    assert (clock.due, clock.extensions[0].previous_due, clock.extensions[0].reason) == (
        date(2030, 1, 7), date(2029, 12, 31), "Christmas",
    )  # fmt: skip
    await case.act("comment", a.RecordComment(officer=MO, party=Party.SUBJECT, declined=True))

    # The period closes at the start of Tue 8 Jan 2030; a comment on Wed 9 Jan is recorded, marked late.
    await driver.travel_to_day(date(2030, 1, 9))
    state = await case.status()
    assert (state.stage, state.clocks[ClockName.COMMENT_PERIOD].state) == (Stage.INVESTIGATION, ClockState.MET)
    await case.act("comment", a.RecordComment(officer=MO, party=Party.COMPLAINANT, text="He did shout."))
    state = await case.status()
    assert [(c.party, c.late) for c in state.comments] == [(Party.SUBJECT, False), (Party.COMPLAINANT, True)]
    assert "complainant commented on the draft report (late)" in [t.summary for t in state.timeline]

    # The final report considers every comment by default, and goes to the MO and both parties.
    await driver.travel_to_day(date(2030, 1, 10))
    with pytest.raises(Refused, match="no comments from the"):
        await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.NO_BREACH, text="x",
                                                     considered=[Party.COMPLAINANT, Party.SUBJECT]))  # fmt: skip
    final = a.FinalReport(officer=IO, finding=Finding.NO_BREACH, text="Final: no breach.", documents=[statement])
    await case.act("final_report", final)
    state = await case.status()
    assert state.final_report is not None and state.final_report.considered == [Party.COMPLAINANT]
    assert state.stage is Stage.CLOSED
    letters = _letters(case, "final_report")
    assert sorted(letters) == ["complainant", "monitoring_officer", "subject_member"]
    body = _body(letters["complainant"])
    assert (
        "the comments of the complainant, received Wednesday 9 January 2030 (received after the comment period closed)"
        in body
    )
    assert "councillor complained about" not in body  # they declined: nothing to consider
    assert _attachments(letters["monitoring_officer"])["witness-statement.pdf"] == PDF
    assert "final_report_no_breach" in {t for t, _ in await case.letters()}


async def test_a_lapse_stays_in_the_record_after_a_request_for_information(driver: CaseDriver) -> None:
    """Reproduction: the assessment clock lapsed (due Mon 3 Dec 2029), then the MO asked for
    information; info-received started the clock afresh and the lapse vanished from the case and
    from the review's statistics."""
    case = await open_and_triage(driver)
    await driver.travel_to_day(date(2029, 12, 5))
    assert (await case.status()).clocks[ClockName.ASSESSMENT].state is ClockState.LAPSED
    await case.act("request_info", a.RequestInformation(officer=MO, text="Please send the email."))
    await driver.travel_to_day(date(2029, 12, 12))
    # --on dates the restart: received Mon 10 Dec; + 20 working days across Christmas: Thu 10 Jan 2030.
    await case.act("info_received", a.InformationReceived(officer=MO, on=date(2029, 12, 10)))
    clock = (await case.status()).clocks[ClockName.ASSESSMENT]
    assert (clock.state, clock.due, clock.lapsed_before) == (ClockState.PENDING, date(2030, 1, 10), [date(2029, 12, 3)])
    await case.settle()
    engine = register.make_engine(driver.settings.resolved_database_url, keys=driver.settings.resolved_encryption_keys)
    with Session(engine) as session:
        review = reports.review(reports.load_cases(session), date(2029, 12, 12))
    line = next(x for x in review.lines if x.clock is ClockName.ASSESSMENT)
    assert (line.state, line.lapsed_before) == (ClockState.PENDING, [date(2029, 12, 3)])
    assert review.totals.lapsed_earlier == 1
    engine.dispose()


async def test_information_is_chased_and_a_case_without_it_can_be_closed(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open()
    # Asked for before triage: triage can still be taken meanwhile, and the case keeps waiting.
    await case.act("request_info", a.RequestInformation(officer=MO, text="The date of the meeting, please."))
    no_action = a.Assess(officer=MO, outcome=AssessmentOutcome.NO_ACTION,
                         grounds=[NoActionGround.INSUFFICIENT_INFORMATION], reasons="Nothing came.",
                         tests={"public_interest": False, "public_interest_reason": "x"})  # fmt: skip
    with pytest.raises(Refused, match="triage the complaint first"):
        await case.act("assess", no_action)
    await case.act("triage", a.Triage(officer=MO, notify=True))
    assert (await case.status()).stage is Stage.AWAITING_INFORMATION

    # Chased once after 14 days: Mon 5 Nov + 14 = Mon 19 Nov 2029.
    await driver.travel_to_day(date(2029, 11, 18))
    assert await case.letters("information_chaser") == []
    await driver.travel_to_day(date(2029, 11, 20))
    assert await case.letters("information_chaser") == [("information_chaser", "complainant")]
    chaser = _letters(case, "information_chaser")["complainant"]
    assert "The date of the meeting, please." in _body(chaser)
    assert "we are still waiting for the information" in chaser["Subject"]

    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Close it."))
    with pytest.raises(Refused, match="insufficient-information"):
        await case.act("assess", a.Assess(officer=MO, outcome=AssessmentOutcome.NO_ACTION,
                                          grounds=[NoActionGround.TRIVIAL], reasons="x",
                                          tests={"public_interest": False, "public_interest_reason": "x"}))  # fmt: skip
    await driver.travel_to_day(date(2029, 12, 10))
    await case.act("assess", no_action)
    state = await case.status()
    assert (state.stage, state.outcome.value if state.outcome else None) == (Stage.CLOSED, "no_action")
    assert state.clocks[ClockName.ASSESSMENT].state is ClockState.STOPPED
    assert sorted(r for t, r in await case.letters() if t == "decision_no_action") == ["complainant", "subject_member"]
    body = _body(_letters(case, "decision_no_action")["complainant"])
    assert "the information asked for, needed to assess the complaint, was not provided" in body
    assert await case.letters("information_chaser") == [("information_chaser", "complainant")]


async def test_only_the_assessment_clock_stops(driver: CaseDriver) -> None:
    case = await _to_investigation(driver)
    with pytest.raises(Refused, match="give the investigation clock more time with extend"):
        await case.act("stop_clock", a.StopClock(officer=MO, reason="IO on leave."))
    state = await case.status()
    assert not any(x.startswith("stop-clock") for x in state.allowed)
    assert any(x.startswith("extend") for x in state.allowed)


def test_smtp_and_sendgrid_messages_carry_the_documents() -> None:
    document = MailAttachment(name="statement.pdf", content_type="application/pdf", data=PDF)
    message = mail(attachment_text="Draft", attachment_name="WBC-2026-0001-draft-report.txt", attachments=[document])
    parts = {p.get_filename(): p for p in build_message(message).iter_attachments()}
    assert parts["statement.pdf"].get_content_type() == "application/pdf"
    assert parts["statement.pdf"].get_payload(decode=True) == PDF
    assert parts["WBC-2026-0001-draft-report.txt"].get_content().strip() == "Draft"
    payload = SendGridBackend("SG.test-key").payload(message)
    names = {x["filename"]: x for x in payload["attachments"]}
    assert names["statement.pdf"]["type"] == "application/pdf"
    assert set(names) == {"statement.pdf", "WBC-2026-0001-draft-report.txt"}
