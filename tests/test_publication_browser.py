"""R12 in a real browser (Debian's chromium, driven by Playwright): the leak of issue 13 reproduced
on the time-skipping server, refused, then redacted and published, withdrawn (410) and corrected,
with each state read as the public reads it, from the app served by uvicorn. Screenshots go to
tests/artefacts/ (gitignored)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
import pytest_asyncio

from conduct import actions as a
from starter.web.app import create_app
from tests.harness import CaseDriver, Refused
from tests.test_publication import ADDRESS, NAME, PUBLIC_STATEMENT, decided_case
from tests.test_web_browser import ARTEFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.web_fixtures import NoTemporal, prepared_engine, served_in_thread, web_config


@pytest_asyncio.fixture
async def served(driver: CaseDriver) -> AsyncIterator[str]:
    """The public web app on the driver's register, in uvicorn's own thread."""
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install chromium")
    pytest.importorskip("playwright.async_api", reason="playwright not installed: pip install playwright")
    app = create_app(driver.settings, web_config(), NoTemporal(), engine=prepared_engine(driver.settings))  # type: ignore[arg-type]
    async with served_in_thread(app, "uvicorn-publication") as base:
        yield base


async def _shot(page: object, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


async def test_the_publish_flow_in_chromium(driver: CaseDriver, served: str) -> None:
    from playwright.async_api import async_playwright

    case = await decided_case(driver)
    ref = case.reference
    await driver.travel_to_day(date(2030, 3, 12))
    await case.act("issue_notice", a.IssueNotice(officer="mo"))

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 900})
            response = await page.goto(f"{served}/decisions/{ref}")
            assert response and response.status == 404  # a draft is not public

            with pytest.raises(Refused, match="the complainant's name"):
                await case.act("publish", a.Publish(officer="mo"))
            response = await page.goto(f"{served}/decisions/{ref}")
            assert response and response.status == 404

            await driver.travel_to_day(date(2030, 3, 13))
            redactions = [NAME, ADDRESS.split(",")[0], "BN11 2DB"]
            await case.act("publish", a.Publish(officer="mo", redactions=redactions))
            response = await page.goto(f"{served}/decisions/{ref}")
            assert response and response.status == 200
            body = await page.inner_text("body")
            assert NAME not in body and "Lyndhurst" not in body and "[redacted]" in body
            assert await page.locator("h1").all_inner_texts() == [f"Decision notice {ref}"]
            assert await page.locator("h2").all_inner_texts() == [
                "Statement of facts",
                "Provisions of the Code of Conduct found breached",
                "The Independent Person's view",
                "Decision and reasons",
                "Sanctions",
                "Appeal",
            ]
            assert await page.locator("#breached li").all_inner_texts() == ["1. Respect"]
            assert "6 March 2030" in body and await page.locator("pre").count() == 0
            await _shot(page, "publication-published")

            await page.goto(f"{served}/decisions?year=2030")
            row = await page.locator("tbody tr").first.inner_text()
            assert ref in row and "Desmond Achterberg" in row and "Breach found" in row and "6 March 2030" in row
            await page.select_option("#year", "2030")
            await page.click("text=Show")
            assert ref in await page.inner_text("tbody")
            response = await page.goto(f"{served}/decisions?year=twenty")
            assert response and response.status == 422

            await driver.travel_to_day(date(2030, 3, 20))
            await case.act("unpublish", a.Unpublish(officer="mo", reason="Too detailed."))
            response = await page.goto(f"{served}/decisions/{ref}")
            assert response and response.status == 410
            assert "This decision notice was withdrawn on 20 March 2030" in await page.inner_text("#withdrawn")
            await _shot(page, "publication-withdrawn")

            await driver.travel_to_day(date(2030, 3, 25))
            await case.act("publish", a.Publish(officer="mo", statement=PUBLIC_STATEMENT, correct=True))
            response = await page.goto(f"{served}/decisions/{ref}")
            assert response and response.status == 200
            assert await page.inner_text("#corrected") == "Corrected on 25 March 2030"
            assert PUBLIC_STATEMENT in await page.inner_text("#statement")
            await _shot(page, "publication-corrected")
        finally:
            await browser.close()
