"""The web app's safety pieces, none of which needs another service: signed tokens (CSRF tied to a
cookie, form submission tokens, kept uploads), the webhook's timestamped HMAC signature, a
per-client token bucket and upload quota, and a request size limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starter.forwarded import ProxyTrust

CSRF_COOKIE = "conduct_csrf"
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
SIGNATURE_HEADER = "X-Conduct-Signature"
TIMESTAMP_HEADER = "X-Conduct-Timestamp"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    """HMAC-SHA256 over a purpose and a value: a token made for one purpose never passes as another."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the web secret must be at least 16 bytes")
        self._secret = secret

    def sign(self, purpose: str, value: str) -> str:
        mac = hmac.new(self._secret, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
        return _b64(mac)

    def valid(self, purpose: str, value: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(purpose, value).encode(), signature.encode("utf-8", "replace"))

    # -- CSRF: a random cookie, and a form token bound to it and to the time it was issued

    @staticmethod
    def new_cookie_value() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def cookie_value_ok(value: str | None) -> bool:
        return bool(value) and _COOKIE_VALUE.match(value or "") is not None

    def csrf_token(self, cookie_value: str, now: float | None = None) -> str:
        issued = str(int(now if now is not None else time.time()))
        return f"{issued}.{self.sign('csrf', f'{cookie_value}.{issued}')}"

    def csrf_ok(self, cookie_value: str | None, token: str | None, max_age: float, now: float | None = None) -> bool:
        if not self.cookie_value_ok(cookie_value) or not token or token.count(".") != 1:
            return False
        issued, signature = token.split(".")
        if not issued.isdigit() or len(issued) > 12:
            return False
        age = (now if now is not None else time.time()) - int(issued)
        if age < -60 or age > max_age:
            return False
        return self.valid("csrf", f"{cookie_value}.{issued}", signature)

    # -- one form, one submission: the idempotency key of a form post, issued by the server

    def submission_token(self) -> str:
        value = secrets.token_urlsafe(18)
        return f"{value}.{self.sign('submission', value)}"

    def submission_key(self, token: str | None) -> str | None:
        """The idempotency key of a genuine submission token, else None."""
        if not token or token.count(".") != 1 or len(token) > 120:
            return None
        value, signature = token.split(".")
        return f"form:{value}" if self.valid("submission", value, signature) else None


WEBHOOK_TOLERANCE_SECONDS = 300  # a signed request is good for 5 minutes either side of our clock
WEBHOOK_SCHEME = (
    f'{SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of "{{timestamp}}.{{Idempotency-Key}}.{{raw body}}">, '
    f"with {TIMESTAMP_HEADER}: <unix seconds> (an absent Idempotency-Key signs as the empty string)"
)


def _signed_bytes(timestamp: str, key: str | None, body: bytes) -> bytes:
    return f"{timestamp}.{key or ''}.".encode() + body


def webhook_signature(secret: bytes, body: bytes, timestamp: int | str, key: str | None = None) -> str:
    """The `X-Conduct-Signature` value a sender computes: the HMAC covers the timestamp and the
    Idempotency-Key as well as the body, so a captured request can be neither replayed later nor
    posted again under another key."""
    return "sha256=" + hmac.new(secret, _signed_bytes(str(timestamp), key, body), hashlib.sha256).hexdigest()


def webhook_refusal(
    secret: bytes,
    body: bytes,
    timestamp: str | None,
    key: str | None,
    signature: str | None,
    now: float | None = None,
) -> str | None:
    """None when the request is signed under the current scheme and fresh; else the reason (401).
    Compared in constant time; the old body-only signature is recognised, to say what changed."""
    scheme, _, given = (signature or "").strip().partition("=")
    given = given.strip().lower()
    if scheme.strip().lower() != "sha256" or not given:
        return f"Missing or malformed {SIGNATURE_HEADER}: expected {WEBHOOK_SCHEME}"
    given_bytes = given.encode("ascii", "replace")
    stamp = (timestamp or "").strip()
    if not stamp.isdigit() or len(stamp) > 12:
        old = hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
        if hmac.compare_digest(old, given_bytes):
            return f"The body-only signature is no longer accepted: send {WEBHOOK_SCHEME}"
        return f"Missing or malformed {TIMESTAMP_HEADER}: expected {WEBHOOK_SCHEME}"
    expected = webhook_signature(secret, body, stamp, key).removeprefix("sha256=").encode()
    if not hmac.compare_digest(expected, given_bytes):
        return f"Wrong {SIGNATURE_HEADER}: expected {WEBHOOK_SCHEME}"
    skew = abs((now if now is not None else time.time()) - int(stamp))
    if skew > WEBHOOK_TOLERANCE_SECONDS:
        return (
            f"{TIMESTAMP_HEADER} is more than {WEBHOOK_TOLERANCE_SECONDS // 60} minutes from the server's time: "
            "sign the request again with the current time"
        )
    return None


def integrator_id(secret: bytes) -> str:
    """Who sent a signed request, for scoping its Idempotency-Keys: one secret, one integrator. A
    digest, so that the key names it without revealing the secret; several secrets (integrators)
    later will each have their own."""
    return hmac.new(secret, b"conduct integrator id", hashlib.sha256).hexdigest()[:16]


# ----------------------------------------------------------------------------- rate limit


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """An in-memory token bucket per client: `burst` posts at once, refilled at `per_minute`.

    Per process: several web processes each allow the full rate. Buckets that have refilled are
    forgotten first when more than `max_clients` are tracked."""

    def __init__(
        self,
        burst: int,
        per_minute: float,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst, self.rate = float(burst), per_minute / 60.0
        self.max_clients, self._clock = max_clients, clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Take one token; 0 when allowed, else the seconds to wait before trying again."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.pop(client, None) or _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self._buckets[client] = bucket  # most recently used last
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> int:
        return max(1, math.ceil(wait))


def client_address(scope: dict[str, Any], proxies: ProxyTrust) -> str:
    """The client's address: the peer's, or behind our trusted proxies what they saw (see starter.forwarded)."""
    return proxies.client(scope)


class ByteQuota:
    """Bytes a client may store per hour: a token bucket of `per_hour` bytes, refilled evenly. In
    memory, per process, like RateLimiter."""

    def __init__(self, per_hour: int, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity, self.rate = float(per_hour), per_hour / 3600.0
        self.max_clients, self._clock = max_clients, clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str, size: int) -> float:
        """Take `size` bytes; 0 when allowed, else the seconds until they would be (nothing taken)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.pop(client, None) or _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self._buckets[client] = bucket
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            if size <= bucket.tokens:
                bucket.tokens -= size
                return 0.0
            if size > self.capacity:
                return 3600.0
            return (size - bucket.tokens) / self.rate


# ----------------------------------------------------------------------------- request size

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class BodyTooLarge(Exception):
    """Raised from `receive` when a body without (or with a lying) Content-Length grows too big."""


class BodySizeLimit:
    """ASGI middleware: 413 for a body over its limit, by Content-Length before reading anything,
    or while streaming a chunked body. `limit_for(path)` gives the limit of each path."""

    def __init__(
        self,
        app: Callable[..., Awaitable[None]],
        limit_for: Callable[[str], int],
        too_large: Callable[[dict[str, Any], int], Awaitable[tuple[int, list[tuple[bytes, bytes]], bytes]]],
    ) -> None:
        self.app, self.limit_for, self.too_large = app, limit_for, too_large

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await self._reject(scope, send, limit)
                    return

        received = 0
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._reject(scope, send, limit)

    async def _reject(self, scope: dict[str, Any], send: Send, limit: int) -> None:
        status, headers, body = await self.too_large(scope, limit)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """ASGI middleware adding fixed headers to every response that does not set them itself."""

    def __init__(self, app: Callable[..., Awaitable[None]], headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self.headers if k not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
