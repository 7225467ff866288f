"""How `conduct` speaks: Rich for people, plain JSON for scripts, and one exit code per kind of
failure, so a script can tell a refusal (3) from a missing case (4) from a broken setup (1).

Every string that came from a person (complaint text, reasons, ids typed on the command line)
goes through `esc` before Rich sees it: `[bold]` in a complainant's text prints as written.
"""

from __future__ import annotations

import functools
import json
import os
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


def esc(value: object) -> str:
    """A person's string, safe to put inside Rich markup."""
    from rich.markup import escape

    return escape("" if value is None else str(value))


def emit_json(data: Any) -> None:
    """JSON on stdout, never through Rich (no wrapping, no markup)."""
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


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
