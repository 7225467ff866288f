"""One command's conversation with Temporal: connect, reach a case, and turn Temporal's failures
into the CLI's exit codes (unreachable 1, refused 3, no such case 4) with one plain line each.

`run` gives the command a temporalio Client; `run_service` only the service client, for work
that needs no payload decoding (listing cases through visibility): the same connection and the
same failures, without importing temporalio.client (about 0.2 s of a short command)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from temporalio.service import RPCError, RPCStatusCode, ServiceClient

from starter.client import connect, connect_service, workflow_id
from starter.output import CliError, Exit

if TYPE_CHECKING:
    from temporalio.api.workflow.v1 import PendingActivityInfo
    from temporalio.client import Client, WorkflowExecutionDescription, WorkflowHandle, WorkflowUpdateFailedError

    from conduct.access import CasePeople
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


class _SharedClients:
    """The officers' API: one event loop, in a thread of its own, and one Temporal client per
    server, for every command it runs. A command run alone connects anew (about 5 ms) on an event
    loop of its own; inside the API that was a quarter of an action's cost over the update itself."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.clients: dict[tuple[str, str, str], Client] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self.loop.run_forever, name="conduct-temporal-client", daemon=True).start()

    async def client(self, settings: Settings) -> Client:
        key = (settings.temporal_address, settings.temporal_namespace, settings.resolved_encryption_keys)
        found = self.clients.get(key)
        if found is None:  # on the shared loop: concurrent first requests may both connect; one is kept
            found = self.clients.setdefault(key, await open_client(settings))
        return found

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


_shared: _SharedClients | None = None
_share_lock = threading.Lock()
# Set while the API runs a command (starter/api/runner.py): only then is the shared client used.
IN_SERVER: ContextVar[bool] = ContextVar("conduct_shared_temporal_client", default=False)


def shared_clients() -> _SharedClients:
    global _shared
    with _share_lock:
        if _shared is None:
            _shared = _SharedClients()
        return _shared


def run(settings: Settings, work: Callable[[Client], Awaitable[T]], reference: str | None = None) -> T:
    """Connect, run `work`, and translate what Temporal says into a CliError."""
    from temporalio.client import WorkflowUpdateFailedError

    shared = shared_clients() if IN_SERVER.get() else None

    async def session() -> T:
        client = await (shared.client(settings) if shared else open_client(settings))
        try:
            return await work(client)
        except CliError:
            raise
        except WorkflowUpdateFailedError as error:
            raise CliError(Exit.REFUSED, refusal_reason(error)) from None
        except RPCError as error:
            raise await translate(client, settings, error, reference) from None

    return shared.run(session()) if shared else asyncio.run(session())


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


async def people(client: Client, reference: str) -> CasePeople:
    """Who takes part in the case (its small `people` query); from the whole `status` where the
    case's worker runs code older than that query."""
    from temporalio.client import WorkflowQueryFailedError

    from conduct.access import CasePeople
    from workflows.complaint import ComplaintWorkflow

    try:
        return await handle(client, reference).query(ComplaintWorkflow.people, rpc_timeout=QUERY_TIMEOUT)
    except WorkflowQueryFailedError:
        return CasePeople.of(await status(client, reference))


# ----------------------------------------------------------------------------- what a case is doing now

# How each activity reads as a step, with its summary (the workflow sets one on every activity,
# e.g. "acknowledgement to complainant") in place of {summary}.
_STEPS = {
    "send_letter": "sending the {summary}",
    "send_letters": "sending the {summary}",
    "sync_case": "updating the {summary}",
    "publish_notice": "publishing the decision notice",
    "compute_deadline": "computing a deadline",
}
ERROR_CHARS = 300  # an error is shown on one line; a provider's full answer belongs in the worker's log


class PendingStep(BaseModel):
    """A step the case is carrying out now (a pending activity), as the MO reads it."""

    activity: str
    summary: str = ""
    attempt: int
    last_error: str = ""
    next_attempt_at: datetime | None = None
    paused: bool = False

    @property
    def step(self) -> str:
        template = _STEPS.get(self.activity)
        if template and (self.summary or "{summary}" not in template):
            return template.format(summary=self.summary)
        return f"{self.activity} ({self.summary})" if self.summary else self.activity

    def line(self) -> str:
        """One line, e.g. `sending the acknowledgement to complainant, attempt 8: <error>`."""
        text = f"{self.step}, attempt {self.attempt}"
        if self.paused:
            text += " (paused)"
        return f"{text}: {self.last_error}" if self.last_error else text


class Progress(BaseModel):
    """What a running case waits on: its pending steps, and a workflow task that keeps failing."""

    steps: list[PendingStep] = []
    failing_task_attempt: int = 0

    def lines(self) -> list[str]:
        lines = [step.line() for step in self.steps]
        if self.failing_task_attempt > 1:
            lines.append(
                f"the case's own next step, attempt {self.failing_task_attempt}: the worker fails on it (see its log)"
            )
        return lines


