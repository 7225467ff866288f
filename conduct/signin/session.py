"""What the CLI does with sign-ins: `conduct login` (device flow, or `--dev`), `logout`, and finding
who is at the keyboard from the cached tokens, refreshed when they have expired.

Today the CLI verifies its own cached token against the trusted issuer; once the CLI is the officers'
API's client it sends the token and the API calls `authenticate` with the same verifier.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from conduct import audit
from conduct.roster import Roster
from conduct.signin import token_cache as cache
from conduct.signin.bearer import SignedIn, SignInRefused, Trust, authenticate
from conduct.signin.device import (
    DeviceAuthorization,
    DeviceFlowError,
    TokenResponse,
    poll_for_tokens,
    refresh_tokens,
    start_device_flow,
)
from conduct.signin.roster_login import login_of
from conduct.signin.token_cache import CachedTokens


def _cached(trust: Trust, answer: TokenResponse, via: str, previous: CachedTokens | None = None) -> CachedTokens:
    expires = datetime.now(UTC) + timedelta(seconds=answer.expires_in) if answer.expires_in else None
    return CachedTokens(
        issuer=trust.issuer,
        client_id=trust.oidc.client_id,
        via=via,  # type: ignore[arg-type]
        access_token=answer.access_token,
        id_token=answer.id_token or (previous.id_token if previous else None),
        refresh_token=answer.refresh_token or (previous.refresh_token if previous else None),
        expires_at=expires,
    )


def _signed_in(trust: Trust, roster: Roster | None, tokens: CachedTokens, via: str) -> SignedIn:
    bearer = trust.bearer(tokens)
    if not bearer:
        raise SignInRefused("the identity provider gave no ID token: set CONDUCT_OIDC_AUDIENCE to use the access token")
    return authenticate(bearer, roster, trust.verifier(), trust.data_dir, via=via)


def login_device(
    trust: Trust,
    roster: Roster | None,
    show_code: Callable[[DeviceAuthorization], None],
    *,
    http: httpx.Client | None = None,
    sleep: Callable[[float], None] | None = None,
    interval: float | None = None,
) -> SignedIn:
    """RFC 8628 against the trusted issuer: show the code, wait for approval, check that the token names
    a roster officer, then cache it. `interval` overrides the server's polling interval (tests)."""
    remote = trust.remote_keys()
    http = http or remote.http
    metadata = remote.metadata()
    grant = start_device_flow(metadata, trust.oidc.client_id, trust.oidc.scope, http)
    show_code(grant)
    if interval is not None:
        grant = grant.model_copy(update={"interval": interval})
    try:
        answer = poll_for_tokens(metadata, trust.oidc.client_id, grant, http, **({"sleep": sleep} if sleep else {}))
    except DeviceFlowError as error:
        audit.record(trust.data_dir, "sign-in", None, "refused", reason=error.error, via="device flow")
        raise
    tokens = _cached(trust, answer, "device")
    signed_in = _signed_in(trust, roster, tokens, "device flow")
    cache.save(tokens.model_copy(update={"officer": signed_in.officer.id}))
    return signed_in


def login_dev(trust: Trust, roster: Roster | None, officer_id: str) -> SignedIn:
    """`conduct login --dev OFFICER_ID`: a development-issuer token for a roster officer."""
    if not trust.development:
        audit.record(trust.data_dir, "sign-in", officer_id, "refused", reason="--dev with a real issuer", via="dev")
        raise SignInRefused(f"--dev signs in only to the development issuer; this installation trusts {trust.issuer}")
    officer = roster.officer(officer_id) if roster else None
    if officer is None:
        audit.record(trust.data_dir, "sign-in", officer_id, "refused", reason="not on the roster", via="dev")
        raise SignInRefused(f"officer {officer_id!r} is not on the current roster", login=officer_id)
    issuer = trust.dev_issuer
    token = issuer.mint(login_of(officer), trust.audience)
    tokens = CachedTokens(issuer=trust.issuer, client_id="conduct-dev", via="dev", access_token=token)
    signed_in = _signed_in(trust, roster, tokens, "dev issuer")
    cache.save(tokens.model_copy(update={"expires_at": signed_in.expires_at, "officer": signed_in.officer.id}))
    return signed_in


def cached_sign_in(trust: Trust, roster: Roster | None, *, http: httpx.Client | None = None) -> SignedIn | None:
    """Who the cached tokens sign in (None: nobody has run `conduct login` for this issuer). An expired
    token is renewed with the refresh token first; a refused one stays refused (SignInRefused)."""
    tokens = cache.load(trust.issuer)
    if tokens is None:
        return None
    try:
        return _signed_in(trust, roster, tokens, "token")
    except SignInRefused as refused:
        if not (refused.expired and tokens.refresh_token and not trust.development):
            if refused.expired:
                raise SignInRefused("your sign-in has expired: run `conduct login`", expired=True) from None
            raise
    remote = trust.remote_keys()
    try:
        answer = refresh_tokens(remote.metadata(), tokens.client_id, tokens.refresh_token, http or remote.http)
    except DeviceFlowError as error:
        reason = f"refresh: {error.error}"
        audit.record(trust.data_dir, "sign-in", tokens.officer, "refused", reason=reason, via="refresh")
        raise SignInRefused("your sign-in has expired and could not be renewed: run `conduct login`") from None
    renewed = _cached(trust, answer, tokens.via, tokens)
    signed_in = _signed_in(trust, roster, renewed, "refresh")
    cache.save(renewed.model_copy(update={"officer": signed_in.officer.id}))
    return signed_in


def logout(trust: Trust) -> bool:
    """Forget this issuer's cached tokens; True when there were some."""
    removed = cache.remove(trust.issuer)
    if removed:
        audit.record(trust.data_dir, "sign-out", None, "ok")
    return removed
