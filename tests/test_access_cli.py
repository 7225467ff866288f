"""Issue 12's reading and acting reproductions, through the `conduct` CLI on a real Temporal dev
server (one stack for the module): each officer reads what their role allows on each case
(conduct/access.py), a refusal says so (exit 3), a withheld field says so, and every action and
refusal leaves an audit line without personal data."""

from __future__ import annotations

import json
from typing import Any

from conduct import audit
from tests import devserver_fixtures
from tests.devserver_fixtures import Conduct

dev_server = devserver_fixtures.dev_server  # the fixtures of this module
conduct = devserver_fixtures.conduct

NAME, EMAIL = "Harriet Lomax", "harriet.lomax@example.org"
ADDRESS, PHONE = "14 Marine Parade", "01903 000000"
IDENTITY = (NAME, EMAIL, ADDRESS, PHONE)
CONFIDENTIAL = {"confidential": True, "confidentiality_reason": "Fears reprisals from the member's group."}
WITHHELD_LINE = "complainant: withheld (confidential; MO, deputy and the appointed IO only)"


def shows_identity(text: str) -> list[str]:
    return [secret for secret in IDENTITY if secret in text]


async def acknowledged(conduct: Conduct, ref: str) -> dict[str, Any]:
    """The case's history (as the MO) once the acknowledgement has gone to the complainant."""
    return await conduct.eventually(
        lambda: conduct.json("history", ref, "--as", "mo"),
        lambda history: any(e["kind"] == "letter" for e in history["events"]),
        "the acknowledgement is sent",
    )


async def appointed(conduct: Conduct, **intake: Any) -> str:
    """A case with io-1 appointed to investigate it."""
    ref = await conduct.open_case(**intake)
    await conduct.ok("triage", ref, "--notify")
    await conduct.ok("consult-ip", ref, "--ip", "ip-1", "--text", "Merits investigation.")
    await conduct.ok("assess", ref, "--outcome", "investigate", "--text", "If proved, a breach of paragraph 1.",
                     "--tests-met", "--public-interest", "met", "--public-interest-reason", "Serious.")  # fmt: skip
    await conduct.ok("appoint-investigator", ref, "--officer", "io-1")
    return ref


async def test_each_officer_reads_a_case_as_their_role_allows(conduct: Conduct) -> None:
    ref = await appointed(conduct, **CONFIDENTIAL)
    # The MO and the appointed IO see who complained.
    for who in ("mo", "io-1"):
        case = await conduct.json("show", ref, "--as", who)
        assert case["parties"]["complainant"]["name"] == NAME and case["withheld"] == []
        assert shows_identity((await conduct.ok("status", ref, "--as", who)).stdout) == list(IDENTITY)
    # An IO not appointed to the case reads nothing of it: refused, in one line naming the case.
    for command in ("show", "history", "status"):
        refused = await conduct.run(command, ref, "--as", "io-2")
        assert refused.exit_code == 3, refused.output
        assert f"{ref}: refused: io-2 is not the Investigating Officer appointed to {ref}" in refused.output
        assert not shows_identity(refused.output) and refused.output.strip().count("\n") == 0

    # Democratic services: the stage and clocks, not the confidential complainant, and it says so.
    shown = await conduct.ok("show", ref, "--as", "dem")
    assert not shows_identity(shown.stdout), shown.stdout
    assert "withheld (confidential; MO, deputy and the appointed IO only)" in " ".join(shown.stdout.split())
    assert "investigator_appointment" in shown.stdout
    case = await conduct.json("show", ref, "--as", "dem")
    assert not shows_identity(json.dumps(case))
    assert case["parties"]["complainant"] == {
        "withheld": "confidential; MO, deputy and the appointed IO only", "type": "public", "confidential": True,
    }  # fmt: skip
    assert {w["field"] for w in case["withheld"]} == {"complainant", "allegation"}
    acknowledgement = next(letter for letter in case["letters"] if letter["role"] == "complainant")
    assert acknowledgement["to"] is None and acknowledgement["withheld"]
    assert case["stage"] == "investigation" and case["clocks"]

    # `conduct status`: needs an identity now, and withholds the same.
    nobody = await conduct.run("status", ref, env={"CONDUCT_OFFICER": ""})
    assert nobody.exit_code == 2 and "--as OFFICER_ID" in nobody.output and not shows_identity(nobody.output)
    status = json.loads((await conduct.ok("status", ref, "--as", "dem")).stdout)
    assert not shows_identity(json.dumps(status)) and "called me a liar" not in json.dumps(status)
    assert status["intake"]["complainant"]["name"] is None and status["intake"]["description"] is None
    assert {w["field"] for w in status["withheld"]} == {"complainant", "allegation"}
    assert status["stage"] == "investigation" and status["clocks"]


