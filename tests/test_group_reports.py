"""The Group Leaders' yearly reports (issue 15): a whole cycle on the time-skipping server for three
groups (one submits at once, one after a reminder, one never: the MO is told at the due date),
every figure checked against the hand count in tests/group_report_fixtures.py, the leader's page
driven over HTTP, status, and the compiled paper (JSON, HTML and a PDF read back with pypdf)."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from typer.testing import CliRunner

from conduct.calendar import lapse_instant
from conduct.group_report import GroupReportState, ReportStatus, workflow_id
from conduct.register import make_engine
from conduct.report_levels import LevelPoint, column_of, default_levels
from conduct.roster_store import save_roster
from conduct.settings import Settings, get_settings
from conduct.vocabulary import Nation
from starter.cli import app
from starter.client import DATA_CONVERTER
from starter.group_report_cycle import plan_cycle, start_cycle
from starter.web.app import create_app
from tests import group_report_fixtures as fx
from tests.harness import CaseDriver, at
from tests.web_fixtures import web_config
from worker import build_worker
from workflows.group_report import GroupReportWorkflow

LEADERS = {"Conservative": "alice.hartley@worthing.example", "Labour": "catherine.pryce@worthing.example",
           "Green": "eleanor.whitcombe@worthing.example"}  # fmt: skip
MO = "joanna.whitlock@adur-worthing.example"
NARRATIVE = {
    "training": "Every member attended the LGA session.\n\nNominees to Planning are trained first.",
    "conduct": "We remind members not to engage in negative social media exchanges.",
    "standards": "We will implement the Standards Committee's recommendations in full.",
}


def cli(settings: Settings, *args: str, code: int = 0, **env: str) -> str:
    environ = {
        "CONDUCT_DATA_DIR": str(settings.data_dir),
        "CONDUCT_DATABASE_URL": settings.resolved_database_url,
        "CONDUCT_OFFICER": "mo",
        "COLUMNS": "250",
        **env,
    }
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args), env=environ)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


# ----------------------------------------------------------------------------- pure rules


def test_columns_by_nation_take_each_case_at_its_furthest_point() -> None:
    """How each point maps to each nation's columns (README "Promoting compliance")."""
    wales, england = default_levels(Nation.WALES), default_levels(Nation.ENGLAND)
    assert [level.title for level in wales] == ["Informal", "Local Resolution", "PSOW"]
    expected = {
        LevelPoint.OPEN: (None, None),
        LevelPoint.NO_ACTION: (None, "No action"),  # never the form's "Informal"
        LevelPoint.INFORMAL_RESOLUTION: ("Informal", "Informal resolution"),
        LevelPoint.INVESTIGATION: ("Local Resolution", "Investigation"),
        LevelPoint.HEARING: ("Local Resolution", "Hearing"),
        LevelPoint.EXTERNAL: ("PSOW", "Referred externally"),
    }
    assert {p: (column_of(p, wales), column_of(p, england)) for p in LevelPoint} == expected
    assert default_levels(Nation.SCOTLAND) == england


def test_report_groups_does_not_call_no_action_informal(settings: Settings) -> None:
    """`conduct report groups` printed a complaint closed with no action under "(form: Informal)"."""
    from conduct.register import create_schema

    engine = make_engine(settings.resolved_database_url)
    create_schema(engine)
    save_roster(engine, fx.roster())
    fx.seed_cases(engine)
    engine.dispose()
    table = cli(settings, "report", "groups", "--year", "2029", "--council", "worthing")
    header = next(line for line in table.splitlines() if "source" in line)
    columns = [c.strip() for c in header.split("┃") if c.strip()]
    assert columns[1:3] == ["No action or not yet assessed", "Informal resolution (Wales: Informal)"]
    # Conservative, 2029: WBC-2029-0301, closed with no action, is in the first column
    conservative = table[table.index("Conservative (worthing)") :]
    officers = next(line for line in conservative.splitlines() if line.lstrip("│ ").startswith("Officers"))
    assert [c.strip() for c in officers.split("│") if c.strip()][1:3] == ["1", "0"]


