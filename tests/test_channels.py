"""Issue 14, "Channels and receipt": a complainant with only a postal address gets their letters on
paper (a PDF in the print queue, never an e-mail); the posting is recorded; a clock that runs from
a letter to them counts from the day it is posted. And `conduct receive` / `conduct print-queue`
from the command line. Dates are worked out by hand in the comments."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from conduct import actions as a
from conduct import print_queue, register
from conduct.calendar import london_date
from conduct.codec import new_key_spec
from conduct.document_store import DocumentStore
from conduct.intake import Complainant
from conduct.postal import RECEIVED_ON_MAX_DAYS, LetterPosted
from conduct.register import make_engine
from conduct.settings import Settings
from conduct.vocabulary import ClockName, ClockState
from tests import factories
from tests.cli_on_test_server import cli_on
from tests.devserver_fixtures import Conduct
from tests.encrypted import encrypted_env
from tests.harness import CaseDriver, Refused
from tests.steps import DEM, MO, RECEIVED

ADDRESS = "14 Marine Parade\nWorthing\nBN11 3PT"


@pytest.fixture
def settings(tmp_path: Path, settings: Settings) -> Settings:
    """The usual test settings with an encryption key: a printed letter is never kept in clear."""
    return settings.model_copy(update={"encryption_keys": new_key_spec("test-post")})


def by_post(**overrides: object) -> dict[str, object]:
    complainant = Complainant(name="Harriet Lomax", email=None, address=ADDRESS)
    return {"intake": factories.intake(complainant=complainant, **overrides)}


def pdf_text(settings: Settings, letter: print_queue.QueuedLetter) -> str:
    data = DocumentStore(settings).get(letter.reference, letter.document)
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def queue(settings: Settings) -> list[print_queue.QueuedLetter]:
    engine = make_engine(settings.resolved_database_url, keys=settings.resolved_encryption_keys)
    try:
        return print_queue.letters(engine, posted=None)
    finally:
        engine.dispose()


async def test_a_postal_complainants_letters_are_printed_and_a_clock_counts_from_posting(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)  # Monday 5 November 2029
    case = await driver.open(**by_post(confidential=True, confidentiality_reason="I fear reprisals."))

    # R1: the acknowledgement goes to the print queue as a PDF with the reference and the address; no e-mail.
    [ack] = queue(driver.settings)
    assert (ack.template.value, ack.role.value, ack.posted_on) == ("acknowledgement", "complainant", None)
    text = pdf_text(driver.settings, ack)
    assert case.reference in text and "14 Marine Parade" in text and "BN11 3PT" in text
    assert "Harriet Lomax" in text and "5 November 2029" in text
    assert not [m for m in case.outbox() if "-acknowledgement/" in str(m["X-Conduct-Idempotency-Key"])]
    sealed = DocumentStore(driver.settings).path(case.reference, ack.document.id).read_bytes()
    assert b"%PDF" not in sealed  # sealed at rest
    state = await case.status()
    [record] = [r for r in state.letters if r.template.value == "acknowledgement"]
    assert record.by_post and record.posted_on is None
    assert "letter-posted" in " ".join(state.allowed)

    # R18 refused: 10 working days to withdraw would end Mon 19 Nov 2029 counted from today; by post
    # the clock waits for the letter.
    await case.act("confidentiality", a.Confidentiality(officer=MO, grant=False, reason="Needed to answer."))
    refusal = next(q for q in queue(driver.settings) if q.template.value == "confidentiality_refused")
    state = await case.status()
    clock = state.clocks[ClockName.CONFIDENTIALITY]
    assert clock.awaiting_post == [refusal.key] and clock.state is ClockState.PENDING

    await driver.travel_to_day(date(2029, 11, 26))  # a week past 19 November: nothing lapsed or ended
    await case.settle()
    state = await case.status()
    clock = state.clocks[ClockName.CONFIDENTIALITY]
    assert clock.state is ClockState.PENDING and clock.awaiting_post
    assert state.confidentiality is not None and not state.confidentiality.window_closed
    assert not [t for t in state.timeline if t.event == "confidentiality_window_ended"]

    # The posting is recorded: not before it was queued, not in the future, once.
    with pytest.raises(Refused, match="cannot be posted before"):
        await case.act("letter_posted", LetterPosted(officer=DEM, key=refusal.key, on=date(2029, 11, 2)))
    with pytest.raises(Refused, match="in the future"):
        await case.act("letter_posted", LetterPosted(officer=DEM, key=refusal.key, on=date(2029, 11, 30)))
    with pytest.raises(Refused, match="cannot letter-posted"):
        await case.act("letter_posted", LetterPosted(officer="io-1", key=refusal.key, on=date(2029, 11, 21)))
    # Posted Wed 21 Nov 2029: 10 working days from it is Wed 5 Dec 2029.
    result = await case.act("letter_posted", LetterPosted(officer=DEM, key=refusal.key, on=date(2029, 11, 21)))
    assert "confidentiality clock counts from 2029-11-21: due 2029-12-05" in result.message
    state = await case.status()
    clock = state.clocks[ClockName.CONFIDENTIALITY]
    assert (clock.due, clock.awaiting_post, london_date(clock.started)) == (date(2029, 12, 5), [], date(2029, 11, 21))
    assert state.confidentiality is not None and state.confidentiality.withdraw_by == date(2029, 12, 5)
    [posted] = [r for r in state.letters if r.key == refusal.key]
    assert posted.posted_on == date(2029, 11, 21)
    assert [t.summary for t in state.timeline if t.event == "letter_posted"] == [
        "confidentiality_refused letter to the complainant posted on 2029-11-21"
    ]
    with pytest.raises(Refused, match="already recorded as posted on 2029-11-21"):
        await case.act("letter_posted", LetterPosted(officer=MO, key=refusal.key, on=date(2029, 11, 22)))

    await driver.travel_to_day(date(2029, 12, 6))  # the window ends at the start of 6 December
    await case.settle()
    state = await case.status()
    assert state.confidentiality is not None and state.confidentiality.window_closed
    assert state.clocks[ClockName.CONFIDENTIALITY].met_on == date(2029, 12, 5)


async def test_a_complainant_with_e_mail_is_mailed_as_before(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    case = await driver.open()
    assert queue(driver.settings) == []
    assert [m for m in case.outbox() if "-acknowledgement/" in str(m["X-Conduct-Idempotency-Key"])]
    state = await case.status()
    assert not any(r.by_post for r in state.letters) and "letter-posted" not in " ".join(state.allowed)


# ----------------------------------------------------------------------------- the command line


@pytest_asyncio.fixture
async def conduct(tmp_path: Path) -> AsyncIterator[Conduct]:
    """The CLI, in-process, against a fresh time-skipping server whose client and worker encrypt with
    the key the CLI has (the original and the printed letters are sealed with it)."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    key = new_key_spec("test-receive")
    settings = Settings(data_dir=data_dir, encryption_keys=key, _env_file=None)  # type: ignore[call-arg]
    async with encrypted_env(settings) as env, cli_on(env, data_dir, "channels", key) as cli:
        yield cli


