"""`conduct` end to end on a real Temporal dev server: a full case from intake to the published
decision notice through the CLI alone, the other routes' commands, every refusal's exit code and
message, listing through visibility, history, and deadlines."""

from __future__ import annotations

import json
import re
import shlex
import socket
import sys
import types
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conduct import actions as a
from conduct.attestation_keys import attest
from conduct.calendar import WorkingCalendar
from conduct.vocabulary import AssessmentOutcome, Finding, Nation, Party
from starter.client import workflow_id
from tests import devserver_fixtures
from tests.devserver_fixtures import Conduct, today

dev_server = devserver_fixtures.dev_server  # the fixtures of this module
conduct = devserver_fixtures.conduct

PANEL = "wbc-01,wbc-05,wbc-07"  # Worthing, three groups, none of them the subject (wbc-04) or its leader
# Sections 3-4: every assessment records the initial tests and the public interest test.
TESTED = ("--tests-met", "--public-interest", "met", "--public-interest-reason", "Serious enough to take further.")
NOT_ENGAGED = ("--test-failed", "code-engaged", "--public-interest", "not-met", "--public-interest-reason", "Private.")


def next_working_day(day: date) -> date:
    """R9: a hearing is held on a working day (England's bank holidays)."""
    calendar = WorkingCalendar(Nation.ENGLAND)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def working_today() -> date:
    """Today, for a hearing held today (the dev server's clock is real): skipped on a weekend or bank holiday."""
    if next_working_day(today()) != today():
        pytest.skip("a hearing is held on a working day, and today is not one (R9)")
    return today()


def events(history: dict[str, Any], kind: str) -> list[tuple[str, ...]]:
    out = []
    for e in history["events"]:
        if e["kind"] == kind:
            out.append((e["clock"], e["name"]) if kind == "clock" else (e["name"], e["officer"]))
    return out


def in_order(sequence: list[Any], expected: list[Any]) -> bool:
    """`expected` is a subsequence of `sequence`."""
    it = iter(sequence)
    return all(any(x == y for y in it) for x in expected)


