"""The `conduct` CLI as the officers' API's client (CONDUCT_API_URL): an officer's machine needs no
Temporal address, no encryption key and no database, only the API's URL and a sign-in.

Each command line goes to the API as it was typed, with the files it reads and the folders it
writes (starter/command_files.py); the API runs the command as the officer it signed in and
answers with the exit code and the output, which are printed here as they came. The sign-in is the
token `conduct login` cached for the issuer the API trusts (renewed with its refresh token when
the API says it expired), or `--as OFFICER_ID` / CONDUCT_OFFICER, which the API accepts only while
it trusts the development issuer. Exit codes are the commands' own; 1 when the API cannot be reached.
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from conduct.signin.token_cache import CachedTokens

API_URL = "CONDUCT_API_URL"
# Run on this machine even with CONDUCT_API_URL: they serve, or are pure calculators, or are the sign-in itself.
LOCAL_COMMANDS = frozenset({"dev", "worker", "web", "api", "codec", "demo", "deadlines"})
SIGN_IN_COMMANDS = frozenset({"login", "logout"})
MAX_FILE_BYTES = 25 * 1024 * 1024
TIMEOUT = httpx.Timeout(connect=5, read=180, write=60, pool=5)


class Unreachable(Exception):
    pass


def api_url() -> str | None:
    url = os.environ.get(API_URL, "").strip().rstrip("/")
    return url or None


def wants_help(argv: list[str]) -> bool:
    return not argv or any(word in ("--help", "--install-completion", "--show-completion") for word in argv)


def _say(text: str, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(text)
    stream.flush()


def _strip_as(argv: list[str]) -> tuple[list[str], str | None]:
    """`--as OFFICER_ID` is the API's to judge (as a header), not the command's."""
    words, claimed, at = [], None, 0
    while at < len(argv):
        word = argv[at]
        if word == "--":
            words += argv[at:]
            break
        if word == "--as" and at + 1 < len(argv):
            claimed, at = argv[at + 1], at + 2
            continue
        if word.startswith("--as="):
            claimed, at = word.removeprefix("--as="), at + 1
            continue
        words.append(word)
        at += 1
    return words, claimed


def _read(word: str) -> tuple[str, bytes]:
    if word == "-":
        return "stdin.txt", sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    path = Path(word).expanduser()
    if not path.is_file():
        raise _Usage(f"{word}: no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _Usage(f"{word}: too large to send ({MAX_FILE_BYTES // (1024 * 1024)} MiB at most)")
    return path.name, path.read_bytes()


class _Usage(Exception):
    pass


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=TIMEOUT, headers={"User-Agent": "conduct-cli"})


def sign_in_config(http: httpx.Client) -> dict[str, Any]:
    return _get(http, "/v1/sign-in").json()


def _get(http: httpx.Client, path: str) -> httpx.Response:
    try:
        return http.get(path)
    except httpx.HTTPError as error:
        raise Unreachable(str(error)) from None


def _cached_tokens(issuer: str) -> CachedTokens | None:
    from conduct.signin import token_cache

    return token_cache.load(issuer)


def _bearer(tokens: CachedTokens, config: dict[str, Any]) -> str | None:
    if config["development"] or config.get("audience") != config.get("client_id"):
        return tokens.access_token
    return tokens.id_token or tokens.access_token


def _renewed(tokens: CachedTokens, config: dict[str, Any]) -> CachedTokens | None:
    """The cached tokens refreshed at the issuer (device-flow sign-ins keep a refresh token)."""
    if config["development"] or not tokens.refresh_token:
        return None
    from datetime import UTC, datetime, timedelta

    from conduct.signin import token_cache
    from conduct.signin.device import DeviceFlowError, refresh_tokens
    from conduct.signin.verify import IssuerUnreachable, discover

    with httpx.Client(timeout=10) as http:
        try:
            answer = refresh_tokens(discover(tokens.issuer, http), tokens.client_id, tokens.refresh_token, http)
        except (DeviceFlowError, IssuerUnreachable, httpx.HTTPError):
            return None
    renewed = tokens.model_copy(
        update={
            "access_token": answer.access_token,
            "id_token": answer.id_token or tokens.id_token,
            "refresh_token": answer.refresh_token or tokens.refresh_token,
            "expires_at": datetime.now(UTC) + timedelta(seconds=answer.expires_in) if answer.expires_in else None,
        }
    )
    token_cache.save(renewed)
    return renewed


def forward(argv: list[str]) -> int:
    """Run `conduct ARGV` at the API; the exit code to leave with."""
    from starter.command_files import parse

    url = api_url()
    assert url is not None
    words, claimed = _strip_as(argv)
    claimed = claimed if claimed is not None else os.environ.get("CONDUCT_OFFICER")
    if words[:1] == ["subject-access"] and not any(w == "--out" or w.startswith("--out=") for w in words):
        from datetime import UTC, datetime  # its default, named here: the zip is written on this machine

        words = [*words, "--out", f"subject-access-{datetime.now(UTC):%Y-%m-%d-%H%M%S}.zip"]
    line = parse(words)
    try:
        files, outputs = [], []
        for word in line.files:
            if word.output:
                target = Path(line.argv[word.index]).expanduser()
                if not word.folder and target.exists():  # personal data is never written over a file
                    raise _Usage(f"{line.argv[word.index]} already exists: name a new file")
                outputs.append({"index": word.index})
                continue
            name, content = _read(line.argv[word.index])
            files.append({"index": word.index, "name": name, "content": base64.b64encode(content).decode()})
    except _Usage as problem:
        _say(f"error: {problem}\n", err=True)
        return 2
    body = {"argv": line.argv, "files": files, "outputs": outputs}
    try:
        with _client(url) as http:
            config = sign_in_config(http)
            answer = _send(http, body, claimed, config)
    except Unreachable as error:
        _say(f"error: cannot reach the officers' API at {url} ({API_URL}): {error}\n", err=True)
        return 1
    if "exit_code" not in answer:
        _say(f"error: {answer.get('detail', 'refused')}\n", err=True)
        return 3 if answer.get("status") in (401, 403) else 1
    _say(answer.get("stdout", ""))
    _say(answer.get("stderr", ""), err=True)
    _save_outputs(line.argv, answer.get("files", []))
    return int(answer["exit_code"])


def _send(http: httpx.Client, body: dict[str, Any], claimed: str | None, config: dict[str, Any]) -> dict[str, Any]:
    headers: dict[str, str] = {}
    tokens = None
    if claimed is not None and claimed.strip():
        headers["X-Conduct-Officer"] = claimed.strip()
    else:
        tokens = _cached_tokens(config["issuer"])
        bearer = _bearer(tokens, config) if tokens else None
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
    response = _post(http, "/v1/commands", body, headers)
    if response.status_code == 401 and tokens is not None and response.json().get("expired"):
        renewed = _renewed(tokens, config)
        bearer = _bearer(renewed, config) if renewed else None
        if bearer:
            response = _post(http, "/v1/commands", body, {**headers, "Authorization": f"Bearer {bearer}"})
    if response.status_code != 200:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        return {"detail": detail if isinstance(detail, str) else str(detail), "status": response.status_code}
    return response.json()


def _post(http: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    try:
        return http.post(path, json=body, headers=headers)
    except httpx.HTTPError as error:
        raise Unreachable(str(error)) from None


def _save_outputs(argv: list[str], files: list[dict[str, Any]]) -> None:
    """What the command wrote, where the officer asked for it: into the folder (`--to DIR`) or as the file."""
    from starter.command_files import parse

    folders = {w.index: w.folder for w in parse(argv).files if w.output}
    for item in files:
        index = int(item["index"])
        target = Path(argv[index]).expanduser()
        if folders.get(index, False):
            name = Path(str(item["name"])).name  # never outside the folder asked for
            target.mkdir(parents=True, exist_ok=True)
            target = target / name
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(item["content"]))


# ----------------------------------------------------------------------------- sign-in


def login(argv: list[str]) -> int:
    """`conduct login [--dev OFFICER_ID]` and `conduct logout` against the API's issuer."""
    from conduct.signin import token_cache

    url = api_url()
    assert url is not None
    try:
        with _client(url) as http:
            config = sign_in_config(http)
            if argv[0] == "logout":
                removed = token_cache.remove(config["issuer"])
                _say("✓ signed out\n" if removed else "✓ not signed in (nothing to remove)\n")
                return 0
            dev = _option(argv, "--dev")
            if dev is not None:
                return _login_dev(http, config, dev)
            if config["development"]:
                _say("error: the officers' API trusts the development issuer: sign in with "
                     "`conduct login --dev OFFICER_ID`\n", err=True)  # fmt: skip
                return 2
            return _login_device(http, config)
    except Unreachable as error:
        _say(f"error: cannot reach the officers' API at {url} ({API_URL}): {error}\n", err=True)
        return 1