def complaint_json(tmp_path: Path, **complainant: object) -> Path:
    body = {
        "complainant": {"name": "Harriet Lomax", "type": "public", **complainant},
        "council": "worthing",
        "subject_members": ["wbc-04"],
        "conduct_dates": ["2026-02-20"],
        "provisions": ["respect"],
        "description": "The councillor shouted at me from the dais while I was speaking as an objector.",
    }
    path = tmp_path / f"complaint-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(body))
    return path


async def test_receive_opens_the_case_from_its_original_with_its_day_and_channel(
    conduct: Conduct, tmp_path: Path
) -> None:
    today = london_date(datetime.now(UTC))
    received = today - timedelta(days=3)
    letter = complaint_json(tmp_path, address="14 Marine Parade, Worthing BN11 3PT")
    scan = tmp_path / "letter.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    day = received.isoformat()

    async def code(*args: str) -> tuple[int, str]:
        result = await conduct.run("receive", *args)
        return result.exit_code, result.output

    # Exit 2: flags and the complaint's own problems.
    assert (await code("--file", str(letter), "--received-on", day, "--channel", "post"))[0] == 2  # no original
    future = (today + timedelta(days=1)).isoformat()
    exit_code, said = await code("--file", str(letter), "--received-on", future, "--channel", "in-person")
    assert exit_code == 2 and "in the future" in said
    old = (today - timedelta(days=RECEIVED_ON_MAX_DAYS + 1)).isoformat()
    exit_code, said = await code("--file", str(letter), "--received-on", old, "--channel", "in-person")
    assert exit_code == 2 and f"more than {RECEIVED_ON_MAX_DAYS} days ago" in said
    exit_code, said = await code("--file", str(complaint_json(tmp_path)), "--received-on", day, "--channel", "email",
                                 "--original", str(scan))  # fmt: skip
    assert exit_code == 2 and "email address or postal address" in said
    assert (await code("--file", str(letter), "--received-on", day, "--channel", "pigeon"))[0] == 2
    # Exit 3: only the MO or a deputy.
    args = ("--file", str(letter), "--received-on", day, "--channel", "post", "--original", str(scan))
    exit_code, said = await code(*args, "--as", "dem")
    assert exit_code == 3 and "cannot receive a complaint" in said

    # Exit 0: opened, with the assessment clock from the day of receipt, the channel and the original.
    result = await conduct.ok("receive", *args, "--json")
    opened = json.loads(result.stdout)
    ref = opened["reference"]
    assert (opened["channel"], opened["received_on"], opened["new"]) == ("post", day, True)
    again = json.loads((await conduct.ok("receive", *args, "--json")).stdout)
    assert (again["reference"], again["new"]) == (ref, False)  # the same command twice: one case

    shown = await conduct.json("show", ref)
    assert shown["channel"] == "post"
    assert london_date(datetime.fromisoformat(shown["received_at"])) == received
    [assessment] = [c for c in shown["clocks"] if c["name"] == "assessment"]
    assert london_date(datetime.fromisoformat(assessment["started"])) == received
    assert shown["complaint"]["original"]["name"] == "letter.pdf"

    async def channel() -> str | None:
        engine = make_engine(conduct.settings.resolved_database_url, keys=conduct.settings.resolved_encryption_keys)
        try:
            with Session(engine) as db:
                return db.scalar(select(register.ComplaintRow.channel).where(register.ComplaintRow.reference == ref))
        finally:
            engine.dispose()

    await conduct.eventually(channel, lambda found: found == "post", "the register's channel")

    # The acknowledgement waits in the print queue; democratic services see the complainant withheld.
    [ack] = await conduct.eventually(
        lambda: conduct.json("print-queue"), lambda rows: len(rows) == 1, "the acknowledgement queued"
    )
    assert (ack["reference"], ack["letter"], ack["address"]) == (
        ref, "acknowledgement", ["14 Marine Parade", "Worthing BN11 3PT"]
    )  # fmt: skip
    [hidden] = await conduct.json("print-queue", "--as", "dem")
    assert hidden["name"] is None and hidden["address"] is None and "withheld" in hidden
    out = tmp_path / "print"
    out.mkdir()
    assert (await conduct.run("print-queue", "--save", str(ack["id"]), "--to", str(out), "--as", "dem")).exit_code == 3
    await conduct.ok("print-queue", "--save", str(ack["id"]), "--to", str(out))
    text = "\n".join(p.extract_text() for p in PdfReader(out / f"{ref}-acknowledgement-complainant.pdf").pages)
    assert ref in text and "14 Marine Parade" in text
    assert (await conduct.run("print-queue", "--mark-posted", "999")).exit_code == 4
    await conduct.ok("print-queue", "--mark-posted", str(ack["id"]), "--as", "dem")
    assert await conduct.json("print-queue") == []
    [posted] = await conduct.json("print-queue", "--posted")
    assert (posted["posted_on"], posted["posted_by"]) == (today.isoformat(), "dem")
    state = await conduct.json("show", ref)
    assert [(x["template"], x["posted_on"]) for x in state["letters"] if x["template"] == "acknowledgement"] == [
        ("acknowledgement", today.isoformat())
    ]
    assert (await conduct.run("print-queue", "--mark-posted", str(ack["id"]))).exit_code == 3
