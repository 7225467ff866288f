"""Who may read decoded case data: an officer with a genuine codec token who is, right now, on the
roster in force with a role allowed to read every case (CONDUCT_CODEC_ROLES).

By default that is the Monitoring Officer and the deputy. The codec endpoint cannot tell which
case a payload belongs to (the UI sends payloads and a namespace, nothing else), so whoever may
decode may read the complainant's details in every case, including those who asked for
confidentiality. Only the MO and the deputy are entitled to that. An Investigating Officer
(possibly external) needs the case they were appointed to and reads it through `conduct show`;
democratic services need hearing arrangements, not complainants' details.

The token comes from `Authorization: Bearer` (the Temporal CLI's `--codec-auth`, scripts) or from
the HttpOnly cookie the sign-in page sets (the Temporal UI, with "include cross-origin
credentials"). A bearer value that is not a codec token (say, the UI's own OIDC access token)
gives way to the cookie.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from conduct.roster import Officer, Roster
from conduct.roster_store import current_roster
from conduct.vocabulary import Role
from starter.codec_server import tokens

COOKIE = "conduct_codec"


class Refused(Exception):
    """A request the endpoint will not serve: `status` 401 (who are you?), 403 (not you) or 503."""

    def __init__(self, status: int, message: str, reason: str, officer_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason  # a short word for the audit log
        self.officer_id = officer_id


@dataclass(frozen=True)
class Grant:
    officer: Officer
    expires_at: datetime
    via: str  # "bearer" or "cookie"


def presented_token(authorization: str | None, cookie: str | None) -> tuple[str, str] | None:
    """The token the request carries and where it came from, or None."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    bearer = value.strip() if scheme.lower() == "bearer" else ""
    if bearer.startswith(tokens.PREFIX + "."):
        return bearer, "bearer"
    if cookie:
        return cookie, "cookie"
    if authorization:
        return bearer or authorization, "bearer"
    return None


class RosterSource:
    """The roster in force, read again at most every `ttl` seconds: the UI asks to decode many
    times per page, and a change to the roster still counts within seconds."""

    def __init__(self, engine: Engine, ttl: float = 5.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._roster: Roster | None = None

    def __call__(self) -> Roster | None:
        with self._lock:
            if time.monotonic() - self._read_at >= self._ttl:
                self._roster = current_roster(self._engine)
                self._read_at = time.monotonic()
            return self._roster


def role_names(roles: frozenset[Role]) -> str:
    return " or ".join(sorted(str(role) for role in roles))


class OfficerAccess:
    def __init__(
        self,
        secret: str,
        roles: frozenset[Role],
        roster: Callable[[], Roster | None],
        max_lifetime: timedelta = tokens.DEFAULT_MAX_LIFETIME,
    ) -> None:
        if not secret:
            raise ValueError("the codec endpoint needs a secret (CONDUCT_CODEC_SECRET or DATA_DIR/codec.secret)")
        self._secret = secret
        self._max_lifetime = max_lifetime
        self._roles = roles
        self._roster = roster

    def check(self, presented: tuple[str, str] | None) -> Grant:
        """The officer behind the request, or Refused. Blocking (reads the roster): call it from a thread."""
        if presented is None:
            raise Refused(
                401,
                "sign in first: send `Authorization: Bearer <codec token>`, or sign in on this server's /signin "
                "page (tokens come from `conduct codec-token --as OFFICER_ID`)",
                "no-token",
            )
        token, via = presented
        try:
            claims = tokens.verify(self._secret, token, max_lifetime=self._max_lifetime)
        except tokens.InvalidToken as error:
            raise Refused(401, str(error), "bad-token") from None
        return Grant(self.authorise(claims.officer_id), claims.expires_at, via)

    def authorise(self, officer_id: str) -> Officer:
        """The officer, if the roster in force lets them read case data; Refused otherwise."""
        try:
            roster = self._roster()
        except SQLAlchemyError:
            unavailable = "the roster cannot be read just now: try again"
            raise Refused(503, unavailable, "roster-unavailable", officer_id) from None
        if roster is None:
            raise Refused(403, "no roster has been imported yet: nobody may read case data", "no-roster", officer_id)
        officer = roster.officer(officer_id)
        if officer is None:
            raise Refused(403, f"officer {officer_id!r} is not on the current roster", "not-on-roster", officer_id)
        if not self._roles & set(officer.roles):
            raise Refused(
                403,
                f"officer {officer_id!r} may not read case data through the codec endpoint: "
                f"it needs the role {role_names(self._roles)}",
                "role",
                officer_id,
            )
        return officer
