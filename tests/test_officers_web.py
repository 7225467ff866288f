"""The officers' web view (`/officers/…` on the officers' API) in a real browser: Debian's chromium
driven by Playwright, against a real Temporal dev server, the API served on this test's event loop.

Sign in as the MO, an IO and democratic services and see what each may see; an IO cannot open
another IO's case; bad filters are a 400 page; the session cookie is re-checked on every request;
every page fits 375 px; axe-core (npm, installed into .cache/ like oidc-provider) finds no serious
or critical violation. Screenshots go to tests/artefacts/ (gitignored).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn

from conduct import audit
from starter.api.app import create_api
from starter.forwarded import UVICORN_OPTIONS
from tests import devserver_fixtures
from tests.devserver_fixtures import Conduct, load_roster_any
from tests.ports import free_port

dev_server = devserver_fixtures.dev_server
conduct = devserver_fixtures.conduct

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
ARTEFACTS = Path(__file__).parent / "artefacts"
ROOT = Path(__file__).resolve().parent.parent
AXE_VERSION = "4.14.1"
AXE_CACHE = ROOT / ".cache" / f"axe-core-{AXE_VERSION}"
_axe_lock = threading.Lock()
PHONE = {"width": 375, "height": 800}
MO_EMAIL = "joanna.whitlock@adur-worthing.example"


# ----------------------------------------------------------------------------- without a browser


def test_filters_are_the_cli_flags_and_every_bad_value_is_a_plain_problem() -> None:
    from starter.api.web.pages import read_filters

    filters, problems = read_filters([("stage", "hearing-pending"), ("council", "worthing"), ("overdue", "on"),
                                      ("which", "all"), ("member", ""), ("sort", "reference")])  # fmt: skip
    assert not problems and filters is not None
    assert filters.argv() == ["cases", "--json", "--stage", "hearing_pending", "--council", "worthing", "--overdue",
                              "--all"]  # fmt: skip
    assert filters.query(order="desc") == "stage=hearing_pending&council=worthing&overdue=true&which=all&" \
        "sort=reference&order=desc"  # fmt: skip
    _, problems = read_filters([("council", "-x"), ("member", "--help"), ("overdue", "maybe"), ("stage", "open")])
    assert {p.field for p in problems} == {"council", "member", "overdue", "stage"}
    assert all(p.message[0].isupper() for p in problems)


def test_the_timeline_puts_each_clock_on_one_axis_and_marks_a_lapse_up_to_today() -> None:
    from starter.api.web.pages import timeline

    clocks = [
        {"name": "assessment", "rule": "R2", "started": "2026-01-01T10:00:00+00:00", "due": "2026-01-11",
         "state": "met", "met_on": "2026-01-06"},
        {"name": "investigation", "rule": "R7", "started": "2026-01-06T10:00:00+00:00", "due": "2026-01-21",
         "state": "lapsed", "met_on": None},
        {"name": "hearing", "rule": "R9", "started": "2026-01-06T10:00:00+00:00", "due": "2026-01-31",
         "state": "stopped", "met_on": None},
    ]  # fmt: skip
    drawn = timeline(clocks, date(2026, 1, 26))
    assert drawn is not None and (drawn.first, drawn.last) == (date(2026, 1, 1), date(2026, 1, 31))
    met, lapsed, stopped = drawn.bars
    assert (met.left, met.width, met.mark) == (0, 33, 17)
    assert (lapsed.left, lapsed.width, lapsed.over_left, lapsed.over_width, lapsed.mark) == (17, 50, 67, 16, 83)
    assert (stopped.left, stopped.width, stopped.mark, stopped.state_words) == (17, 83, None, "stopped")
    assert drawn.today == 83


def test_what_is_allowed_now_is_the_command_the_cli_asks_for() -> None:
    from starter.api.web.pages import allowed_now
    from starter.api.web.views import command_usage

    usage = command_usage()
    shown = allowed_now([{"action": "appoint_investigator", "roles": ["monitoring_officer"]},
                         {"action": "link", "roles": ["monitoring_officer"]}], "WBC-2026-0001",
                        {"investigating_officer"}, usage)  # fmt: skip
    assert [a.command for a in shown] == [
        "conduct appoint-investigator WBC-2026-0001 --officer OFFICER",
        "conduct link WBC-2026-0001 OTHER_REF",
    ]
    assert not any(a.yours for a in shown)


# ----------------------------------------------------------------------------- fixtures


class _InLoop(uvicorn.Server):
    def capture_signals(self):  # noqa: ANN201 - Ctrl-C belongs to pytest
        return contextlib.nullcontext()


@contextlib.asynccontextmanager
async def serving(conduct: Conduct) -> AsyncIterator[str]:
    """The officers' API on a free port of this event loop, trusting the issuer the environment names."""
    port = free_port()
    server = _InLoop(uvicorn.Config(create_api(conduct.settings), host="127.0.0.1", port=port, log_level="warning",
                                    **UVICORN_OPTIONS))  # fmt: skip
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the API did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Site:
    url: str
    conduct: Conduct
    unassigned: str  # received, nobody appointed
    io1: str  # under investigation by io-1
    io2: str  # under investigation by io-2
    seen: dict[str, Any] = field(default_factory=dict)


