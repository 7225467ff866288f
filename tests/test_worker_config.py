"""The worker as deployed: activity slots within the send threads, a graceful shutdown, and
Worker Versioning when asked for (off by default; the time-skipping server ignores it)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import VersioningBehavior
from temporalio.testing import WorkflowEnvironment

from activities.notifications import LetterActivities
from conduct.settings import Settings
from worker import build_id, build_worker


async def test_defaults_leave_versioning_off_and_bound_the_activities(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    letters = LetterActivities(settings)
    try:
        config = build_worker(env.client, settings, letters).config()
        assert config.get("deployment_config") is None
        assert config["max_concurrent_activities"] == settings.worker_activities == 8
        assert letters.executor._max_workers == config["max_concurrent_activities"]  # type: ignore[attr-defined]
        assert config["graceful_shutdown_timeout"] == timedelta(seconds=30)
    finally:
        letters.close()


async def test_versioned_worker_announces_its_build_and_auto_upgrades(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={
            "worker_versioning": True,
            "deployment_name": "conduct-test",
            "build_id": "abc123",
            "worker_activities": 3,
            "worker_shutdown_seconds": 5,
        }
    )
    letters = LetterActivities(settings)
    try:
        config = build_worker(env.client, settings, letters).config()  # every workflow has a behaviour
        deployment = config["deployment_config"]
        assert deployment is not None and deployment.use_worker_versioning is True
        assert (deployment.version.deployment_name, deployment.version.build_id) == ("conduct-test", "abc123")
        assert deployment.default_versioning_behavior is VersioningBehavior.AUTO_UPGRADE
        assert config["max_concurrent_activities"] == 3 == letters.executor._max_workers  # type: ignore[attr-defined]
        assert config["graceful_shutdown_timeout"] == timedelta(seconds=5)
    finally:
        letters.close()


def test_build_id_defaults_to_the_checkout(settings: Settings) -> None:
    found = build_id(settings)
    assert found and found != "unknown"
    assert build_id(settings.model_copy(update={"build_id": "release-42"})) == "release-42"
