"""The web app's safety pieces on their own: signed tokens, the webhook signature, the token
bucket, the client address, content sniffing and text cleaning; and the catch-all error page."""

from __future__ import annotations

import logging

import httpx
import pytest

from conduct.settings import Settings
from starter.web.app import create_app
from starter.web.forms import clean_text
from starter.web.security import RateLimiter, Signer, client_address, verify_webhook_signature, webhook_signature
from starter.web.uploads import sniff
from tests.web_fixtures import NoTemporal, form_data, hidden_tokens, prepared_engine, web_config

SIGNER = Signer(b"0123456789abcdef0123456789abcdef")


def test_csrf_token_is_bound_to_its_cookie_and_expires() -> None:
    cookie, other = Signer.new_cookie_value(), Signer.new_cookie_value()
    token = SIGNER.csrf_token(cookie, now=1_000_000)
    assert SIGNER.csrf_ok(cookie, token, max_age=3600, now=1_000_000 + 3599)
    assert not SIGNER.csrf_ok(cookie, token, max_age=3600, now=1_000_000 + 3601)
    assert not SIGNER.csrf_ok(other, token, max_age=3600, now=1_000_000)
    assert not SIGNER.csrf_ok(None, token, max_age=3600, now=1_000_000)
    assert not SIGNER.csrf_ok("short", token, max_age=3600, now=1_000_000)
    assert not Signer(b"another-secret-0123456789").csrf_ok(cookie, token, max_age=3600, now=1_000_000)
    for broken in ("", "1.2.3", "x.y", f"{1_000_000}.", token + "x"):
        assert not SIGNER.csrf_ok(cookie, broken, max_age=3600, now=1_000_000), broken
    with pytest.raises(ValueError):
        Signer(b"short")


def test_submission_tokens_are_issued_by_the_server() -> None:
    token = SIGNER.submission_token()
    key = SIGNER.submission_key(token)
    assert key is not None and key.startswith("form:") and len(key) < 200
    assert SIGNER.submission_token() != token
    assert SIGNER.submission_key(token.split(".")[0] + ".forged") is None
    assert SIGNER.submission_key(None) is None
    assert SIGNER.submission_key("x" * 500) is None


def test_webhook_signature() -> None:
    secret, body = b"s3cret", b'{"a": 1}'
    header = webhook_signature(secret, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_webhook_signature(secret, body, header)
    assert verify_webhook_signature(secret, body, header.upper().replace("SHA256=", "sha256="))
    assert not verify_webhook_signature(secret, body + b" ", header)
    assert not verify_webhook_signature(b"other", body, header)
    for bad in (None, "", "sha256", "sha1=" + header[7:], header[7:], "sha256=é"):
        assert not verify_webhook_signature(secret, body, bad)


def test_token_bucket_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(burst=2, per_minute=6, clock=lambda: now[0])  # one token every 10 s
    assert limiter.take("a") == 0 and limiter.take("a") == 0
    wait = limiter.take("a")
    assert wait == pytest.approx(10) and RateLimiter.retry_after(wait) == 10
    assert limiter.take("b") == 0  # per client
    now[0] = 10.0
    assert limiter.take("a") == 0
    assert limiter.take("a") > 0
    small = RateLimiter(burst=1, per_minute=1, max_clients=2, clock=lambda: now[0])
    for client in ("x", "y", "z"):
        small.take(client)
    assert small.take("x") == 0  # forgotten first when too many clients are tracked


def test_client_address() -> None:
    scope = {"client": ("10.0.0.9", 1234), "headers": [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.7")]}
    assert client_address(scope, trust_forwarded_for=False) == "10.0.0.9"
    assert client_address(scope, trust_forwarded_for=True) == "203.0.113.7"  # what our proxy saw
    assert client_address({"headers": []}, trust_forwarded_for=True) == "unknown"


def test_sniffing() -> None:
    assert sniff(b"%PDF-1.7\n") == "pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "png"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "jpg"
    assert sniff("Notes: café\n\tindented\r\n".encode()) == "txt"
    assert sniff(b"\xef\xbb\xbfwith a BOM") == "txt"
    assert sniff("cut in the middle: é".encode()[:-1]) == "txt"
    for other in (b"", b"MZ\x90\x00", b"PK\x03\x04zip", b"GIF89a\x01\x00", b"text\x00with nul", b"\xff\xfe\x00\x00"):
        assert sniff(other) is None, other


def test_clean_text() -> None:
    assert clean_text("  a\x00b\x07c\u202e  ") == "abc"
    assert clean_text("one\r\ntwo\rthree\tfour") == "one two three four"
    assert clean_text("one\r\ntwo", multiline=True) == "one\ntwo"
    assert clean_text("emoji 👍🏽 and ‍zwj") == "emoji 👍🏽 and ‍zwj"
    assert clean_text(7) == ""


async def test_an_unexpected_error_is_a_polite_page(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings, web_config(), NoTemporal(), engine=prepared_engine(settings))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        tokens = hidden_tokens((await http.get("/complain")).text)

        def broken() -> None:
            raise KeyError("a bug")

        app.state.web.roster = broken
        with caplog.at_level(logging.ERROR, logger="conduct.web"):
            response = await http.post("/complaints", data={**tokens, **form_data()})
        assert response.status_code == 500
        assert "Sorry, there is a problem with the service" in response.text
        assert "KeyError" not in response.text and "Traceback" not in response.text
        assert "unexpected error on POST /complaints" in caplog.text
        response = await http.post("/api/complaints", content=b"{}")
        assert response.status_code == 401  # the API still answers
