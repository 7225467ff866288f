"""The web app's safety pieces on their own: signed tokens, the webhook signature, the token
bucket and the upload quota, the client address, content sniffing and text cleaning; and the
catch-all error page."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import date

import httpx
import pytest

from conduct.settings import Settings
from conduct.vocabulary import ComplainantType, Provision
from starter.forwarded import ProxyTrust
from starter.web.app import create_app
from starter.web.forms import Answers, check_answers, clean_text, visible
from starter.web.security import (
    ByteQuota,
    RateLimiter,
    Signer,
    client_address,
    integrator_id,
    webhook_refusal,
    webhook_signature,
)
from starter.web.uploads import sniff
from tests import factories
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


def test_webhook_signature_covers_the_timestamp_and_the_key() -> None:
    secret, body, now = b"s3cret", b'{"a": 1}', 1_800_000_000
    header = webhook_signature(secret, body, now, "key-1")
    assert header.startswith("sha256=") and len(header) == 7 + 64
    expected = hmac.new(secret, f"{now}.key-1.".encode() + body, hashlib.sha256).hexdigest()
    assert header == f"sha256={expected}"  # the documented string: "{timestamp}.{Idempotency-Key}.{raw body}"
    assert webhook_refusal(secret, body, str(now), "key-1", header, now=now) is None
    upper = header.upper().replace("SHA256=", "sha256=")
    assert webhook_refusal(secret, body, str(now), "key-1", upper, now=now) is None
    # no key signs as the empty string
    unkeyed = webhook_signature(secret, body, now)
    assert unkeyed == "sha256=" + hmac.new(secret, f"{now}..".encode() + body, hashlib.sha256).hexdigest()
    assert webhook_refusal(secret, body, str(now), None, unkeyed, now=now) is None

    # another key, body, time or secret: refused
    assert "Wrong X-Conduct-Signature" in (webhook_refusal(secret, body, str(now), "key-2", header, now=now) or "")
    assert webhook_refusal(secret, body, str(now), None, header, now=now)
    assert webhook_refusal(secret, body + b" ", str(now), "key-1", header, now=now)
    assert webhook_refusal(secret, body, str(now + 1), "key-1", header, now=now)
    assert webhook_refusal(b"other", body, str(now), "key-1", header, now=now)
    for bad in (None, "", "sha256", "sha1=" + header[7:], header[7:], "sha256=é"):
        assert webhook_refusal(secret, body, str(now), "key-1", bad, now=now), bad
    for stamp in (None, "", "soon", "-5", "1e9", "9" * 13):
        assert "X-Conduct-Timestamp" in (webhook_refusal(secret, body, stamp, "key-1", header, now=now) or ""), stamp

    # more than 5 minutes either side of our clock: refused, however well signed
    for skew in (-301, 301):
        late = webhook_signature(secret, body, now + skew, "key-1")
        refusal = webhook_refusal(secret, body, str(now + skew), "key-1", late, now=now)
        assert refusal and "more than 5 minutes" in refusal
    for skew in (-300, 300):
        fine = webhook_signature(secret, body, now + skew, "key-1")
        assert webhook_refusal(secret, body, str(now + skew), "key-1", fine, now=now) is None


def test_the_old_body_only_signature_is_refused_naming_the_new_scheme() -> None:
    secret, body = b"s3cret", b'{"a": 1}'
    old = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    refusal = webhook_refusal(secret, body, None, None, old, now=1_800_000_000)
    assert refusal is not None
    assert "body-only signature is no longer accepted" in refusal
    assert "X-Conduct-Timestamp" in refusal and "{timestamp}.{Idempotency-Key}.{raw body}" in refusal


def test_integrators_are_told_apart_by_their_secret() -> None:
    one, other = integrator_id(b"secret-one"), integrator_id(b"secret-two")
    assert one != other and one == integrator_id(b"secret-one")
    assert len(one) == 16 and "secret" not in one


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
    assert client_address(scope, ProxyTrust()) == "10.0.0.9"  # default: no proxy is trusted
    assert client_address(scope, ProxyTrust.parse("10.0.0.0/8")) == "203.0.113.7"  # what our proxy saw
    assert client_address(scope, ProxyTrust.parse("192.168.0.1")) == "10.0.0.9"  # not our proxy
    assert client_address({"headers": []}, ProxyTrust.parse("10.0.0.0/8")) == "unknown"


def test_upload_quota_is_bytes_per_client_per_hour() -> None:
    now = [0.0]
    quota = ByteQuota(per_hour=3600, clock=lambda: now[0])  # one byte a second
    assert quota.take("a", 3000) == 0
    wait = quota.take("a", 1000)  # nothing taken: 600 left, 400 short
    assert wait == pytest.approx(400)
    assert quota.take("a", 600) == 0
    assert quota.take("b", 3600) == 0  # per client
    now[0] = 400.0
    assert quota.take("a", 400) == 0
    assert quota.take("a", 5000) == 3600  # more than an hour's worth is never allowed at once


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


def test_a_name_of_invisible_characters_is_no_name() -> None:
    """Issue 13: zero-width spaces passed as a name. On the form it is a missing name; in the API,
    where an empty name is the anonymous path, it is anonymous."""
    for blank in ("\u200b\u200b", "\u2060\ufeff", "\u00a0\u3000 ", "\u3164", "\u2800", "\ufe0f\u200d", ""):
        assert not visible(blank), repr(blank)
    for shown in ("Ann", "李", "\u200bA", "O\u2019Neil"):
        assert visible(shown), shown
    roster = factories.roster()
    for require_identity, problem in ((True, ["name"]), (False, [])):
        answers = Answers(
            name="\u200b\u200c\u2060",
            email="a@example.org",
            address="1 High Street",
            type=ComplainantType.PUBLIC,
            council="worthing",
            subject_members=["wbc-04"],
            conduct_dates=[date(2026, 1, 5)],
            provisions=[Provision.RESPECT],
            description="x" * 40,
        )
        found = check_answers(answers, roster, date(2026, 2, 1), require_identity=require_identity)
        assert [p.field for p in found] == problem
        assert answers.name == ""