async def test_a_full_case_from_intake_to_the_published_decision_notice(conduct: Conduct, tmp_path: Path) -> None:
    hearing_day = working_today().isoformat()
    ref = await conduct.open_case()
    other = await conduct.open_case()
    draft = tmp_path / "draft.txt"
    draft.write_text("Draft findings: the remarks were made and were disrespectful.\n")

    steps: list[tuple[str, ...]] = [
        ("triage", ref, "--notify"),
        ("request-info", ref, "--text", "Please send the webcast timestamp."),
        ("info-received", ref),
        ("stop-clock", ref, "--reason", "complainant in hospital"),
        ("restart-clock", ref),
        ("link", ref, other),
        ("consult-ip", ref, "--ip", "ip-1", "--text", "Merits investigation."),
        ("assess", ref, "--outcome", "investigate", "--text", "If proved, a breach of paragraph 1.", *TESTED),
        ("appoint-investigator", ref, "--officer", "io-1"),
        ("draft-report", ref, "--file", str(draft), "--as", "io-1"),
        ("comment", ref, "--party", "complainant", "--text", "Agreed.", "--as", "io-1"),
        ("comment", ref, "--party", "subject", "--declined", "--as", "io-1"),
        ("final-report", ref, "--finding", "breach", "--text", "Breach of respect.", "--further-breach", "7.1",
         "--as", "io-1"),
        ("schedule-hearing", ref, "--date", hearing_day, "--panel", PANEL, "--ip", "ip-3", "--as", "dem",
         "--short-notice", "--reason", "The parties agreed to a hearing today."),
        ("hearing-outcome", ref, "--breach", "--sanction", "formal-letter", "--sanction", "training",
         "--course", "Code of Conduct refresher",
         "--breached", "respect", "--ip-view", "The Independent Person considered it a breach.",
         "--text", "On the balance of probabilities the member breached paragraph 1.", "--attended", "yes",
         "--as", "dem"),
        ("issue-notice", ref),
        ("publish", ref),
    ]  # fmt: skip
    for step in steps:
        result = await conduct.ok(*step)
        assert f"{ref} (" in result.stdout and "✓" in result.stdout, result.output
    # The hearing is today: too little notice, a warning rather than a refusal (R9).
    scheduled = await conduct.ok("show", ref)
    assert "closed" in scheduled.stdout

    case = await conduct.json("show", ref)
    assert case["reference"] == ref and case["stage"] == "closed" and case["outcome"] == "breach"
    assert case["published"] is True and case["linked"] == [other]
    clocks = {c["name"]: c for c in case["clocks"]}
    assert set(clocks) == {
        "assessment", "investigator_appointment", "investigation", "comment_period", "hearing", "decision_notice",
        "subject_response",
    }  # fmt: skip
    # R9: the hearing (held at once) decided before the subject member's response came; its clock stopped.
    states = {name: c["state"] for name, c in clocks.items()}
    assert states == {**dict.fromkeys(clocks, "met"), "subject_response": "stopped"}
    assert all(c["started"] and c["due"] for c in clocks.values())
    sent = {(letter["template"], letter["role"]) for letter in case["letters"]}
    assert ("decision_notice", "complainant") in sent and ("decision_notice", "subject_member") in sent
    assert all(set(letter) >= {"template", "to"} for letter in case["letters"])
    assert sorted(x["action"] for x in case["allowed"]) == ["publish", "unpublish"]  # R12: correct or withdraw

    history = await conduct.json("history", ref)
    actions = events(history, "action")
    assert actions == [
        ("triage", "mo"), ("request_info", "mo"), ("info_received", "mo"), ("stop_clock", "mo"),
        ("restart_clock", "mo"), ("link", "mo"), ("consult_ip", "mo"), ("assess", "mo"),
        ("appoint_investigator", "mo"), ("draft_report", "io-1"), ("comment", "io-1"), ("comment", "io-1"),
        ("final_report", "io-1"), ("schedule_hearing", "dem"), ("hearing_outcome", "dem"), ("issue_notice", "mo"),
        ("publish", "mo"),
    ]  # fmt: skip
    clock_events = events(history, "clock")
    assert clock_events == [
        ("assessment", "started"),
        ("assessment", "stopped"),  # request-info
        ("assessment", "started"),  # info-received: 20 working days afresh
        ("assessment", "stopped"),  # stop-clock
        ("assessment", "restarted"),
        ("assessment", "met"),
        ("investigator_appointment", "started"),
        ("investigator_appointment", "met"),
        ("investigation", "started"),
        ("comment_period", "started"),
        ("comment_period", "met"),  # both parties responded
        ("investigation", "met"),
        ("hearing", "started"),
        ("subject_response", "started"),  # R9: the subject member's written response
        ("hearing", "met"),
        ("subject_response", "stopped"),  # the hearing decided without it
        ("decision_notice", "started"),
        ("decision_notice", "met"),
    ], clock_events
    # Actions and clocks interleave in the order they happened.
    timeline = [(e["kind"], e["name"], e["clock"]) for e in history["events"] if e["kind"] in ("action", "clock")]
    assert in_order(
        timeline,
        [
            ("action", "request_info", None), ("clock", "stopped", "assessment"),
            ("action", "info_received", None), ("clock", "started", "assessment"),
            ("action", "assess", None), ("clock", "met", "assessment"),
            ("clock", "started", "investigator_appointment"), ("action", "appoint_investigator", None),
            ("clock", "met", "investigator_appointment"), ("action", "draft_report", None),
            ("clock", "started", "comment_period"), ("action", "comment", None), ("action", "comment", None),
            ("clock", "met", "comment_period"), ("action", "final_report", None), ("clock", "met", "investigation"),
            ("action", "hearing_outcome", None), ("clock", "met", "hearing"), ("action", "issue_notice", None),
            ("clock", "met", "decision_notice"),
        ],
    ), timeline  # fmt: skip
    letters = [
        (e["name"], tuple(sorted(t["role"] for t in e["to"]))) for e in history["events"] if e["kind"] == "letter"
    ]
    assert letters[0] == ("acknowledgement", ("complainant",))
    assert ("decision_notice", ("complainant", "group_leader", "investigating_officer", "subject_member")) in letters
    kinds = [e["kind"] for e in history["events"]]
    assert set(kinds[-2:]) == {"action", "published"}  # R12: approved after the case closed (its run goes on)
    assert any(e["kind"] == "published" for e in history["events"])
    assert any(e["kind"] == "linked" for e in (await conduct.json("history", other))["events"])

    # The Rich renderings of the same.
    shown = (await conduct.ok("history", ref)).stdout
    assert "hearing-outcome" in shown and "decision_notice clock met" in shown
    assert "acknowledgement" in (await conduct.ok("show", ref)).stdout
    # The older JSON status command still works.
    assert '"stage": "closed"' in (await conduct.ok("status", ref)).stdout


