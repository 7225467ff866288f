"""Officer actions: build the action's payload from the command line (the acting officer fills
`officer`), send it as the workflow update of the same name, print what the workflow answered.

Payload problems are found here, before Temporal is asked (exit 2); the workflow's validators
decide everything about the case itself (exit 3 with their reason).
"""

from __future__ import annotations

import asyncio
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
    """A long text given inline (--text) or from a file (--file PATH, or --file - for stdin),
    checked by starter/text_input.py before anything is sent (size, text, not a secret)."""
    from conduct.settings import get_settings
    from starter import text_input

    if text is not None and file is not None:
        fail(Exit.USAGE, f"give the {what} with --text or --file, not both")
    settings = get_settings()
    limit = settings.text_max_kib * 1024
    if file is not None:
        text = text_input.read_text_file(file, limit, text_input.secret_files(settings), sys.stdin)
    elif text is not None:
        text_input.check_size(len(text.encode("utf-8")), limit, "--text")
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
    """Identify the officer, build the payload, run the update `update` on case `reference`.

    The update's id comes from the case, the action and the payload (conduct.action_ids): a
    command run again after a timeout gets the first answer, and the case acts once. The command
    waits `settings.action_wait_seconds` at most, in all, and then says what the case waits on."""
    from conduct.access import action_refusal
    from conduct.action_ids import action_id
    from conduct.actions import ActionResult
    from conduct.attestation_keys import attest
    from starter import access_cli, session, text_matches
    from starter.officer import identify

    officer = identify(settings, as_officer)
    payload = build(model, officer.id, flags, **fields)
    update_id = action_id(reference, update, payload)
    payload = attest(settings, reference, update, payload, update_id)  # the workflow refuses it unsigned
    wait = settings.action_wait_seconds

    try:
        on_record = access_cli.people_on_record(settings, reference)
    except Exception:  # noqa: BLE001 - the register is down or behind: the case itself answers
        on_record = None

    async def work(client: Client) -> ActionResult:
        from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError, WorkflowUpdateStage

        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        target = session.handle(client, reference)
        try:  # the person first (conduct/access.py): from the register, else the case's `people` query
            async with asyncio.timeout_at(deadline):
                state = on_record or await session.people(client, reference)
        except TimeoutError:
            raise CliError(Exit.ERROR, await not_answered(client, reference, wait)) from None
        refused = action_refusal(officer, state, update)
        if refused is not None:
            raise CliError(Exit.REFUSED, refused)
        try:
            async with asyncio.timeout_at(deadline):
                accepted = await target.start_update(
                    update,
                    payload,
                    id=update_id,
                    wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                    result_type=ActionResult,
                    rpc_timeout=UPDATE_TIMEOUT,
                )
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise CliError(Exit.ERROR, await not_answered(client, reference, wait)) from None
        try:
            async with asyncio.timeout_at(deadline):
                return await accepted.result(rpc_timeout=UPDATE_TIMEOUT)
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise CliError(Exit.ERROR, await still_running(client, reference, update)) from None

    try:
        result = session.run(settings, work, reference)
    except CliError as error:  # refused by the person check or by the workflow, or not done: audited
        refused = error.code is Exit.REFUSED
        reason = error.message if refused else None  # other messages may quote a provider's error
        access_cli.note(settings, "action", officer.id, "refused" if refused else "failed", case=reference,
                        action=update, reason=reason)  # fmt: skip
        if refused:  # R18: the officer, not the log, sees what in their text named the complainant
            shown = text_matches.shown(settings, officer, reference, update, payload, error.message)
            raise CliError(error.code, shown) from None
        raise
    access_cli.note(settings, "action", officer.id, "ok", case=reference, action=update)
    done(f"{result.reference} ({result.stage}): {result.message}", result.warnings)
    return result


def _seconds(wait: float) -> str:
    return f"{wait:g} s"


async def not_answered(client: Client, reference: str, wait: float) -> str:
    """The case did not accept the action in time: almost always, no worker is running."""
    from starter import session

    note = await session.worker_note(client, reference)
    note += "" if note.endswith("?") else "."
    return (
        f"case {reference} did not answer within {_seconds(wait)}: {note} The action may still be taken up "
        f"once a worker runs; running the same command again is safe (it does not act twice): "
        f"see `conduct show {reference}`"
    )


async def still_running(client: Client, reference: str, update: str) -> str:
    """Accepted, not yet done: name the step the case is waiting on, with its attempt and last error."""
    from temporalio.service import RPCError

    from starter import session

    action = update.replace("_", "-")
    head = f"{reference}: {action} was accepted and is still being carried out"
    tail = f" (it completes on its own: see `conduct show {reference}`)"
    try:
        lines = (await session.progress(client, reference)).lines()
    except RPCError:
        lines = []
    if not lines:
        return head + tail
    return f"{head}: waiting on {'; '.join(lines)}{tail}"
