"""Checking a token: signature against the issuer's published keys, then iss, aud, exp and nbf.

joserfc does the JOSE work (why joserfc: it implements the JOSE RFCs strictly and nothing else,
with typed keys and key sets, an explicit algorithm allow-list on every decode, and a claims
registry for iss/aud/exp/nbf with leeway; it is maintained by Authlib's author and, unlike PyJWT,
it takes a JWKS as a key set without glue). No token is parsed by hand here.

Keys come from a KeySource: the issuer's JWKS found through its discovery document
(`RemoteKeys`), or the development issuer's key in DATA_DIR. They are cached; a token whose `kid`
is not in the cache makes the source fetch once more (the issuer rotated its key), at most every
`refetch_seconds`, so a stream of forged kids cannot make us hammer the provider.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    DecodeError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from pydantic import BaseModel, ValidationError

from conduct.signin.config import ALLOWED_ALGORITHMS

_CLAIM_REFUSALS = {
    "iss": "the token was issued by another identity provider",
    "aud": "the token is meant for another audience",
    "nbf": "the token is not valid yet",
    "iat": "the token was issued in the future",
}


class SignInRefused(Exception):
    """A token or a person that does not sign in; `reason` is safe to print and to audit (no token)."""

    def __init__(self, reason: str, login: str | None = None, expired: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.login = login
        self.expired = expired


class IssuerUnreachable(Exception):
    """The identity provider could not be asked (network, or a discovery document that makes no sense)."""


class IssuerMetadata(BaseModel):
    """What this system reads of an OpenID Provider's discovery document."""

    issuer: str
    jwks_uri: str
    token_endpoint: str
    device_authorization_endpoint: str | None = None


class VerifiedToken(BaseModel):
    issuer: str
    subject: str
    expires_at: datetime
    claims: dict[str, Any]


class KeySource(Protocol):
    def keys(self) -> KeySet:
        """The keys in the cache (fetched the first time)."""

    def refetch(self) -> KeySet | None:
        """Fetch again (the issuer may have rotated); None when a refetch was done too recently."""


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def require_https(url: str, what: str) -> None:
    """Tokens and keys travel over TLS; plain http only to this machine (a test's provider)."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname)):
        return
    raise IssuerUnreachable(f"{what} {url!r} must be an https URL")


def discover(issuer: str, http: httpx.Client) -> IssuerMetadata:
    """The issuer's discovery document; its `issuer` must be exactly the one configured (OIDC
    Discovery 4.3), or a look-alike provider could answer for it."""
    require_https(issuer, "CONDUCT_OIDC_ISSUER")
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = http.get(url)
        response.raise_for_status()
        metadata = IssuerMetadata.model_validate_json(response.content)
    except httpx.HTTPError as error:
        raise IssuerUnreachable(f"cannot read the identity provider's discovery document at {url}: {error}") from None
    except ValidationError:
        raise IssuerUnreachable(f"{url} is not an OpenID Connect discovery document") from None
    if metadata.issuer != issuer:
        raise IssuerUnreachable(f"{url} names issuer {metadata.issuer!r}, not the configured {issuer!r}")
    for what, endpoint in (("jwks_uri", metadata.jwks_uri), ("token_endpoint", metadata.token_endpoint)):
        require_https(endpoint, what)
    return metadata


class RemoteKeys:
    """An OpenID Provider's JWKS, found through its discovery document and cached in memory."""

    def __init__(
        self, issuer: str, http: httpx.Client | None = None, refetch_seconds: float = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.issuer = issuer
        self.http = http or httpx.Client(timeout=10, follow_redirects=False)
        self.refetch_seconds = refetch_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._metadata: IssuerMetadata | None = None
        self._keys: KeySet | None = None
        self._fetched_at: float | None = None

    def metadata(self) -> IssuerMetadata:
        if self._metadata is None:
            self._metadata = discover(self.issuer, self.http)
        return self._metadata

    def _fetch(self) -> KeySet:
        uri = self.metadata().jwks_uri
        try:
            response = self.http.get(uri)
            response.raise_for_status()
            keys = KeySet.import_key_set(response.json())
        except httpx.HTTPError as error:
            raise IssuerUnreachable(f"cannot fetch the identity provider's keys from {uri}: {error}") from None
        except (ValueError, KeyError, TypeError, JoseError):
            raise IssuerUnreachable(f"{uri} does not hold a usable JSON Web Key Set") from None
        self._keys, self._fetched_at = keys, self._clock()
        return keys

    def keys(self) -> KeySet:
        with self._lock:
            return self._keys if self._keys is not None else self._fetch()

    def refetch(self) -> KeySet | None:
        with self._lock:
            if self._fetched_at is not None and self._clock() - self._fetched_at < self.refetch_seconds:
                return None
            return self._fetch()


class TokenVerifier:
    """Verifies tokens of one issuer for one audience. Keep one per process (the API): its key
    cache is what makes verification cheap."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        keys: KeySource,
        leeway_seconds: int = 30,
        algorithms: tuple[str, ...] = ALLOWED_ALGORITHMS,
        now: Callable[[], int] | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.key_source = keys
        self.leeway_seconds = leeway_seconds
        self.algorithms = list(algorithms)
        self._now = now or (lambda: int(time.time()))

    def _decode(self, token: str) -> jwt.Token:
        try:
            try:
                return jwt.decode(token, self.key_source.keys(), algorithms=self.algorithms)
            except InvalidKeyIdError:
                rotated = self.key_source.refetch()
                if rotated is None:
                    raise
                return jwt.decode(token, rotated, algorithms=self.algorithms)
        except InvalidKeyIdError:
            raise SignInRefused("the token was signed with a key the identity provider does not publish") from None
        except BadSignatureError:
            raise SignInRefused("the token's signature does not verify") from None
        except (DecodeError, ValueError, KeyError, TypeError, JoseError) as error:
            # An unsupported or disallowed algorithm, a malformed token, a missing header.
            raise SignInRefused(f"not a token this system accepts ({type(error).__name__})") from None

    def verify(self, token: str) -> VerifiedToken:
        """The token's claims once signature, iss, aud, exp and nbf hold; SignInRefused if not."""
        decoded = self._decode(token.strip())
        registry = jwt.JWTClaimsRegistry(
            now=self._now,
            leeway=self.leeway_seconds,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        claims = decoded.claims
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise SignInRefused("the token has expired", expired=True) from None
        except MissingClaimError as error:
            raise SignInRefused(f"the token lacks {error.claim}") from None
        except ClaimError as error:
            raise SignInRefused(_CLAIM_REFUSALS.get(error.claim, f"the token's {error.claim} is not valid")) from None
        return VerifiedToken(
            issuer=claims["iss"],
            subject=claims["sub"],
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            claims=claims,
        )