# ----------------------------------------------------------------------------- the training register


def test_training_register_from_the_command_line(settings: Settings, tmp_path: Path) -> None:
    from conduct import training

    engine = make_engine(settings.resolved_database_url)
    from conduct.register import create_schema

    create_schema(engine)
    save_roster(engine, fx.roster())
    csv_file = tmp_path / "training.csv"
    csv_file.write_text(fx.TRAINING_CSV)
    assert "4 session(s) (4 new), 7 attendance(s) recorded" in cli(settings, "training", "import", str(csv_file))
    assert "(0 new), 0 attendance(s) recorded (7 already there)" in cli(settings, "training", "import", str(csv_file))
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,session,member\nattendance,LGA-CON,nobody\n")
    assert "line 2 (attendance): member 'nobody' is not on the roster" in cli(
        settings, "training", "import", str(bad), code=2
    )

    added = cli(settings, "training", "session", "add", "--title", "Standards induction", "--date", "2030-07-20",
                "--kind", "code-of-conduct", "--provider", "LGA", "--group", "Labour", "--json")  # fmt: skip
    session_id = json.loads(added)["session"]["id"]
    assert session_id == "TS-2030-001"
    assert "1 attendance(s) recorded" in cli(settings, "training", "attend", session_id, "--member", "wbc-11")
    cli(settings, "training", "attend", "NO-SUCH", "--member", "wbc-01", code=4)
    cli(settings, "training", "attend", session_id, "--member", "nobody", code=2)
    refused = cli(settings, "training", "session", "add", "--title", "x", "--date", "2030-06-20", "--kind",
                  "committee", "--as", "io-1", code=3)  # fmt: skip
    assert "cannot record training" in refused
    assert "committee" in cli(settings, "training", "session", "add", "--title", "x", "--date", "2030-06-20",
                              "--kind", "committee", code=2)  # fmt: skip

    labour = json.loads(cli(settings, "training", "show", "--group", "Labour", "--council", "worthing", "--json"))
    trained = {m["member"]: m["trained_on_code"] for m in labour}
    # wbc-03 since the 2027 election; wbc-04's session was before his 2029 by-election; wbc-11 (elected 1 July
    # 2030) at TS-2030-001 on 20 July
    assert trained == {"wbc-03": True, "wbc-04": False, "wbc-11": True}
    one = json.loads(cli(settings, "training", "show", "--member", "wbc-01", "--json"))
    assert [s["session"] for s in one[0]["sessions"]] == ["LGA-CON", "PLAN-29"]
    sessions = json.loads(cli(settings, "training", "show", "--json"))
    assert {s["id"]: s["attended"] for s in sessions}["LGA-CON"] == 4
    assert "Planning committee" in cli(settings, "training", "show", "--committee", "Planning")

    gaps = json.loads(cli(settings, "training", "check", "--json"))
    assert [(g["committee"], g["member"], g["missing"]) for g in gaps] == [
        ("Planning", "wbc-05", ["code-of-conduct", "committee"]),  # only equalities training (EQ-2029)
        ("Standards", "wbc-03", ["equalities"]),
    ]
    assert "wbc-05" in cli(settings, "training", "check")

    # a training sanction's follow-up asks the register (R17): met only by a session after it was imposed
    records = training.attendance(engine, ["wbc-05"])
    assert training.training_met("wbc-05", "equalities", date(2029, 9, 1), records)
    assert not training.training_met("wbc-05", "equalities", date(2029, 10, 2), records)
    assert training.training_met_in_register(engine, "wbc-06", training.TrainingKind.CODE_OF_CONDUCT, None)
    engine.dispose()


# ----------------------------------------------------------------------------- the cycle


async def _until(check: Callable[[], Any], what: str, timeout: float = 15) -> Any:
    for _ in range(int(timeout / 0.05)):
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _mails(settings: Settings) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(settings.resolved_outbox_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["X-Conduct-Reference"] == "GROUP-REPORT-2030":
            found.append(message)
    return found


def _to(message: email.message.EmailMessage) -> str:
    return message["To"].addresses[0].addr_spec


def _link_path(message: email.message.EmailMessage) -> str:
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"https?://[^/\s]+(/group-report/\S+)", text)
    assert found, text
    return found.group(1)