async def test_the_other_routes_commands(conduct: Conduct) -> None:
    # Informal resolution fails, then no action (R5, R4).
    informal = await conduct.open_case()
    for step in [
        ("triage", informal, "--withhold", "--reason", "would prejudice the inquiry"),
        ("consult-ip", informal, "--ip", "ip-1", "--text", "Try informal resolution."),
        ("assess", informal, "--outcome", "informal", "--action", "training", "--action", "advisory-letter",
         "--text", "Suitable for informal resolution.", *TESTED),
        ("informal-outcome", informal, "--unresolved", "--text", "The member refused the training."),
        ("consult-ip", informal, "--ip", "ip-2", "--text", "No action now."),
        ("assess", informal, "--outcome", "no-action", "--ground", "trivial", "--ground", "debate-or-decision",
         "--text", "Not worth pursuing.", "--tests-met", "--public-interest", "not-met",
         "--public-interest-reason", "Too minor."),
    ]:  # fmt: skip
        await conduct.ok(*step)
    case = await conduct.json("show", informal)
    assert (case["stage"], case["outcome"], case["notice_withheld_reason"]) == (
        "closed", "no_action", "would prejudice the inquiry",
    )  # fmt: skip
    assert {c["name"]: c["state"] for c in case["clocks"]} == {"assessment": "met"}

    # Withdrawal: continue once, then stop (R13), with the deputy acting.
    withdrawn = await conduct.open_case()
    for step in [
        ("triage", withdrawn, "--notify"),
        ("withdraw", withdrawn, "--text", "I no longer wish to proceed."),
        ("withdrawal-decision", withdrawn, "--continue", "--ip", "ip-1", "--text", "Possible intimidation."),
        ("withdraw", withdrawn, "--text", "I really wish to withdraw.", "--as", "deputy"),
        ("withdrawal-decision", withdrawn, "--stop", "--ip", "ip-1", "--text", "Stop.", "--as", "deputy"),
    ]:
        await conduct.ok(*step)
    case = await conduct.json("show", withdrawn)
    assert (case["stage"], case["outcome"]) == ("closed", "withdrawn")
    assert {c["name"]: c["state"] for c in case["clocks"]} == {"assessment": "stopped"}
    clock_events = events(await conduct.json("history", withdrawn), "clock")
    assert clock_events == [("assessment", "started"), ("assessment", "stopped")]

    # Adjournment: the case is brought to its hearing through the client, then the CLI adjourns.
    adjourned = await conduct.open_case()
    handle = conduct.env.client.get_workflow_handle(workflow_id(adjourned))
    tested = {"public_interest": True, "public_interest_reason": "x"}
    for update, payload in [
        ("triage", a.Triage(officer="mo", notify=True)),
        ("consult_ip", a.ConsultIndependentPerson(officer="mo", ip="ip-1", view="Investigate.")),
        ("assess", a.Assess(officer="mo", outcome=AssessmentOutcome.INVESTIGATE, reasons="x", tests=tested)),
        ("appoint_investigator", a.AppointInvestigator(officer="mo", investigator="io-2")),
        ("draft_report", a.DraftReport(officer="io-2", text="Draft.")),
        ("comment", a.RecordComment(officer="mo", party=Party.COMPLAINANT, declined=True)),
        ("comment", a.RecordComment(officer="mo", party=Party.SUBJECT, declined=True)),
        ("final_report", a.FinalReport(officer="io-2", finding=Finding.BREACH, text="Breach.")),
    ]:
        update_id = f"{update}-{uuid.uuid4().hex[:8]}"
        signed = attest(conduct.settings, adjourned, update, payload, update_id)
        await handle.execute_update(update, signed, id=update_id)
    later = next_working_day(today() + timedelta(days=30)).isoformat()
    scheduled = await conduct.ok(
        "schedule-hearing", adjourned, "--date", working_today().isoformat(), "--panel", PANEL, "--ip", "ip-3",
        "--as", "dem", "--short-notice", "--reason", "agreed",
    )  # fmt: skip
    assert "warning" in scheduled.stdout and "notice" in scheduled.stdout  # R9: sufficient notice
    await conduct.ok("adjourn-hearing", adjourned, "--date", later, "--reason", "Member unwell.", "--as", "dem")
    case = await conduct.json("show", adjourned)
    assert case["stage"] == "hearing_pending" and case["hearing"]["date"] == later
    # "Allowed now" never lists what would be refused: the outcome only from the hearing day (issue 16)
    assert "hearing-outcome" not in {x["action"] for x in case["allowed"]}
    refused = await conduct.run(
        "hearing-outcome", adjourned, "--no-breach", "--text", "x", "--ip-view", "x", "--attended", "yes", "--as", "dem"
    )
    assert refused.exit_code == 3 and f"the hearing is on {later}" in refused.output


