"""X-Forwarded-For is believed only from CONDUCT_TRUSTED_PROXIES, walked from the right (issue 13):
the rule on its own, the deprecated CONDUCT_TRUST_FORWARDED_FOR, and the real servers (`conduct
dev`'s embedded uvicorn, as `conduct web` and `conduct codec` run it) for the web app's rate limit
and the codec endpoint's audit lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from conduct.codec import new_key_spec
from conduct.settings import Settings
from starter.codec_server import tokens
from starter.codec_server.app import AUDIT_LOGGER, create_codec_app
from starter.forwarded import ProxySettings, ProxyTrust
from starter.local import _start_embedded
from starter.web.app import create_app
from tests.ports import free_port
from tests.web_fixtures import TemporalDown, form_data, hidden_tokens, prepared_engine, web_config

SECRET = "test-codec-secret-for-forwarded-for-0123"
PAYLOADS = {"payloads": [{"metadata": {"encoding": "YmluYXJ5L3BsYWlu"}, "data": "aGVsbG8="}]}  # binary/plain


def bearer() -> str:
    return "Bearer " + tokens.mint(SECRET, "mo", datetime.now(UTC) + timedelta(hours=1))


def scope(peer: str | None, *forwarded: str) -> dict[str, object]:
    return {
        "client": (peer, 5000) if peer else None,
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
    }


def test_forwarded_for_is_walked_from_the_right_skipping_trusted_proxies() -> None:
    trust = ProxyTrust.parse("10.0.0.0/8, 192.0.2.1, 2001:db8::/32")
    # the peer is not ours: whatever it says is ignored
    assert trust.client(scope("203.0.113.9", "6.6.6.6")) == "203.0.113.9"
    # one proxy of ours: what it appended
    assert trust.client(scope("10.0.0.2", "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    # two proxies of ours (the header split over two lines): the first hop that is not ours
    assert trust.client(scope("10.0.0.2", "6.6.6.6, 198.51.100.7", "192.0.2.1")) == "198.51.100.7"
    # ports and IPv6 as proxies write them
    assert trust.client(scope("2001:db8::5", "[2001:db8::9]:443, 198.51.100.7:5120")) == "198.51.100.7:5120"
    assert trust.client(scope("2001:db8::5", "2001:db8::9")) == "2001:db8::9"  # only ours: the leftmost
    # a trusted peer that sent no header is the client itself
    assert trust.client(scope("10.0.0.2")) == "10.0.0.2"
    # an entry that is no address ends the walk: it is what our proxy saw
    assert trust.client(scope("10.0.0.2", "6.6.6.6, unknown")) == "unknown"
    assert trust.client(scope(None, "6.6.6.6")) == "unknown"
    assert trust.client(scope("10.0.0.2", "x" * 500)) == "x" * 64


def test_the_default_trusts_no_proxy() -> None:
    assert ProxyTrust().client(scope("127.0.0.1", "6.6.6.6")) == "127.0.0.1"
    assert ProxySettings(_env_file=None).trust() == ProxyTrust()  # type: ignore[call-arg]


def test_the_deprecated_boolean_trusts_the_immediate_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCT_TRUST_FORWARDED_FOR", "true")
    monkeypatch.setenv("CONDUCT_TRUSTED_PROXIES", "10.0.0.0/8")
    trust = ProxySettings(_env_file=None).trust()  # type: ignore[call-arg]
    assert trust.client(scope("203.0.113.9", "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    assert trust.client(scope("203.0.113.9", "198.51.100.7, 10.0.0.3")) == "198.51.100.7"
    config = web_config(trust_forwarded_for=True)
    assert config.proxy_trust().client(scope("203.0.113.9", "198.51.100.7")) == "198.51.100.7"


def test_a_trusted_proxies_typo_stops_the_codec_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCT_TRUSTED_PROXIES", "10.0.0.0/33")
    with pytest.raises(ValueError, match="'10.0.0.0/33' in CONDUCT_TRUSTED_PROXIES"):
        ProxySettings(_env_file=None).trust()  # type: ignore[call-arg]


async def test_a_rotated_forwarded_for_does_not_escape_the_rate_limit_of_a_real_server(settings: Settings) -> None:
    """Issue 13: rotating X-Forwarded-For defeated the form's rate limit. `conduct dev` served the
    app with uvicorn's proxy headers on, which believe any X-Forwarded-For from 127.0.0.1."""
    config = web_config(form_rate_burst=2, form_rate_per_minute=1)
    app = create_app(settings, config, TemporalDown(), engine=prepared_engine(settings))
    port = free_port()
    server, task = await _start_embedded(app, port, "the web app")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            tokens = hidden_tokens((await http.get("/complain")).text)
            statuses = []
            for i in range(4):
                response = await http.post(
                    "/complaints",
                    data={**tokens, **form_data(name="")},
                    headers={"x-forwarded-for": f"198.51.100.{i}"},
                )
                statuses.append(response.status_code)
        assert statuses == [422, 422, 429, 429]
    finally:
        server.should_exit = True
        await task


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def audit_lines() -> Iterator[list[str]]:
    logger = logging.getLogger(AUDIT_LOGGER)
    handler, level = _Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def codec_settings(settings: Settings) -> Settings:
    prepared_engine(settings)  # the roster, with the Monitoring Officer 'mo'
    return settings.model_copy(update={"encryption_keys": new_key_spec("key-1"), "codec_secret": SECRET})


async def test_the_codec_audit_names_the_peer_unless_it_is_a_trusted_proxy(
    codec_settings: Settings, audit_lines: list[str]
) -> None:
    headers = {"authorization": bearer(), "x-forwarded-for": "6.6.6.6, 198.51.100.7"}
    for proxies, expected in ((ProxyTrust(), "10.0.0.2"), (ProxyTrust.parse("10.0.0.0/8"), "198.51.100.7")):
        app = create_codec_app(codec_settings, roster_ttl=0, proxies=proxies)
        transport = httpx.ASGITransport(app=app, client=("10.0.0.2", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8081") as http:
            response = await http.post("/encode", json=PAYLOADS, headers=headers)
        assert response.status_code == 200, response.text
        assert audit_lines[-1].endswith(f"client={expected}"), audit_lines[-1]


async def test_the_codec_endpoint_served_for_real_ignores_an_untrusted_forwarded_for(
    codec_settings: Settings, audit_lines: list[str]
) -> None:
    """Issue 13: served by uvicorn with its proxy headers on, the codec endpoint's audit line named
    whatever address a caller on 127.0.0.1 put in X-Forwarded-For."""
    app = create_codec_app(codec_settings, roster_ttl=0, proxies=ProxyTrust())
    port = free_port()
    server, task = await _start_embedded(app, port, "the codec endpoint")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            headers = {"authorization": bearer(), "x-forwarded-for": "6.6.6.6"}
            response = await http.post("/encode", json=PAYLOADS, headers=headers)
        assert response.status_code == 200, response.text
        assert audit_lines[-1].endswith("client=127.0.0.1"), audit_lines[-1]
    finally:
        server.should_exit = True
        await task
