"""A real OpenID Provider for the sign-in tests: npm's certified `oidc-provider`, run by Node.

Installed once per version into `.cache/oidc-provider-VERSION/` of the checkout (ignored by git),
so only the first run downloads it (from the npm registry, ≈ 2 s); the product never does. Tests
skip with the reason when `node` or `npm` is missing or the installation fails. tests/oidc/provider.mjs
is the provider's configuration; `approve` plays the person at the verification page, through the
provider's built-in development login and consent pages.
"""

from __future__ import annotations

import contextlib
import html.parser
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from joserfc.jwk import RSAKey

from tests.ports import free_port

VERSION = "9.13.3"
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / f"oidc-provider-{VERSION}"
SCRIPT = Path(__file__).parent / "oidc" / "provider.mjs"
CLIENT_ID = "conduct-cli"
AUDIENCE = "https://conduct-api.council.example"
_install_lock = threading.Lock()


class Unavailable(Exception):
    """Why the provider cannot run here (the test skips with this reason)."""


def install() -> Path:
    """The folder holding node_modules/oidc-provider, installed on first use."""
    with _install_lock:
        if (CACHE / "node_modules" / "oidc-provider" / "package.json").exists():
            return CACHE
        for tool in ("node", "npm"):
            if shutil.which(tool) is None:
                raise Unavailable(f"`{tool}` is not installed (apt-get install nodejs npm)")
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{CACHE.name}.", dir=CACHE.parent))
        try:
            (staging / "package.json").write_text('{"name": "conduct-test-oidc", "private": true}\n')
            done = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", f"oidc-provider@{VERSION}"],
                cwd=staging, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            if done.returncode != 0:
                raise Unavailable(f"npm install oidc-provider@{VERSION} failed: {done.stderr.strip()[-300:]}")
            with contextlib.suppress(OSError):  # another run may have won the race: keep its copy
                staging.rename(CACHE)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return CACHE


def rsa_key() -> dict:
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"})
    key.ensure_kid()
    return key.as_dict(private=True)


@dataclass
class OidcProvider:
    """One running provider; `restart(keys)` brings it back on the same port with other keys."""

    keys: list[dict]
    access_ttl: int = 600
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="oidc-")))

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OidcProvider:
        folder = install()
        script = folder / "provider.mjs"  # next to node_modules: ESM resolves packages from the script's folder
        shutil.copyfile(SCRIPT, script)
        jwks = self.workdir / "jwks.json"
        jwks.write_text(json.dumps({"keys": self.keys}))
        env = {
            **os.environ, "PORT": str(self.port), "ISSUER": self.issuer, "AUDIENCE": AUDIENCE, "CLIENT_ID": CLIENT_ID,
            "JWKS_FILE": str(jwks), "ACCESS_TTL": str(self.access_ttl), "NODE_ENV": "test",
        }  # fmt: skip
        self.process = subprocess.Popen(
            ["node", str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert self.process.stdout is not None
        lines = []
        for line in self.process.stdout:
            lines.append(line)
            if line.strip() == "ready":
                break
        else:
            self.process.wait(5)
            raise Unavailable("oidc-provider did not start: " + "".join(lines)[-500:])
        threading.Thread(target=self.process.stdout.read, daemon=True).start()  # keep the pipe drained
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, keys: list[dict]) -> None:
        self.stop()
        self.keys = keys
        self.start()


@contextlib.contextmanager
def running(keys: list[dict], access_ttl: int = 600) -> Iterator[OidcProvider]:
    provider = OidcProvider(keys=keys, access_ttl=access_ttl)
    try:
        yield provider.start()
    finally:
        provider.stop()
        shutil.rmtree(provider.workdir, ignore_errors=True)


class _Form(html.parser.HTMLParser):
    """The first form of a page: its action and its hidden and named inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action") or ""
        elif tag == "input" and a.get("name") and a.get("type") in ("hidden", None):
            self.fields[a["name"] or ""] = a.get("value") or ""


def _form(page: httpx.Response) -> _Form:
    form = _Form()
    form.feed(page.text)
    return form


def approve(verification_uri_complete: str, login: str, deny: bool = False) -> str:
    """Play the person: open the complete verification URL, confirm the code, log in as `login`
    (any password: the provider's dev interactions) and consent. Returns the final page's text."""
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        page = browser.get(verification_uri_complete)
        form = _form(page)
        answer = {"xsrf": form.fields["xsrf"], "user_code": form.fields["user_code"]}
        answer.update({"abort": "yes"} if deny else {"confirm": "yes"})
        page = browser.post(str(page.url.join(form.action or "")), data=answer)
        if deny:
            return page.text
        for step in ({"prompt": "login", "login": login, "password": "x"}, {"prompt": "consent"}):
            form = _form(page)
            if form.action is None:
                break
            page = browser.post(str(page.url.join(form.action)), data={**form.fields, **step})
        return page.text