async def test_refusals_and_exit_codes(conduct: Conduct, tmp_path: Path) -> None:
    ref = await conduct.open_case()

    # Wrong stage: refused by the workflow's validator, which names the case and its stage.
    result = await conduct.run("assess", ref, "--outcome", "investigate", "--text", "Serious.", *TESTED)
    assert result.exit_code == 3
    assert f"{ref} is at stage triage: refused: assess is not allowed at this stage" in result.output
    assert "Allowed now: triage" in result.output and "Traceback" not in result.output
    # Wrong role: an Investigating Officer cannot triage.
    result = await conduct.run("triage", ref, "--notify", "--as", "io-1")
    assert result.exit_code == 3 and "io-1 (investigating_officer) cannot triage" in result.output
    # Unknown officer: refused before Temporal is asked, by flag or environment.
    result = await conduct.run("triage", ref, "--notify", "--as", "mallory")
    assert result.exit_code == 3 and "'mallory' is not on the current roster" in result.output
    result = await conduct.run("cases", env={"CONDUCT_OFFICER": "mallory"})
    assert result.exit_code == 3 and "mallory" in result.output
    result = await conduct.run("show", ref, env={"CONDUCT_OFFICER": ""})
    assert result.exit_code == 2 and "--as OFFICER_ID" in result.output
    # Only the MO or deputy may replace the roster.
    result = await conduct.run("roster", "import", str(Path(__file__).parent.parent / "examples" / "roster.toml"),
                               "--as", "dem")  # fmt: skip
    assert result.exit_code == 3 and "cannot replace the roster" in result.output

    # No such case.
    for args in (("show", "WBC-2026-9999"), ("history", "WBC-2026-9999"), ("triage", "WBC-2026-9999", "--notify")):
        result = await conduct.run(*args)
        assert result.exit_code == 4 and "no case WBC-2026-9999" in result.output, (args, result.output)

    # Bad usage: Typer's own, and payloads that do not validate, in plain words.
    bad: list[tuple[tuple[str, ...], str]] = [
        (("assess", ref, "--outcome", "maybe", "--text", "x"), "maybe"),
        (("triage", ref), "give exactly one of --notify or --withhold"),
        (("triage", ref, "--withhold"), "withholding notice from the subject member needs a reason"),
        (("assess", ref, "--outcome", "no-action", "--text", "x", *TESTED), "needs at least one ground"),
        (("assess", ref, "--outcome", "investigate", "--ground", "trivial", "--text", "x", *TESTED), "grounds belong"),
        (("assess", ref, "--outcome", "investigate", "--text", "x"), "record the initial tests: give --tests-met"),
        (("assess", ref, "--outcome", "investigate", "--text", "x", "--tests-met"), "record the public interest test"),
        (("request-info", ref), "give the request with --text TEXT or --file PATH"),
        (("request-info", ref, "--text", "a", "--file", str(tmp_path / "x.txt")), "not both"),
        (("request-info", ref, "--file", str(tmp_path / "missing.txt")), "cannot read"),
        (("schedule-hearing", ref, "--date", "2030-13-01", "--panel", PANEL, "--ip", "ip-3"), "2030-13-01"),
        (("schedule-hearing", ref, "--date", "2030-01-01", "--panel", "wbc-01,wbc-05", "--ip", "ip-3"),
         "--panel: List should have at least 3 items"),
        (("comment", ref, "--party", "subject", "--text", "x", "--declined"), "not both"),
        (("link", ref, "not-a-reference"), "OTHER_REF: String should match pattern"),
        (("stop-clock", ref, "--reason", "x", "--clock", "lunch"), "lunch"),
        (("deadlines", "--from", "21/12/2026"), "21/12/2026"),
        (("roster", "import", str(tmp_path / "roster.xlsx")), "give a .toml, .csv or .json roster file"),
    ]  # fmt: skip
    for args, message in bad:
        result = await conduct.run(*args)
        assert result.exit_code == 2, (args, result.exit_code, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output

    # A closed case refuses every action.
    closing = await conduct.open_case()
    await conduct.ok("triage", closing, "--notify")
    await conduct.ok("consult-ip", closing, "--ip", "ip-1", "--text", "No action.")
    await conduct.ok("assess", closing, "--outcome", "no-action", "--ground", "not-as-member", "--text", "Private.",
                     *NOT_ENGAGED)  # fmt: skip
    await conduct.eventually(
        lambda: conduct.env.client.get_workflow_handle(workflow_id(closing)).describe(),
        lambda d: d.status.name == "COMPLETED",
        "the closed case's workflow completes",
    )
    result = await conduct.run("link", closing, ref)
    assert result.exit_code == 3 and f"{closing} is closed (no_action)" in result.output

    # A person's text prints literally, never as Rich markup.
    await conduct.ok("triage", ref, "--notify")
    reason = "[bold]urgent[/bold] <script>alert(1)</script>"
    await conduct.ok("stop-clock", ref, "--reason", reason)
    assert reason in (await conduct.ok("show", ref)).stdout
    result = await conduct.run("consult-ip", ref, "--ip", "[red]ip-9[/red]", "--text", "x")
    assert result.exit_code == 3 and "'[red]ip-9[/red]' is not an Independent Person" in result.output

    # Temporal unreachable: one line naming the address tried, and how to start the stack.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{s.getsockname()[1]}"  # bound, never listening: connection refused
        result = await conduct.run("show", ref, env={"CONDUCT_TEMPORAL_ADDRESS": closed})
    assert result.exit_code == 1
    assert closed in result.output and "make run" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


async def test_cases_are_listed_and_filtered_through_visibility(conduct: Conduct) -> None:
    worthing = await conduct.open_case()  # wbc-04, Labour
    adur = await conduct.open_case(council="adur", subject_members=["adc-05"])  # Green
    await conduct.ok("triage", adur, "--notify")
    # Received 60 days ago: the 20 working days have run out, so the clock lapses at once.
    overdue = await conduct.open_case(
        received_at=datetime.now(UTC) - timedelta(days=60), subject_members=["wbc-06"]
    )  # Green

    async def refs(*flags: str) -> dict[str, dict[str, Any]]:
        return {c["reference"]: c for c in await conduct.json("cases", *flags)}

    def has(wanted: set[str], unwanted: set[str]) -> Any:
        return lambda found: wanted <= set(found) and not unwanted & set(found)

    mine = {worthing, adur, overdue}
    await conduct.eventually(lambda: refs("--stage", "triage"), has({worthing, overdue}, {adur}), "--stage triage")
    await conduct.eventually(lambda: refs("--stage", "assessment"), has({adur}, {worthing}), "--stage assessment")
    await conduct.eventually(lambda: refs("--council", "adur"), has({adur}, {worthing, overdue}), "--council adur")
    await conduct.eventually(lambda: refs("--member", "adc-05"), has({adur}, mine - {adur}), "--member adc-05")
    await conduct.eventually(lambda: refs("--group", "Green"), has({adur, overdue}, {worthing}), "--group Green")
    await conduct.eventually(
        lambda: refs("--group", "Labour", "--council", "worthing"), has({worthing}, {adur, overdue}), "two filters"
    )
    found = await conduct.eventually(lambda: refs("--overdue"), has({overdue}, {worthing, adur}), "--overdue")
    late = found[overdue]
    assert late["overdue"] is True and late["days_left"] < 0 and late["stage"] == "triage"
    everything = await refs()
    on_time = everything[worthing]
    assert on_time["next_deadline"] and on_time["days_left"] >= 19  # 20 working days from today
    assert on_time["subject_members"] == ["wbc-04"] and on_time["groups"] == ["Labour"]
    assert list(everything).index(overdue) < list(everything).index(worthing)  # soonest deadline first
    table = (await conduct.ok("cases", "--overdue")).stdout
    assert overdue in table and "overdue" in table
    # `conduct demo` (an existing command) opens a case the listing then shows.
    demo = json.loads((await conduct.ok("demo", "--json")).stdout)["reference"]
    await conduct.eventually(lambda: refs("--council", "worthing"), has({demo, worthing}, {adur}), "the demo case")


async def test_rough_edges_on_cases(conduct: Conduct) -> None:
    """Issue 16's rough edges that need cases on a server (the others: tests/test_cli_rough_edges.py)."""
    open_ref, closed_ref = await conduct.open_case(), await conduct.open_case()
    # References in any case; vocabulary words as the output spells them.
    await conduct.ok("triage", closed_ref.lower(), "--notify")
    await conduct.ok("consult-ip", closed_ref, "--ip", "ip-1", "--text", "No action.")
    await conduct.ok("assess", closed_ref, "--outcome", "no_action", "--ground", "not_as_member", "--text", "Private.",
                     *NOT_ENGAGED)  # fmt: skip
    assert (await conduct.json("show", f" {open_ref.lower()}"))["reference"] == open_ref
    await conduct.eventually(
        lambda: conduct.env.client.get_workflow_handle(workflow_id(closed_ref)).describe(),
        lambda d: d.status.name == "COMPLETED",
        "the closed case's workflow completes",
    )

    # `conduct history` shows what each step decided; the texts of the papers as the role allows.
    steps = {e["name"]: e for e in (await conduct.json("history", closed_ref))["events"] if e["kind"] == "action"}
    assert steps["triage"]["substance"] == "subject member notified"
    assert steps["consult_ip"]["substance"] == "Independent Person ip-1"
    assert steps["consult_ip"]["papers"] == "view: No action."
    assert steps["assess"]["substance"] == (
        "no action; grounds: not as member; initial tests not met: code engaged; public interest test not met; "
        "reasons: Private."
    )
    theirs = {e["name"]: e for e in (await conduct.json("history", closed_ref, "--as", "dem"))["events"]}
    assert "No action." not in json.dumps(theirs) and theirs["consult_ip"]["papers"].startswith("withheld")
    assert theirs["assess"]["substance"] == steps["assess"]["substance"]

    # `conduct cases`: the open cases; --closed, --all; --stage alone: every case at that stage.
    async def refs(*flags: str) -> set[str]:
        return {c["reference"] for c in await conduct.json("cases", *flags)}

    both = {open_ref, closed_ref}
    await conduct.eventually(lambda: refs(), lambda r: open_ref in r and closed_ref not in r, "open cases")
    await conduct.eventually(lambda: refs("--closed"), lambda r: both & r == {closed_ref}, "--closed")
    await conduct.eventually(lambda: refs("--all"), lambda r: both <= r, "--all")
    await conduct.eventually(lambda: refs("--stage", "closed"), lambda r: both & r == {closed_ref}, "--stage closed")

    # A link to a case that does not exist: one line, exit 4, and nothing sent; to a closed one: exit 3.
    missing = await conduct.run("link", open_ref, "wbc-2026-9999")
    assert missing.exit_code == 4 and missing.output.strip() == "error: no case WBC-2026-9999", missing.output
    ended = await conduct.run("link", open_ref, closed_ref)
    assert ended.exit_code == 3 and f"{closed_ref} is closed" in ended.output, ended.output
    assert (await conduct.json("show", open_ref))["linked"] == []

    # Filters: a council nobody has is named; a value cannot break out of the query.
    for council in ("nowhere", "x\\"):
        result = await conduct.run("cases", "--council", council)
        assert result.exit_code == 2 and f"no such council: {council} (councils: worthing" in result.output
        assert "malformed" not in result.output
    # the register compares values as typed: quotes, backslashes and SQL are just text
    for group in ("x\\", "O'Brien", "x' OR WorkflowType != 'y", 'say "x"', "x' OR 1=1 --"):
        result = await conduct.run("cases", "--group", group, "--json", "--all")
        assert result.exit_code == 0 and json.loads(result.stdout) == [], (group, result.output)
    control = await conduct.run("cases", "--member", "x\x1b[2J")
    assert control.exit_code == 2 and "control character" in control.output


async def test_evidence_is_listed_and_saved_under_its_original_name(conduct: Conduct, tmp_path: Path) -> None:
    """Issue 16, "Reading a case": the evidence sat hash-named in the upload folder."""
    uploads = conduct.settings.data_dir / "uploads"
    uploads.mkdir(exist_ok=True)
    stored = f"{uuid.uuid4().hex}.txt"
    (uploads / stored).write_text("Minutes of the Planning Committee, 20 February 2026.\n")
    (uploads / f"{stored}.json").write_text(json.dumps({"original_name": "../minutes.txt", "kind": "txt", "size": 53}))
    ref = await conduct.open_case(evidence=[stored])
    listed = await conduct.json("evidence", ref)
    assert listed == [{"file": stored, "name": "../minutes.txt", "type": "plain text", "size": 53}]
    await conduct.ok("evidence", ref.lower(), "--save", "1", "--to", str(tmp_path))
    assert (tmp_path / "minutes.txt").read_text() == (uploads / stored).read_text()  # inside --to, never above it
    again = await conduct.run("evidence", ref, "--save", "1", "--to", str(tmp_path))
    assert again.exit_code == 2 and "already exists" in again.output
    assert (await conduct.run("evidence", ref, "--save", "2", "--to", str(tmp_path))).exit_code == 2
    refused = await conduct.run("evidence", ref, "--as", "dem")  # not referred to a hearing: no papers
    assert refused.exit_code == 3 and "the evidence is withheld" in refused.output


def readme_walk_through() -> list[str]:
    """The commands of the README's "A complaint from form to decision notice", as written."""
    text = (Path(__file__).parent.parent / "README.md").read_text()
    section = text.split("## A complaint from form to decision notice", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")  # continued lines
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


async def test_the_readme_walk_through_runs_as_written_today(
    conduct: Conduct, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: the walk-through could not be finished on the day (the hearing's date was fixed
    in the future, and its outcome is refused before that day)."""
    ref = await conduct.open_case()
    monkeypatch.chdir(tmp_path)  # where `echo ... > draft.txt` writes and `--file draft.txt` reads
    ran = 0
    for line in readme_walk_through():
        line = line.replace("WBC-2026-0001", ref).replace("$(date +%F)", today().isoformat())
        for inner in re.findall(r"\$\((conduct [^()]*)\)", line):  # e.g. the last working day
            value = (await conduct.ok(*shlex.split(inner)[1:])).stdout.strip()
            line = line.replace(f"$({inner})", value)
        if line.startswith("export "):
            continue  # CONDUCT_OFFICER=mo is the module's environment
        if line.startswith("echo "):
            words, target = line.removeprefix("echo ").rsplit(">", 1)
            (tmp_path / target.strip()).write_text(shlex.split(words)[0] + "\n")
            continue
        args = shlex.split(line)
        assert args[0] == "conduct", line
        await conduct.ok(*args[1:])
        ran += 1
    assert ran >= 15
    case = await conduct.json("show", ref)
    assert (case["stage"], case["outcome"]) == ("closed", "breach")


async def test_deadlines_across_bank_holidays(conduct: Conduct) -> None:
    # From Monday 21 December 2026 (day 0), England: 20 working days, skipping Christmas Day (Fri 25),
    # Boxing Day observed (Mon 28 Dec) and New Year's Day (Fri 1 Jan): Dec 22, 23, 24, 29, 30, 31 are 6;
    # Jan 4-8 make 11, 11-15 make 16, 18-21 make 20: Thursday 21 January 2027.
    # Calendar days and months are not working days: +14 days is 4 January, +2 months 21 February.
    england = await conduct.json("deadlines", "--from", "2026-12-21")
    assert england == {
        "assessment": "2027-01-21",
        "investigator_appointment": "2027-01-04",
        "comment_period": "2027-01-04",
        "investigation": "2027-02-21",
        "hearing": "2027-03-21",
        "decision_notice": "2027-01-04",
        # 10 working days (R18's window to withdraw; the subject's written response): Dec 22-24 and
        # 29-31 are 6, Jan 4-7 make 10.
        "confidentiality": "2027-01-07",
        "subject_response": "2027-01-07",
    }
    # Scotland also keeps 2 January (a Saturday in 2027, observed Monday 4 January): one day later.
    scotland = await conduct.json("deadlines", "--from", "2026-12-21", "--nation", "scotland")
    later = {"assessment": "2027-01-22", "confidentiality": "2027-01-08", "subject_response": "2027-01-08"}
    assert scotland == {**england, **later}
    assert (await conduct.json("deadlines", "--from", "2026-12-21", "--nation", "wales")) == england
    assert (await conduct.json("deadlines", "--from", "2026-12-21", "--nation", "northern-ireland")) == england
    # A council closure day (CONDUCT_CLOSURES) is not a working day either.
    closed = await conduct.json("deadlines", "--from", "2026-12-21", env={"CONDUCT_CLOSURES": "2027-01-05"})
    assert closed == {**england, **later}
    assert "Thu 21 Jan 2027" in (await conduct.ok("deadlines", "--from", "2026-12-21")).stdout


def test_web_runs_the_web_app_lazily(conduct: Conduct, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    fake = types.ModuleType("starter.web.app")
    fake.serve = lambda settings, host, port: calls.append((settings.task_queue, host, port))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "starter.web.app", fake)
    result = conduct.invoke("web", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert calls == [(conduct.settings.task_queue, "127.0.0.1", 8123)]
    monkeypatch.setitem(sys.modules, "starter.web.app", None)  # as if starter/web were not there
    result = conduct.invoke("web")
    assert result.exit_code == 1 and "starter/web/app.py" in result.output
