"""`conduct note`, `letter`, `conflict`, `unlink` and `link --reason` from the command line, against
the time-skipping server (so a clock can lapse within the test): exit codes, the outbox, `show`,
`history` and `review`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from conduct.record import LetterParty
from starter import record_cli
from tests.cli_on_test_server import cli_on
from tests.devserver_fixtures import Conduct


@pytest_asyncio.fixture
async def conduct(env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Conduct]:
    """The CLI, in-process, against a fresh time-skipping server with a worker and the test roster."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    async with cli_on(env, data_dir, "record") as cli:
        yield cli


def test_the_cli_spells_every_letter_party() -> None:
    assert [w.replace("-", "_") for w in record_cli.PARTIES] == [p.value for p in LetterParty]


async def _code(conduct: Conduct, *args: str) -> tuple[int, str]:
    result = await conduct.run(*args)
    return result.exit_code, result.output


async def test_notes_letters_and_delay_reasons_from_the_cli(conduct: Conduct, tmp_path: Path) -> None:
    ref = await conduct.open_case()
    await conduct.ok("triage", ref, "--notify")

    assert (await _code(conduct, "note", ref, "--text", "Called the clerk.", "--delay-reason", "x"))[0] == 2
    assert (await _code(conduct, "note", ref, "--clock", "assessment", "--text", "x"))[0] == 2
    assert (await _code(conduct, "note", ref))[0] == 2
    code, said = await _code(conduct, "note", ref, "--delay-reason", "Minutes awaited.")
    assert code == 3 and "no clock is lapsed" in said
    code, said = await _code(conduct, "note", ref, "--as", "dem", "--text", "x")
    assert code == 3 and "cannot note" in said
    assert "note added (internal: never sent)" in (await conduct.ok("note", ref, "--text", "Called the clerk.")).output

    letter = tmp_path / "letter.txt"
    letter.write_text("Please send me the minutes of the meeting of 20 February.\n")
    assert (await _code(conduct, "letter", ref, "--to", "nobody", "--file", str(letter)))[0] == 2
    code, said = await _code(conduct, "letter", ref, "--to", "investigator", "--file", str(letter))
    assert code == 3 and "no investigator to write to" in said
    await conduct.ok("letter", ref, "--to", "subject", "--file", str(letter))
    outbox = conduct.settings.resolved_outbox_dir
    sent = [p.read_text() for p in outbox.glob("*.eml") if "Please send me the minutes" in p.read_text()]
    assert len(sent) == 1 and "desmond.achterberg" in sent[0]
    assert all("Called the clerk" not in p.read_text() for p in outbox.glob("*.eml"))

    shown = await conduct.json("show", ref)
    kinds = [(e["kind"], e.get("template"), e.get("text")) for e in shown["correspondence"]]
    assert ("note", None, "Called the clerk.") in kinds
    assert ("letter", "correspondence", "Please send me the minutes of the meeting of 20 February.") in kinds
    assert kinds[0][:2] == ("letter", "acknowledgement")
    text = (await conduct.ok("show", ref)).output
    assert "Correspondence (" in text and "Called the clerk." in text and "internal" in text

    # A case received 40 days ago: its assessment clock has lapsed (the officers' attestations carry
    # the real time, so the server's clock is not moved here; tests/test_record.py moves it). The
    # delay reason shows in the history and beside the lapse in the review.
    ref = await conduct.open_case(received_at=datetime.now(UTC) - timedelta(days=40))
    await conduct.ok("note", ref, "--text", "Called the clerk.")
    await conduct.ok("note", ref, "--delay-reason", "Minutes awaited from the clerk.")
    history = await conduct.json("history", ref)
    notes = [e for e in history["events"] if e["kind"] == "action" and e["name"] == "note"]
    assert [e["papers"] for e in notes] == ["Called the clerk.", "Minutes awaited from the clerk."]
    review = (await conduct.ok("review")).output
    assert f"{ref} assessment due" in review and "lapsed" in review and "Minutes awaited from the clerk." in review
    lines = json.loads((await conduct.ok("review", "--json")).stdout)["lines"]
    assert [x["delay_reason"] for x in lines if x["reference"] == ref] == ["Minutes awaited from the clerk."]


async def test_conflicts_links_and_unlinks_from_the_cli(conduct: Conduct) -> None:
    ref = await conduct.open_case()
    other = await conduct.open_case(subject_members=["wbc-01"])
    await conduct.ok("triage", ref, "--notify")

    code, said = await _code(conduct, "conflict", ref, "--officer", "mo", "--reason", "Neighbour.", "--as", "io-1")
    assert code == 3 and "cannot conflict" in said
    assert (await _code(conduct, "conflict", ref, "--officer", "mo", "--reason", " "))[0] == 2
    await conduct.ok("conflict", ref, "--officer", "mo", "--reason", "Neighbour of the member.", "--as", "deputy")
    code, said = await _code(conduct, "consult-ip", ref, "--ip", "ip-1", "--text", "No action.")
    assert code == 3 and "conflicted" in said
    assert (await _code(conduct, "show", ref))[0] == 3  # nor may the MO read it
    shown = await conduct.json("show", ref, "--as", "deputy")
    assert shown["deputy_acting"] and [c["officer"] for c in shown["conflicts"]] == ["mo"]

    code, said = await _code(conduct, "link", ref, other, "--as", "deputy")
    assert code == 3 and "needs --reason" in said
    await conduct.ok("link", ref, other, "--as", "deputy", "--reason", "Joint hearing: one meeting.")
    assert (await _code(conduct, "unlink", ref, other, "--as", "deputy"))[0] == 2
    await conduct.ok("unlink", ref, other, "--as", "deputy", "--reason", "Different incidents after all.")
    code, said = await _code(conduct, "unlink", ref, other, "--as", "deputy", "--reason", "again")
    assert code == 3 and "is not linked to" in said
    assert (await conduct.json("show", other, "--as", "deputy"))["linked"] == []
