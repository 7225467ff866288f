"""From a verified token to a roster officer.

A roster officer carries `login`: what the identity provider asserts for them (their e-mail, or the
token's subject); without one, their roster e-mail is their login. The roster is the one in force
when the token is used, not when it was issued, so an officer taken off the roster is refused at
their next command even with a token that is still valid.
"""

from __future__ import annotations

from typing import Any

from conduct.roster import Officer, Roster
from conduct.signin.verify import SignInRefused

# Claims naming the person, most stable first: `sub` never changes; `email`, `preferred_username`
# and Entra ID's `upn` are what councils' rosters usually hold.
LOGIN_CLAIMS = ("sub", "email", "preferred_username", "upn")


def login_of(officer: Officer) -> str:
    return (officer.login or officer.email).strip()


def asserted_logins(claims: dict[str, Any]) -> list[str]:
    """What the token says the person is called; an e-mail the provider says is unverified is ignored."""
    found = []
    for name in LOGIN_CLAIMS:
        value = claims.get(name)
        if name == "email" and claims.get("email_verified") is False:
            continue
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
    return found


def officer_for(roster: Roster | None, claims: dict[str, Any]) -> Officer:
    """The one roster officer whose login the token asserts; SignInRefused otherwise."""
    asserted = asserted_logins(claims)
    shown = next((a for a in asserted if "@" in a), asserted[0] if asserted else None)
    if roster is None:
        raise SignInRefused("no roster has been imported yet", login=shown)
    wanted = {a.casefold() for a in asserted}
    matches = [o for o in roster.officers if login_of(o).casefold() in wanted]
    if not matches:
        raise SignInRefused(f"{shown or 'this sign-in'} is not an officer on the current roster", login=shown)
    if len(matches) > 1:
        ids = ", ".join(o.id for o in matches)
        raise SignInRefused(f"{shown} matches more than one officer on the roster ({ids})", login=shown)
    return matches[0]
