"""One command's conversation with Temporal: connect, reach a case, and turn Temporal's failures
into the CLI's exit codes (unreachable 1, refused 3, no such case 4) with one plain line each.

`run` gives the command a temporalio Client; `run_service` only the service client, for work
that needs no payload decoding (listing cases through visibility): the same connection and the
same failures, without importing temporalio.client (about 0.2 s of a short command)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from temporalio.service import RPCError, RPCStatusCode, ServiceClient

from starter.client import connect, connect_service, workflow_id
from starter.output import CliError, Exit

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

    from conduct.case import CaseState
    from conduct.settings import Settings

T = TypeVar("T")
QUERY_TIMEOUT = timedelta(seconds=10)


def unreachable(settings: Settings) -> CliError:
    return CliError(
        Exit.ERROR,
        f"cannot reach Temporal at {settings.temporal_address} (CONDUCT_TEMPORAL_ADDRESS): "
        "start the local stack with `make run`",
    )


async def open_client(settings: Settings) -> Client:
    try:
        return await connect(settings)
    except RuntimeError:
        raise unreachable(settings) from None


async def open_service(settings: Settings) -> ServiceClient:
    try:
        return await connect_service(settings)
    except RuntimeError:
        raise unreachable(settings) from None


def run(settings: Settings, work: Callable[[Client], Awaitable[T]], reference: str | None = None) -> T:
    """Connect, run `work`, and translate what Temporal says into a CliError."""
    from temporalio.client import WorkflowUpdateFailedError

    async def session() -> T:
        client = await open_client(settings)
        try:
            return await work(client)
        except CliError:
            raise
        except WorkflowUpdateFailedError as error:
            raise CliError(Exit.REFUSED, refusal_reason(error)) from None
        except RPCError as error:
            raise await translate(client, settings, error, reference) from None

    return asyncio.run(session())


def run_service(settings: Settings, work: Callable[[ServiceClient], Awaitable[T]]) -> T:
    """`run` for work on no particular case that needs only the service client."""

    async def session() -> T:
        service = await open_service(settings)
        try:
            return await work(service)
        except CliError:
            raise
        except RPCError as error:
            raise failure(settings, error) from None

    return asyncio.run(session())


def refusal_reason(error: WorkflowUpdateFailedError) -> str:
    """The validator's sentence (it names the case, its stage and what is allowed now)."""
    from temporalio.exceptions import FailureError

    cause = error.cause
    if isinstance(cause, FailureError) and cause.message:
        return cause.message
    return str(cause or error)


async def translate(client: Client, settings: Settings, error: RPCError, reference: str | None) -> CliError:
    message = str(error)
    closed = "already completed" in message or "already finished" in message
    if error.status is RPCStatusCode.NOT_FOUND and reference and closed:
        return CliError(Exit.REFUSED, await closed_reason(client, reference))
    return failure(settings, error, reference)


def failure(settings: Settings, error: RPCError, reference: str | None = None) -> CliError:
    """What Temporal's error means, short of asking a closed case why (`translate` does that)."""
    message = str(error)
    if error.status is RPCStatusCode.NOT_FOUND and reference:
        return CliError(Exit.NOT_FOUND, f"no case {reference}")
    if error.status is RPCStatusCode.UNAVAILABLE:
        return unreachable(settings)
    timed_out = error.status is RPCStatusCode.CANCELLED and "timeout" in message.lower()
    if error.status is RPCStatusCode.DEADLINE_EXCEEDED or timed_out:
        what = f"case {reference}" if reference else "Temporal"
        return CliError(Exit.ERROR, f"{what} did not answer in time: is the worker running (`make run`)?")
    return CliError(Exit.ERROR, f"Temporal said: {message}")


async def closed_reason(client: Client, reference: str) -> str:
    try:
        state = await status(client, reference)
    except Exception:  # the refusal is the point; the detail is a nicety
        return f"{reference} is closed: no action is possible"
    outcome = state.outcome.value if state.outcome else "no outcome"
    return f"{reference} is closed ({outcome}): no action is possible"


def handle(client: Client, reference: str) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(workflow_id(reference))


async def status(client: Client, reference: str) -> CaseState:
    from workflows.complaint import ComplaintWorkflow  # the case model and the workflow: only for this query

    return await handle(client, reference).query(ComplaintWorkflow.status, rpc_timeout=QUERY_TIMEOUT)