async def _investigated_by(conduct: Conduct, io: str) -> str:
    reference = await conduct.open_case()
    await conduct.ok("triage", reference, "--notify")
    await conduct.ok("consult-ip", reference, "--ip", "ip-1", "--text", "Merits investigation.")
    await conduct.ok("assess", reference, "--outcome", "investigate", "--tests-met", "--public-interest", "met",
                     "--public-interest-reason", "Conduct at a public meeting.", "--text",
                     "If proved, a breach of respect.")  # fmt: skip
    await conduct.ok("appoint-investigator", reference, "--officer", io)
    return reference


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def site(conduct: Conduct) -> AsyncIterator[Site]:
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install chromium")
    pytest.importorskip("playwright.async_api", reason="playwright not installed: pip install playwright")
    unassigned = await conduct.open_case()
    io1 = await _investigated_by(conduct, "io-1")
    io2 = await _investigated_by(conduct, "io-2")
    # the register (the cases list) catches up with the workflows
    await conduct.eventually(lambda: conduct.json("cases", "--all"),
                             lambda lines: {unassigned, io1, io2} <= {x["reference"] for x in lines},
                             "the three cases listed")  # fmt: skip
    async with serving(conduct) as url:
        yield Site(url, conduct, unassigned, io1, io2)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser(site: Site) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@contextlib.asynccontextmanager
async def browsing(
    browser: Any, viewport: dict[str, int] | None = None, bypass_csp: bool = False
) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport=viewport or {"width": 1100, "height": 900}, bypass_csp=bypass_csp)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def sign_in(page: Any, url: str, officer: str) -> None:
    """The development issuer's picker, as `--as` on the command line."""
    await page.goto(f"{url}/officers/sign-in")
    await page.get_by_label("Officer").select_option(officer)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{url}/officers/cases")


async def cases_listed(page: Any) -> set[str]:
    return set(await page.locator("#cases tbody tr td:first-child a").all_inner_texts())


async def _screenshot(page: Any, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / f"officers-{name}.png"), full_page=True)


# ----------------------------------------------------------------------------- what each role sees


