"""Issue 16, "Keeping the record": internal notes and delay reasons, one-off letters, unlinking
(R14), driven on the time-skipping server; letters checked in the outbox, the history read back
from Temporal, and the register's review."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from conduct import access, reports
from conduct import actions as a
from conduct.record import LetterParty
from conduct.record_actions import AddNote, SendLetter, Unlink
from conduct.register import make_engine
from conduct.vocabulary import ClockName, ClockState
from starter import correspondence
from starter.case_view import case_json
from starter.timeline import timeline_of
from tests import factories
from tests.harness import Case, CaseDriver, Refused
from tests.steps import DEM, IO, MO, RECEIVED, open_and_triage

NOTE = "Spoke to the objector's daughter, Ms Zephyrine Quill; she saw the exchange from the gallery."


def _bodies(case: Case) -> list[str]:
    return [m.get_body(preferencelist=("plain",)).get_content() for m in case.outbox()]


async def _history(case: Case) -> list:  # noqa: ANN202
    return await timeline_of(await case.handle.fetch_history(), case.driver.client.data_converter)


async def test_a_note_is_on_the_case_and_in_the_history_and_never_sent(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    letters_before = len(case.outbox())
    result = await case.act("note", AddNote(officer=MO, text=NOTE))
    assert result.message == "note added (internal: never sent)"
    await case.settle()

    state = await case.status()
    assert [(n.officer, n.text) for n in state.notes] == [(MO, NOTE)]
    assert state.timeline[-1].event == "note" and NOTE not in state.timeline[-1].summary
    assert len(case.outbox()) == letters_before  # nothing was sent
    assert not any("Zephyrine" in body for body in _bodies(case))
    notes = [e for e in await _history(case) if e.kind == "action" and e.name == "note"]
    assert [(e.officer, e.substance, e.papers) for e in notes] == [(MO, "internal note", NOTE)]

    # Readable only by those who may read the papers: democratic services see that there is a
    # note, not what it says; an IO not appointed to the case is refused the case.
    roster = factories.roster()
    dem = access.read_access(roster.officer(DEM), state)
    shown = case_json(state, roster, access=dem)["correspondence"]
    note = next(e for e in shown if e["kind"] == "note")
    assert note["text"] is None and "withheld" in note and "Zephyrine" not in str(shown)
    assert access.read_access(roster.officer("io-2"), state).refused is not None
    mine = case_json(state, roster, access=access.read_access(roster.officer(MO), state))["correspondence"]
    assert [e["text"] for e in mine if e["kind"] == "note"] == [NOTE]

    # Democratic services may not write one (the workflow refuses a client that asks).
    with pytest.raises(Refused, match="cannot note"):
        await case.act("note", AddNote(officer=DEM, text="A note."))


async def test_a_delay_reason_explains_a_lapsed_clock_beside_it_in_the_review(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    with pytest.raises(Refused, match="no clock is lapsed"):
        await case.act("note", AddNote(officer=MO, delay_reason="Awaiting the clerk's minutes."))

    due = (await case.status()).clocks[ClockName.ASSESSMENT].due
    await driver.travel_to_day(date(2029, 12, 10))  # past the 20 working days
    await case.settle()
    state = await case.status()
    assert state.clocks[ClockName.ASSESSMENT].state is ClockState.LAPSED and due < date(2029, 12, 10)
    escalation = [b for b in _bodies(case) if "record the reason for the delay on the case" in b]
    assert escalation  # the escalation letter asks for what this makes possible

    with pytest.raises(Refused, match="has not lapsed"):
        await case.act("note", AddNote(officer=MO, delay_reason="x", clock=ClockName.HEARING))
    result = await case.act("note", AddNote(officer=MO, delay_reason="Awaiting the clerk's minutes."))
    assert result.message == "reason for the delay of the assessment clock recorded"
    await case.settle()

    state = await case.status()
    assert [(n.clock, n.delay_reason) for n in state.notes] == [(ClockName.ASSESSMENT, "Awaiting the clerk's minutes.")]
    history = [e for e in await _history(case) if e.kind == "action" and e.name == "note"]
    assert history[0].substance == "reason for the delay of the lapsed clock"
    assert history[0].papers == "Awaiting the clerk's minutes."

    engine = make_engine(driver.settings.resolved_database_url)
    try:
        with Session(engine) as session:
            review = reports.review(reports.load_cases(session), date(2029, 12, 10))
    finally:
        engine.dispose()
    line = next(x for x in review.lines if x.clock is ClockName.ASSESSMENT)
    assert line.state is ClockState.LAPSED and line.delay_reason == "Awaiting the clerk's minutes."


async def test_a_one_off_letter_goes_to_the_party_and_is_recorded_with_the_others(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    text = "Please let me have the dates you are available for an interview in December."
    result = await case.act("letter", SendLetter(officer=MO, to=LetterParty.SUBJECT, text=text))
    assert result.message == "letter sent to the subject member"
    await case.settle()

    state = await case.status()
    assert (await case.letters("correspondence")) == [("correspondence", "subject_member")]
    assert [(c.to, c.text, c.officer) for c in state.correspondence] == [(LetterParty.SUBJECT, text, MO)]
    sent = [m for m in case.outbox() if text in m.get_body(preferencelist=("plain",)).get_content()]
    assert len(sent) == 1 and sent[0]["To"].addresses[0].username == "desmond.achterberg"
    body = sent[0].get_body(preferencelist=("plain",)).get_content()
    assert "Monitoring Officer\nWorthing Borough Council" in body and "Dear Councillor Desmond Achterberg" in body
    log = correspondence.correspondence(state, None)
    letter = next(e for e in log if e["template"] == "correspondence")
    assert letter["by"] == MO and letter["text"] == text and letter["role"] == "subject_member"
    assert [e["template"] for e in log if e["kind"] == "letter"][0] == "acknowledgement"
    assert any(e.kind == "letter" and e.name == "correspondence" for e in await _history(case))

    with pytest.raises(Refused, match="no investigator to write to"):
        await case.act("letter", SendLetter(officer=MO, to=LetterParty.INVESTIGATOR, text=text))
    with pytest.raises(Refused, match="cannot letter"):
        await case.act("letter", SendLetter(officer=IO, to=LetterParty.COMPLAINANT, text=text))


async def test_no_letter_reaches_a_subject_member_not_notified(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open()
    await case.act("triage", a.Triage(officer=MO, notify=False, reason="Would prejudice the investigation."))
    with pytest.raises(Refused, match="has not been notified"):
        await case.act("letter", SendLetter(officer=MO, to=LetterParty.SUBJECT, text="Dear councillor."))
    await case.act("letter", SendLetter(officer=MO, to=LetterParty.COMPLAINANT, text="Thank you."))
    assert (await case.letters("correspondence")) == [("correspondence", "complainant")]


async def test_unlink_with_a_reason_and_links_across_members_need_one(driver: CaseDriver) -> None:
    first = await open_and_triage(driver, "WBC-2029-0001")
    second = await driver.open("WBC-2029-0002")
    other = await driver.open("WBC-2029-0003", intake=factories.intake(subject_members=["wbc-01"]))

    # R14: another member's case needs a reason (a joint hearing).
    across = a.Link(officer=MO, other_reference="WBC-2029-0003", other_subjects=["wbc-01"])
    with pytest.raises(Refused, match="about different members needs --reason"):
        await first.act("link", across)
    await first.act("link", across.model_copy(update={"reason": "Joint hearing: the same meeting."}))
    await first.act("link", a.Link(officer=MO, other_reference="WBC-2029-0002", other_subjects=["wbc-04"]))
    assert (await first.status()).linked == ["WBC-2029-0003", "WBC-2029-0002"]
    assert (await first.status()).timeline[-2].summary.endswith("(R14): Joint hearing: the same meeting.")

    with pytest.raises(Refused, match="not linked to WBC-2029-0009"):
        await first.act("unlink", Unlink(officer=MO, other_reference="WBC-2029-0009", reason="x"))
    result = await first.act(
        "unlink", Unlink(officer=MO, other_reference="WBC-2029-0002", reason="Different incident.")
    )
    assert result.message == "no longer considered with WBC-2029-0002"
    await second.settle()
    assert (await first.status()).linked == ["WBC-2029-0003"]
    assert (await second.status()).linked == []
    assert (await second.status()).timeline[
        -1
    ].summary == "no longer considered with WBC-2029-0001: Different incident."
    assert (await other.status()).linked == ["WBC-2029-0001"]
    told = [e for e in await _history(second) if e.kind == "unlinked"]
    assert [e.detail for e in told] == ["no longer considered with WBC-2029-0001: Different incident."]
    mine = [e for e in await _history(first) if e.name == "unlink"]
    assert mine[0].substance == "no longer considered with WBC-2029-0002: Different incident."
    # Allowed now offers unlink only while there is a link.
    assert any(x.startswith("unlink ") for x in (await first.status()).allowed)
    assert not any(x.startswith("unlink ") for x in (await second.status()).allowed)
