"""How `conduct` reads what an officer types: case references, days and vocabulary words, each
checked where Typer parses it, so a mistake is a usage error (exit 2) in one plain sentence that
says what was wrong and what to type, before anything reaches Temporal.

Imported by every command's signature, so it imports only Typer, pydantic-core and the standard library.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NoReturn

import typer

REFERENCE_EXAMPLE = "WBC-2026-0001"
_ISO_DAY = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})$")


def vocabulary_token(token: str) -> str:
    """Click's token normaliser for the whole app: `hearing_pending` as the output spells it and
    `hearing-pending` as the flags' choices spell it are the same word (a choice, a command or an
    option name; never a free value such as an id or a text)."""
    return token.replace("_", "-")


def reference(value: str | None) -> str | None:
    """A case reference as typed: references are upper case (WBC-2026-0001), so `wbc-2026-0001`
    names the same case; blank is a usage error."""
    if value is None:
        return None
    cleaned = value.strip().upper()
    if not cleaned:
        raise typer.BadParameter(f"the case reference is empty: give it as e.g. {REFERENCE_EXAMPLE}")
    return cleaned


def _example(value: str, today: date) -> date:
    """A real day close to what was typed (2026-02-30 -> 2026-02-28), else today."""
    match = _ISO_DAY.match(value.strip())
    if match:
        year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
        if year >= 1 and 1 <= month <= 12:
            return date(year, month, max(1, min(day, calendar.monthrange(year, month)[1])))
    return today


def day(flag: str, earliest: date | None = None, latest: date | None = None) -> Callable[[Any], datetime]:
    """Typer's `parser` for a day given as YYYY-MM-DD with `flag`, optionally within [earliest,
    latest]: a datetime at midnight, as Typer's own `formats=["%Y-%m-%d"]` gave it, and in
    plain words when it is not one ("does not match the formats '%Y-%m-%d'" was Typer's)."""

    def parse(value: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            parsed = datetime.strptime(text, "%Y-%m-%d")
        except ValueError:
            example = _example(text, date.today())
            _bad(f"{text} is not a date: give {flag} as YYYY-MM-DD, e.g. {example.isoformat()}")
        if (earliest and parsed.date() < earliest) or (latest and parsed.date() > latest):
            low = earliest.isoformat() if earliest else "any day"
            high = latest.isoformat() if latest else "any day"
            _bad(f"{text} is out of range: give {flag} from {low} to {high}")
        return parsed

    return parse


def day_option(flag: str, help_: str, earliest: date | None = None, latest: date | None = None) -> Any:
    """`typer.Option(flag)` for a day: parsed by `day`, shown as YYYY-MM-DD in --help."""
    return typer.Option(flag, parser=day(flag, earliest, latest), metavar="YYYY-MM-DD", help=help_, show_default=False)


def _bad(message: str) -> NoReturn:
    """A parser's refusal, shown by Typer as written (a ValueError would read "Value error, ...")."""
    from pydantic_core import PydanticCustomError

    raise PydanticCustomError("cli_value", "{message}", {"message": message})


def period(start: date | None, end: date | None, start_flag: str = "--from", end_flag: str = "--to") -> None:
    """A usage error (exit 2) when a period ends before it starts: nothing would ever match."""
    from starter.output import Exit, fail

    if start and end and start > end:
        fail(
            Exit.USAGE,
            f"{start_flag} {start.isoformat()} is after {end_flag} {end.isoformat()}: "
            f"give the earlier day with {start_flag}",
        )
