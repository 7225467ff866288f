"""Record the history of a full hearing case for the replay test.

    python -m tests.record_history

Run it only when a workflow change is meant to be incompatible with cases already open (and
then version the change with workflow.patched instead, if real cases are in flight). The
committed file is what guards the workflow against accidental non-deterministic edits.
"""

import asyncio
import tempfile
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from conduct.settings import Settings
from starter.client import DATA_CONVERTER, register_search_attributes
from tests.conftest import TEST_SERVER
from tests.harness import CaseDriver
from tests.steps import drive_to_published_breach
from worker import build_worker

HISTORY = Path(__file__).parent / "histories" / "full_hearing.json"


async def record() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), task_queue=f"record-{uuid.uuid4().hex[:8]}", _env_file=None)  # type: ignore[call-arg]
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=DATA_CONVERTER, test_server_existing_path=TEST_SERVER
        )
        await register_search_attributes(env.client)
        try:
            async with build_worker(env.client, settings, fail_fast=True):
                case = await drive_to_published_breach(CaseDriver(env, settings))
                await case.handle.result()
                history = await case.handle.fetch_history()
        finally:
            await env.shutdown()
    HISTORY.write_text(history.to_json())
    print(f"recorded {len(history.events)} events to {HISTORY}")


if __name__ == "__main__":
    asyncio.run(record())
