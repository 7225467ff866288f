"""The embedded default, run on one machine: dev server + worker + outbox, and a demo case.

`conduct dev` keeps everything under one data directory: the Temporal state (temporal.db), the
case register (conduct.db), the server's log and the outbox of letters. Running it again on the
same directory carries on with the same cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import uvicorn
from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from conduct.case import CaseState
from conduct.codec import new_key_spec
from conduct.intake import ComplaintIntake
from conduct.private_files import private_dir, private_secret
from conduct.register import create_schema, make_engine
from conduct.roster_file import load_roster
from conduct.roster_store import current_roster, save_roster
from conduct.settings import PROJECT_ROOT, Settings
from starter import devserver
from starter.client import connect, register_search_attributes, workflow_id
from starter.complaints import open_complaint
from starter.forwarded import UVICORN_OPTIONS
from workflows.complaint import ComplaintWorkflow

EXAMPLES = PROJECT_ROOT / "examples"
RUNNING = "Running."
T = TypeVar("T")


class _Stopped(Exception):
    """Ctrl-C (or SIGTERM) arrived while starting up."""


class _Ports(NamedTuple):
    temporal: int
    ui: int
    web: int
    codec: int
    api: int = 8082


def _say(text: str = "") -> None:
    print(text, flush=True)  # flushed: a supervisor or test reads these lines through a pipe


async def _unless_stopped(stop: asyncio.Event, work: Awaitable[T]) -> T:
    """Await `work`, abandoning it when `stop` is set first."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise _Stopped
    return task.result()


async def _connect_with_retry(settings: Settings, timeout: float = 20) -> Client:
    """The gRPC port opens a moment before the frontend answers: retry for a while."""
    from conduct.metrics import LetterMetrics, worker_runtime  # the worker's metrics (off unless a port is set)

    runtime = worker_runtime(settings)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await connect(settings, runtime=runtime, interceptors=[LetterMetrics()])
        except RuntimeError:
            if loop.time() >= deadline:
                raise devserver.DevServerError(
                    f"the Temporal dev server on {settings.temporal_address} did not accept a connection"
                ) from None
            await asyncio.sleep(0.3)


async def _watch(server: subprocess.Popen[bytes], stop: asyncio.Event) -> None:
    while server.poll() is None and not stop.is_set():
        await asyncio.sleep(0.5)
    stop.set()


class _EmbeddedWeb(uvicorn.Server):
    """uvicorn inside `conduct dev`'s event loop: Ctrl-C belongs to `conduct dev`, not to uvicorn."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


def _dev_secret(settings: Settings, name: str) -> str:
    """A secret kept in the data directory, so forms and the webhook survive a restart."""
    return private_secret(settings.data_dir / name)


async def _start_embedded(app: Any, port: int, what: str) -> tuple[_EmbeddedWeb, asyncio.Task[None]]:
    server = _EmbeddedWeb(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **UVICORN_OPTIONS))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    if task.done() or not server.started:
        raise devserver.DevServerError(f"{what} could not start on port {port}")
    return server, task


async def _start_web(settings: Settings, web_port: int) -> tuple[_EmbeddedWeb, asyncio.Task[None]]:
    from starter.web.app import create_app
    from starter.web.config import WebConfig

    config = WebConfig()
    config = config.model_copy(
        update={
            "web_secret": config.web_secret or SecretStr(_dev_secret(settings, "web.secret")),
            "webhook_secret": config.webhook_secret or SecretStr(_dev_secret(settings, "webhook.secret")),
        }
    )
    return await _start_embedded(create_app(settings, config), web_port, "the web app")


async def _start_api(settings: Settings, api_port: int) -> tuple[_EmbeddedWeb, asyncio.Task[None]]:
    """The officers' API (starter/api): `conduct ...` with CONDUCT_API_URL set goes through it."""
    from starter.api.app import create_api

    return await _start_embedded(create_api(settings), api_port, "the officers' API")


async def _start_codec(settings: Settings, codec_port: int, ui_port: int) -> tuple[_EmbeddedWeb, asyncio.Task[None]]:
    """The codec endpoint the dev server's UI was pointed at; the UI on this `--ui-port` may call it."""
    from starter.codec_server.app import CodecSetupError, create_codec_app
    from starter.codec_server.run import attach_audit_log, record_url

    ui_origins = [f"http://127.0.0.1:{ui_port}", f"http://localhost:{ui_port}"]
    try:
        app = create_codec_app(settings, extra_origins=ui_origins)
    except CodecSetupError as error:
        raise devserver.DevServerError(f"the codec endpoint cannot start: {error}") from None
    attach_audit_log(settings)
    started = await _start_embedded(app, codec_port, "the codec endpoint")
    record_url(settings, "127.0.0.1", codec_port)
    return started


