"""The codec endpoint: Temporal's `/decode` and `/encode` with the project's own AES-GCM codec, for
authorised officers only, plus the sign-in page the Temporal UI's officers use.

Every request to /decode or /encode is checked in this order: the Origin (a browser page may
call only from the Temporal UI's origins), the officer (`access`), the namespace (this system's
only), the content type (JSON only, so a browser always sends a CORS preflight first), the size,
then the body (`protocol`). Each served or refused request leaves one audit line: officer,
namespace, number of payloads, never a payload, a token or a key. Responses are never cached:
a decoded payload is personal data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidTag
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from google.protobuf.message import DecodeError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from temporalio.api.common.v1 import Payload

from conduct import health
from conduct.codec import EncryptionCodec, KeyError_, parse_keys
from conduct.register import make_engine
from conduct.settings import Settings
from starter.codec_server import pages
from starter.codec_server.access import COOKIE, Grant, OfficerAccess, Refused, RosterSource, presented_token
from starter.codec_server.protocol import MalformedBody, parse_payloads, payloads_json
from starter.forwarded import ProxySettings, ProxyTrust

AUDIT_LOGGER = "conduct.codec.audit"
audit = logging.getLogger(AUDIT_LOGGER)

MAX_BODY_BYTES = 8 * 1024 * 1024  # Temporal refuses payloads over 2 MiB; the UI sends one event's at a time
MAX_FORM_BYTES = 8 * 1024
READY_TIMEOUT = 5.0  # seconds a /readyz probe waits for the register
ALLOWED_HEADERS = ["content-type", "x-namespace", "authorization", "authorization-extras"]
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "pragma": "no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",  # not no-referrer: Chromium then sends `Origin: null` with the sign-in form
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
_LOGGABLE = re.compile(r"[^A-Za-z0-9._:/@+-]")


class CodecSetupError(Exception):
    """The endpoint cannot start (no keys, no secret); the message is for the operator."""


class _BodyTooLarge(Exception):
    pass


class _Undecodable(Exception):
    pass


def loggable(value: str | None, limit: int = 80) -> str:
    """A header value or id fit for one audit line: no spaces, no control characters, bounded."""
    if not value:
        return "-"
    return _LOGGABLE.sub("?", value[:limit])


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _BodyTooLarge
    return bytes(body)


async def _decode(codec: EncryptionCodec, payloads: Sequence[Payload]) -> list[Payload]:
    decoded = []
    for number, payload in enumerate(payloads):
        try:
            decoded.extend(await codec.decode([payload]))
        except KeyError_ as error:
            raise _Undecodable(f"payload {number}: {error}") from None
        except (InvalidTag, DecodeError, ValueError):
            raise _Undecodable(f"payload {number} could not be decrypted: altered, or not from this system") from None
    return decoded


def _client(request: Request) -> str:
    """The officer's address for the audit line: X-Forwarded-For counts only from CONDUCT_TRUSTED_PROXIES."""
    proxies: ProxyTrust = request.app.state.proxies
    return proxies.client(request.scope)


def _audit_served(request: Request, operation: str, grant: Grant, count: int) -> None:
    audit.info(
        "%s officer=%s namespace=%s payloads=%d via=%s client=%s",
        operation,
        loggable(grant.officer.id),
        loggable(request.headers.get("x-namespace")),
        count,
        grant.via,
        loggable(_client(request)),
    )


def _audit_refused(request: Request, operation: str, status: int, reason: str, officer_id: str | None) -> None:
    audit.warning(
        "%s refused status=%d reason=%s officer=%s namespace=%s origin=%s client=%s",
        operation,
        status,
        reason,
        loggable(officer_id),
        loggable(request.headers.get("x-namespace")),
        loggable(request.headers.get("origin")),
        loggable(_client(request)),
    )


