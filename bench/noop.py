"""Trivial workflows for the benchmark's baselines, and a worker that runs them.

    python bench/noop.py   (CONDUCT_DATA_DIR and CONDUCT_TEMPORAL_ADDRESS as for the worker)

`Noop` is the ceiling for starting a workflow on the same server with the same client; `Sleep`
measures how late the server fires a durable timer under the same conditions.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from temporalio import workflow

TASK_QUEUE = "bench-noop"


@workflow.defn(name="BenchNoop")
class Noop:
    @workflow.run
    async def run(self) -> None:
        return None


@workflow.defn(name="BenchSleep")
class Sleep:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await workflow.sleep(timedelta(seconds=seconds))
        return workflow.now().isoformat()


async def _main() -> None:
    from temporalio.worker import Worker

    from conduct.settings import Settings
    from starter.client import connect

    client = await connect(Settings())  # the same data converter (and codec) as the benchmark's client
    await Worker(client, task_queue=TASK_QUEUE, workflows=[Noop, Sleep]).run()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    asyncio.run(_main())
