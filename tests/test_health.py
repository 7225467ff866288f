"""Health (issue 11): /healthz says the process is alive; /readyz says it can do its work, which for
the web app means Temporal and the case register answer, and otherwise answers 503 with one line
naming what is down (never the error itself: the endpoint is public).

The register's outage is the SQLite folder vanishing with the app's pooled connections (as in
tests/test_faults_database.py); Temporal's is a real client pointed at a port nobody listens on.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from temporalio.testing import WorkflowEnvironment

from conduct.codec import new_key_spec
from conduct.health import REGISTER_DOWN, TEMPORAL_DOWN
from conduct.register import create_schema, make_engine
from conduct.settings import Settings
from starter.client import connect
from starter.codec_server.app import create_codec_app
from tests.ports import free_port
from tests.web_fixtures import make_web


def _register_in_folder(settings: Settings, tmp_path: Path) -> tuple[Settings, Path]:
    folder = tmp_path / "register"
    return settings.model_copy(update={"database_url": f"sqlite:///{folder / 'conduct.db'}"}), folder


async def test_ready_then_not_ready_while_the_register_is_away(
    env: WorkflowEnvironment, settings: Settings, tmp_path: Path
) -> None:
    settings, folder = _register_in_folder(settings, tmp_path)
    web, http = await make_web(settings, lambda: env.client)
    async with http:
        ready = await http.get("/readyz")
        assert (ready.status_code, ready.text) == (200, "ready\n")
        assert (await http.get("/healthz")).status_code == 200

        folder.rename(tmp_path / "away")
        web.engine.dispose()
        down = await http.get("/readyz")
        assert down.status_code == 503
        assert down.text == f"not ready: {REGISTER_DOWN}\n" and down.text.count("\n") == 1
        assert (await http.get("/healthz")).status_code == 200  # alive all the same
        metrics = await http.get("/metrics")  # the scrape still succeeds and shows the outage
        assert metrics.status_code == 200 and "conduct_register_up 0\n" in metrics.text
        assert "conduct_cases_open" not in metrics.text

        (tmp_path / "away").rename(folder)
        assert (await http.get("/readyz")).status_code == 200


async def test_not_ready_without_temporal(settings: Settings) -> None:
    nowhere = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    _, http = await make_web(settings, lambda: connect(nowhere))
    async with http:
        down = await http.get("/readyz")
        assert (down.status_code, down.text) == (503, f"not ready: {TEMPORAL_DOWN}\n")
        assert down.headers["cache-control"] == "no-store"
        assert (await http.get("/healthz")).status_code == 200


def test_codec_endpoint_health(settings: Settings, tmp_path: Path) -> None:
    settings, folder = _register_in_folder(settings, tmp_path)
    settings = settings.model_copy(update={"encryption_keys": new_key_spec("k1"), "codec_secret": "s" * 32})
    engine = make_engine(settings.resolved_database_url)
    create_schema(engine)
    engine.dispose()
    with TestClient(create_codec_app(settings)) as http:
        assert http.get("/healthz").status_code == 200
        ready = http.get("/readyz")
        assert (ready.status_code, ready.text) == (200, "ready\n")

    folder.rename(tmp_path / "away")  # a fresh app, whose first connection finds no register
    with TestClient(create_codec_app(settings)) as http:
        assert http.get("/healthz").status_code == 200
        down = http.get("/readyz")
        assert (down.status_code, down.text) == (503, f"not ready: {REGISTER_DOWN}\n")
