"""Officers' personal codec tokens: `cct1.<officer id>.<expiry>.<HMAC-SHA256>`.

A token is derived from the codec secret, so nothing about it is stored and any codec process
holding the secret can check it. It says who the officer is and until when; what the officer may
do is decided again at every request against the roster in force (`access`), so taking an
officer off the roster or changing their role takes effect at once, whatever tokens they hold.
Rotating the secret withdraws every token. Tokens expire (12 hours by default: a working day),
because a pasted token can end up in a shell history or a clipboard. The longest lifetime
(CONDUCT_CODEC_TOKEN_MAX_HOURS) is checked on every request, not only when a token is made: a
token minted with the secret to run for years is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PREFIX = "cct1"
MAX_TOKEN_LENGTH = 512
DEFAULT_LIFETIME = timedelta(hours=12)
MIN_LIFETIME = timedelta(minutes=6)
MAX_LIFETIME = timedelta(days=31)  # the most CONDUCT_CODEC_TOKEN_MAX_HOURS may allow
DEFAULT_MAX_LIFETIME = timedelta(hours=12)  # CONDUCT_CODEC_TOKEN_MAX_HOURS's default
_SHAPE = re.compile(r"^cct1\.([A-Za-z0-9_-]{1,300})\.([0-9]{1,10})\.([A-Za-z0-9_-]{43})$")


class InvalidToken(ValueError):
    """The token is malformed, forged (wrong secret) or expired; the message is for the officer."""


@dataclass(frozen=True)
class TokenClaims:
    officer_id: str
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, officer_id: str, expires: int) -> bytes:
    if not secret:
        raise ValueError("no codec secret configured")
    message = f"conduct codec token v1\n{officer_id}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def mint(secret: str, officer_id: str, expires_at: datetime) -> str:
    """A token for `officer_id`, valid until `expires_at` (whole seconds, UTC)."""
    expires = int(expires_at.timestamp())
    encoded_id = _b64(officer_id.encode())
    return f"{PREFIX}.{encoded_id}.{expires}.{_b64(_signature(secret, officer_id, expires))}"


def verify(
    secret: str, token: str, now: datetime | None = None, max_lifetime: timedelta = DEFAULT_MAX_LIFETIME
) -> TokenClaims:
    """The officer a genuine, unexpired token names; InvalidToken otherwise (never says which
    part of a forged token was wrong). A token running for longer than `max_lifetime` from `now`
    was not made by `conduct codec-token` here (or the limit was lowered since): refused."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("the codec token is too long to be one")
    match = _SHAPE.match(token.strip())
    if match is None:
        raise InvalidToken("this is not a conduct codec token: make one with `conduct codec-token --as OFFICER_ID`")
    encoded_id, expires_text, signature = match.groups()
    try:
        officer_id = _unb64(encoded_id).decode()
        presented = _unb64(signature)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidToken("this is not a conduct codec token") from None
    expires = int(expires_text)
    if not hmac.compare_digest(presented, _signature(secret, officer_id, expires)):
        raise InvalidToken("the codec token is not valid here (made with another secret, or altered)")
    expires_at = datetime.fromtimestamp(expires, UTC)
    now = now or datetime.now(UTC)
    if expires_at <= now:
        raise InvalidToken(f"the codec token expired at {expires_at:%Y-%m-%d %H:%M} UTC: make a new one")
    if expires_at - now > max_lifetime:
        hours = max_lifetime.total_seconds() / 3600
        raise InvalidToken(f"the codec token runs for longer than the {hours:g} hours allowed: make a new one")
    return TokenClaims(officer_id=officer_id, expires_at=expires_at)
