"""Officer actions: build the action's payload from the command line (the acting officer fills
`officer`), send it as the workflow update of the same name, print what the workflow answered.

Payload problems are found here, before Temporal is asked (exit 2); the workflow's validators
decide everything about the case itself (exit 3 with their reason).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starter.output import CliError, Exit, done, fail, plain_validation

if TYPE_CHECKING:  # the rest is imported by the functions that use it: `conduct --help` needs none of it
    from pydantic import BaseModel
    from temporalio.client import Client

    from conduct.actions import ActionResult, OfficerAction
    from conduct.settings import Settings

UPDATE_TIMEOUT = timedelta(seconds=60)


def text_from(text: str | None, file: Path | None, required: bool = True, what: str = "text") -> str:
    """A long text given inline (--text) or from a file (--file PATH, or --file - for stdin)."""
    if text is not None and file is not None:
        fail(Exit.USAGE, f"give the {what} with --text or --file, not both")
    if file is not None:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            fail(Exit.USAGE, f"cannot read {file}: {getattr(error, 'strerror', None) or error}")
    if required and not (text or "").strip():
        fail(Exit.USAGE, f"give the {what} with --text TEXT or --file PATH")
    return (text or "").strip()


def one_of(flags: dict[str, bool]) -> str:
    """The one flag given out of a pair like --notify/--withhold."""
    given = [name for name, on in flags.items() if on]
    if len(given) != 1:
        fail(Exit.USAGE, f"give exactly one of {' or '.join(flags)}")
    return given[0]


def build(model: type[BaseModel], officer: str, flags: dict[str, str] | None = None, **fields: Any) -> BaseModel:
    """The action's payload; a validation error is a usage error in plain words."""
    from pydantic import ValidationError

    try:
        return model.model_validate({"officer": officer, **fields})
    except ValidationError as error:
        fail(Exit.USAGE, plain_validation(error, flags))


def perform(
    settings: Settings,
    as_officer: str | None,
    reference: str,
    update: str,
    model: type[OfficerAction],
    flags: dict[str, str] | None = None,
    **fields: Any,
) -> ActionResult:
    """Identify the officer, build the payload, run the update `update` on case `reference`."""
    from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

    from conduct.actions import ActionResult
    from starter import session
    from starter.officer import identify

    officer = identify(settings, as_officer)
    payload = build(model, officer.id, flags, **fields)

    async def work(client: Client) -> ActionResult:
        try:
            return await session.handle(client, reference).execute_update(
                update, payload, result_type=ActionResult, rpc_timeout=UPDATE_TIMEOUT
            )
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            raise CliError(
                Exit.ERROR,
                f"case {reference} did not answer within {UPDATE_TIMEOUT.seconds} s: is the worker running "
                f"(`make run`)? An accepted action still completes: see `conduct show {reference}`",
            ) from None

    result = session.run(settings, work, reference)
    done(f"{result.reference} ({result.stage}): {result.message}", result.warnings)
    return result
