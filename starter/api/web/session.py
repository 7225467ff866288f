"""The officers' web view's sign-in: a signed session cookie holding the officer's token, and the
device sign-ins the server runs on a browser's behalf.

The cookie only carries the token; whoever it names is decided again on every request by
`officer_of` (signature, issuer, audience, lifetime, and the roster in force), so an officer taken
off the roster is refused at once. The cookie is HttpOnly (no script reads it), SameSite=Strict
(no other site's page sends it) and signed with a key kept in DATA_DIR (a cookie made elsewhere,
or edited, is ignored). The device flow (RFC 8628, conduct/signin/device.py) is polled by a
thread of this process; the browser that started it holds its id in a signed cookie of its own.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from starter.web.security import Signer

if TYPE_CHECKING:
    from conduct.signin.bearer import Trust
    from conduct.signin.device import DeviceAuthorization, TokenResponse

SESSION_COOKIE = "conduct_officer"
PENDING_COOKIE = "conduct_officer_signin"
CSRF_COOKIE = "conduct_officer_csrf"
SECRET_FILE = "officers-web.secret"
MAX_COOKIE_BYTES = 3800  # browsers keep 4096 bytes per cookie, name and attributes included
SESSION_SECONDS = 12 * 3600  # at most a working day, and never longer than the token
CSRF_SECONDS = 2 * 3600
MAX_PENDING = 100
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")


def signer(data_dir: Path) -> Signer:
    """The key the view signs its cookies with: one per installation (every API process shares it)."""
    from conduct.private_files import private_secret

    return Signer(private_secret(data_dir / SECRET_FILE).encode())


def seal(sign: Signer, token: str, now: float | None = None) -> str:
    """The session cookie's value: the token, when it was signed in, and a signature over both."""
    issued = str(int(now if now is not None else time.time()))
    body = base64.urlsafe_b64encode(token.encode()).rstrip(b"=").decode()
    return f"{body}.{issued}.{sign.sign('officer-session', f'{body}.{issued}')}"


def unseal(sign: Signer, value: str | None, now: float | None = None) -> str | None:
    """The token of a genuine session cookie no older than a working day, else None."""
    if not value or value.count(".") != 2 or len(value) > MAX_COOKIE_BYTES:
        return None
    body, issued, signature = value.split(".")
    if not _TOKEN_CHARS.match(body) or not issued.isdigit() or len(issued) > 12:
        return None
    if not sign.valid("officer-session", f"{body}.{issued}", signature):
        return None
    age = (now if now is not None else time.time()) - int(issued)
    if age < -60 or age > SESSION_SECONDS:
        return None
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except ValueError:
        return None


def bearer_of(trust: Trust, answer: TokenResponse) -> str | None:
    """The token that stands for the officer, as `Trust.bearer` chooses it for the CLI."""
    if trust.development or trust.oidc.audience:
        return answer.access_token
    return answer.id_token


@dataclass
class DeviceSignIn:
    """One device sign-in in progress: the code to show, and the answer when the poll ends."""

    grant: DeviceAuthorization
    started: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    answer: TokenResponse | None = None
    error: str | None = None

    @property
    def expired(self) -> bool:
        return time.monotonic() > self.started + self.grant.expires_in + 30


class DeviceSignIns:
    """The device sign-ins this process is polling for, by a random id (never the device code)."""

    def __init__(self) -> None:
        self._pending: dict[str, DeviceSignIn] = {}
        self._lock = threading.Lock()

    def start(self, trust: Trust) -> tuple[str, DeviceSignIn]:
        """Ask the identity provider for a code and poll for its approval in a thread of its own.
        Raises IssuerUnreachable, DeviceFlowError, or RuntimeError when too many are pending."""
        from conduct.signin.device import start_device_flow

        remote = trust.remote_keys()
        metadata = remote.metadata()
        with self._lock:
            for key in [k for k, v in self._pending.items() if v.expired]:
                del self._pending[key]
            if len(self._pending) >= MAX_PENDING:
                raise RuntimeError("too many sign-ins are waiting for approval: try again in a few minutes")
        grant = start_device_flow(metadata, trust.oidc.client_id, trust.oidc.scope, remote.http)
        pending = DeviceSignIn(grant)
        key = secrets.token_urlsafe(24)
        with self._lock:
            self._pending[key] = pending
        threading.Thread(target=self._poll, args=(trust, pending), name="officers-web-signin", daemon=True).start()
        return key, pending

    @staticmethod
    def _poll(trust: Trust, pending: DeviceSignIn) -> None:
        from conduct import audit
        from conduct.signin.device import DeviceFlowError, poll_for_tokens
        from conduct.signin.verify import IssuerUnreachable

        remote = trust.remote_keys()
        try:
            pending.answer = poll_for_tokens(remote.metadata(), trust.oidc.client_id, pending.grant, remote.http)
        except DeviceFlowError as error:
            audit.record(trust.data_dir, "sign-in", None, "refused", reason=error.error, via="officers' web view")
            pending.error = str(error)
        except IssuerUnreachable as error:
            pending.error = str(error)
        finally:
            pending.done.set()

    def get(self, key: str | None) -> DeviceSignIn | None:
        with self._lock:
            found = self._pending.get(key or "")
            return None if found is None or found.expired else found

    def forget(self, key: str | None) -> None:
        with self._lock:
            self._pending.pop(key or "", None)
