"""The public pages: how to complain (timescales from ProcedureSettings), the form's lists, the
published decision notices (R12), error pages, headers and the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest_asyncio

from conduct.procedure import ClockRule, ProcedureSettings, default_clocks
from conduct.register import publish_notice
from conduct.settings import Settings
from conduct.vocabulary import ClockName, DayUnit
from starter.web.app import create_app
from tests.web_fixtures import NoTemporal, Web, offline_web, prepared_engine, web_config


@pytest_asyncio.fixture
async def web_offline(settings: Settings) -> AsyncIterator[Web]:
    async with offline_web(settings) as web:
        yield web


SCRIPT = "<script>alert('x')</script>"


def _client(settings: Settings, **kwargs: object) -> httpx.AsyncClient:
    app = create_app(settings, web_config(), NoTemporal(), engine=prepared_engine(settings), **kwargs)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_how_to_complain_uses_the_procedure_settings(settings: Settings) -> None:
    async with _client(settings) as http:
        page = (await http.get("/")).text
    for words in (
        "20 working days",
        "14 calendar days",
        "2 calendar months",
        "3 calendar months",
        "receipt of all relevant information",
        "public interest test",
        "Independent Person",
        "Monitoring Officer",
        "Hearings Sub-Committee",
        "the complaint is anonymous",
        "6 months",
    ):
        assert words in page, words

    clocks = default_clocks()
    clocks[ClockName.ASSESSMENT] = ClockRule(amount=25, unit=DayUnit.WORKING_DAYS, rule="R2", starts_on="receipt")
    clocks[ClockName.HEARING] = ClockRule(amount=4, unit=DayUnit.CALENDAR_MONTHS, rule="R9", starts_on="the report")
    async with _client(settings, procedure=ProcedureSettings(clocks=clocks, time_bar_months=9)) as http:
        page = (await http.get("/")).text
    assert "25 working days" in page and "4 calendar months" in page and "9 months" in page
    assert "20 working days" not in page


async def test_form_lists_members_grouped_by_council(web_offline: Web) -> None:
    page = (await web_offline.http.get("/complain")).text
    legends = re.findall(r'<legend class="fieldset__legend">([^<]+)</legend>', page)
    assert legends[:3] == ["Worthing Borough Council", "Adur District Council", "Lancing Parish Council"]
    assert page.count('name="subject_members"') == 24
    assert "Ursula Finch (Independent, co-opted)" in page
    for title in ("1. Respect", "10. Gifts and hospitality"):
        assert title in page
    assert 'enctype="multipart/form-data"' in page
    assert "<script" not in page  # works without JavaScript
    cookie = web_offline.http.cookies.get("conduct_csrf")
    assert cookie and len(cookie) >= 32


async def test_published_decisions(settings: Settings) -> None:
    async with _client(settings) as http:
        assert "No decision notices have been published" in (await http.get("/decisions")).text
        engine = prepared_engine(settings)
        publish_notice(
            engine,
            "WBC-2026-0003",
            "worthing",
            f"Decision notice WBC-2026-0003\nStatement of facts:\nHe said {SCRIPT}.\n\nSanctions:\n- a formal letter",
            datetime(2026, 7, 20, 9, tzinfo=UTC),
        )
        publish_notice(
            engine, "ADC-2026-0001", "adur", "Decision notice ADC-2026-0001", datetime(2026, 8, 1, tzinfo=UTC)
        )

        page = (await http.get("/decisions")).text
        assert page.index("ADC-2026-0001") < page.index("WBC-2026-0003")  # newest first
        assert '<a href="/decisions/WBC-2026-0003">' in page and "Worthing Borough Council" in page
        page = (await http.get("/decisions", params={"council": "adur"})).text
        assert "ADC-2026-0001" in page and "WBC-2026-0003" not in page
        page = (await http.get("/decisions", params={"year": "2026"})).text  # notices from before: by publication
        assert "ADC-2026-0001" in page and "WBC-2026-0003" in page
        assert "ADC-2026-0001" not in (await http.get("/decisions", params={"year": "2027"})).text
        for bad in ({"council": "<gotham>"}, {"year": "twenty"}, {"year": "99999999999999999999"}, {"sort": "x"}):
            response = await http.get("/decisions", params=bad)  # validated: a page saying so, never a 500
            assert response.status_code == 422, bad
            assert "There is a problem with your request" in response.text and "<gotham>" not in response.text

        response = await http.get("/decisions/WBC-2026-0003")
        assert response.status_code == 200
        assert "<script>" not in response.text
        assert "He said &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;." in response.text
        assert "<li>a formal letter</li>" in response.text
        assert "Published 20 July 2026" in response.text  # long form, without the weekday
        assert (
            response.text.count("Decision notice WBC-2026-0003") == 2
        )  # <title> and <h1>: the text's own heading is dropped

        for missing in ("WBC-2026-9999", "nope", "%3Cscript%3E", "WBC-2026-0003%00", "x" * 500):
            response = await http.get(f"/decisions/{missing}")
            assert response.status_code == 404, missing
            assert "Page not found" in response.text and "<script>" not in response.text


async def test_errors_are_pages_and_headers_are_safe(web_offline: Web) -> None:
    http = web_offline.http
    response = await http.get("/no/such/page")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    response = await http.put("/complaints")
    assert response.status_code == 405 and "<html" in response.text
    response = await http.get("/api/complaints")
    assert response.status_code == 405 and response.headers["content-type"] == "application/json"
    response = await http.post("/complaints", content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data"})
    assert response.status_code == 400 and "<html" in response.text

    assert (await http.head("/")).status_code == 200
    response = await http.get("/")
    assert "script-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert re.findall(r'(?:href|src)="(https?:)?//', response.text) == []  # nothing from a CDN
    css = await http.get("/static/app.css")
    assert css.status_code == 200 and "error-summary" in css.text
    assert (await http.get("/static/../app.py")).status_code == 404
    assert (await http.get("/uploads")).status_code == 404
    assert (await http.get("/docs")).status_code == 404  # Swagger UI would load from a CDN


async def test_openapi_documents_the_api(web_offline: Web) -> None:
    schema = (await web_offline.http.get("/openapi.json")).json()
    operation = schema["paths"]["/api/complaints"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "401", "422", "429"}
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiComplaint"
    }
    complaint = schema["components"]["schemas"]["ApiComplaint"]
    assert complaint["examples"] and set(complaint["required"]) == {
        "complainant",
        "council",
        "subject_members",
        "conduct_dates",
        "provisions",
        "description",
    }
    assert "ApiComplainant" in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["Provision"]["enum"][0] == "respect"
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"X-Conduct-Signature", "X-Conduct-Timestamp", "Idempotency-Key"}
    # the signing scheme is documented where integrators read it (issue 13)
    assert "{timestamp}.{Idempotency-Key}.{raw body}" in operation["description"]
    assert "415" in operation["responses"] and "5 minutes" in operation["responses"]["401"]["description"]
    # every $ref resolves
    text = str(schema)
    for ref in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert ref in schema["components"]["schemas"], ref
    assert "/complain" not in schema["paths"]
