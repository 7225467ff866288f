"""How `conduct` speaks: Rich for people, plain JSON for scripts, and one exit code per kind of
failure, so a script can tell a refusal (3) from a missing case (4) from a broken setup (1).

Every string that came from a person (complaint text, reasons, ids typed on the command line)
goes through `esc` before Rich sees it: `[bold]` in a complainant's text prints as written, and
control and escape characters are stripped (`printable`): a text cannot clear the officer's
screen, retitle the terminal or hide a line behind a carriage return.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import typer
from typer.exceptions import TyperException

if TYPE_CHECKING:  # Rich is imported when something is printed through it: JSON output never needs it
    from pydantic import ValidationError
    from rich.console import Console

P = ParamSpec("P")
R = TypeVar("R")


class Exit(IntEnum):
    OK = 0
    ERROR = 1  # anything else, e.g. Temporal unreachable
    USAGE = 2  # bad flags or a payload that does not validate
    REFUSED = 3  # the workflow (or the roster) refused the action
    NOT_FOUND = 4  # no such case


class CliError(Exception):
    """A failure the user can act on: its message is printed on one line, then `code` is the exit code."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


PIPED_WIDTH = 160  # no terminal to fit (a pipe, a file): do not cut names short at Rich's default 80


def _console(stderr: bool = False) -> Console:
    # Made per call: CliRunner swaps sys.stdout between invocations.
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console


def out() -> Console:
    return _console()


def err() -> Console:
    return _console(stderr=True)


# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), and the
# bidirectional overrides and isolates that reorder what is shown.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What json.dumps(ensure_ascii=False) leaves raw inside strings but a terminal would obey.
_JSON_RAW_CONTROLS = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(value: object) -> str:
    """A person's string fit for a terminal: control and escape characters removed (lines and tabs kept)."""
    return _UNPRINTABLE.sub("", "" if value is None else str(value))


def esc(value: object) -> str:
    """A person's string, safe to put inside Rich markup and to print."""
    from rich.markup import escape

    return escape(printable(value))


def emit_json(data: Any) -> None:
    """JSON on stdout, never through Rich (no wrapping, no markup). The data is kept whole: the
    control characters json leaves raw are written as \\u escapes, which a terminal does not obey."""
    text = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    typer.echo(_JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def done(message: str, warnings: list[str] | None = None) -> None:
    console = out()
    console.print(f"[green]✓[/green] {esc(message)}", soft_wrap=True)
    for warning in warnings or []:
        console.print(f"[yellow]! warning:[/yellow] {esc(warning)}", soft_wrap=True)


def plain_validation(error: ValidationError, flags: dict[str, str] | None = None) -> str:
    """Pydantic's errors as one sentence per problem, naming the command-line flag at fault."""
    flags = flags or {}
    parts = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        field = str(item["loc"][0]) if item["loc"] else ""
        where = flags.get(field, f"--{field.replace('_', '-')}") if field else ""
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def fail(code: Exit, message: str) -> NoReturn:
    raise CliError(code, message)


def handled(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a CliError (or any unexpected error) into a one-line message and its exit code; no
    traceback reaches an officer."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt):
            raise
        except CliError as error:
            err().print(f"[red]error:[/red] {esc(error.message)}", soft_wrap=True)
            raise typer.Exit(int(error.code)) from None
        except Exception as error:  # the last resort: one line, exit 1
            err().print(f"[red]error:[/red] {esc(type(error).__name__)}: {esc(error)}", soft_wrap=True)
            raise typer.Exit(int(Exit.ERROR)) from None

    return wrapper