async def test_history_shows_the_complainants_address_only_to_those_who_may_see_it(conduct: Conduct) -> None:
    ref = await conduct.open_case(**CONFIDENTIAL)
    mine = await acknowledged(conduct, ref)
    letters = [t for e in mine["events"] if e["kind"] == "letter" for t in e["to"]]
    assert {"role": "complainant", "to": EMAIL} in letters and mine["withheld"] == []

    theirs = await conduct.json("history", ref, "--as", "dem")
    assert EMAIL not in json.dumps(theirs)
    letters = [t for e in theirs["events"] if e["kind"] == "letter" for t in e["to"]]
    assert letters and all(t["to"] == "" and t["withheld"] for t in letters if t["role"] == "complainant")
    assert [w["field"] for w in theirs["withheld"]] == ["complainant", "allegation"]
    text = (await conduct.ok("history", ref, "--as", "dem")).stdout
    assert EMAIL not in text and "complainant withheld" in text and WITHHELD_LINE in " ".join(text.split())

    # Not confidential, not yet at a hearing: democratic services do not see who complained either.
    plain = await conduct.open_case()
    await acknowledged(conduct, plain)
    text = (await conduct.ok("history", plain, "--as", "dem")).stdout
    assert EMAIL not in text and "once the case is referred to a hearing" in " ".join(text.split())
    assert EMAIL in (await conduct.ok("history", plain, "--as", "deputy")).stdout


async def test_reports_that_name_complainants_are_for_the_mo_and_deputy(conduct: Conduct) -> None:
    await conduct.open_case()
    await conduct.open_case()  # the same complainant twice: a pattern
    for who in ("io-1", "dem"):
        refused = await conduct.run("report", "patterns", "--as", who)
        assert refused.exit_code == 3 and "cannot run `conduct report patterns`" in refused.output, refused.output
        assert EMAIL not in refused.output
    assert (await conduct.run("report", "patterns", "--as", "deputy")).exit_code == 0
    # Counts and clocks of every case: MO, deputy and democratic services; an IO none.
    for args in (("review",), ("report", "groups", "--year", "2026")):
        assert (await conduct.run(*args, "--as", "dem")).exit_code == 0
        assert (await conduct.run(*args, "--as", "io-1")).exit_code == 3
    # Published decision notices are public: anyone signed in may export them.
    assert (await conduct.run("export", "decisions", "--as", "io-2")).exit_code == 0


async def test_an_io_lists_only_their_own_cases(conduct: Conduct) -> None:
    ref = await appointed(conduct)
    other = await conduct.open_case()
    every = await conduct.eventually(
        lambda: conduct.json("cases", "--as", "dem"),
        lambda rows: {ref, other} <= {r["reference"] for r in rows},
        "democratic services list every case",
    )
    assert len(every) >= 2
    theirs = await conduct.eventually(
        lambda: conduct.json("cases", "--as", "io-1"),
        lambda rows: ref in {r["reference"] for r in rows},
        "io-1 lists the case they investigate",
    )
    assert other not in {r["reference"] for r in theirs}
    assert [r["reference"] for r in await conduct.json("cases", "--as", "io-2")] == []


async def test_actions_are_checked_before_sending_and_audited(conduct: Conduct) -> None:
    ref = await appointed(conduct, **CONFIDENTIAL)
    refused = await conduct.run("draft-report", ref, "--text", "Draft.", "--as", "io-2")
    assert refused.exit_code == 3
    assert f"{ref}: refused: io-2 is not the Investigating Officer appointed to {ref}" in refused.output
    await conduct.ok("draft-report", ref, "--text", "Draft findings.", "--as", "io-1")
    await conduct.run("show", ref, "--as", "io-2")

    lines = [line for line in audit.read(conduct.settings.data_dir) if line.case == ref]
    seen = [(line.event, line.officer, line.action, line.result) for line in lines]
    assert ("action", "mo", "appoint_investigator", "ok") in seen
    assert ("action", "io-2", "draft_report", "refused") in seen
    assert ("action", "io-1", "draft_report", "ok") in seen
    assert ("read", "io-2", "show", "refused") in seen
    refusal = next(line for line in lines if line.officer == "io-2" and line.action == "draft_report")
    assert refusal.reason and "not the Investigating Officer appointed" in refusal.reason
    raw = (conduct.settings.data_dir / audit.AUDIT_FILE).read_text()
    assert not shows_identity(raw) and "Draft findings" not in raw and "Merits investigation" not in raw
