"""The `conduct` CLI, in-process, against a time-skipping server with a worker and the test
roster in a fresh register: what tests of a command need when a real dev server is more than they
need (tests/devserver_fixtures.py has the dev-server equivalent and the `Conduct` runner)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from conduct.register import create_schema, make_engine
from conduct.roster_store import save_roster
from conduct.settings import get_settings
from tests import factories
from tests.devserver_fixtures import Conduct
from worker import build_worker


@asynccontextmanager
async def cli_on(env: WorkflowEnvironment, data_dir: Path, name: str, keys: str = "") -> AsyncIterator[Conduct]:
    """The CLI's environment (officer `mo`, the development issuer, no closures, a task queue of its
    own named for `name`), the roster saved, and a worker serving while the test runs."""
    environ = {
        "CONDUCT_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "CONDUCT_DATA_DIR": str(data_dir),
        "CONDUCT_DATABASE_URL": f"sqlite:///{data_dir / 'conduct.db'}",
        "CONDUCT_TASK_QUEUE": f"conduct-{name}-{uuid.uuid4().hex[:8]}",
        "CONDUCT_OFFICER": "mo",
        "CONDUCT_OIDC_ISSUER": "",
        "CONDUCT_CLOSURES": "",
        "CONDUCT_ENCRYPTION_KEYS": keys,
        "COLUMNS": "200",
    }
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in environ.items():
            patch.setenv(variable, value)
        get_settings.cache_clear()
        try:
            settings = get_settings()
            engine = make_engine(settings.resolved_database_url, keys=settings.resolved_encryption_keys)
            create_schema(engine)
            save_roster(engine, factories.roster())
            engine.dispose()
            async with build_worker(env.client, settings, fail_fast=True):
                yield Conduct(env, settings, environ, factories.roster(), CliRunner())
        finally:
            get_settings.cache_clear()
