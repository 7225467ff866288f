"""Every validation rule of the form and of POST /api/complaints answers 400/422 (or 401/403/413/
429/503) with a message a person understands, and never 5xx for what a user sent. No Temporal:
the factory fails the test if a workflow would be started."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from conduct.intake_keys import reference_for
from conduct.settings import Settings
from starter.web import uploads
from starter.web.app import create_app
from starter.web.security import CSRF_COOKIE
from tests.web_fixtures import (
    DESCRIPTION,
    PDF,
    PNG,
    WEBHOOK_SECRET,
    NoTemporal,
    TemporalDown,
    Web,
    api_body,
    count_intake_keys,
    error_summary,
    form_data,
    hidden_tokens,
    kept_tokens,
    make_web,
    offline_web,
    prepared_engine,
    signed_headers,
    today,
    web_config,
)


@pytest_asyncio.fixture
async def web_offline(settings: Settings) -> AsyncIterator[Web]:
    async with offline_web(settings) as web:
        yield web


TOMORROW = today() + timedelta(days=1)

FORM_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("name missing", {"name": "  "}, "name", "Enter your full name"),
    # issue 13: zero-width spaces, a word joiner, a no-break space, a BOM and a Hangul filler passed as a name
    ("name invisible", {"name": "\u200b\u2060\u00a0\ufeff\u3164"}, "name", "Enter your full name"),
    ("name too long", {"name": "N" * 201}, "name", "Your name must be 200 characters or fewer"),
    ("email missing", {"email": ""}, "email", "Enter your email address"),
    ("email syntax", {"email": "harriet.lomax@"}, "email", "Enter an email address in the correct format"),
    ("email no dot", {"email": "harriet@localhost"}, "email", "Enter an email address in the correct format"),
    # issue 11: accepted before, then every letter to it failed for ever and wedged the case
    ("email accented local part", {"email": "josé@example.org"}, "email", "without accents or other special"),
    ("address missing", {"address": "\n "}, "address", "Enter your postal address"),
    ("address long", {"address": "A" * 501}, "address", "Your postal address must be 500 characters or fewer"),
    ("phone letters", {"phone": "call me maybe"}, "phone", "Enter a telephone number"),
    ("type missing", {"complainant_type": None}, "complainant_type", "Select whether you are a member of the public"),
    ("type unknown", {"complainant_type": "mayor"}, "complainant_type", "Select whether you are"),
    ("council missing", {"council": ""}, "council", "Select the council the councillor belongs to"),
    ("council unknown", {"council": "gotham"}, "council", "Select a council from the list"),
    ("member missing", {"subject_members": None}, "subject_members", "Select the councillor or councillors"),
    (
        "member of another council",
        {"subject_members": ["wbc-04", "adc-05"]},
        "subject_members",
        "Oliver Penhaligon is not a member of Worthing Borough Council",
    ),
    ("member unknown", {"subject_members": ["wbc-99"]}, "subject_members", "'wbc-99' is not a councillor on our list"),
    (
        "date missing",
        {"conduct_date_1-day": "", "conduct_date_1-month": "", "conduct_date_1-year": ""},
        "conduct_date_1-day",
        "Enter the date the conduct happened",
    ),
    (
        "date not real",
        {"conduct_date_1-day": "31", "conduct_date_1-month": "2"},
        "conduct_date_1-day",
        "must be a real date",
    ),
    ("date letters", {"conduct_date_1-month": "Feb"}, "conduct_date_1-day", "must be a real date"),
    ("date two-digit year", {"conduct_date_1-year": "26"}, "conduct_date_1-day", "must be a real date"),
    (
        "date in the future",
        {
            "conduct_date_1-day": str(TOMORROW.day),
            "conduct_date_1-month": str(TOMORROW.month),
            "conduct_date_1-year": str(TOMORROW.year),
        },
        "conduct_date_1-day",
        "must be today or in the past",
    ),
    (
        "second date half filled",
        {"conduct_date_2-day": "3", "conduct_date_2-month": "", "conduct_date_2-year": ""},
        "conduct_date_1-day",
        "must be a real date",
    ),
    ("provisions missing", {"provisions": None}, "provisions", "Select which parts of the Code of Conduct"),
    ("provision unknown", {"provisions": ["rudeness"]}, "provisions", "Select which parts of the Code of Conduct"),
    ("description missing", {"description": "   "}, "description", "Describe what happened"),
    ("description short", {"description": "He was rude to me."}, "description", "at least 20 characters"),
    ("description long", {"description": "x" * 20_001}, "description", "20,000 characters or fewer"),
    (
        "confidentiality without reason",
        {"confidential": "yes", "confidentiality_reason": ""},
        "confidentiality_reason",
        "Tell us why you want your identity kept confidential",
    ),
    ("declaration missing", {"declaration": None}, "declaration", "Confirm that the information you have given"),
]


@pytest.mark.parametrize(("case", "overrides", "field_id", "message"), FORM_CASES, ids=[c[0] for c in FORM_CASES])
async def test_form_rule(web_offline: Web, case: str, overrides: dict[str, Any], field_id: str, message: str) -> None:
    data = form_data(**overrides)
    response = await web_offline.post_form(data)
    assert response.status_code == 422, response.text
    summary = error_summary(response.text)
    assert any(fid == field_id and message in text for fid, text in summary), summary
    assert f'id="{field_id}"' in response.text  # the summary's link has a target
    assert response.text.count("<title>Error: ") == 1
    # values are kept
    if data.get("name", "").strip():
        assert f'value="{data["name"]}"' in response.text
    assert "Planning Committee the councillor shouted" in response.text or "description" in overrides
    assert count_intake_keys(web_offline.engine) == 0


async def test_form_lists_every_problem_at_once(web_offline: Web) -> None:
    response = await web_offline.post_form({"declaration": "no"})
    assert response.status_code == 422
    ids = [fid for fid, _ in error_summary(response.text)]
    assert ids == [
        "name",
        "email",
        "address",
        "complainant_type",
        "council",
        "subject_members",
        "conduct_date_1-day",
        "provisions",
        "description",
        "declaration",
    ]


async def test_form_without_csrf_token_is_refused_and_keeps_values(web_offline: Web) -> None:
    tokens = await web_offline.form()
    for broken in (
        {"submission": tokens["submission"]},  # no CSRF token
        {**tokens, "csrf_token": tokens["csrf_token"][:-2] + "xx"},  # tampered
        {**tokens, "submission": "made-up.token"},  # a submission token the server did not issue
    ):
        response = await web_offline.post_form(form_data(), tokens=broken)
        assert response.status_code == 403
        assert "This form has expired or could not be checked" in response.text
        assert f'value="{form_data()["name"]}"' in response.text
        assert hidden_tokens(response.text)["csrf_token"]  # a fresh token to send it again
    # a token is tied to the cookie: another browser's token does not pass
    web_offline.http.cookies.set(CSRF_COOKIE, "A" * 43)
    response = await web_offline.post_form(form_data(), tokens=tokens)
    assert response.status_code == 403
    assert count_intake_keys(web_offline.engine) == 0


async def test_form_token_issue_time_is_signed(settings: Settings) -> None:
    web, http = await make_web(settings, TemporalDown(), form_token_max_age_seconds=1)
    async with http:
        tokens = await web.form()
        issued, signature = tokens["csrf_token"].split(".")
        # an old token cannot be made young again: the time is signed
        tokens["csrf_token"] = f"{int(issued) + 3600}.{signature}"
        response = await web.post_form(form_data(), tokens=tokens)
        assert response.status_code == 403


async def test_evidence_files_are_checked_by_content(web_offline: Web) -> None:
    files = [
        ("evidence", ("letter.pdf", PDF, "application/pdf")),
        ("evidence", ("photo.png", PNG, "image/png")),
        ("evidence", ("notes.txt", "Meeting notes: café, 9 o'clock.".encode(), "text/plain")),
        ("evidence", ("program.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "application/pdf")),  # a lie
        ("evidence", ("empty.txt", b"", "text/plain")),
    ]
    response = await web_offline.post_form(form_data(description="short"), files=files)
    assert response.status_code == 422
    messages = [m for fid, m in error_summary(response.text) if fid == "evidence"]
    assert messages == [
        "program.pdf must be a PDF, PNG, JPEG or plain text file",
        "empty.txt is empty: choose a file with something in it",
        "Attach letter.pdf again when you send the form: files are kept only with a complete form",
        "Attach photo.png again when you send the form: files are kept only with a complete form",
        "Attach notes.txt again when you send the form: files are kept only with a complete form",
    ]
    assert kept_tokens(response.text) == []
    assert _stored(web_offline.settings.data_dir / "uploads") == []


def _stored(upload_dir: Path) -> list[str]:
    return sorted(p.name for p in upload_dir.iterdir()) if upload_dir.exists() else []


async def test_a_refused_post_leaves_no_evidence_behind(settings: Settings) -> None:
    """Issue 13: one 422 post left 50 MB in the uploads folder (five files at the size limit, and
    a description too short). Scaled down here: five files of 2 MB."""
    web, http = await make_web(settings, TemporalDown(), max_file_bytes=2 * 1024 * 1024)
    async with http:
        big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024 - 9)
        files = [("evidence", (f"scan{i}.pdf", big, "application/pdf")) for i in range(5)]
        response = await web.post_form(form_data(description="short"), files=files)
        assert response.status_code == 422
        assert _stored(settings.data_dir / "uploads") == []
        # a forged post (no CSRF token) stores nothing either
        response = await http.post("/complaints", data=form_data(), files=files[:1])
        assert response.status_code == 403
        assert _stored(settings.data_dir / "uploads") == []


async def test_evidence_count_and_size_limits(settings: Settings) -> None:
    web, http = await make_web(settings, TemporalDown(), max_files=2, max_file_bytes=1000)
    async with http:
        files = [("evidence", (f"n{i}.txt", b"note %d" % i, "text/plain")) for i in range(3)]
        files.append(("evidence", ("big.pdf", b"%PDF-" + b"0" * 1000, "application/pdf")))
        response = await web.post_form(form_data(description="short"), files=files)
        messages = [m for fid, m in error_summary(response.text) if fid == "evidence"]
        assert messages[:2] == [
            "You can attach up to 2 files: n2.txt was not attached",
            "You can attach up to 2 files: big.pdf was not attached",
        ]
        assert kept_tokens(response.text) == []
        # files of a complete form that Temporal could not take are kept, and count towards the limit;
        # a forged kept token is ignored
        tokens = await web.form()
        response = await web.post_form(form_data(), tokens=tokens, files=files[:2])
        assert response.status_code == 503
        kept = kept_tokens(response.text)
        assert len(kept) == 2
        response = await web.post_form(
            form_data(description="short", kept_evidence=[*kept, "eyJ4IjoxfQ.forged"]),
            tokens=hidden_tokens(response.text),
            files=[("evidence", ("big.pdf", b"%PDF-" + b"0" * 1000, "application/pdf"))],
        )
        messages = [m for fid, m in error_summary(response.text) if fid == "evidence"]
        assert messages == ["You can attach up to 2 files: big.pdf was not attached"]
        assert len(kept_tokens(response.text)) == 2
    web, http = await make_web(settings, TemporalDown(), max_file_bytes=1000)
    async with http:
        big = [("evidence", ("big.pdf", b"%PDF-" + b"0" * 1000, "application/pdf"))]
        response = await web.post_form(form_data(), files=big)
        assert response.status_code == 422
        assert ("evidence", "big.pdf must be smaller than 1 MB") in error_summary(response.text) or any(
            "big.pdf must be smaller than" in m for _, m in error_summary(response.text)
        )


async def test_each_client_has_an_upload_quota(settings: Settings) -> None:
    config = web_config(upload_quota_bytes_per_hour=1500)
    app = create_app(settings, config, TemporalDown(), engine=prepared_engine(settings))
    upload_dir = settings.data_dir / "uploads"
    note = [("evidence", ("notes.txt", b"n" * 1000, "text/plain"))]

    def client(address: str) -> Web:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        return Web(http=http, settings=settings, engine=app.state.web.engine, config=config)

    web, other = client("192.0.2.10"), client("192.0.2.11")
    async with web.http, other.http:
        response = await web.post_form(form_data(), files=note)
        assert response.status_code == 503  # stored (kept for the form sent again): 1000 of 1500 bytes
        before = _stored(upload_dir)
        assert len(before) == 2  # the file and its note
        response = await web.post_form(form_data(), files=note)
        assert response.status_code == 429
        assert 1 <= int(response.headers["retry-after"]) <= 3600
        summary = error_summary(response.text)
        assert [fid for fid, _ in summary] == ["evidence"]
        assert summary[0][1].startswith("You have sent more files than we can take from one connection in an hour.")
        assert f'value="{form_data()["email"]}"' in response.text  # the answers are kept
        assert _stored(upload_dir) == before
        # another client address is not held back
        assert (await other.post_form(form_data(), files=note)).status_code == 503


async def test_a_rotated_forwarded_for_does_not_escape_the_rate_limit(settings: Settings) -> None:
    """Issue 13: rotating X-Forwarded-For defeated the rate limit. The peer here is not a trusted proxy."""
    web, http = await make_web(settings, TemporalDown(), form_rate_burst=2, form_rate_per_minute=1)
    async with http:
        tokens = await web.form()
        statuses = []
        for i in range(4):
            response = await http.post(
                "/complaints",
                data={**tokens, **form_data(name="")},
                headers={"x-forwarded-for": f"198.51.100.{i}"},
            )
            statuses.append(response.status_code)
        assert statuses == [422, 422, 429, 429]
    # behind a trusted proxy (here the test client's own address), the address it appended counts
    web, http = await make_web(
        settings, TemporalDown(), form_rate_burst=2, form_rate_per_minute=1, trusted_proxies="127.0.0.1, 10.0.0.0/8"
    )
    async with http:
        tokens = await web.form()
        statuses = []
        for i in range(4):
            response = await http.post(
                "/complaints",
                data={**tokens, **form_data(name="")},
                headers={"x-forwarded-for": f"198.51.100.{i}, 10.1.2.3"},
            )
            statuses.append(response.status_code)
        assert statuses == [422] * 4


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ValueError, match="'proxy.internal' in CONDUCT_TRUSTED_PROXIES is not an IP address"):
        web_config(trusted_proxies="10.0.0.1, proxy.internal")


async def test_oversized_request_gets_413(settings: Settings) -> None:
    web, http = await make_web(settings, TemporalDown(), max_request_bytes=50_000, max_api_body_bytes=2_000)
    async with http:
        tokens = await web.form()
        files = [("evidence", ("big.pdf", b"%PDF-" + b"0" * 60_000, "application/pdf"))]
        response = await web.post_form(form_data(), tokens=tokens, files=files)
        assert response.status_code == 413
        assert "must be smaller than" in response.text and "<html" in response.text
        response = await web.post_api(api_body(description="x" * 3_000))
        assert response.status_code == 413
        assert response.json()["detail"].startswith("The body is larger than")

        async def chunks():  # noqa: ANN202 - no Content-Length: counted while streaming
            for _ in range(10):
                yield b"x" * 1_000

        response = await http.post("/api/complaints", content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413


async def test_form_posts_are_rate_limited(settings: Settings) -> None:
    web, http = await make_web(settings, TemporalDown(), form_rate_burst=2, form_rate_per_minute=1)
    async with http:
        tokens = await web.form()
        for _ in range(2):
            assert (await web.post_form(form_data(name=""), tokens=tokens)).status_code == 422
        response = await web.post_form(form_data(name=""), tokens=tokens)
        assert response.status_code == 429
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert "Please wait 1 minute" in response.text


async def test_temporal_down_keeps_the_complaint_in_the_form(settings: Settings) -> None:
    down = TemporalDown()
    web, http = await make_web(settings, down)
    async with http:
        tokens = await web.form()
        files = [("evidence", ("photo.png", PNG, "image/png"))]
        response = await web.post_form(form_data(), tokens=tokens, files=files)
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert "Your complaint has not been sent yet" in response.text
        assert "Nothing is lost" in response.text
        assert f'value="{form_data()["email"]}"' in response.text
        assert DESCRIPTION in response.text
        assert len(kept_tokens(response.text)) == 1  # the photo need not be chosen again
        assert hidden_tokens(response.text)["submission"] == tokens["submission"]  # same submission
        assert down.calls == 1

        response = await web.post_api(api_body())
        assert response.status_code == 503 and response.headers["retry-after"] == "30"
        assert response.json()["detail"] == "The service is unavailable: retry later"


# ----------------------------------------------------------------------------- the API


async def test_api_signature(web_offline: Web) -> None:
    body = api_body()
    response = await web_offline.post_api(body, secret=None)
    assert response.status_code == 401
    assert "X-Conduct-Signature" in response.json()["detail"]
    assert (await web_offline.post_api(body, secret="not-the-secret")).status_code == 401
    raw = json.dumps(body).encode()
    for header in ("sha256=", "sha1=abc", "sha256=zz", "garbage", "sha256=" + "0" * 64, "ÿ"):
        response = await web_offline.http.post(
            "/api/complaints",
            content=raw,
            headers={"content-type": "application/json", "X-Conduct-Signature": header.encode("latin-1")},
        )
        assert response.status_code == 401, header
    # a signature over other bytes (the same JSON re-serialised) does not pass
    other = json.dumps(body, indent=2).encode()
    response = await web_offline.http.post(
        "/api/complaints",
        content=raw,
        headers={"content-type": "application/json", **signed_headers(other)},
    )
    assert response.status_code == 401


async def test_api_refuses_the_old_body_only_signature_naming_the_new_scheme(web_offline: Web) -> None:
    raw = json.dumps(api_body()).encode()
    old = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = await web_offline.http.post(
        "/api/complaints", content=raw, headers={"content-type": "application/json", "X-Conduct-Signature": old}
    )
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "body-only signature is no longer accepted" in detail
    assert "X-Conduct-Timestamp" in detail and "{timestamp}.{Idempotency-Key}.{raw body}" in detail


async def test_api_refuses_a_timestamp_more_than_5_minutes_off(web_offline: Web) -> None:
    for skew in (-6 * 60, 6 * 60):
        response = await web_offline.post_api(api_body(), key="k-1", timestamp=int(time.time()) + skew)
        assert response.status_code == 401, skew
        assert "more than 5 minutes" in response.json()["detail"]
    assert count_intake_keys(web_offline.engine) == 0


API_415 = [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "json"]


@pytest.mark.parametrize("content_type", API_415)
async def test_api_requires_json_content_type(web_offline: Web, content_type: str | None) -> None:
    raw = json.dumps(api_body()).encode()
    headers = signed_headers(raw, "k-415")
    if content_type is not None:
        headers["content-type"] = content_type
    response = await web_offline.http.post("/api/complaints", content=raw, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["detail"] == "Send the complaint as JSON, with Content-Type: application/json"
    # parameters such as the charset are fine: this body then reaches the checks (and has a problem)
    bad = json.dumps(api_body(description="short")).encode()
    response = await web_offline.http.post(
        "/api/complaints",
        content=bad,
        headers={**signed_headers(bad, "k-415"), "content-type": "Application/JSON; charset=utf-8"},
    )
    assert response.status_code == 422


async def test_api_without_secret_answers_503(settings: Settings) -> None:
    web, http = await make_web(settings, TemporalDown(), webhook_secret=None)
    async with http:
        response = await web.post_api(api_body())
        assert response.status_code == 503
        assert response.json()["detail"] == "The complaints API is not configured: set CONDUCT_WEBHOOK_SECRET"


API_400 = [
    ("not JSON", b"{not json", "The body is not valid JSON: "),
    ("a list", b"[1, 2]", "The body must be a JSON object"),
    ("a string", b'"complaint"', "The body must be a JSON object"),
    ("empty", b"", "The body is not valid JSON: "),
]


@pytest.mark.parametrize(("case", "raw", "message"), API_400, ids=[c[0] for c in API_400])
async def test_api_body_must_be_a_json_object(web_offline: Web, case: str, raw: bytes, message: str) -> None:
    response = await web_offline.post_api(None, raw=raw)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)


async def test_api_idempotency_key_syntax(web_offline: Web) -> None:
    for key in ("x" * 129, "with space", "é"):
        response = await web_offline.post_api(api_body(), headers={"Idempotency-Key": key.encode()})
        assert response.status_code == 400, key
        assert "Idempotency-Key" in response.json()["detail"]


def _complainant(**overrides: Any) -> dict[str, Any]:
    return {**api_body()["complainant"], **overrides}


API_422: list[tuple[str, dict[str, Any], str, str]] = [
    ("complainant missing", {"complainant": None}, "complainant", "Give the complainant"),
    ("name missing", {"complainant": {"email": "a@b.example", "type": "public"}}, "complainant.name", "Give"),
    ("name not text", {"complainant": _complainant(name=7)}, "complainant.name", "must be text"),
    ("name too long", {"complainant": _complainant(name="N" * 201)}, "complainant.name", "200 characters or fewer"),
    ("email missing", {"complainant": _complainant(email="")}, "complainant.email", "Enter your email address"),
    ("email syntax", {"complainant": _complainant(email="no-at-sign")}, "complainant.email", "correct format"),
    (  # issue 11: answered 201, then every letter to it failed for ever and wedged the case
        "email accented local part",
        {"complainant": _complainant(email="josé@example.org")},
        "complainant.email",
        "without accents or other special letters before the @",
    ),
    ("type unknown", {"complainant": _complainant(type="mayor")}, "complainant.type", "must be one of public"),
    ("phone letters", {"complainant": _complainant(phone="ring ring")}, "complainant.phone", "telephone number"),
    ("extra field", {"complainant": _complainant(age=40)}, "complainant.age", "Unknown field complainant.age"),
    (
        "member_id of a non-councillor",
        {"complainant": _complainant(member_id="wbc-01")},
        "complainant.member_id",
        "only for a complainant who is a councillor",
    ),
    (
        "member_id unknown",
        {"complainant": _complainant(type="councillor", member_id="wbc-99")},
        "complainant.member_id",
        "not a councillor on our list",
    ),
    ("council missing", {"council": None}, "council", "Give the council"),
    ("council empty", {"council": ""}, "council", "Select the council"),
    ("council unknown", {"council": "gotham"}, "council", "Select a council from the list"),
    ("members missing", {"subject_members": []}, "subject_members", "Select the councillor or councillors"),
    ("members not a list", {"subject_members": "wbc-04"}, "subject_members", "must be a list of councillors"),
    (
        "member of another council",
        {"subject_members": ["adc-05"]},
        "subject_members",
        "Oliver Penhaligon is not a member of Worthing Borough Council",
    ),
    ("dates missing", {"conduct_dates": []}, "conduct_dates", "Enter the date the conduct happened"),
    ("date not ISO", {"conduct_dates": ["20/02/2026"]}, "conduct_dates.0", "must be a list of dates"),
    ("date not real", {"conduct_dates": ["2026-02-30"]}, "conduct_dates.0", "must be a list of dates"),
    ("date a number", {"conduct_dates": [1771545600]}, "conduct_dates.0", "must be a list of dates"),
    ("date in the future", {"conduct_dates": [TOMORROW.isoformat()]}, "conduct_dates", "today or in the past"),
    ("provisions missing", {"provisions": []}, "provisions", "Select which parts of the Code"),
    ("provision unknown", {"provisions": ["rudeness"]}, "provisions.0", "must be a list of: respect"),
    ("description missing", {"description": None}, "description", "Give the description"),
    ("description blank", {"description": " \n "}, "description", "Describe what happened"),
    ("description short", {"description": "   too short   "}, "description", "at least 20 characters"),
    ("description long", {"description": "x" * 20_001}, "description", "20,000 characters or fewer"),
    (
        "confidential without reason",
        {"confidential": True, "confidentiality_reason": "  "},
        "confidentiality_reason",
        "Tell us why you want your identity kept confidential",
    ),
    ("confidential not a bool", {"confidential": "perhaps"}, "confidential", "must be true or false"),
    ("evidence not accepted", {"evidence": ["../../etc/passwd"]}, "evidence", "Unknown field evidence"),
    (  # issue 13: a councillor complaining about themselves was accepted
        "councillor about themselves",
        {"complainant": _complainant(type="councillor", member_id="wbc-04"), "subject_members": ["wbc-04"]},
        "subject_members",
        "A councillor cannot complain about themselves: remove",
    ),
]


@pytest.mark.parametrize(("case", "changes", "path", "message"), API_422, ids=[c[0] for c in API_422])
async def test_api_rule(web_offline: Web, case: str, changes: dict[str, Any], path: str, message: str) -> None:
    body = api_body(**changes)
    body = {k: v for k, v in body.items() if v is not None}
    response = await web_offline.post_api(body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["detail"] == "The complaint has problems"
    assert any(e["field"] == path and message in e["message"] for e in answer["errors"]), answer["errors"]
    assert count_intake_keys(web_offline.engine) == 0


async def test_api_is_rate_limited(settings: Settings) -> None:
    web, http = await make_web(settings, TemporalDown(), api_rate_burst=3, api_rate_per_minute=6)
    async with http:
        for _ in range(3):
            assert (await web.post_api(api_body(), secret=None)).status_code == 401
        response = await web.post_api(api_body())
        assert response.status_code == 429
        assert 1 <= int(response.headers["retry-after"]) <= 10


async def test_no_roster_yet(settings: Settings) -> None:
    app = create_app(settings, web_config(), TemporalDown())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/complain")
        assert response.status_code == 503 and "not available yet" in response.text
        assert (await http.get("/decisions")).status_code == 200
        assert (await http.get("/")).status_code == 200


async def test_temporal_not_listening(settings: Settings) -> None:
    """The real connection path (settings.temporal_address) to a port where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    unreachable = settings.model_copy(update={"temporal_address": f"127.0.0.1:{port}"})
    app = create_app(unreachable, web_config(), engine=prepared_engine(unreachable))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.post("/api/complaints", content=b"")  # unsigned: 401 before any connection
        assert response.status_code == 401
        web = Web(http=http, settings=unreachable, engine=app.state.web.engine, config=app.state.web.config)
        response = await web.post_api(api_body())
        assert response.status_code == 503
        response = await web.post_form(form_data())
        assert response.status_code == 503 and "Nothing is lost" in response.text


