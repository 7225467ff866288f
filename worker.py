"""Runs the worker: the complaint workflow and every activity, on one task queue."""

import asyncio
import contextlib
import logging
import subprocess
from datetime import timedelta
from importlib import metadata

from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from activities.deadlines import compute_deadline
from activities.group_reports import GroupReportActivities
from activities.lead import LeadActivities
from activities.linking import LinkActivities
from activities.notifications import LetterActivities
from activities.reports import ReportActivities
from activities.retention import RetentionActivities
from activities.sanctions import SanctionActivities
from conduct import attestation, attestation_keys
from conduct.metrics import LetterMetrics, worker_runtime
from conduct.settings import PROJECT_ROOT, Settings, get_settings
from starter.client import connect
from workflows.complaint import ComplaintWorkflow
from workflows.group_report import GroupReportWorkflow
from workflows.reporting import ReportingWorkflow
from workflows.retention import RetentionWorkflow
from workflows.sanction import SanctionFollowUpWorkflow

WORKFLOWS = [ComplaintWorkflow, ReportingWorkflow, GroupReportWorkflow, RetentionWorkflow, SanctionFollowUpWorkflow]


def build_id(settings: Settings) -> str:
    """CONDUCT_BUILD_ID, else the checkout's git sha, else the package's version."""
    if settings.build_id:
        return settings.build_id
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        if sha:
            return sha
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return metadata.version("conduct")
    except metadata.PackageNotFoundError:
        return "unknown"


def deployment_config(settings: Settings) -> WorkerDeploymentConfig | None:
    """Worker Versioning (CONDUCT_WORKER_VERSIONING): this worker is build `build_id` of deployment
    CONDUCT_DEPLOYMENT_NAME. Cases AUTO_UPGRADE: each moves to the current build at its next
    workflow task. Pinning would keep every build alive until the last case it started closes,
    up to a year for a complaint; patches (`workflow.patched`) keep the new code replay-compatible
    with the old histories instead (README, "Upgrading")."""
    if not settings.worker_versioning:
        return None
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(deployment_name=settings.deployment_name, build_id=build_id(settings)),
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE,
    )


def build_worker(
    client: Client, settings: Settings, letters: LetterActivities | None = None, fail_fast: bool = False
) -> Worker:
    """`fail_fast` (tests) fails a workflow on a bug instead of retrying its task until a fix
    is deployed, which is what production wants.

    Activity slots never outnumber the threads their blocking work runs in (the letter
    activities' pool), and a shutdown gives running activities CONDUCT_WORKER_SHUTDOWN_SECONDS to
    finish, so a deploy does not cut a send in half (one cut anyway is resent under its claim)."""
    letters = letters or LetterActivities(settings)
    attestation.trust(attestation_keys.public_keys(settings))  # what the validators accept
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
            *GroupReportActivities(letters).activities(),
            *RetentionActivities(letters).activities(),
            *SanctionActivities(letters).activities(),
            *LeadActivities(client).activities(),  # R14: a lead tells its followers
            *LinkActivities(client).activities(),  # R14: a link reaches the other case
        ],
        workflow_failure_exception_types=[Exception] if fail_fast else [],
        max_concurrent_workflow_tasks=settings.worker_workflow_tasks,
        max_cached_workflows=settings.worker_cached_cases,
        max_concurrent_activities=min(settings.worker_activities, letters.threads),
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_shutdown_seconds),
        deployment_config=deployment_config(settings),
    )


async def run(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    client = await connect(settings, runtime=worker_runtime(settings), interceptors=[LetterMetrics()])
    logging.info("worker on %s, task queue %r", settings.temporal_address, settings.task_queue)
    if settings.worker_metrics_port:
        logging.info("metrics on http://%s:%d/metrics", settings.worker_metrics_host, settings.worker_metrics_port)
    await build_worker(client, settings).run()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