async def _serve(
    settings: Settings,
    server: subprocess.Popen[bytes],
    ports: _Ports,
    stop: asyncio.Event,
) -> None:
    port, ui_port, web_port, codec_port, api_port = ports
    data_dir = settings.data_dir
    await _unless_stopped(stop, devserver.wait_until_serving(port, server, data_dir))
    client = await _unless_stopped(stop, _connect_with_retry(settings))
    await _unless_stopped(stop, register_search_attributes(client, settings.temporal_namespace))
    from worker import build_worker

    watcher = asyncio.create_task(_watch(server, stop))
    try:
        async with build_worker(client, settings):
            web, web_task = await _start_web(settings, web_port)
            try:
                codec, codec_task = await _start_codec(settings, codec_port, ui_port)
            except devserver.DevServerError:
                web.should_exit = True
                await web_task
                raise
            try:
                api, api_task = await _start_api(settings, api_port)
            except devserver.DevServerError:
                web.should_exit = codec.should_exit = True
                await asyncio.gather(web_task, codec_task)
                raise
            address = settings.temporal_address
            _say(f"Complaint form  http://127.0.0.1:{web_port}/complain")
            hook = f"http://127.0.0.1:{web_port}/api/complaints"
            _say(f"Webhook         POST {hook}  (secret in {settings.data_dir / 'webhook.secret'})")
            _say(f"Temporal        {address}   (export CONDUCT_TEMPORAL_ADDRESS={address})")
            _say(f"Temporal UI     http://127.0.0.1:{ui_port}")
            _say(f"Officers' API   http://127.0.0.1:{api_port}   (export CONDUCT_API_URL=http://127.0.0.1:{api_port})")
            _say(f"Officers' view  http://127.0.0.1:{api_port}/officers/   (read-only; sign in as a roster officer)")
            _say(
                f"Codec endpoint  http://127.0.0.1:{codec_port}/signin   (the UI decodes for the MO and deputy; "
                "a token: `conduct codec-token --as mo`)"
            )
            from starter.signin_cli import banner_line

            _say(banner_line(settings))
            _say(f"Outbox          {settings.resolved_outbox_dir}")
            _say(f"Data            {data_dir}   (export CONDUCT_DATA_DIR={data_dir})")
            _say(f"{RUNNING} Open a sample case with `conduct demo` in another shell; Ctrl-C stops everything.")
            await stop.wait()
            _say("stopping...")
            web.should_exit = codec.should_exit = api.should_exit = True
            await asyncio.gather(web_task, codec_task, api_task)
    finally:
        watcher.cancel()
    if server.poll() is not None:
        raise devserver.DevServerError(devserver.exited_message(server, data_dir))


async def run_local(
    data_dir: Path,
    port: int,
    ui_port: int,
    web_port: int = 8000,
    codec_port: int | None = None,
    api_port: int = 8082,
) -> None:
    """`conduct dev`: the dev server (SQLite under `data_dir`), the worker in this process, the web
    app, the codec endpoint for the UI (`codec_port`, default CONDUCT_CODEC_PORT) and the outbox.
    Returns on Ctrl-C or SIGTERM once all have stopped; a problem is a one-line SystemExit."""
    data_dir = data_dir.expanduser().resolve()
    settings = Settings(data_dir=data_dir, temporal_address=f"127.0.0.1:{port}")
    codec_port = codec_port or settings.codec_port
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            if not devserver.port_free(web_port):
                raise devserver.DevServerError(
                    f"port {web_port} for the web app is already in use: choose another with --web-port"
                )
            if codec_port in (port, ui_port, web_port):
                raise devserver.DevServerError(
                    f"port {codec_port} for the codec endpoint is also another server's: set CONDUCT_CODEC_PORT"
                )
            if api_port in (port, ui_port, web_port, codec_port):
                raise devserver.DevServerError(f"port {api_port} for the officers' API is also another server's")
            if not devserver.port_free(api_port):
                raise devserver.DevServerError(
                    f"port {api_port} for the officers' API is already in use: choose another with --api-port"
                )
            if not devserver.port_free(codec_port):
                raise devserver.DevServerError(
                    f"port {codec_port} for the codec endpoint is already in use: "
                    "choose another with CONDUCT_CODEC_PORT"
                )
            server = devserver.start(data_dir, port, ui_port, codec_endpoint=f"http://127.0.0.1:{codec_port}")
        except devserver.DevServerError as err:
            raise SystemExit(f"conduct dev: {err}") from None
        private_dir(settings.resolved_outbox_dir)
        _first_run(settings)
        problem: str | None = None
        try:
            await _serve(settings, server, _Ports(port, ui_port, web_port, codec_port, api_port), stop)
        except _Stopped:
            pass
        except devserver.DevServerError as err:
            problem = str(err)
        finally:
            code = devserver.stop(server)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    if problem:
        raise SystemExit(f"conduct dev: {problem}")
    _say("stopped" if code in (0, -signal.SIGINT) else f"stopped (the Temporal dev server exited with code {code})")


