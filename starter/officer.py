"""Who is at the keyboard, checked against the roster in force on every command.

In order: `--as OFFICER_ID` / CONDUCT_OFFICER, a one-command sign-in that only the development
issuer allows (CONDUCT_OIDC_ISSUER unset; against a real issuer it is refused, exit 3); then the
tokens `conduct login` cached, verified and mapped to a roster officer (renewed when expired);
otherwise a usage error that says to sign in. Every sign-in and refusal is a line in
DATA_DIR/audit.log. The workflow checks roles again against the roster its case was opened with;
this check stops an unknown person before anything reaches Temporal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, NoReturn

from conduct import audit
from conduct.vocabulary import Role
from starter.output import CliError, Exit, fail
from starter.roster_io import roster_in_force

if TYPE_CHECKING:
    from conduct.roster import Officer, Roster
    from conduct.settings import Settings
    from conduct.signin.config import OidcSettings

ROSTER_KEEPERS = frozenset({Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER})
AS_FLAG = "--as"
# Inside the officers' API: the officer its request signed in (starter/api). Nothing on the
# command line can change it: `--as` there is the API's to judge, before the command runs.
_ACTING: ContextVar[Officer | None] = ContextVar("conduct_acting_officer", default=None)
_IN_API: ContextVar[bool] = ContextVar("conduct_in_api", default=False)


@contextmanager
def acting_as(officer: Officer | None) -> Iterator[None]:
    """Run a command in the API as `officer`, whom the API signed in (None: nobody, e.g. `--help`)."""
    acting, in_api = _ACTING.set(officer), _IN_API.set(True)
    try:
        yield
    finally:
        _ACTING.reset(acting)
        _IN_API.reset(in_api)


def known_officer(roster: Roster | None, officer_id: str | None) -> Officer:
    """The roster officer with this id (the development sign-in), or a refusal (exit 3)."""
    if not officer_id or not officer_id.strip():
        fail(Exit.USAGE, "say who you are: --as OFFICER_ID, or set CONDUCT_OFFICER")
    if roster is None:
        fail(Exit.REFUSED, "no roster has been imported yet: run `conduct roster import PATH` first")
    officer = roster.officer(officer_id.strip())
    if officer is None:
        fail(Exit.REFUSED, not_an_officer(roster, officer_id.strip()))
    return officer


def not_an_officer(roster: Roster, person_id: str) -> str:
    """Why `person_id` may not act: someone else on the roster is named as such."""
    if roster.independent_person(person_id) is not None:
        return f"{person_id} is an Independent Person, not an officer: officers act and read cases; refused"
    if roster.member(person_id) is not None:
        return f"{person_id} is a member, not an officer: officers act and read cases; refused"
    return f"officer {person_id!r} is not on the current roster; refused"


def _audit(settings: Settings, officer: str | None, result: audit.Result, reason: str | None, via: str) -> None:
    try:
        audit.record(settings.data_dir, "sign-in", officer, result, reason=reason, via=via)
    except OSError as error:
        fail(Exit.ERROR, f"cannot write the audit log in {settings.data_dir}: {error.strerror}")


def _refuse_as(settings: Settings, issuer: str, claimed: str) -> NoReturn:
    _audit(settings, claimed, "refused", "--as with a real issuer", AS_FLAG)
    fail(Exit.REFUSED, f"--as and CONDUCT_OFFICER are for the development issuer only: run `conduct login` ({issuer})")


def _as_officer(settings: Settings, oidc: OidcSettings, roster: Roster | None, claimed: str) -> Officer:
    if not oidc.development:
        _refuse_as(settings, oidc.issuer.strip(), claimed)
    try:
        officer = known_officer(roster, claimed)
    except CliError:
        _audit(settings, claimed, "refused", "not on the roster" if roster else "no roster", AS_FLAG)
        raise
    _audit(settings, officer.id, "ok", None, AS_FLAG)
    return officer


def identify(settings: Settings, officer_id: str | None) -> Officer:
    """The acting officer: by `--as` (development issuer only) or by the cached sign-in; exit 3 when
    refused, exit 2 when nobody has signed in, exit 1 when the identity provider cannot be reached."""
    if _IN_API.get():  # the API signed the request in; the command line has no say
        acting = _ACTING.get()
        if acting is None:
            fail(Exit.USAGE, "sign in first: run `conduct login` (or pass --as OFFICER_ID to the development issuer)")
        return acting
    from conduct.signin.config import OidcSettings

    oidc = OidcSettings()
    roster = roster_in_force(settings)
    claimed = (officer_id or "").strip()
    if claimed:  # the development sign-in: no token to verify, nothing more to import
        return _as_officer(settings, oidc, roster, claimed)

    from conduct.signin.bearer import IssuerUnreachable, SignInRefused, trust
    from conduct.signin.session import cached_sign_in

    trusted = trust(settings, oidc)
    try:
        signed_in = cached_sign_in(trusted, roster)
    except SignInRefused as refused:
        hint = "" if "conduct login" in refused.reason else "; run `conduct login` to sign in again"
        fail(Exit.REFUSED, f"sign-in refused: {refused.reason}{hint}")
    except IssuerUnreachable as error:
        fail(Exit.ERROR, str(error))
    except OSError as error:
        fail(Exit.ERROR, f"cannot write the audit log in {settings.data_dir}: {error.strerror}")
    if signed_in is not None:
        return signed_in.officer
    if trusted.development:
        fail(Exit.USAGE, "say who you are: run `conduct login --dev OFFICER_ID`, or pass --as OFFICER_ID "
                         "(or set CONDUCT_OFFICER)")  # fmt: skip
    fail(Exit.USAGE, f"sign in first: run `conduct login` ({trusted.issuer})")


def may_replace_roster(settings: Settings, officer_id: str | None) -> Officer | None:
    """Anyone may import the first roster (there is nobody to check against yet); afterwards only
    the Monitoring Officer or the deputy."""
    if roster_in_force(settings) is None:
        return None
    officer = identify(settings, officer_id)
    if not ROSTER_KEEPERS & set(officer.roles):
        fail(Exit.REFUSED, f"{officer.id} cannot replace the roster: it needs monitoring_officer or deputy")
    return officer
