"""`conduct replay-check` on a real Temporal dev server: every running case replays against this
checkout (exit 0, one `ok` line per case), a checkout whose workflow would treat open cases
differently is caught and the case named (exit 1), and only the MO or deputy may run it.

The live test runs the `conduct dev` stack as a user would and checks its demo case."""

from __future__ import annotations

import json
import queue
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow

from tests import devserver_fixtures, test_devserver
from tests.devserver_fixtures import Conduct
from tests.ports import free_ports
from tests.test_devserver import CONDUCT, _env, _wait_for_line

dev_server = devserver_fixtures.dev_server  # the fixtures of this module
conduct = devserver_fixtures.conduct
conduct_dev = test_devserver.conduct_dev


@workflow.defn(name="Complaint", sandboxed=False)
class StartsWithATimer:
    """Test only: a "Complaint" whose first command is a timer, where the real workflow's first
    command is something else: every open case is non-deterministic against it."""

    @workflow.run
    async def run(self, start: Any) -> None:
        await workflow.sleep(timedelta(days=365))


async def running_references(conduct: Conduct, expected: str) -> None:
    """Wait until visibility lists `expected` as running (it lags about a second)."""
    query = "WorkflowType='Complaint' AND ExecutionStatus='Running'"

    async def listed() -> set[str]:
        return {wf.id.removeprefix("complaint-") async for wf in conduct.env.client.list_workflows(query)}

    await conduct.eventually(listed, lambda found: expected in found, f"{expected} listed as running")


async def test_every_running_case_replays_against_this_checkout(conduct: Conduct) -> None:
    reference = await conduct.open_case()
    await running_references(conduct, reference)
    result = await conduct.run("replay-check", "--as", "deputy")
    assert result.exit_code == 0, result.output
    assert f"{reference}  ok" in result.stdout
    report = json.loads((await conduct.ok("replay-check", "--json")).stdout)
    assert report["ok"] is True and report["counts"]["non-deterministic"] == 0
    assert {c["reference"]: c["verdict"] for c in report["cases"]}[reference] == "ok"


async def test_an_incompatible_workflow_is_caught_and_the_case_named(
    conduct: Conduct, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = await conduct.open_case()
    await running_references(conduct, reference)
    monkeypatch.setattr("worker.WORKFLOWS", [StartsWithATimer])  # this checkout's code, changed
    result = await conduct.run("replay-check")
    assert result.exit_code == 1, result.output
    line = next(line for line in result.stdout.splitlines() if line.startswith(reference))
    assert "non-deterministic: " in line and "TMPRL1100" in line, line
    assert "non-deterministic" in result.stdout.splitlines()[-1]  # the total says so too


async def test_only_the_monitoring_officer_or_deputy_may_run_it(conduct: Conduct) -> None:
    result = await conduct.run("replay-check", "--as", "io-1")
    assert result.exit_code == 3
    assert "needs monitoring_officer or deputy" in result.output


async def test_temporal_unreachable_exits_1(conduct: Conduct) -> None:
    (port,) = free_ports(1)
    result = await conduct.run("replay-check", env={"CONDUCT_TEMPORAL_ADDRESS": f"127.0.0.1:{port}"})
    assert result.exit_code == 1
    assert "cannot reach Temporal" in result.output


def test_replay_check_against_a_live_conduct_dev(
    conduct_dev: tuple[subprocess.Popen[str], queue.Queue[str], Path, int, int],
) -> None:
    _process, lines, data_dir, port, _web_port = conduct_dev
    _wait_for_line(lines, "Running", timeout=30)
    run = {"cwd": data_dir.parent, "env": _env(data_dir, port), "capture_output": True, "text": True, "timeout": 60}
    demo = subprocess.run([CONDUCT, "demo", "--json"], **run)  # type: ignore[call-overload]
    assert demo.returncode == 0, demo.stderr
    reference = json.loads(demo.stdout)["reference"]
    deadline = time.monotonic() + 15
    while True:  # visibility lags the new case by about a second
        check = subprocess.run([CONDUCT, "replay-check", "--as", "mo"], **run)  # type: ignore[call-overload]
        if reference in check.stdout or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"{reference}  ok" in check.stdout.splitlines()
    assert check.stdout.splitlines()[-1] == "1 running case replayed: 1 ok"