@pytest.mark.asyncio(loop_scope="session")
async def test_the_mo_signs_in_and_reads_every_case_in_full_with_nothing_that_changes_it(
    site: Site, browser: Any
) -> None:
    async with browsing(browser) as page:
        await sign_in(page, site.url, "mo")
        assert "Signed in as Joanna Whitlock (mo; monitoring officer)" in await page.locator("header").inner_text()
        assert {site.unassigned, site.io1, site.io2} <= await cases_listed(page)

        await page.get_by_role("link", name=site.io1).click()
        await page.wait_for_url(f"{site.url}/officers/cases/{site.io1}")
        text = await page.locator("main").inner_text()
        assert "What happened" in text and "At the Planning Committee on 20 February 2026" in text
        assert "Harriet Lomax" in text  # the complainant
        assert "io-1 (Fiona Blackwood)" in text  # the IO by name
        assert "Withheld from you" not in text
        # the clocks drawn: assessment met, investigator appointment met, investigation due
        assert await page.locator(".timeline__clock").count() >= 3
        assert await page.locator(".timeline__bar--met").count() >= 2
        assert await page.locator(".timeline__bar--pending").count() >= 1
        # the history, readable; what is allowed now as the command to type
        history = await page.locator("#history + table").inner_text()
        assert "assess" in history and "appoint-investigator" in history and "now investigation" in history
        commands = await page.locator(".officers-command").all_inner_texts()
        assert f"conduct draft-report {site.io1} --file FILE" in commands or any(
            c.startswith(f"conduct draft-report {site.io1}") for c in commands
        ), commands
        # read-only: every link is a page to read, and the only form signs out
        hrefs = await page.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert all(h.startswith(("#", "/officers/cases")) for h in hrefs), hrefs
        actions = await page.locator("form").evaluate_all(
            "forms => forms.map(f => [f.method, f.getAttribute('action')])"
        )
        assert actions == [["post", "/officers/sign-out"]], actions
        await _screenshot(page, "mo-case")
        # each letter opens as its recipient read it (issue 16), rendered again from the history
        await page.locator("#letters-sent + ul a").first.click()
        await page.wait_for_url(f"{site.url}/officers/cases/{site.io1}/letters/1?to=complainant")
        letter = await page.locator("main").inner_text()
        assert "Letter 1" in letter and "Acknowledgement, as the complainant read it" in letter
        assert site.io1 in letter and "Harriet Lomax" in letter
        assert (await page.goto(f"{site.url}/officers/cases/{site.io1}/letters/99")).status == 400
        assert (await page.goto(f"{site.url}/officers/cases/{site.io1}/letters/1?to=x%27%3B")).status == 400


@pytest.mark.asyncio(loop_scope="session")
async def test_an_io_sees_only_their_own_case_and_is_refused_another_ios(site: Site, browser: Any) -> None:
    async with browsing(browser) as page:
        await sign_in(page, site.url, "io-1")
        listed = await cases_listed(page)
        assert site.io1 in listed and site.io2 not in listed and site.unassigned not in listed, listed
        assert "only the cases io-1 is appointed to" in (await page.locator("main").inner_text()).lower()

        opened = await page.goto(f"{site.url}/officers/cases/{site.io1}")
        assert opened.status == 200
        assert "What happened" in await page.locator("main").inner_text()

    # a case's address opened before signing in: the sign-in page, then that case
    async with browsing(browser) as page:
        first = await page.goto(f"{site.url}/officers/cases/{site.io1}")
        assert first.status == 401 and await page.get_by_label("Officer").count() == 1
        await page.get_by_label("Officer").select_option("io-1")
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{site.url}/officers/cases/{site.io1}")

        refused = await page.goto(f"{site.url}/officers/cases/{site.io2}")
        assert refused.status == 403
        text = await page.locator("main").inner_text()
        assert (
            "You cannot see this" in text and f"io-1 is not the Investigating Officer appointed to {site.io2}" in text
        )
        assert "What happened" not in text
        await _screenshot(page, "io-refused")


