"""The officers' API: every officer command over HTTP as JSON, for the `conduct` CLI (its client)
and for anything else the council builds (the officers' web view, scripts).

- `POST /v1/commands` runs one `conduct` command as the signed-in officer and answers with its
  exit code and what it printed; files the command reads or writes travel in the request and the
  answer (starter/command_files.py), never as paths on the server.
- `GET /v1/cases`, `GET /v1/cases/{ref}`, `GET /v1/cases/{ref}/history` and
  `POST /v1/cases/{ref}/actions/{action}` are the same commands as JSON resources: 200, or
  400 bad usage, 403 refused, 404 no such case, 502 Temporal unreachable, with the one-line reason.
- `GET /v1/sign-in` says which issuer the API trusts; `POST /v1/sign-in/dev` gives a
  development-issuer token (only while the API trusts that issuer).

It is a separate process from the public web app (a council exposes the form to the internet and
keeps this on its own network), and the only one officers reach that holds the Temporal client,
the encryption keys and the register. The person is judged here (conduct/access.py, inside each
command); the procedure is judged again by the workflow, which refuses any action this API did not
sign (conduct/attestation.py).
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from starter.api.identity import DEV_OFFICER_HEADER, NotSignedIn, SignInAnswer, officer_of
from starter.api.runner import Printed, install, run_command

if TYPE_CHECKING:
    from conduct.roster import Officer
    from conduct.settings import Settings
    from conduct.signin.bearer import Trust

MAX_REQUEST_BYTES = 40 * 1024 * 1024  # the files a command reads, base64'd: text limits are far lower
MAX_WORDS = 400
# Commands that only make sense on the server (they serve, or they hold a session of their own).
SERVER_COMMANDS = frozenset({"dev", "worker", "web", "api", "codec", "demo", "login", "logout"})
STATUS_OF_EXIT = {0: 200, 1: 502, 2: 400, 3: 403, 4: 404}
# At module level: FastAPI reads the routes' (string) annotations in this module's namespace.
Auth = Annotated[str | None, Header(alias="Authorization")]
DevOfficer = Annotated[str | None, Header(alias=DEV_OFFICER_HEADER)]


class SentFile(BaseModel):
    index: int = Field(ge=0, description="the word of the command line it stands for")
    name: str = Field(default="file", max_length=255)
    content: str = Field(default="", description="base64")


class WantedOutput(BaseModel):
    index: int = Field(ge=0)


class CommandRequest(BaseModel):
    argv: list[Annotated[str, Field(max_length=200_000)]] = Field(max_length=MAX_WORDS)
    files: list[SentFile] = []
    outputs: list[WantedOutput] = []


class CommandAnswer(Printed):
    files: list[SentFile] = []


class SignInConfig(BaseModel):
    issuer: str
    development: bool
    client_id: str
    scope: str
    audience: str


class DevSignIn(BaseModel):
    officer: str = Field(min_length=1, max_length=64)


class DevToken(BaseModel):
    access_token: str
    issuer: str
    officer: str
    expires_at: str


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else "file"


def _run(argv: list[str], officer: Officer | None, request: CommandRequest) -> CommandAnswer:
    """The command with its files put in a private folder for the time it runs (and removed after)."""
    from starter.command_files import parse

    line = parse(argv)
    if line.names and line.names[0] in SERVER_COMMANDS:
        return CommandAnswer(
            exit_code=2, stdout="", stderr=f"error: `conduct {line.names[0]}` runs on the server only\n"
        )
    sent = {f.index: f for f in request.files}
    wanted = {o.index for o in request.outputs}
    words = list(line.argv)
    for word in line.files:  # a path the client did not send (or ask back) is not the server's to open
        if (word.output and word.index not in wanted) or (not word.output and word.index not in sent):
            return CommandAnswer(
                exit_code=2, stdout="", stderr=f"error: {words[word.index]!r} must be sent as a file, not a path\n"
            )
    folder = Path(tempfile.mkdtemp(prefix="conduct-api-"))  # 0700, this process's own
    outputs: dict[int, tuple[Path, bool]] = {}
    try:
        for n, word in enumerate(line.files):
            place = folder / str(n)
            place.mkdir(mode=0o700)
            if word.output:
                target = place if word.folder else place / _safe_name(words[word.index])
                outputs[word.index] = (place, word.folder)
                words[word.index] = str(target)
                continue
            sent_file = sent[word.index]
            path = place / _safe_name(sent_file.name)
            path.write_bytes(base64.b64decode(sent_file.content, validate=False))
            words[word.index] = str(path)
        printed = run_command(words, officer)
        answer = CommandAnswer(**printed.model_dump())
        for index, (place, _) in outputs.items():
            for produced in sorted(p for p in place.rglob("*") if p.is_file()):
                content = base64.b64encode(produced.read_bytes()).decode()
                answer.files.append(SentFile(index=index, name=str(produced.relative_to(place)), content=content))
        for n, word in enumerate(line.files):  # the server's folder is no business of the reader's
            answer.stdout = answer.stdout.replace(str(folder / str(n)), "«sent»" if not word.output else "«yours»")
            answer.stderr = answer.stderr.replace(str(folder / str(n)), "«sent»" if not word.output else "«yours»")
        return answer
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def create_api(settings: Settings, trust: Trust | None = None) -> FastAPI:
    from conduct.signin.bearer import trust as trusted_issuer
    from starter.roster_io import keep_engines

    install()
    keep_engines()
    issuer: Trust = trust or trusted_issuer(settings)
    api = FastAPI(title="conduct officers' API", version="1", docs_url=None, redoc_url=None)

    @api.middleware("http")
    async def limit_size(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_REQUEST_BYTES):
            return JSONResponse({"detail": "the request is too large"}, status_code=413)
        return await call_next(request)

    def who(authorization: str | None, dev_officer: str | None) -> Officer | None:
        return officer_of(settings, issuer, authorization, dev_officer)

    async def as_command(
        argv: list[str], authorization: str | None, dev_officer: str | None, request: CommandRequest | None = None
    ) -> CommandAnswer | JSONResponse:
        try:
            officer = await run_in_threadpool(who, authorization, dev_officer)
        except NotSignedIn as refused:
            return JSONResponse(
                SignInAnswer(detail=refused.message, expired=refused.expired).model_dump(), status_code=refused.status
            )
        return await run_in_threadpool(_run, argv, officer, request or CommandRequest(argv=argv))

    def as_resource(answer: CommandAnswer | JSONResponse) -> Any:
        if isinstance(answer, JSONResponse):
            return answer
        status = STATUS_OF_EXIT.get(answer.exit_code, 500)
        if status == 200:
            import json

            text = answer.stdout.strip()
            return JSONResponse(json.loads(text) if text.startswith(("[", "{")) else {"message": text})
        detail = answer.stderr.strip().removeprefix("error: ") or answer.stdout.strip()
        return JSONResponse({"detail": detail, "exit_code": answer.exit_code}, status_code=status)

    @api.get("/v1/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/v1/sign-in")
    async def sign_in_config() -> SignInConfig:
        return SignInConfig(
            issuer=issuer.issuer,
            development=issuer.development,
            client_id=issuer.oidc.client_id,
            scope=issuer.oidc.scope,
            audience=issuer.audience,
        )

    @api.post("/v1/sign-in/dev", response_model=None)
    async def dev_sign_in(body: DevSignIn) -> DevToken | JSONResponse:
        from conduct.signin.bearer import SignInRefused
        from conduct.signin.roster_login import login_of
        from starter.roster_io import roster_in_force

        def mint() -> DevToken:
            from conduct import audit

            if not issuer.development:
                audit.record(settings.data_dir, "sign-in", body.officer, "refused", reason="--dev with a real issuer",
                             via="dev")  # fmt: skip
                raise SignInRefused(f"--dev signs in only to the development issuer; this API trusts {issuer.issuer}")
            roster = roster_in_force(settings)
            officer = roster.officer(body.officer.strip()) if roster else None
            if officer is None:
                audit.record(settings.data_dir, "sign-in", body.officer, "refused", reason="not on the roster",
                             via="dev")  # fmt: skip
                raise SignInRefused(f"officer {body.officer.strip()!r} is not on the current roster")
            token = issuer.dev_issuer.mint(login_of(officer), issuer.audience)
            signed = officer_of(settings, issuer, f"Bearer {token}", None)
            assert signed is not None
            verified = issuer.verifier().verify(token)
            return DevToken(
                access_token=token, issuer=issuer.issuer, officer=signed.id, expires_at=verified.expires_at.isoformat()
            )

        try:
            return await run_in_threadpool(mint)
        except SignInRefused as refused:
            return JSONResponse({"detail": f"sign-in refused: {refused.reason}"}, status_code=403)

    @api.post("/v1/commands", response_model=None)
    async def command(body: CommandRequest, authorization: Auth = None, dev_officer: DevOfficer = None) -> Any:
        return await as_command(body.argv, authorization, dev_officer, body)

    @api.get("/v1/whoami", response_model=None)
    async def whoami(authorization: Auth = None, dev_officer: DevOfficer = None) -> Any:
        return as_resource(await as_command(["whoami"], authorization, dev_officer))

    @api.get("/v1/cases", response_model=None)
    async def cases(
        request: Request, authorization: Auth = None, dev_officer: DevOfficer = None
    ) -> Any:  # ?stage=&council=&member=&group=&overdue=true&closed=true&all=true
        argv = ["cases", "--json", *_flags(dict(request.query_params))]
        return as_resource(await as_command(argv, authorization, dev_officer))

    @api.get("/v1/cases/{reference}", response_model=None)
    async def show(reference: str, authorization: Auth = None, dev_officer: DevOfficer = None) -> Any:
        return as_resource(await as_command(["show", reference, "--json"], authorization, dev_officer))

    @api.get("/v1/cases/{reference}/history", response_model=None)
    async def history(reference: str, authorization: Auth = None, dev_officer: DevOfficer = None) -> Any:
        return as_resource(await as_command(["history", reference, "--json"], authorization, dev_officer))

    @api.post("/v1/cases/{reference}/actions/{action}", response_model=None)
    async def act(
        reference: str,
        action: str,
        fields: dict[str, str | bool | int | list[str]] | None = None,
        authorization: Auth = None,
        dev_officer: DevOfficer = None,
    ) -> Any:
        """An action's flags as a JSON object: {"notify": true}, {"reason": "..."}, {"panel": ["a", "b"]}."""
        argv = [action.replace("_", "-"), reference, *_flags(fields or {})]
        answer = await as_command(argv, authorization, dev_officer)
        if isinstance(answer, CommandAnswer) and answer.exit_code == 0:
            return JSONResponse({"message": answer.stdout.strip().removeprefix("✓ "), "exit_code": 0})
        return as_resource(answer)

    from starter.api import web  # the officers' web view, /officers/… (read-only pages)

    api.include_router(web.router(settings, issuer))
    return api


def _flags(fields: dict[str, Any]) -> list[str]:
    """{"notify": true, "panel": ["a", "b"], "reason": "x"} as `--notify --panel a --panel b --reason x`."""
    words: list[str] = []
    for name, value in fields.items():
        flag = "--" + str(name).replace("_", "-")
        if isinstance(value, bool) or value in ("true", "false"):
            if value in (True, "true"):
                words.append(flag)
            continue
        for item in value if isinstance(value, list) else [value]:
            words += [flag, str(item)]
    return words


def serve(settings: Settings, host: str, port: int) -> None:
    """`conduct api`: the officers' API with uvicorn."""
    import uvicorn

    from starter.forwarded import UVICORN_OPTIONS

    print(f"Officers' API   http://{host}:{port}   (export CONDUCT_API_URL=http://{host}:{port})", flush=True)
    uvicorn.run(create_api(settings), host=host, port=port, log_level="info", **UVICORN_OPTIONS)
