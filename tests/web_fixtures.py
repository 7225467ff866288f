"""Helpers for the web app's tests: the app over httpx (ASGI transport, same event loop as the
Temporal test server's client), a valid form and JSON body, signing, and reading tokens."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, text
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from conduct.calendar import london_date
from conduct.register import create_schema, make_engine
from conduct.roster_store import save_roster
from conduct.settings import Settings
from starter.web.app import create_app
from starter.web.config import WebConfig
from starter.web.security import webhook_signature
from tests import factories
from worker import build_worker

WEBHOOK_SECRET = "webhook-secret-for-tests-only-0123456789"
WEB_SECRET = "web-secret-for-tests-only-0123456789abcdef"
DESCRIPTION = (
    "At the Planning Committee the councillor shouted at me from the dais while I was speaking as an "
    "objector, and called me a liar in front of the public gallery."
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def today() -> date:
    return london_date(datetime.now(UTC))


def recent(days: int = 10) -> date:
    return today() - timedelta(days=days)


def web_config(**overrides: Any) -> WebConfig:
    values: dict[str, Any] = {
        "webhook_secret": WEBHOOK_SECRET,
        "web_secret": WEB_SECRET,
        "form_rate_burst": 10_000,
        "api_rate_burst": 10_000,
        "temporal_timeout_seconds": 5,
    }
    values.update(overrides)
    return WebConfig(_env_file=None, **values)  # type: ignore[call-arg]


def prepared_engine(settings: Settings) -> Engine:
    engine = make_engine(settings.resolved_database_url)
    create_schema(engine)
    save_roster(engine, factories.roster())
    return engine


def count_intake_keys(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("select count(*) from intake_keys")).scalar_one()


class NoTemporal:
    """A client factory for tests that must never reach Temporal."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Client:
        self.calls += 1
        raise AssertionError("this test must not start a workflow")


class TemporalDown:
    """A client factory that fails as Client.connect does when nothing listens."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> Client:
        self.calls += 1
        raise RuntimeError("Failed client connect: Server connection error")


# ----------------------------------------------------------------------------- the form


def form_data(**overrides: Any) -> dict[str, Any]:
    """A complete, valid form post (as httpx `data`): Harriet Lomax about Cllr Achterberg (wbc-04)."""
    when = recent()
    data: dict[str, Any] = {
        "name": factories.COMPLAINANT_NAME,
        "email": "harriet.lomax@example.org",
        "address": "14 Marine Parade\nWorthing BN11 3PT",
        "phone": "01903 000000",
        "complainant_type": "public",
        "council": "worthing",
        "subject_members": ["wbc-04"],
        "conduct_date_1-day": str(when.day),
        "conduct_date_1-month": str(when.month),
        "conduct_date_1-year": str(when.year),
        "provisions": ["respect", "disrepute"],
        "description": DESCRIPTION,
        "confidentiality_reason": "",
        "declaration": "yes",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


_HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|submission)" value="([^"]*)">')


def hidden_tokens(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


def kept_tokens(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="kept_evidence" type="checkbox" value="([^"]*)"', page)]


def reference_in(page: str) -> str | None:
    found = re.search(r'<strong id="reference">([A-Z]{2,6}-\d{4}-\d{4,})</strong>', page)
    return found.group(1) if found else None


def error_summary(page: str) -> list[tuple[str, str]]:
    """(field id, message) of each link in the error summary."""
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    if not summary:
        return []
    return [(i, html.unescape(m)) for i, m in re.findall(r'<a href="#([^"]+)">(.*?)</a>', summary.group(0))]


@dataclass
class Web:
    """The app behind an httpx client; `form()` fetches a fresh form and its tokens."""

    http: httpx.AsyncClient
    settings: Settings
    engine: Engine
    config: WebConfig

    async def form(self) -> dict[str, str]:
        page = await self.http.get("/complain")
        assert page.status_code == 200, page.text
        return hidden_tokens(page.text)

    async def post_form(
        self, data: dict[str, Any], tokens: dict[str, str] | None = None, files: list[Any] | None = None
    ) -> httpx.Response:
        tokens = tokens if tokens is not None else await self.form()
        return await self.http.post("/complaints", data={**tokens, **data}, files=files or [("evidence", ("", b""))])

    async def post_api(
        self,
        body: Any,
        key: str | None = None,
        secret: str | None = WEBHOOK_SECRET,
        raw: bytes | None = None,
        headers: dict[str, Any] | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """Signed as an integrator signs (timestamp, key and body), at `timestamp` (default now)."""
        content = raw if raw is not None else json.dumps(body).encode()
        sent = {
            "content-type": "application/json",
            **signed_headers(content, key, secret, timestamp),
            **(headers or {}),
        }
        return await self.http.post("/api/complaints", content=content, headers=sent)


def signed_headers(
    content: bytes, key: str | None = None, secret: str | None = WEBHOOK_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """X-Conduct-Timestamp, X-Conduct-Signature (over "{timestamp}.{key}.{body}") and Idempotency-Key."""
    headers: dict[str, str] = {}
    if secret is not None:
        stamp = int(time.time()) if timestamp is None else timestamp
        headers["X-Conduct-Timestamp"] = str(stamp)
        headers["X-Conduct-Signature"] = webhook_signature(secret.encode(), content, stamp, key)
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def api_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "complainant": {
            "name": factories.COMPLAINANT_NAME,
            "email": "harriet.lomax@example.org",
            "type": "public",
            "address": "14 Marine Parade, Worthing BN11 3PT",
        },
        "council": "worthing",
        "subject_members": ["wbc-04"],
        "conduct_dates": [recent().isoformat()],
        "provisions": ["respect", "disrepute"],
        "description": DESCRIPTION,
        "confidential": False,
        "confidentiality_reason": "",
    }
    body.update(overrides)
    return body


async def make_web(
    settings: Settings, client_factory: Callable[[], Any], **config: Any
) -> tuple[Web, httpx.AsyncClient]:
    engine = prepared_engine(settings)
    cfg = web_config(**config)
    app = create_app(settings, cfg, client_factory, engine=engine)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return Web(http=http, settings=settings, engine=engine, config=cfg), http


# Each test module declares its fixtures with these (`web_offline`, `web`), so that pytest need not
# load this module as a plugin.


@asynccontextmanager
async def offline_web(settings: Settings) -> AsyncIterator[Web]:
    """The app with a Temporal that must not be reached (validation tests)."""
    web, http = await make_web(settings, NoTemporal())
    async with http:
        yield web


@asynccontextmanager
async def running_web(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Web]:
    """The app on the time-skipping test server, with a worker running the complaint workflow."""
    made, http = await make_web(settings, lambda: env.client)
    async with build_worker(env.client, settings, fail_fast=True), http:
        yield made


@asynccontextmanager
async def served_in_thread(app: Any, name: str = "uvicorn") -> AsyncIterator[str]:
    """`app` on a free loopback port, served by uvicorn from its own thread and event loop (as the
    web app runs in production, apart from the test's loop); yields its base URL."""
    import asyncio
    import threading

    import uvicorn

    from tests.ports import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
