"""Who sent a request to the officers' API: a bearer token from the trusted issuer, checked on
every request against the roster in force (an officer taken off it is refused at once), or, only
while the API trusts the development issuer, the `--as` officer id the CLI passes on.

Every sign-in and refusal is an audit line (conduct/audit.py); the token itself never is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from conduct import audit

if TYPE_CHECKING:
    from conduct.roster import Officer
    from conduct.settings import Settings
    from conduct.signin.bearer import Trust

DEV_OFFICER_HEADER = "X-Conduct-Officer"


class NotSignedIn(Exception):
    """The request names nobody the API accepts; `status` is its HTTP answer."""

    def __init__(self, status: int, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.expired = expired


class SignInAnswer(BaseModel):
    detail: str
    expired: bool = False


def officer_of(settings: Settings, trust: Trust, authorization: str | None, dev_officer: str | None) -> Officer | None:
    """The roster officer the request signs in, None when it names nobody; NotSignedIn when refused."""
    from conduct.signin.bearer import IssuerUnreachable, SignInRefused, authenticate
    from starter.roster_io import roster_in_force

    roster = roster_in_force(settings)
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotSignedIn(401, "the Authorization header must be `Bearer TOKEN`")
        try:
            return authenticate(token.strip(), roster, trust.verifier(), settings.data_dir, via="api").officer
        except SignInRefused as refused:
            hint = "" if "conduct login" in refused.reason else "; run `conduct login` to sign in again"
            raise NotSignedIn(401, f"sign-in refused: {refused.reason}{hint}", refused.expired) from None
        except IssuerUnreachable as error:
            raise NotSignedIn(502, str(error)) from None
    claimed = (dev_officer or "").strip()
    if not claimed:
        return None
    if not trust.development:
        audit.record(settings.data_dir, "sign-in", claimed, "refused", reason="--as with a real issuer", via="--as")
        raise NotSignedIn(
            403, f"--as and CONDUCT_OFFICER are for the development issuer only: run `conduct login` ({trust.issuer})"
        )
    from starter.officer import not_an_officer

    officer = roster.officer(claimed) if roster else None
    if officer is None:
        reason = "not on the roster" if roster else "no roster"
        audit.record(settings.data_dir, "sign-in", claimed, "refused", reason=reason, via="--as")
        if roster is None:
            raise NotSignedIn(403, "no roster has been imported yet: run `conduct roster import PATH` on the server")
        raise NotSignedIn(403, not_an_officer(roster, claimed))
    audit.record(settings.data_dir, "sign-in", officer.id, "ok", via="--as")
    return officer
