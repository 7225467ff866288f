"""`conduct publish` / `conduct unpublish` and `hearing-outcome --ip-view --breached` on a real
Temporal dev server: flags checked before anything is sent (exit 2), the leak refused with each
match shown to the MO (exit 3) but kept out of the audit log, the preview, and the way back."""

from __future__ import annotations

from pathlib import Path

from conduct import audit
from tests import devserver_fixtures
from tests.devserver_fixtures import Conduct, today

dev_server = devserver_fixtures.dev_server  # the fixtures of this module
conduct = devserver_fixtures.conduct

PANEL = "wbc-01,wbc-05,wbc-07"
REPORT = (
    "Harriet Lomax, of 14 Marine Parade, Worthing BN11 3PT, spoke as an objector; the councillor called her a liar."
)


async def test_publish_from_the_command_line(conduct: Conduct, tmp_path: Path) -> None:
    ref = await conduct.open_case()
    steps: list[tuple[str, ...]] = [
        ("triage", ref, "--notify"),
        ("consult-ip", ref, "--ip", "ip-1", "--text", "Merits investigation."),
        ("assess", ref, "--outcome", "investigate", "--text", "If proved, a breach of paragraph 1.", "--tests-met",
         "--public-interest", "met", "--public-interest-reason", "Serious."),
        ("appoint-investigator", ref, "--officer", "io-1"),
        ("draft-report", ref, "--text", "Draft.", "--as", "io-1"),
        ("comment", ref, "--party", "complainant", "--declined", "--as", "io-1"),
        ("comment", ref, "--party", "subject", "--declined", "--as", "io-1"),
        ("final-report", ref, "--finding", "breach", "--text", REPORT, "--as", "io-1"),
        ("schedule-hearing", ref, "--date", today().isoformat(), "--panel", PANEL, "--ip", "ip-3", "--as", "dem",
         "--short-notice", "--reason", "The parties agreed to short notice."),
    ]  # fmt: skip
    for step in steps:
        await conduct.ok(*step)

    outcome = ("hearing-outcome", ref, "--breach", "--text", "Disrespect.", "--attended", "yes", "--as", "dem")
    missing_view = await conduct.run(*outcome, "--breached", "respect")
    assert missing_view.exit_code == 2 and "--ip-view" in missing_view.output
    missing_provision = await conduct.run(*outcome, "--ip-view", "A breach.")
    assert missing_provision.exit_code == 2 and "--breached" in missing_provision.output
    await conduct.ok(*outcome, "--breached", "respect", "--breached", "disrepute", "--ip-view", "A clear breach.")
    issued = await conduct.ok("issue-notice", ref)
    assert "draft" in issued.stdout and f"conduct publish {ref} --preview" in issued.stdout

    preview = await conduct.ok("publish", ref, "--preview")
    assert "Statement of facts\nHarriet Lomax, of 14 Marine Parade" in preview.stdout
    assert "- 1. Respect\n- 5. Disrepute" in preview.stdout and "A clear breach." in preview.stdout
    assert "This text would be refused" in preview.output

    refused = await conduct.run("publish", ref)
    assert refused.exit_code == 3
    assert 'the complainant\'s name in "Statement of facts": "Harriet Lomax"' in refused.output
    assert 'the complainant\'s address in "Statement of facts": "14 Marine Parade"' in refused.output
    assert '"Worthing BN11 3PT"' in refused.output  # the town with the postcode: the longest match
    logged = [line for line in audit.read(conduct.settings.data_dir) if line.case == ref and line.action == "publish"]
    assert logged and logged[-1].result == "refused" and "the complainant's name" in (logged[-1].reason or "")
    assert all("Lomax" not in (line.reason or "") and "Marine" not in (line.reason or "") for line in logged)

    assert (await conduct.run("publish", ref, "--correct")).exit_code == 2  # a correction needs a change
    assert (await conduct.run("publish", ref, "--redact", "x")).exit_code == 2  # too short to redact
    assert (await conduct.run("unpublish", ref, "--reason", " ")).exit_code == 2
    assert (await conduct.run("publish", ref, "--statement-file", str(tmp_path / "none.txt"))).exit_code == 2
    assert (await conduct.run("publish", ref, "--as", "io-1", "--redact", "Harriet Lomax")).exit_code == 3

    redact = ("--redact", "Harriet Lomax", "--redact", "14 Marine Parade", "--redact", "BN11 3PT")
    shown = await conduct.ok("publish", ref, "--preview", *redact)
    assert "[redacted], of [redacted], Worthing [redacted], spoke" in shown.stdout and "refused" not in shown.output
    published = await conduct.ok("publish", ref, *redact)
    assert f"/decisions/{ref}" in published.stdout
    assert (await conduct.run("publish", ref)).exit_code == 3  # already published: --correct

    withdrawn = await conduct.ok("unpublish", ref, "--reason", "Too detailed for the public.")
    assert "withdrawn" in withdrawn.stdout
    statement = tmp_path / "statement.txt"
    statement.write_text("A member of the public was called a liar by the councillor at a committee meeting.\n")
    corrected = await conduct.ok("publish", ref, "--correct", "--statement-file", str(statement))
    assert "corrected" in corrected.stdout
    case = await conduct.json("show", ref)
    assert case["published"] is True

    history = await conduct.json("history", ref)
    assert [e["name"] for e in history["events"] if e["kind"] == "action"][-4:] == [
        "issue_notice",
        "publish",
        "unpublish",
        "publish",
    ]