def _figures_of(state: GroupReportState) -> dict[str, Any]:
    f = state.figures
    assert f is not None
    return {
        "members": f.members,
        "trained": f.trained,
        "percent": f.trained_percent,
        "rows": {r.source: (r.columns, r.total) for r in f.rows},
        "complaints": f.complaints,
        "not_in_a_column": f.not_in_a_column,
    }


async def test_a_whole_cycle_for_three_groups(env: WorkflowEnvironment, settings: Settings, tmp_path: Path) -> None:
    engine = make_engine(settings.resolved_database_url)
    from conduct.register import create_schema

    create_schema(engine)
    roster = fx.roster()
    save_roster(engine, roster)
    fx.seed_cases(engine)
    csv_file = tmp_path / "training.csv"
    csv_file.write_text(fx.TRAINING_CSV)
    cli(settings, "training", "import", str(csv_file))
    cli(settings, "referral", "record", "WBC-2029-0202", "--to", "PSOW", "--on", "2030-02-01", "--note", "PSOW asked")
    cli(settings, "referral", "record", "WBC-2099-0001", "--to", "PSOW", "--on", "2030-02-01", code=4)

    driver = CaseDriver(env, settings)
    await driver.travel_to(at(date(2030, 6, 3)))
    plan = plan_cycle(roster, "worthing", *fx.PERIOD, fx.DUE, fx.GRACE, fx.REMINDER_DAYS)
    assert [s.group for s in plan.starts] == ["Conservative", "Labour", "Green"]
    assert plan.skipped == {"Independent": "no Group Leader on the roster"}
    web_app = create_app(settings, web_config(), lambda: env.client, engine=engine)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=web_app), base_url="http://testserver")
    async with build_worker(env.client, settings, fail_fast=True), http:
        temporal = {
            "CONDUCT_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "CONDUCT_TASK_QUEUE": settings.task_queue,
            "CONDUCT_GROUP_REPORT_REMINDER_DAYS": "14,7",
            "CONDUCT_GROUP_REPORT_GRACE_DAYS": str(fx.GRACE),
        }
        start = ("group-reports", "start", "--council", "worthing", "--from", "2029-06-01", "--to", "2030-05-31",
                 "--due", "2030-06-28", "--json")  # fmt: skip
        # the CLI runs its own event loop: in a thread, while this loop runs the worker
        started = json.loads(await asyncio.to_thread(cli, settings, *start, **temporal))
        assert [(s["group"], s["new"]) for s in started["started"]] == [
            ("Conservative", True), ("Labour", True), ("Green", True),
        ]  # fmt: skip
        assert started["skipped"] == {"Independent": "no Group Leader on the roster"}
        again = await start_cycle(env.client, settings.task_queue, plan)
        assert [s.new for s in again] == [False, False, False]  # running `start` twice starts nothing twice
        refused = await asyncio.to_thread(cli, settings, *start, "--as", "dem", code=3, **temporal)
        assert "needs monitoring_officer or deputy" in refused
        handles: dict[str, WorkflowHandle] = {
            g: env.client.get_workflow_handle_for(GroupReportWorkflow.run, workflow_id("worthing", fx.PERIOD[1], g))
            for g in LEADERS
        }

        async def state(group: str) -> GroupReportState:
            return await handles[group].query(GroupReportWorkflow.status)

        async def invited() -> bool:
            return all([(await state(g)).invited_at is not None for g in LEADERS]) and len(_mails(settings)) == 3

        await _until(invited, "the three invitations")
        for group, expected in fx.EXPECTED.items():
            assert _figures_of(await state(group)) == {k: v for k, v in expected.items()}, group
        invitations = {_to(m): m for m in _mails(settings)}
        assert set(invitations) == set(LEADERS.values())
        links = {g: _link_path(invitations[LEADERS[g]]) for g in LEADERS}

        # ---- Conservative: opens the page, saves a draft, submits, all on the first day
        page = await http.get(links["Conservative"])
        assert page.status_code == 200, page.text
        for shown in ("Alice Hartley", "Conservative Group", ">2<", "2 of 2 (100%)", "PSOW", "Local Resolution"):
            assert shown in page.text, shown
        assert "WBC-2029" not in page.text and "Harriet" not in page.text and "harriet" not in page.text
        saved = await http.post(links["Conservative"], data={**NARRATIVE, "standards": "", "action": "save"})
        assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=draft")
        assert (await state("Conservative")).status is ReportStatus.DRAFTING
        # submitting with a heading empty keeps the text as a draft and says what is missing
        incomplete = await http.post(links["Conservative"], data={**NARRATIVE, "standards": " ", "action": "submit"})
        assert incomplete.status_code == 422 and "saved as a draft, but not submitted" in incomplete.text
        done = await http.post(links["Conservative"], data={**NARRATIVE, "action": "submit"})
        assert done.status_code == 303
        conservative = await state("Conservative")
        assert conservative.status is ReportStatus.SUBMITTED and len(conservative.drafts) == 3
        assert (await http.get(links["Conservative"])).text.count("Report submitted") == 1
        assert (await http.post(links["Conservative"], data={**NARRATIVE, "action": "save"})).status_code == 409

        # ---- Labour: a draft before the first reminder
        await driver.travel_to(at(date(2030, 6, 10)))
        assert (await http.post(links["Labour"], data={"training": "Draft.", "action": "save"})).status_code == 303
        status = json.loads(cli(settings, "group-reports", "status", "--as-of", "2030-06-10", "--json"))
        assert {s["group"]: s["status"] for s in status} == {
            "Conservative": "submitted", "Labour": "drafting", "Green": "not started",
        }  # fmt: skip

        # ---- 14 June: the first reminder, to Labour and Green only
        await driver.travel_to(at(date(2030, 6, 14), 12))

        async def reminded(count: int) -> bool:
            return len([m for m in _mails(settings) if m["Subject"].startswith("Reminder")]) == count

        await _until(lambda: reminded(2), "the first reminders")
        first = {_to(m) for m in _mails(settings) if m["Subject"].startswith("Reminder")}
        assert first == {LEADERS["Labour"], LEADERS["Green"]}

        # ---- Labour submits after the reminder
        await driver.travel_to(at(date(2030, 6, 18)))
        assert (await http.post(links["Labour"], data={**NARRATIVE, "action": "submit"})).status_code == 303
        labour = await state("Labour")
        assert labour.status is ReportStatus.SUBMITTED and len(labour.reminders_sent) == 1
        assert [d.narrative.training for d in labour.drafts] == ["Draft.", NARRATIVE["training"]]

        # ---- 21 June: the second reminder goes to Green alone; 29 June: the MO is told
        await driver.travel_to(at(date(2030, 6, 21), 12))
        await _until(lambda: reminded(3), "the second reminder")
        await driver.travel_to(at(date(2030, 6, 29)))

        async def mo_told() -> bool:
            return (await state("Green")).mo_told_at is not None and any(_to(m) == MO for m in _mails(settings))

        await _until(mo_told, "the MO's notice")
        green = await state("Green")
        assert green.mo_told_at is not None  # at the start of the day after the due date
        assert timedelta(0) <= green.mo_told_at - lapse_instant(fx.DUE) < timedelta(minutes=1)
        assert len(green.reminders_sent) == 2
        assert (await state("Conservative")).mo_told_at is None and (await state("Labour")).mo_told_at is None
        overdue = [m for m in _mails(settings) if _to(m) == MO]
        assert len(overdue) == 1 and "Green" in overdue[0]["Subject"]
        reminders = [_to(m) for m in _mails(settings) if m["Subject"].startswith("Reminder")]
        assert sorted(reminders) == sorted([LEADERS["Labour"], LEADERS["Green"], LEADERS["Green"]])
        table = cli(settings, "group-reports", "status", "--as-of", "2030-06-29")
        assert re.search(r"Green .* Eleanor Whitcombe .* 2030-06-28 .* overdue", table), table
        status = json.loads(cli(settings, "group-reports", "status", "--as-of", "2030-06-29", "--json"))
        assert {s["group"]: s["status"] for s in status} == {
            "Conservative": "submitted", "Labour": "submitted", "Green": "overdue",
        }  # fmt: skip

        # ---- the link expires at the end of the grace period; the report closes as not returned
        await driver.travel_to(at(date(2030, 7, 13)))
        result = await handles["Green"].result()
        assert result.status is ReportStatus.NOT_RETURNED
        for group in ("Conservative", "Labour"):
            assert (await handles[group].result()).status is ReportStatus.SUBMITTED

        # every save is an update in the workflow's history (Labour: the draft and the submission)
        events = [e async for e in handles["Labour"].fetch_history_events()]
        accepted = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
        assert len(accepted) == 2

        # deterministic: each finished history replays against today's code
        replayer = Replayer(workflows=[GroupReportWorkflow], data_converter=DATA_CONVERTER)
        for handle in handles.values():
            await replayer.replay_workflow(await handle.fetch_history())

        # another group's page cannot be reached from a leader's link
        token = links["Labour"].rsplit("/", 1)[1]
        encoded, expires, mac = token.split(".")
        green_id = base64.urlsafe_b64encode(handles["Green"].id.encode()).rstrip(b"=").decode()
        forged = await http.get(f"/group-report/{green_id}.{expires}.{mac}")
        assert forged.status_code == 404 and "This link is not valid" in forged.text
        assert (await http.get("/group-report/not-a-token")).status_code == 404
        assert (await http.post("/group-report/x.y.z", content=b"\xff\xfe")).status_code == 404

    # ---- the committee's paper
    status = json.loads(cli(settings, "group-reports", "status", "--council", "worthing", "--json"))
    assert {s["group"]: s["status"] for s in status} == {
        "Conservative": "submitted", "Labour": "submitted",
        "Green": "not returned (link expired)",
    }  # fmt: skip
    paper = json.loads(cli(settings, "group-reports", "compile", "--council", "worthing", "--from", "2029-06-01",
                           "--to", "2030-05-31", "--format", "json"))  # fmt: skip
    assert paper["not_returned"] == ["Green"]
    assert (paper["totals"]["members"], paper["totals"]["trained"], paper["totals"]["trained_percent"]) == (6, 3, 50)
    totals = {r["source"]: (r["columns"], r["total"]) for r in paper["totals"]["rows"]}
    assert totals == {
        "public": ({"Informal": 1, "Local Resolution": 0, "PSOW": 1}, 5),
        "officers": ({"Informal": 1, "Local Resolution": 1, "PSOW": 0}, 3),
        "councillors": ({"Informal": 0, "Local Resolution": 1, "PSOW": 0}, 1),
    }
    html = cli(settings, "group-reports", "compile", "--council", "worthing", "--from", "2029-06-01", "--to",
               "2030-05-31", "--format", "html")  # fmt: skip
    assert "Not returned: <strong>Green</strong>" in html and "WBC-20" not in html

    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:  # OSError: Pango missing
        pytest.skip(f"no PDF check: WeasyPrint cannot load ({error}); apt-get install libpango-1.0-0 "
                    "libpangoft2-1.0-0 libharfbuzz-subset0")  # fmt: skip
    pdf = tmp_path / "paper.pdf"
    cli(settings, "group-reports", "compile", "--council", "worthing", "--from", "2029-06-01", "--to", "2030-05-31",
        "--format", "pdf", "--output", str(pdf))  # fmt: skip
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    flat = " ".join(text.split())
    assert "Not returned: Green" in flat
    for group, expected in fx.EXPECTED.items():
        section = flat[flat.index(f"{group} Group Report by:") :]
        facts = f"No. of members: {expected['members']} No. trained on Code: {expected['trained']} of " \
                f"{expected['members']} ({expected['percent']}%)"  # fmt: skip
        assert facts in section, (group, section[:400])
        for source, (columns, total) in expected["rows"].items():
            cells = " ".join(str(columns[c]) for c in ("Informal", "Local Resolution", "PSOW"))
            assert f"{source.capitalize()} {cells} {total}" in section, (group, source)
    assert "Every member attended the LGA session." in flat
    engine.dispose()


