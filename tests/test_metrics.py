"""Observability (issue 11): the worker's Prometheus endpoint and the web app's /metrics.

The worker is `worker.run()` itself, as `conduct worker` starts it, on the time-skipping server, with
CONDUCT_WORKER_METRICS_PORT on a free port and real SMTP (aiosmtpd) that refuses the complainant's
address: one case is opened, and the scrape shows the SDK's counters and the letters sent and failed
move. The alert rules are checked against the names that scrape really shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.request
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
import temporalio
from temporalio.testing import WorkflowEnvironment

import worker
from conduct.health import OPEN_STAGES
from conduct.metrics import worker_runtime
from conduct.settings import PROJECT_ROOT, Settings
from tests.harness import CaseDriver
from tests.ports import free_port
from tests.web_fixtures import offline_web

aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd not installed: pip install aiosmtpd")
yaml = pytest.importorskip("yaml", reason="PyYAML not installed: pip install pyyaml")

REFUSED = "harriet.lomax@example.org"  # the complainant (tests/factories.py)
ALERTS = PROJECT_ROOT / "deploy" / "prometheus" / "alerts.yml"
# The SDK's list of its metric names, shipped with the wheel's bridge sources (None if absent).
SDK_METRICS_SOURCE = Path(temporalio.__file__).parent / "bridge/sdk-core/crates/sdk-core/src/telemetry/metrics.rs"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")


class Refuser:
    """aiosmtpd handler: accepts every letter except to `REFUSED`, which gets a permanent 550."""

    def __init__(self) -> None:
        self.accepted: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802, ANN001, ANN201
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
        self.accepted.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtpd() -> Iterator[tuple[Refuser, int]]:
    handler, port = Refuser(), free_port()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Prometheus text format → {(name, labels): value}."""
    samples: Samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        found = SAMPLE.match(line)
        assert found, f"not a Prometheus sample: {line!r}"
        name, labels, value = found.groups()
        pairs = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def scrape(url: str) -> Samples:
    return parse(urllib.request.urlopen(url, timeout=5).read().decode())