def _option(argv: list[str], name: str) -> str | None:
    for at, word in enumerate(argv):
        if word == name and at + 1 < len(argv):
            return argv[at + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


def _login_dev(http: httpx.Client, config: dict[str, Any], officer: str) -> int:
    from datetime import datetime

    from conduct.signin import token_cache
    from conduct.signin.token_cache import CachedTokens

    try:
        response = http.post("/v1/sign-in/dev", json={"officer": officer.strip()})
    except httpx.HTTPError as error:
        raise Unreachable(str(error)) from None
    if response.status_code != 200:
        _say(f"error: {response.json().get('detail', 'sign-in refused')}\n", err=True)
        return 3 if response.status_code in (401, 403) else 2
    token = response.json()
    cached = CachedTokens(
        issuer=token["issuer"],
        client_id="conduct-dev",
        via="dev",
        access_token=token["access_token"],
        expires_at=datetime.fromisoformat(token["expires_at"]),
        officer=token["officer"],
    )
    path = token_cache.save(cached)
    return _confirm(http, config, cached, path)


def _login_device(http: httpx.Client, config: dict[str, Any]) -> int:
    from datetime import UTC, datetime, timedelta

    from conduct.signin import token_cache
    from conduct.signin.device import DeviceFlowError, poll_for_tokens, start_device_flow
    from conduct.signin.token_cache import CachedTokens
    from conduct.signin.verify import IssuerUnreachable, discover
    from starter.signin_cli import _show_code

    with httpx.Client(timeout=10) as issuer_http:
        try:
            metadata = discover(config["issuer"], issuer_http)
            grant = start_device_flow(metadata, config["client_id"], config["scope"], issuer_http)
            _show_code(grant)
            answer = poll_for_tokens(metadata, config["client_id"], grant, issuer_http)
        except DeviceFlowError as error:
            _say(f"error: sign-in refused: {error}\n", err=True)
            return 3
        except (IssuerUnreachable, httpx.HTTPError) as error:
            _say(f"error: cannot reach the identity provider {config['issuer']}: {error}\n", err=True)
            return 1
    cached = CachedTokens(
        issuer=config["issuer"],
        client_id=config["client_id"],
        via="device",
        access_token=answer.access_token,
        id_token=answer.id_token,
        refresh_token=answer.refresh_token,
        expires_at=datetime.now(UTC) + timedelta(seconds=answer.expires_in) if answer.expires_in else None,
    )
    path = token_cache.save(cached)
    return _confirm(http, config, cached, path)


def _confirm(http: httpx.Client, config: dict[str, Any], tokens: CachedTokens, path: Path) -> int:
    """Ask the API who the new sign-in is: it checks the token and the roster (and audits it)."""
    from conduct.signin import token_cache

    bearer = _bearer(tokens, config)
    response = _post(http, "/v1/commands", {"argv": ["whoami"]}, {"Authorization": f"Bearer {bearer}"})
    if response.status_code != 200 or response.json().get("exit_code") != 0:
        token_cache.remove(config["issuer"])
        detail = response.json().get("detail") or response.json().get("stderr", "").strip().removeprefix("error: ")
        _say(f"error: {detail}\n", err=True)
        return 3
    who = response.json()["stdout"].strip()
    _say(f"✓ signed in as {who}; tokens kept in {path}\n")
    token_cache.save(tokens.model_copy(update={"officer": who.split(" ", 1)[0]}))
    return 0