# ----------------------------------------------------------------------------- abandoned evidence


def _age(upload_dir: Path, stored: str, hours: float) -> None:
    then = time.time() - hours * 3600
    for path in (upload_dir / stored, upload_dir / f"{stored}.json"):
        os.utime(path, (then, then))


async def test_abandoned_uploads_are_swept_at_start_up(settings: Settings) -> None:
    """Files no complaint refers to are deleted once older than CONDUCT_UPLOAD_SWEEP_HOURS, when the
    app starts (and periodically after); files of opened complaints, and young ones, stay."""
    engine = prepared_engine(settings)
    upload_dir = settings.data_dir / "uploads"
    abandoned = uploads.store(upload_dir, b"old and abandoned", "txt", "a.txt", "form:abandoned")
    young = uploads.store(upload_dir, b"kept for a form sent again", "txt", "b.txt", "form:young")
    claimed = uploads.store(upload_dir, b"evidence of a complaint", "txt", "c.txt", "form:claimed")
    uploads.claim(upload_dir, [claimed], "WBC-2026-0001")
    opened = uploads.store(upload_dir, b"opened, claim not yet written", "txt", "d.txt", "form:opened")
    reference_for(engine, "form:opened", "WBC", 2026)
    for f in (abandoned, claimed, opened):
        _age(upload_dir, f.stored, hours=49)
    _age(upload_dir, young.stored, hours=47)
    orphan = upload_dir / f"{'0' * 32}.pdf.json"  # a note whose file is gone
    orphan.write_text("{}")
    os.utime(orphan, (time.time() - 49 * 3600,) * 2)

    app = create_app(settings, web_config(upload_sweep_hours=48), NoTemporal(), engine=engine)
    async with app.router.lifespan_context(app):
        left = set(_stored(upload_dir))
    assert abandoned.stored not in left and f"{abandoned.stored}.json" not in left
    assert {young.stored, claimed.stored, opened.stored} <= left
    assert f"{'0' * 32}.pdf.json" not in left
    assert len(left) == 6  # three files and their notes
