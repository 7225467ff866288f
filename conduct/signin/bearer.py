"""The sign-in of a bearer token: which issuer is trusted, and who a token signs in.

`authenticate` is what the officers' API calls for every request, with one `Trust` per process
(its verifier's key cache is what keeps verification cheap); the CLI calls it through
conduct.signin.session for its cached tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from conduct import audit
from conduct.roster import Officer, Roster
from conduct.signin.config import OidcSettings
from conduct.signin.dev_issuer import DEV_AUDIENCE, DevIssuer, dev_issuer_url
from conduct.signin.roster_login import officer_for
from conduct.signin.verify import IssuerUnreachable, RemoteKeys, SignInRefused, TokenVerifier, VerifiedToken

if TYPE_CHECKING:
    from conduct.settings import Settings
    from conduct.signin.token_cache import CachedTokens

__all__ = ["IssuerUnreachable", "SignInRefused", "SignedIn", "TokenVerifier", "Trust", "authenticate", "trust"]


class SignedIn(BaseModel):
    """Who a token signed in, on the roster in force."""

    officer: Officer
    issuer: str
    subject: str
    expires_at: datetime
    via: str


@dataclass
class Trust:
    """The issuer this installation trusts, and how its tokens are checked."""

    issuer: str
    audience: str
    development: bool
    oidc: OidcSettings
    data_dir: Path
    _verifier: TokenVerifier | None = field(default=None, repr=False)

    @property
    def dev_issuer(self) -> DevIssuer:
        return DevIssuer(self.data_dir)

    def verifier(self) -> TokenVerifier:
        """One per Trust: keep the Trust (the API: one per process) and its key cache is kept too."""
        if self._verifier is None:
            keys = self.dev_issuer if self.development else RemoteKeys(self.issuer)
            self._verifier = TokenVerifier(self.issuer, self.audience, keys, self.oidc.leeway_seconds)
        return self._verifier

    def remote_keys(self) -> RemoteKeys:
        source = self.verifier().key_source
        if not isinstance(source, RemoteKeys):
            raise IssuerUnreachable("the development issuer has no endpoints: use `conduct login --dev OFFICER_ID`")
        return source

    def bearer(self, tokens: CachedTokens) -> str | None:
        """The token that stands for the officer: the access token when an API audience is configured
        (and always for the development issuer), else the ID token, whose audience is the client id."""
        if self.development or self.oidc.audience:
            return tokens.access_token
        return tokens.id_token


def trust(settings: Settings, oidc: OidcSettings | None = None) -> Trust:
    oidc = oidc or OidcSettings()
    if oidc.development:
        return Trust(dev_issuer_url(settings.data_dir), DEV_AUDIENCE, True, oidc, settings.data_dir)
    issuer = oidc.issuer.strip()
    return Trust(issuer, oidc.audience or oidc.client_id, False, oidc, settings.data_dir)


def authenticate(
    token: str, roster: Roster | None, verifier: TokenVerifier, audit_dir: Path | None, via: str = "token"
) -> SignedIn:
    """The roster officer a bearer token signs in: signature, issuer, audience and lifetime checked,
    then the asserted login looked up on `roster` (pass the roster in force at each use). Raises
    SignInRefused (reason safe to show) or IssuerUnreachable. With `audit_dir`, one audit line either way."""
    try:
        verified: VerifiedToken = verifier.verify(token)
        officer = officer_for(roster, verified.claims)
    except SignInRefused as refused:
        if audit_dir is not None:
            audit.record(audit_dir, "sign-in", refused.login, "refused", reason=refused.reason, via=via)
        raise
    if audit_dir is not None:
        audit.record(audit_dir, "sign-in", officer.id, "ok", via=via)
    return SignedIn(
        officer=officer, issuer=verified.issuer, subject=verified.subject, expires_at=verified.expires_at, via=via
    )
