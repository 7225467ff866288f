"""The sign-in page: an officer pastes their codec token once, and the server keeps it in an
HttpOnly cookie that the browser sends with the Temporal UI's credentialed requests.

Plain HTML, no script, no style: the page has nothing to run and nothing to load.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from conduct.roster import Officer


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n<main>\n<h1>{escape(title)}</h1>\n{body}</main>\n"
        "</body>\n</html>\n"
    )


def _ui_steps(origin: str) -> str:
    return (
        "<h2>Then, in the Temporal UI</h2>\n<ol>\n"
        "<li>Open the UI on the same host name as this page (both <code>127.0.0.1</code>, or both "
        "<code>localhost</code>): the browser sends the sign-in cookie only within one site.</li>\n"
        "<li>Open the Codec Server settings (the <em>Codec Server is configured</em> button at the top of the "
        "page), choose <em>Use my browser setting and ignore Cluster-level setting</em>, enter the endpoint "
        f"<code>{escape(origin)}</code>, tick <em>Include cross-origin credentials</em> and apply.</li>\n"
        "</ol>\n"
    )


def signin_page(origin: str, error: str | None = None) -> str:
    problem = f'<p role="alert"><strong>Not signed in:</strong> {escape(error)}</p>\n' if error else ""
    body = (
        f"{problem}<p>Complainants' details in Temporal are encrypted. This server decodes them for the Temporal "
        "UI, for the officers allowed to read case data. Make your personal token in a shell with "
        "<code>conduct codec-token --as YOUR_OFFICER_ID</code> and paste it here.</p>\n"
        '<form method="post" action="/signin">\n'
        '<label for="token">Your codec token</label>\n'
        '<input id="token" name="token" type="password" autocomplete="off" required size="60">\n'
        '<button type="submit">Sign in</button>\n</form>\n' + _ui_steps(origin)
    )
    return _page("Codec endpoint: sign in", body)


def signed_in_page(origin: str, officer: Officer, expires_at: datetime) -> str:
    body = (
        f"<p>Signed in as <strong>{escape(officer.name)}</strong> ({escape(officer.id)}) until "
        f"{expires_at:%Y-%m-%d %H:%M} UTC. Every decode is recorded in the audit log under your name.</p>\n"
        '<form method="post" action="/signout"><button type="submit">Sign out</button></form>\n' + _ui_steps(origin)
    )
    return _page("Codec endpoint: signed in", body)
