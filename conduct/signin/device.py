"""The OAuth 2.0 device authorization grant (RFC 8628) and refresh (RFC 6749 section 6), over httpx.

Both are plain form POSTs to endpoints from the discovery document; the answers are read into
pydantic models and the tokens are not looked into here (TokenVerifier does that, with joserfc).
The CLI's client is public (no secret), as the device grant expects.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from pydantic import BaseModel, ValidationError

from conduct.signin.verify import IssuerMetadata, IssuerUnreachable

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class DeviceAuthorization(BaseModel):
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None = None
    expires_in: int
    interval: float = 5  # RFC 8628 3.2: 5 seconds when the server says nothing


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int | None = None
    refresh_token: str | None = None
    id_token: str | None = None
    scope: str | None = None


class DeviceFlowError(Exception):
    """The sign-in did not complete: `error` is the RFC's code (access_denied, expired_token, ...)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


class _ErrorAnswer(BaseModel):
    error: str
    error_description: str | None = None


def _post(http: httpx.Client, url: str, form: dict[str, str]) -> httpx.Response:
    try:
        return http.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise IssuerUnreachable(f"cannot reach the identity provider at {url}: {error}") from None


def _error(response: httpx.Response) -> _ErrorAnswer:
    try:
        return _ErrorAnswer.model_validate_json(response.content)
    except ValidationError:
        return _ErrorAnswer(error="server_error", error_description=f"HTTP {response.status_code}")


def start_device_flow(metadata: IssuerMetadata, client_id: str, scope: str, http: httpx.Client) -> DeviceAuthorization:
    """Ask for a user code; the person opens the verification URL and types it (or follows the complete
    URL). The API's audience is the provider's business: a scope (Entra ID: `api://.../.default`) or
    its default resource; an RFC 8707 `resource` parameter is not sent, as Entra ID v2 refuses it."""
    if not metadata.device_authorization_endpoint:
        raise IssuerUnreachable(f"{metadata.issuer} offers no device authorization endpoint (RFC 8628)")
    form = {"client_id": client_id, "scope": scope}
    response = _post(http, metadata.device_authorization_endpoint, form)
    if response.status_code != 200:
        answer = _error(response)
        raise DeviceFlowError(answer.error, f"the identity provider refused to start a sign-in: {answer.error}")
    try:
        return DeviceAuthorization.model_validate_json(response.content)
    except ValidationError:
        raise IssuerUnreachable("the device authorization answer is not RFC 8628's") from None


def poll_for_tokens(
    metadata: IssuerMetadata,
    client_id: str,
    grant: DeviceAuthorization,
    http: httpx.Client,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> TokenResponse:
    """Poll the token endpoint every `interval` seconds until the person approves or denies, or the
    code expires: authorization_pending waits, slow_down adds 5 seconds (RFC 8628 3.5)."""
    interval = grant.interval
    deadline = clock() + grant.expires_in
    form = {"grant_type": DEVICE_GRANT, "device_code": grant.device_code, "client_id": client_id}
    while True:
        if clock() + interval > deadline:
            raise DeviceFlowError("expired_token", "the code expired before the sign-in was approved")
        sleep(interval)
        response = _post(http, metadata.token_endpoint, form)
        if response.status_code == 200:
            try:
                return TokenResponse.model_validate_json(response.content)
            except ValidationError:
                raise IssuerUnreachable("the token endpoint's answer has no access token") from None
        answer = _error(response)
        if answer.error == "authorization_pending":
            continue
        if answer.error == "slow_down":
            interval += 5
            continue
        if answer.error == "access_denied":
            raise DeviceFlowError("access_denied", "the sign-in was denied")
        if answer.error == "expired_token":
            raise DeviceFlowError("expired_token", "the code expired before the sign-in was approved")
        raise DeviceFlowError(answer.error, f"the identity provider refused the sign-in: {answer.error}")


def refresh_tokens(metadata: IssuerMetadata, client_id: str, refresh_token: str, http: httpx.Client) -> TokenResponse:
    """New tokens for a refresh token; DeviceFlowError (invalid_grant) when it is no longer good."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    response = _post(http, metadata.token_endpoint, form)
    if response.status_code != 200:
        answer = _error(response)
        raise DeviceFlowError(answer.error, f"the sign-in could not be renewed: {answer.error}")
    try:
        return TokenResponse.model_validate_json(response.content)
    except ValidationError:
        raise IssuerUnreachable("the token endpoint's answer has no access token") from None
