"""Run one `conduct` command inside the API, as the signed-in officer, and keep what it printed.

The API serves every officer command with the same code the CLI ran before it became a client:
the flags, the checks, the refusals, the exit codes and the output are those of the command
itself, so they cannot drift apart. Each request runs in its own worker thread; what it prints
goes to that thread's buffers (`_Routed`), never to another request's answer or to the server log.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import BaseModel

if TYPE_CHECKING:
    from conduct.roster import Officer


class Printed(BaseModel):
    exit_code: int
    stdout: str
    stderr: str


class _Routed(io.TextIOBase):
    """sys.stdout / sys.stderr for the whole process: a thread running a command writes to its own
    buffer; every other thread writes where the process's stream always went."""

    def __init__(self, fallback: TextIO, which: str) -> None:
        self._fallback = fallback
        self._which = which

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._fallback, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "strict"

    def _target(self) -> TextIO:
        buffers = getattr(_local, "buffers", None)
        return buffers[self._which] if buffers else self._fallback

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return False if getattr(_local, "buffers", None) else self._fallback.isatty()

    def fileno(self) -> int:
        if getattr(_local, "buffers", None):
            raise io.UnsupportedOperation("a command's output is kept in memory")
        return self._fallback.fileno()

    def writable(self) -> bool:
        return True


_local = threading.local()
_install_lock = threading.Lock()


def install() -> None:
    """Route sys.stdout and sys.stderr once per process (the API's start)."""
    with _install_lock:
        if not isinstance(sys.stdout, _Routed):
            sys.stdout = _Routed(sys.stdout, "stdout")
        if not isinstance(sys.stderr, _Routed):
            sys.stderr = _Routed(sys.stderr, "stderr")


@contextmanager
def _captured() -> Iterator[dict[str, io.StringIO]]:
    buffers = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    _local.buffers = buffers
    try:
        yield buffers
    finally:
        _local.buffers = None


@cache
def conduct_command() -> Any:
    """The `conduct` command tree, built once: Typer builds it from the functions' signatures on
    every `app()` call, which was most of a command's time in the API (0.4 s of 0.5 s)."""
    import typer

    from starter import cli

    return typer.main.get_command(cli.app)


def run_command(argv: list[str], officer: Officer | None) -> Printed:
    """`conduct ARGV...` as `officer` (None: nobody signed in, e.g. `--help`); never raises."""
    from starter.officer import acting_as
    from starter.session import IN_SERVER

    install()
    shared = IN_SERVER.set(True)  # one Temporal client for every command (starter/session.py)
    try:
        with _captured() as buffers, acting_as(officer):
            code = _invoke(argv)
            return Printed(exit_code=code, stdout=buffers["stdout"].getvalue(), stderr=buffers["stderr"].getvalue())
    finally:
        IN_SERVER.reset(shared)


def _invoke(argv: list[str]) -> int:
    """The command's exit code, as the `conduct` console script would leave with."""
    code: Any = 0
    try:
        conduct_command().main(args=argv, prog_name="conduct", standalone_mode=True)
    except SystemExit as stop:
        code = stop.code
    except Exception as error:  # noqa: BLE001 - a command's last resort, as `handled` gives
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        code = 1
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    return int(code or 0)