def create_codec_app(
    settings: Settings,
    *,
    extra_origins: Iterable[str] = (),
    roster_ttl: float = 5.0,
    proxies: ProxyTrust | None = None,
) -> FastAPI:
    """The app for `settings` (keys, codec secret, roster database, UI origins, roles, namespace).
    `extra_origins`: further Temporal UI origins (`conduct dev` adds its own UI port). `proxies`:
    whose X-Forwarded-For is believed (default: CONDUCT_TRUSTED_PROXIES, none when unset)."""
    keys = settings.resolved_encryption_keys
    if not keys:
        raise CodecSetupError("no encryption keys: set CONDUCT_ENCRYPTION_KEYS (or run `conduct dev` once)")
    try:
        from conduct.case_keys import store_for  # each case's data key, wrapped in the register

        codec = EncryptionCodec(parse_keys(keys), case_keys=store_for(settings.resolved_database_url, keys))
    except KeyError_ as error:
        raise CodecSetupError(str(error)) from None
    secret = settings.resolved_codec_secret
    if not secret:
        raise CodecSetupError(
            f"no codec secret: set CONDUCT_CODEC_SECRET or keep one in {settings.codec_secret_file} "
            "(`conduct dev` creates it on first run)"
        )
    engine = make_engine(settings.resolved_database_url, keys=keys)
    access = OfficerAccess(
        secret,
        frozenset(settings.codec_roles),
        RosterSource(engine, roster_ttl),
        max_lifetime=timedelta(hours=settings.codec_token_max_hours),
    )
    origins = list(dict.fromkeys([*settings.codec_ui_origins, *extra_origins]))
    namespace = settings.temporal_namespace
    try:
        trust = proxies if proxies is not None else ProxySettings().trust()
    except ValueError as error:
        raise CodecSetupError(str(error)) from None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(title="conduct codec endpoint", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.proxies = trust

    async def convert(
        request: Request, operation: str, work: Callable[[Sequence[Payload]], Awaitable[list[Payload]]]
    ) -> Response:
        origin = request.headers.get("origin")
        if origin and origin not in origins and origin != _own_origin(request):
            _audit_refused(request, operation, 403, "origin", None)
            return _error(403, f"requests from {loggable(origin)} are not allowed: only the Temporal UI's origins")
        presented = presented_token(request.headers.get("authorization"), request.cookies.get(COOKIE))
        try:
            grant = await run_in_threadpool(access.check, presented)
        except Refused as refusal:
            _audit_refused(request, operation, refusal.status, refusal.reason, refusal.officer_id)
            challenge = {"www-authenticate": 'Bearer realm="conduct codec"'} if refusal.status == 401 else None
            return _error(refusal.status, refusal.message, challenge)
        asked = request.headers.get("x-namespace")
        if asked and asked != namespace:
            _audit_refused(request, operation, 403, "namespace", grant.officer.id)
            return _error(403, f"this codec endpoint serves the namespace {namespace!r} only")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _error(415, "send the payloads as JSON (Content-Type: application/json)")
        try:
            payloads = parse_payloads(await _read_body(request, MAX_BODY_BYTES))
            result = await work(payloads)
        except _BodyTooLarge:
            return _error(413, f"the body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB: send fewer payloads")
        except MalformedBody as error:
            return _error(400, str(error))
        except _Undecodable as error:
            _audit_refused(request, operation, 422, "undecodable", grant.officer.id)
            return _error(422, str(error))
        _audit_served(request, operation, grant, len(payloads))
        return JSONResponse(payloads_json(result))

    @app.post("/decode")
    async def decode(request: Request) -> Response:
        """Ciphertext to the payload the worker wrote (plain payloads pass through unchanged)."""
        return await convert(request, "decode", lambda payloads: _decode(codec, payloads))

    @app.post("/encode")
    async def encode(request: Request) -> Response:
        """For input typed into the UI (start, signal): encrypted with the active key, as a client would."""
        return await convert(request, "encode", codec.encode)

    async def signed_in(request: Request) -> Grant | None:
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        try:
            return await run_in_threadpool(access.check, (cookie, "cookie"))
        except Refused:
            return None

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/signin", status_code=303)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return PlainTextResponse("ok\n")

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        """Ready when the register (the roster it checks officers against) answers; no Temporal needed."""
        problem = await health.register_problem(engine, READY_TIMEOUT)
        if problem:
            return PlainTextResponse(f"not ready: {problem}\n", status_code=503)
        return PlainTextResponse("ready\n")

    @app.get("/signin", response_class=HTMLResponse)
    async def signin_form(request: Request) -> Response:
        grant = await signed_in(request)
        origin = _own_origin(request)
        if grant is None:
            return HTMLResponse(pages.signin_page(origin))
        return HTMLResponse(pages.signed_in_page(origin, grant.officer, grant.expires_at))

    @app.post("/signin")
    async def signin(request: Request) -> Response:
        """Checks the pasted token as /decode would, then keeps it in an HttpOnly, SameSite=Strict cookie."""
        origin = _own_origin(request)
        sent_from = request.headers.get("origin")
        if sent_from and sent_from != origin:
            _audit_refused(request, "signin", 403, "origin", None)
            return HTMLResponse(pages.signin_page(origin, "sign in on this page itself"), status_code=403)
        try:
            form = parse_qs((await _read_body(request, MAX_FORM_BYTES)).decode(), max_num_fields=4)
        except (_BodyTooLarge, ValueError):  # not UTF-8, too many fields, too large: one answer
            return HTMLResponse(pages.signin_page(origin, "the form could not be read"), status_code=400)
        token = (form.get("token") or [""])[0].strip()
        try:
            grant = await run_in_threadpool(access.check, (token, "signin") if token else None)
        except Refused as refusal:
            _audit_refused(request, "signin", refusal.status, refusal.reason, refusal.officer_id)
            return HTMLResponse(pages.signin_page(origin, refusal.message), status_code=refusal.status)
        audit.info(
            "signin officer=%s until=%s client=%s",
            loggable(grant.officer.id),
            f"{grant.expires_at:%Y-%m-%dT%H:%M:%SZ}",
            loggable(_client(request)),
        )
        response = RedirectResponse("/signin", status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            max_age=max(1, int((grant.expires_at - datetime.now(UTC)).total_seconds())),
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response

    @app.post("/signout")
    async def signout(request: Request) -> Response:
        sent_from = request.headers.get("origin")
        if sent_from and sent_from != _own_origin(request):
            return _error(403, "sign out on this server's own page")
        grant = await signed_in(request)
        if grant is not None:
            audit.info("signout officer=%s", loggable(grant.officer.id))
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["POST"],
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=True,
        max_age=600,
    )
    return app