def _first_run(settings: Settings) -> None:
    """The embedded default encrypts payloads with a key kept in the data directory, and starts
    with the demo roster; neither is touched when already there."""
    if not settings.resolved_encryption_keys:
        private_secret(settings.key_file, lambda: new_key_spec(f"dev-{datetime.now(UTC):%Y%m%d}"))
        _say(f"Encryption      new key in {settings.key_file} (keep it: histories cannot be read without it)")
    if not settings.resolved_codec_secret:
        _dev_secret(settings, settings.codec_secret_file.name)
        _say(f"Codec tokens    new secret in {settings.codec_secret_file} (replace it to withdraw every token)")
    engine = make_engine(settings.resolved_database_url, keys=settings.resolved_encryption_keys)
    create_schema(engine)
    if current_roster(engine) is None:
        save_roster(engine, load_roster(EXAMPLES / "roster.toml"))
        _say(f"Roster          demo roster loaded from {EXAMPLES / 'roster.toml'}")
    engine.dispose()


# ----------------------------------------------------------------------------- client commands


async def _client(settings: Settings) -> Client:
    try:
        return await connect(settings)
    except RuntimeError:
        raise SystemExit(
            f"cannot reach Temporal at {settings.temporal_address}: start the local stack with `make run` "
            "(or `conduct dev`), or set CONDUCT_TEMPORAL_ADDRESS"
        ) from None


async def _query(handle: WorkflowHandle[Any, Any], reference: str, timeout: float = 10) -> CaseState:
    try:
        return await handle.query(ComplaintWorkflow.status, rpc_timeout=timedelta(seconds=timeout))
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise SystemExit(f"no case {reference} on this Temporal server") from None
        if err.status is RPCStatusCode.DEADLINE_EXCEEDED:
            raise SystemExit(
                f"case {reference} did not answer: is the worker running (`make run` or `conduct worker`)?"
            ) from None
        raise


def _public(state: CaseState, **dump: Any) -> dict[str, Any]:
    return json.loads(state.model_dump_json(**dump))


async def open_demo_case(settings: Settings, wait: float = 15) -> dict[str, Any]:
    """Open examples/complaint.json as a new case, the way the web form opens one, and return its
    state once the acknowledgement letter is sent (or after `wait` seconds)."""
    intake = ComplaintIntake.model_validate_json((EXAMPLES / "complaint.json").read_text())
    client = await _client(settings)
    engine = make_engine(settings.resolved_database_url, keys=settings.resolved_encryption_keys)
    try:
        create_schema(engine)
        roster = current_roster(engine) or load_roster(EXAMPLES / "roster.toml")
        opened = await open_complaint(client, settings, engine, intake, roster, f"demo:{uuid.uuid4()}")
    finally:
        engine.dispose()
    ref, handle = opened.reference, client.get_workflow_handle(opened.workflow_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        state = await _query(handle, ref, timeout=max(1.0, deadline - loop.time()))
        if state.letters or loop.time() >= deadline:
            return _public(state, exclude={"intake"})
        await asyncio.sleep(0.3)


def demo_next_steps(state: dict[str, Any]) -> str:
    """`conduct demo`: the new case's reference and what to type next (its state: `--json`)."""
    ref = state["reference"]
    assessment = (state.get("clocks") or {}).get("assessment") or {}
    due = f"; the assessment is due by {assessment['due']}" if assessment.get("due") else ""
    sent = "; the acknowledgement letter is in the outbox" if state.get("letters") else ""
    return "\n".join(
        [
            f"Opened {ref} (stage {state.get('stage')}){due}{sent}.",
            "Next, as the Monitoring Officer (export CONDUCT_OFFICER=mo):",
            f"  conduct show {ref}              # parties, clocks, what is allowed now",
            f"  conduct triage {ref} --notify   # R1: tell the subject member",
            'The README\'s walk-through, "A complaint from form to decision notice", goes on from there.',
        ]
    )


async def case_status(settings: Settings, reference: str) -> dict[str, Any]:
    client = await _client(settings)
    return _public(await _query(client.get_workflow_handle(workflow_id(reference)), reference))