async def progress(client: Client, reference: str) -> Progress:
    """Pending activities from `describe`, each named by its summary (found in the history: the
    description does not carry it), with its attempt and last error decoded by the client's converter."""
    description = await handle(client, reference).describe(rpc_timeout=QUERY_TIMEOUT)
    raw = description.raw_description
    pending = list(raw.pending_activities)
    summaries = await _summaries(client, description, {p.activity_id for p in pending}) if pending else {}
    steps = [await _step(client, description, p, summaries.get(p.activity_id, "")) for p in pending]
    task = raw.pending_workflow_task if raw.HasField("pending_workflow_task") else None
    return Progress(steps=steps, failing_task_attempt=task.attempt if task else 0)


async def status_and_progress(client: Client, reference: str) -> tuple[CaseState, Progress]:
    """The case (its `status` query) and what it is waiting on, for `conduct show`."""
    state = await status(client, reference)
    try:
        now = await progress(client, reference)
    except RPCError:  # the case itself answered; what it waits on is a nicety
        now = Progress()
    return state, now


async def _step(client: Client, description: WorkflowExecutionDescription, p: PendingActivityInfo,
                summary: str) -> PendingStep:  # fmt: skip
    from temporalio.api.enums.v1 import PendingActivityState

    return PendingStep(
        activity=p.activity_type.name,
        summary=summary,
        attempt=p.attempt,
        last_error=await _error(client, description, p) if p.HasField("last_failure") else "",
        next_attempt_at=p.next_attempt_schedule_time.ToDatetime(tzinfo=UTC)
        if p.HasField("next_attempt_schedule_time")
        else None,
        paused=p.paused or p.state == PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED,
    )


async def _error(client: Client, description: WorkflowExecutionDescription, p: PendingActivityInfo) -> str:
    """The last failure's message, decoded as the worker encoded it (failure text may be encrypted)."""
    from temporalio.api.failure.v1 import Failure
    from temporalio.converter import ActivitySerializationContext

    failure = Failure()
    failure.CopyFrom(p.last_failure)
    context = ActivitySerializationContext(
        namespace=client.namespace,
        activity_id=p.activity_id,
        activity_type=p.activity_type.name,
        activity_task_queue=description.task_queue,
        workflow_id=description.id,
        workflow_type=description.workflow_type,
        is_local=False,
    )
    try:
        error = await client.data_converter.with_context(context).decode_failure(failure)
        message = str(error) or p.last_failure.message
    except Exception:  # undecodable (a key no longer configured): what the server holds
        message = p.last_failure.message
    message = " ".join(message.split())
    return message if len(message) <= ERROR_CHARS else message[: ERROR_CHARS - 1] + "…"


async def _summaries(client: Client, description: WorkflowExecutionDescription, wanted: set[str]) -> dict[str, str]:
    """activity id -> the summary on its ActivityTaskScheduled event, read newest first (pending
    activities were scheduled recently; a long case's history is not read whole)."""
    from temporalio.api.common.v1 import Payload, WorkflowExecution
    from temporalio.api.enums.v1 import EventType
    from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
    from temporalio.converter import WorkflowSerializationContext

    payloads: dict[str, Payload] = {}
    request = GetWorkflowExecutionHistoryReverseRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=description.id, run_id=description.run_id),
        maximum_page_size=100,
    )
    try:
        while len(payloads) < len(wanted):
            page = await client.workflow_service.get_workflow_execution_history_reverse(
                request, retry=True, timeout=QUERY_TIMEOUT
            )
            for event in page.history.events:
                if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                    activity_id = event.activity_task_scheduled_event_attributes.activity_id
                    if activity_id in wanted and event.user_metadata.HasField("summary"):
                        payloads[activity_id] = event.user_metadata.summary
            if not page.next_page_token:
                break
            request.next_page_token = page.next_page_token
    except RPCError:  # e.g. a server without reverse history: the steps are named by activity alone
        pass
    converter = client.data_converter.with_context(
        WorkflowSerializationContext(namespace=client.namespace, workflow_id=description.id)
    )
    summaries = {}
    for activity_id, payload in payloads.items():
        try:
            [summary] = await converter.decode([payload], [str])
        except Exception:  # an undecodable summary: the activity's type names the step
            continue
        summaries[activity_id] = str(summary)
    return summaries


WORKER_SEEN = timedelta(minutes=2)  # a live worker polls again within about a minute


async def worker_note(client: Client, reference: str) -> str:
    """Whether a worker polls the case's task queue: the usual reason a case does not answer."""
    from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    try:
        description = await handle(client, reference).describe(rpc_timeout=QUERY_TIMEOUT)
        queue = description.task_queue
        answer = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            ),
            retry=True,
            timeout=QUERY_TIMEOUT,
        )
    except RPCError:
        return "is the worker running (`make run`)?"
    now = datetime.now(UTC)
    live = [p for p in answer.pollers if now - p.last_access_time.ToDatetime(tzinfo=UTC) < WORKER_SEEN]
    if not live:
        return f"no worker is polling its task queue {queue!r}: is the worker running (`make run`)?"
    return (
        f"a worker polls its task queue {queue!r} but did not take the case up: it may be busy "
        "(after a restart it replays open cases) or failing on this case (see its log)"
    )