def test_start_dates_and_reminders(tmp_path: Path) -> None:
    """The instants a cycle runs on: reminders at 09:00 London, due and expiry at the next day's start."""
    plan = plan_cycle(fx.roster(), "worthing", *fx.PERIOD, fx.DUE, fx.GRACE, [14, 7, 0, 7])
    first = plan.starts[0]
    assert first.reminders_at == [at(date(2030, 6, 14), 9), at(date(2030, 6, 21), 9)]
    assert (first.expires_on, first.due_at) == (date(2030, 7, 12), lapse_instant(date(2030, 6, 28)))
    with pytest.raises(ValueError, match="due date is before"):
        plan_cycle(fx.roster(), "worthing", *fx.PERIOD, date(2030, 5, 1), 14, [7])
    with pytest.raises(LookupError):
        plan_cycle(fx.roster(), "nowhere", *fx.PERIOD, fx.DUE, 14, [7])
    from conduct.group_report import default_period, percent

    assert default_period(date(2030, 6, 3)) == (date(2029, 6, 1), date(2030, 5, 31))
    assert default_period(date(2030, 5, 31)) == (date(2028, 6, 1), date(2029, 5, 31))
    assert [percent(2, 3), percent(1, 2), percent(0, 0)] == [67, 50, 0]
    assert timedelta(0) < first.expires_at - first.due_at
    assert isinstance(first.due_at, datetime)