@pytest.mark.asyncio(loop_scope="session")
async def test_democratic_services_see_every_case_but_not_the_papers_before_a_hearing(site: Site, browser: Any) -> None:
    async with browsing(browser) as page:
        await sign_in(page, site.url, "dem")
        assert {site.unassigned, site.io1, site.io2} <= await cases_listed(page)
        opened = await page.goto(f"{site.url}/officers/cases/{site.io1}")
        assert opened.status == 200
        assert (await page.locator("#allowed ~ ul .officers-command").all_inner_texts())[0].startswith(
            f"conduct extend {site.io1} --clock CLOCK --until YYYY-MM-DD --reason REASON"
        )
        text = await page.locator("main").inner_text()
        assert "Parts of this case are withheld from you" in text
        assert "What happened" not in text and "Planning Committee" not in text  # the allegation
        assert "harriet" not in text.lower()  # the complainant, by name or address
        parties = await page.locator("#parties + dl").inner_text()
        assert "Withheld from you" in parties  # the complainant, until the case goes to a hearing
        assert await page.locator(".timeline__clock").count() >= 3  # stage and clocks: theirs to see
        # a letter in full names the complainant and quotes the complaint: refused before a hearing
        refused = await page.goto(f"{site.url}/officers/cases/{site.io1}/letters/1?to=complainant")
        assert refused.status == 403 and "withheld" in (await page.locator("main").inner_text()).lower()


# ----------------------------------------------------------------------------- the list's filters


@pytest.mark.asyncio(loop_scope="session")
async def test_the_cases_list_filters_and_sorts_and_bad_input_is_a_400_page(site: Site, browser: Any) -> None:
    async with browsing(browser) as page:
        await sign_in(page, site.url, "mo")
        await page.get_by_label("Stage").select_option("investigation")
        await page.get_by_role("button", name="Show cases").click()
        await page.wait_for_url(re.compile(r".*stage=investigation.*"))
        listed = await cases_listed(page)
        assert {site.io1, site.io2} <= listed and site.unassigned not in listed, listed

        # sortable: the reference column, then reversed
        await page.get_by_role("link", name="Reference").click()
        await page.wait_for_url(re.compile(r".*sort=reference.*"))
        ascending = await page.locator("#cases tbody tr td:first-child a").all_inner_texts()
        assert ascending == sorted(ascending)
        assert await page.locator("th[aria-sort='ascending']").inner_text() == "Reference ▲"
        await page.get_by_role("link", name="Reference").click()
        await page.wait_for_url(re.compile(r".*order=desc.*"))
        assert await page.locator("#cases tbody tr td:first-child a").all_inner_texts() == sorted(
            ascending, reverse=True
        )

        member = (await site.conduct.json("show", site.io1))["parties"]["subject_members"][0]["id"]
        await page.goto(f"{site.url}/officers/cases?member={member}&which=all")
        assert site.io1 in await cases_listed(page)
        await page.goto(f"{site.url}/officers/cases?council=worthing&overdue=true")
        assert await page.locator("#no-cases").count() == 1  # nothing lapsed yet

        for query, said in (
            ("stage=nonsense", "Stage must be one of"),
            ("council=nowhere", "no such council: nowhere"),
            ("council=x%5C", "Council must be a council id"),
            ("member=%22%00", "Subject member must be a member id"),
            ("overdue=maybe", "Overdue only must be ticked or not"),
            ("sort=secret", "Sort by must be one of"),
            ("order=sideways", "Order must be asc or desc"),
            ("which=some", "Cases must be open, closed or all"),
            ("colour=red", "'colour' is not a filter"),
            ("stage=triage&stage=assessment", "Stage is given more than once"),
        ):
            answer = await page.goto(f"{site.url}/officers/cases?{query}")
            assert answer.status == 400, query
            summary = await page.locator(".error-summary").inner_text()
            assert said in summary, (query, summary)
            assert (await page.title()).startswith("Error: ")

        for path, status in (("cases/--help", 400), ("cases/WBC-2099-9999", 404), ("nowhere", 404)):
            answer = await page.goto(f"{site.url}/officers/{path}")
            assert answer.status == status, path


# ----------------------------------------------------------------------------- the session


