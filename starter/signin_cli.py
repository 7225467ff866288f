"""`conduct login`, `conduct logout` and `conduct whoami`: signing in to the trusted issuer.

`login` runs the device authorization grant (RFC 8628) against CONDUCT_OIDC_ISSUER: it prints a URL
and a code to open on any device, waits, and caches the tokens 0600 in the user's config folder.
`login --dev OFFICER_ID` signs in as any roster officer with the development issuer (no identity
provider: the embedded default only). Exit codes: 0 signed in, 1 identity provider unreachable,
2 usage, 3 refused (denied, expired code, not on the roster, --dev with a real issuer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from starter.output import Exit, done, fail, handled

if TYPE_CHECKING:
    from conduct.settings import Settings
    from conduct.signin.bearer import SignedIn
    from conduct.signin.device import DeviceAuthorization


def _show_code(grant: DeviceAuthorization) -> None:
    typer.echo(f"To sign in, open {grant.verification_uri} and enter the code {grant.user_code}")
    if grant.verification_uri_complete:
        typer.echo(f"  (or open {grant.verification_uri_complete})")
    typer.echo(f"Waiting for the sign-in to be approved (the code expires in {grant.expires_in // 60} minutes)...")


def _signed_in_line(signed_in: SignedIn) -> str:
    roles = ", ".join(role.value for role in signed_in.officer.roles)
    until = f"{signed_in.expires_at:%Y-%m-%d %H:%M} UTC"
    return f"signed in as {signed_in.officer.id} ({signed_in.officer.name}; {roles}) until {until}"


def banner_line(settings: Settings) -> str:
    """`conduct dev`'s banner line: which issuer signs officers in (creating the development key)."""
    from conduct.signin.bearer import trust

    trusted = trust(settings)
    if not trusted.development:
        return f"Sign-in         {trusted.issuer}   (`conduct login`; --as is refused)"
    trusted.dev_issuer.ensure_key()
    return (
        f"Sign-in         development issuer {trusted.issuer}   (key in {trusted.dev_issuer.key_file}; "
        "`conduct login --dev mo`, or --as mo on any command)"
    )


@handled
def login(
    dev: Annotated[
        str | None,
        typer.Option("--dev", metavar="OFFICER_ID", help="sign in as this roster officer with the development issuer"),
    ] = None,
) -> None:
    """Sign in: a URL and a code to approve in a browser (your council's identity provider), or
    `--dev OFFICER_ID` against `conduct dev`'s development issuer."""
    from conduct.settings import get_settings
    from conduct.signin.bearer import IssuerUnreachable, SignInRefused, trust
    from conduct.signin.device import DeviceFlowError
    from conduct.signin.session import login_dev, login_device
    from conduct.signin.token_cache import tokens_path
    from starter.roster_io import roster_in_force

    settings = get_settings()
    trusted = trust(settings)
    roster = roster_in_force(settings)
    try:
        if dev is not None:
            signed_in = login_dev(trusted, roster, dev.strip())
        elif trusted.development:
            fail(
                Exit.USAGE,
                "no identity provider is configured (CONDUCT_OIDC_ISSUER): sign in to the development issuer "
                "with `conduct login --dev OFFICER_ID`",
            )
        else:
            signed_in = login_device(trusted, roster, _show_code)
    except SignInRefused as refused:
        fail(Exit.REFUSED, f"sign-in refused: {refused.reason}")
    except DeviceFlowError as error:
        fail(Exit.REFUSED, f"sign-in refused: {error}")
    except IssuerUnreachable as error:
        fail(Exit.ERROR, str(error))
    done(f"{_signed_in_line(signed_in)}; tokens kept in {tokens_path()}")


@handled
def logout() -> None:
    """Forget the tokens `conduct login` cached for this installation's issuer."""
    from conduct.settings import get_settings
    from conduct.signin.bearer import trust
    from conduct.signin.session import logout as forget

    trusted = trust(get_settings())
    done("signed out" if forget(trusted) else "not signed in (nothing to remove)")


@handled
def whoami(
    as_officer: Annotated[
        str | None,
        typer.Option("--as", envvar="CONDUCT_OFFICER", help="your officer id (development issuer only)"),
    ] = None,
) -> None:
    """Say who you are signed in as, checked against the roster in force."""
    from conduct.settings import get_settings
    from conduct.signin.bearer import trust
    from starter.officer import identify

    settings = get_settings()
    officer = identify(settings, as_officer)
    roles = ", ".join(role.value for role in officer.roles)
    typer.echo(f"{officer.id} ({officer.name}; {roles}) at {trust(settings).issuer}")