async def test_the_leaders_page_refuses_without_a_valid_link(settings: Settings) -> None:
    """Never a 500: a forged, cut or expired link gets a plain page without asking Temporal (the
    client factory fails the test if called); a valid link while Temporal is down gets a 503."""
    from conduct.report_links import GroupReportSettings, LinkSigner, ReportLink, resolve_secret
    from tests.web_fixtures import TemporalDown, make_web

    web, http = await make_web(settings, TemporalDown())
    signer = LinkSigner(resolve_secret(GroupReportSettings(_env_file=None), settings.data_dir))  # type: ignore[call-arg]
    ident = workflow_id("worthing", fx.PERIOD[1], "Labour")
    expired = signer.token(ReportLink(workflow_id=ident, expires_on=date(2020, 1, 1)))
    valid = signer.token(ReportLink(workflow_id=ident, expires_on=date(2999, 1, 1)))
    async with http:
        page = await http.get(f"/group-report/{expired}")
        assert page.status_code == 403 and "This link has expired" in page.text
        for bad in ("x", "a.b.c", "....", "A" * 5000, valid[:-2] + "AA", valid.replace(".2999", ".2998"), "%ff%fe"):
            for method in ("GET", "POST"):
                response = await http.request(method, f"/group-report/{bad}", data={"training": "x"})
                assert response.status_code == 404, (method, bad)
                assert "This link is not valid" in response.text
        response = await http.get(f"/group-report/{valid}")
        assert response.status_code == 503 and "Please try again" in response.text
        response = await http.post(f"/group-report/{valid}", content=b"\xff\xfe\x00", headers={"content-type": "x/y"})
        assert response.status_code == 503


def test_example_training_file_reads_against_the_demo_roster() -> None:
    from conduct.settings import PROJECT_ROOT
    from starter.training_cli import read_training_csv
    from tests import factories

    sessions, attended = read_training_csv((PROJECT_ROOT / "examples" / "training.csv").read_text(), factories.roster())
    assert [s.id for s in sessions] == ["LGA-2026-CON", "LGA-2026-LAB", "EQ-2026", "PLAN-2026"]
    assert len(attended) == 6 and {s for s, _ in attended} <= {s.id for s in sessions}