@pytest.mark.asyncio(loop_scope="session")
async def test_the_session_cookie_is_httponly_strict_signed_and_checked_against_the_roster_on_every_request(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    async with browsing(browser) as page:
        await sign_in(page, site.url, "deputy")
        [session] = [c for c in await page.context.cookies() if c["name"] == "conduct_officer"]
        assert session["httpOnly"] and session["sameSite"] == "Strict" and session["path"] == "/officers"

        # a cookie edited by hand is nobody's
        async with browsing(browser) as other:
            await other.context.add_cookies([{**session, "value": session["value"][:-3] + "abc"}])
            forged = await other.goto(f"{site.url}/officers/cases")
            assert forged.status == 401 and "Sign in to see the cases" in await other.locator("main").inner_text()

        # a form without this browser's token is refused (and changes nothing)
        async with httpx.AsyncClient(base_url=site.url) as http:
            posted = await http.post("/officers/sign-in/dev", data={"officer": "mo"})
            assert posted.status_code == 400 and "conduct_officer" not in posted.cookies

        # taken off the roster: refused at the very next page, though the token is still in date
        roster = load_roster_any(devserver_fixtures._roster_file(tmp_path))
        without = tmp_path / "without-deputy.json"
        without.write_text(roster.model_copy(update={"officers": [o for o in roster.officers if o.id != "deputy"]})
                           .model_dump_json())  # fmt: skip
        await site.conduct.ok("roster", "import", str(without))
        try:
            gone = await page.goto(f"{site.url}/officers/cases/{site.io1}")
            assert gone.status == 403
            text = await page.locator("main").inner_text()
            assert "You are signed out" in text and "not an officer on the current roster" in text
            assert "What happened" not in text
            assert not [c for c in await page.context.cookies() if c["name"] == "conduct_officer"]
        finally:
            await site.conduct.ok("roster", "import", str(devserver_fixtures._roster_file(tmp_path)))

        # sign out: the cookie goes, and the pages ask to sign in again
        await sign_in(page, site.url, "mo")
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_load_state()
        assert "You have signed out" in await page.locator("main").inner_text()
        again = await page.goto(f"{site.url}/officers/cases")
        assert again.status == 401
    lines = audit.read(site.conduct.settings.data_dir)
    assert any(line.officer == "deputy" and line.via == "officers' web view" for line in lines)
    assert any(line.event == "sign-out" and line.via == "officers' web view" for line in lines)


# ----------------------------------------------------------------------------- 375 px and axe-core


def _pages(site: Site) -> list[tuple[str, str | None, int]]:
    """(path, who, status) of every kind of page the view serves."""
    return [
        ("/officers/sign-in", None, 200),
        ("/officers/cases", "mo", 200),
        ("/officers/cases?stage=bogus", "mo", 400),
        (f"/officers/cases/{site.io1}", "mo", 200),
        (f"/officers/cases/{site.unassigned}", "dem", 200),
        (f"/officers/cases/{site.io2}", "io-1", 403),
        ("/officers/cases/WBC-2099-9999", "mo", 404),
        (f"/officers/cases/{site.io1}/letters/1?to=complainant", "mo", 200),
    ]


@pytest.mark.asyncio(loop_scope="session")
async def test_every_page_fits_a_375_px_phone_without_scrolling_sideways(site: Site, browser: Any) -> None:
    for path, officer, status in _pages(site):
        async with browsing(browser, viewport=PHONE) as page:
            if officer:
                await sign_in(page, site.url, officer)
            answer = await page.goto(f"{site.url}{path}")
            assert answer.status == status, path
            width = await page.evaluate("document.documentElement.scrollWidth")
            wide = await page.evaluate(
                "[...document.querySelectorAll('body, body *')].filter(e => e.getBoundingClientRect().right > 376"
                " || e.scrollWidth > e.clientWidth + 1)"
                ".slice(0, 8).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 60))"
            )
            assert width <= PHONE["width"], f"{path} as {officer}: {width} px wide: {wide}"
            if path.endswith(site.io1) or path.endswith("cases"):
                await _screenshot(page, "phone-case" if path.endswith(site.io1) else "phone-cases")


def install_axe() -> Path:
    """axe.min.js from npm, installed once per version into .cache/ (skips with the reason)."""
    with _axe_lock:
        script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
        if script.exists():
            return script
        if shutil.which("npm") is None:
            pytest.skip("`npm` is not installed (apt-get install nodejs npm): no axe-core check")
        AXE_CACHE.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{AXE_CACHE.name}.", dir=AXE_CACHE.parent))
        try:
            (staging / "package.json").write_text('{"name": "conduct-test-axe", "private": true}\n')
            done = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", f"axe-core@{AXE_VERSION}"],
                cwd=staging, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            if done.returncode != 0:
                pytest.skip(f"npm install axe-core@{AXE_VERSION} failed: {done.stderr.strip()[-300:]}")
            with contextlib.suppress(OSError):  # another run may have won the race: keep its copy
                staging.rename(AXE_CACHE)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return script


@pytest.mark.asyncio(loop_scope="session")
async def test_axe_core_finds_no_serious_or_critical_violation_on_any_page(site: Site, browser: Any) -> None:
    axe = await asyncio.to_thread(install_axe)
    found: list[str] = []
    for viewport in ({"width": 1100, "height": 900}, PHONE):
        for path, officer, _ in _pages(site):
            async with browsing(browser, viewport=viewport, bypass_csp=True) as page:  # the pages allow no script
                if officer:
                    await sign_in(page, site.url, officer)
                await page.goto(f"{site.url}{path}")
                await page.add_script_tag(path=str(axe))
                result = await page.evaluate("() => axe.run(document)")
                assert len(result["passes"]) > 10, f"axe-core checked nothing on {path}"
                for v in result["violations"]:
                    if v["impact"] in ("serious", "critical"):
                        targets = [n["target"] for n in v["nodes"]][:3]
                        found.append(
                            f"{path} ({viewport['width']} px): {v['id']} ({v['impact']}): {v['help']} {targets}"
                        )
    assert not found, "\n".join(found)


# ----------------------------------------------------------------------------- a real identity provider


@pytest.mark.asyncio(loop_scope="session")
async def test_with_a_real_issuer_the_server_runs_the_device_flow_and_refuses_the_officer_picker(
    site: Site, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.oidc_provider import AUDIENCE, CLIENT_ID, Unavailable, approve, rsa_key, running

    try:
        with running([rsa_key()]) as provider:
            for name, value in (("ISSUER", provider.issuer), ("CLIENT_ID", CLIENT_ID), ("AUDIENCE", AUDIENCE)):
                monkeypatch.setenv(f"CONDUCT_OIDC_{name}", value)
            async with serving(site.conduct) as url, browsing(browser) as page:
                await page.goto(f"{url}/officers/sign-in")
                assert await page.get_by_label("Officer").count() == 0  # no picker with a real issuer
                await page.get_by_role("button", name="Start sign-in").click()
                await page.wait_for_url(f"{url}/officers/sign-in/device")
                code = await page.locator("#user-code").inner_text()
                assert code and f"{provider.issuer}/device" in await page.locator("main").inner_text()

                # choosing an officer is refused, even with this browser's form token
                csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
                picked = await page.request.post(f"{url}/officers/sign-in/dev", form={"csrf": csrf, "officer": "mo"})
                assert picked.status == 403 and "development issuer only" in await picked.text()

                complete = await page.locator("#verification-complete").get_attribute("href")
                await asyncio.to_thread(approve, complete, MO_EMAIL)
                await page.get_by_role("button", name="Continue").click()
                await page.wait_for_url(f"{url}/officers/cases", timeout=60_000)
                assert "Signed in as Joanna Whitlock (mo;" in await page.locator("header").inner_text()
                assert site.io1 in await cases_listed(page)
                opened = await page.goto(f"{url}/officers/cases/{site.io1}")
                assert opened.status == 200
    except Unavailable as why:
        pytest.skip(f"no local OpenID provider: {why}")
    via = [(line.officer, line.via) for line in audit.read(site.conduct.settings.data_dir) if line.result == "ok"]
    assert ("mo", "officers' web view") in via