def total(samples: dict, name: str, **labels: str) -> float:
    """The sum of `name` over the samples carrying every label in `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, pairs), v in samples.items() if n == name and wanted <= pairs)


def names(samples: dict) -> set[str]:
    return {n for n, _ in samples}


@pytest_asyncio.fixture
async def metrics_worker(
    env: WorkflowEnvironment, settings: Settings, smtpd: tuple[Refuser, int]
) -> AsyncIterator[tuple[str, Settings]]:
    """`worker.run()` against the test server, metrics on a free port, mail through `smtpd`."""
    _, smtp_port = smtpd
    metrics_port = free_port()
    settings = settings.model_copy(
        update={
            "temporal_address": env.client.service_client.config.target_host,
            "worker_metrics_port": metrics_port,
            "mail_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
        }
    )
    task = asyncio.create_task(worker.run(settings))
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        for _ in range(100):  # the endpoint is up once the runtime is made; the worker polls soon after
            with contextlib.suppress(OSError):
                if "temporal_worker_start" in names(scrape(url)):
                    break
            assert not task.done(), task.exception()
            await asyncio.sleep(0.1)
        yield url, settings
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_worker_metrics_move_when_a_case_is_opened(
    env: WorkflowEnvironment, metrics_worker: tuple[str, Settings], smtpd: tuple[Refuser, int]
) -> None:
    url, settings = metrics_worker
    before = scrape(url)
    assert total(before, "conduct_letters_sent") == 0
    assert total(before, "conduct_letters_failed") == 0

    case = await CaseDriver(env, settings).open()
    await case.settle()
    after = scrape(url)

    # The SDK's telemetry: the workflow's tasks and the letter and register activities ran here.
    assert total(after, "temporal_workflow_task_execution_latency_count") > total(
        before, "temporal_workflow_task_execution_latency_count"
    )
    assert total(after, "temporal_activity_execution_latency_count", activity_type="sync_case") >= 1
    assert total(after, "temporal_activity_execution_failed") >= 1  # the refused letter
    # The letters: those the server accepted are counted by template; the refused one as permanent.
    state = await case.status()
    sent = {r.template.value for r in state.letters if r.to != REFUSED}
    assert sent and smtpd[0].accepted
    for template in sent:
        assert total(after, "conduct_letters_sent", template=template) >= 1, template
    assert total(after, "conduct_letters_sent") == len(smtpd[0].accepted)  # one per letter the server took
    assert total(after, "conduct_letters_failed", permanent="true") >= 1
    assert total(after, "conduct_letters_failed", permanent="false") == 0
    # No personal data in any label.
    assert not any(REFUSED in value or "Harriet" in value for _, pairs in after for _, value in pairs)

    # Every metric an alert rule uses is one this worker exports (the failed-task counter appears
    # only after a failure: it must at least be a name the SDK defines).
    rules = yaml.safe_load(ALERTS.read_text())
    used = {
        m.removesuffix("_bucket")
        for group in rules["groups"]
        for rule in group["rules"]
        for m in re.findall(r"\b((?:temporal|conduct)_[a-z_]+)\b", rule["expr"])
    }
    exported = {n.removesuffix("_bucket") for n in names(after)}
    web_gauges = {"conduct_register_up", "conduct_cases_open", "conduct_cases_overdue"}
    missing = used - exported - web_gauges
    if SDK_METRICS_SOURCE.exists():
        source = SDK_METRICS_SOURCE.read_text()
        missing = {m for m in missing if f'"{m.removeprefix("temporal_")}"' not in source}
    assert missing == set(), f"alert rules use metrics the worker does not export: {missing}"
    # Durations are in seconds: the schedule-to-start buckets start below one.
    buckets = [
        float(dict(pairs)["le"])
        for (n, pairs), _ in after.items()
        if n == "temporal_workflow_task_schedule_to_start_latency_bucket" and dict(pairs)["le"] != "+Inf"
    ]
    assert buckets and min(buckets) < 1


async def test_metrics_are_off_by_default(settings: Settings) -> None:
    assert settings.worker_metrics_port == 0
    assert worker_runtime(settings) is None


async def test_web_metrics_count_open_cases_by_stage_and_overdue(driver: CaseDriver, settings: Settings) -> None:
    async with offline_web(settings) as web:
        empty = parse((await web.http.get("/metrics")).text)
        assert empty[("conduct_register_up", frozenset())] == 1
        assert all(empty[("conduct_cases_open", frozenset({("stage", s)}))] == 0 for s in OPEN_STAGES)
        assert empty[("conduct_cases_overdue", frozenset())] == 0

        case = await driver.open()
        stage = (await case.status()).stage.value
        page = await web.http.get("/metrics")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain; version=0.0.4")
        opened = parse(page.text)
        assert opened[("conduct_cases_open", frozenset({("stage", stage)}))] == 1
        assert sum(v for (n, _), v in opened.items() if n == "conduct_cases_open") == 1
        assert opened[("conduct_cases_overdue", frozenset())] == 0

        await driver.env.sleep(timedelta(days=90))  # the assessment clock lapses
        await case.settle()
        assert any(c.state.value == "lapsed" for c in (await case.status()).clocks.values())
        lapsed = parse((await web.http.get("/metrics")).text)
        assert lapsed[("conduct_cases_overdue", frozenset())] == 1


async def test_web_metrics_token(settings: Settings) -> None:
    settings = settings.model_copy(update={"metrics_token": "scrape-token-0123456789"})
    async with offline_web(settings) as web:
        assert (await web.http.get("/metrics")).status_code == 401
        wrong = await web.http.get("/metrics", headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await web.http.get("/metrics", headers={"authorization": "Bearer scrape-token-0123456789"})
        assert right.status_code == 200 and "conduct_register_up 1" in right.text
