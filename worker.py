"""Runs the worker: the complaint workflow and every activity, on one task queue."""

import asyncio
import contextlib
import logging

from temporalio.client import Client
from temporalio.worker import Worker

from activities.deadlines import compute_deadline
from activities.notifications import LetterActivities
from activities.reports import ReportActivities
from conduct.settings import Settings, get_settings
from starter.client import connect
from workflows.complaint import ComplaintWorkflow
from workflows.reporting import ReportingWorkflow

WORKFLOWS = [ComplaintWorkflow, ReportingWorkflow]


def build_worker(
    client: Client, settings: Settings, letters: LetterActivities | None = None, fail_fast: bool = False
) -> Worker:
    """`fail_fast` (tests) fails a workflow on a bug instead of retrying its task until a fix
    is deployed, which is what production wants."""
    letters = letters or LetterActivities(settings)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            compute_deadline,
            letters.send_letter,
            letters.send_letters,
            letters.sync_case,
            letters.publish_notice,
            letters.allocate_reference,
            *ReportActivities(letters).activities(),
        ],
        workflow_failure_exception_types=[Exception] if fail_fast else [],
        max_concurrent_workflow_tasks=settings.worker_workflow_tasks,
        max_cached_workflows=settings.worker_cached_cases,
    )


async def run(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    client = await connect(settings)
    logging.info("worker on %s, task queue %r", settings.temporal_address, settings.task_queue)
    await build_worker(client, settings).run()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
