"""The officers' API with 10,000 open cases: `cases --overdue --json` and `show --json` under
300 ms (median of 3), and an officer action through the API under 1.3x the same update sent
straight to Temporal, measured side by side in one run.

    python bench/officers_api.py [--cases 10000] [--out docs/performance.md]

Standalone, it starts the system of bench/run.py plus `conduct api` in its own process, writes
10,000 open cases into the case register as `sync_case` writes them (one in ten overdue), opens
real cases for `show` and the actions, and replaces the "Officers' API" section of the report.
`bench/run.py` calls `measure` on its own 10,000 real cases in a full run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

if TYPE_CHECKING:
    from bench.run import System

MO = {"X-Conduct-Officer": "mo"}
START, END = "<!-- officers-api: start -->", "<!-- officers-api: end -->"


def median_of(runs: list[float]) -> float:
    return statistics.median(runs)


async def start_api(system: System) -> tuple[Any, str]:
    from bench.run import BIN, free_port

    port = free_port()
    proc = system._spawn([str(BIN / "conduct"), "api", "--port", str(port)], "api")
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{url}/v1/health")).status_code == 200:
                    return proc, url
            if proc.poll() is not None:
                raise RuntimeError(f"`conduct api` exited; see {system.data_dir / 'api.log'}")
            await asyncio.sleep(0.1)
    raise RuntimeError("`conduct api` did not answer")


async def timed_get(http: httpx.AsyncClient, path: str, params: dict[str, str] | None = None) -> tuple[float, Any]:
    t = time.perf_counter()
    response = await http.get(path, params=params, headers=MO)
    elapsed = time.perf_counter() - t
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
    return elapsed, response.json()


async def measure(system: System, references: list[str], actions: int = 20) -> dict[str, Any]:
    """The three rows, against a running system whose register holds the open cases."""
    from conduct import actions as a
    from conduct.attestation_keys import attest
    from workflows.complaint import ComplaintWorkflow

    client = system.client
    assert client is not None
    proc, url = await start_api(system)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            await timed_get(http, "/v1/cases", {"overdue": "true"})  # warm-up: imports, connections
            listed_runs, listed = [], []
            for _ in range(3):
                took, listed = await timed_get(http, "/v1/cases", {"overdue": "true"})
                listed_runs.append(took)
            everyone_runs = []
            for _ in range(3):
                took, everyone = await timed_get(http, "/v1/cases")
                everyone_runs.append(took)
            show_ref = references[-1]
            await timed_get(http, f"/v1/cases/{show_ref}")
            show_runs = [(await timed_get(http, f"/v1/cases/{show_ref}"))[0] for _ in range(3)]

            # Actions side by side: triage --notify through the API, and the same update (signed the
            # same way) straight to Temporal, alternating over fresh cases of the same kind.
            via_api, direct = [], []
            fresh = references[-(2 * actions + 1) : -1]
            for i, reference in enumerate(fresh):
                if i % 2 == 0:
                    t = time.perf_counter()
                    done = await http.post(f"/v1/cases/{reference}/actions/triage", json={"notify": True}, headers=MO)
                    via_api.append(time.perf_counter() - t)
                    if done.status_code != 200:
                        raise RuntimeError(f"triage through the API: {done.status_code} {done.text[:300]}")
                else:
                    t = time.perf_counter()
                    payload = a.Triage(officer="mo", notify=True)
                    update_id = f"triage-{uuid.uuid4().hex}"
                    signed = attest(system.settings, reference, "triage", payload, update_id)
                    handle = client.get_workflow_handle(f"complaint-{reference}")
                    await handle.execute_update(ComplaintWorkflow.triage, signed, id=update_id)
                    direct.append(time.perf_counter() - t)
        cli_runs = []
        env = {"PATH": str(Path(sys.executable).parent), "CONDUCT_API_URL": url, "HOME": str(system.data_dir)}
        for _ in range(3):
            t = time.perf_counter()
            done = await asyncio.to_thread(
                __import__("subprocess").run, [str(Path(sys.executable).parent / "conduct"), "cases", "--overdue",
                                               "--json", "--as", "mo"], env=env, capture_output=True, text=True,
            )  # fmt: skip
            cli_runs.append(time.perf_counter() - t)
            if done.returncode != 0:
                raise RuntimeError(f"conduct cases through the API: {done.stderr[:300]}")
    finally:
        proc.terminate()
        with contextlib.suppress(Exception):
            proc.wait(timeout=10)
    return {
        "open_cases": len(everyone),
        "overdue_listed": len(listed),
        "cases_overdue_s": median_of(listed_runs),
        "cases_all_s": median_of(everyone_runs),
        "show_s": median_of(show_runs),
        "action_api_s": median_of(via_api),
        "action_direct_s": median_of(direct),
        "action_n": len(via_api),
        "cli_cases_overdue_s": median_of(cli_runs),
    }


def section(result: dict[str, Any], how: str) -> str:
    if not result:
        return f"{START}\n## Officers' API\n\nNot measured in this run.\n{END}\n"
    ratio = result["action_api_s"] / result["action_direct_s"]

    def verdict(ok: bool) -> str:
        return "**pass**" if ok else "**MISS**"

    r = result
    rows = [
        (f"`conduct cases --overdue --json` through the API ({r['overdue_listed']:,} listed), median of 3",
         f"{r['cases_overdue_s'] * 1000:.0f} ms", "< 300 ms", verdict(r["cases_overdue_s"] < 0.3)),
        ("`conduct show --json` through the API, median of 3", f"{r['show_s'] * 1000:.0f} ms", "< 300 ms",
         verdict(r["show_s"] < 0.3)),
        (f"officer action (`triage --notify`) through the API / the same update straight to Temporal, medians of "
         f"{r['action_n']} each, alternating",
         f"{ratio:.2f} ({r['action_api_s'] * 1000:.0f} vs {r['action_direct_s'] * 1000:.0f} ms)", "< 1.3",
         verdict(ratio < 1.3)),
    ]  # fmt: skip
    table = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    also = (
        f"Also measured: every open case (`conduct cases --json`, {r['open_cases']:,} listed) in "
        f"{r['cases_all_s'] * 1000:.0f} ms; the whole `conduct cases --overdue --json` command on an officer's "
        f"machine (a new Python process, CONDUCT_API_URL set, `--as mo`) in {r['cli_cases_overdue_s'] * 1000:.0f} ms, "
        "most of it the interpreter starting."
    )
    method = (
        "The API runs each command as the signed-in officer: it checks the sign-in and the roster in force, reads "
        "the register (for `cases`) or queries the case (for `show`); for an action it checks the person against "
        "the register's record of who takes part in the case (conduct/access.py; the workflow's validator checks "
        "again) and sends the signed update; the direct row sends only the update."
    )
    return (
        f"{START}\n## Officers' API (`conduct api`) with {r['open_cases']:,} open cases\n\n{how}\n\n"
        "| measure | figure | target | |\n|---|---|---|---|\n"
        f"{table}\n\n{also}\n{method}\n{END}\n"
    )


def replace_section(path: Path, text: str, start: str = START, end: str = END) -> None:
    """Put `text` between its markers in `path` (each benchmark has its own), or at the end."""
    old = path.read_text() if path.exists() else "# Performance\n"
    if start in old and end in old:
        head, rest = old.split(start, 1)
        new = head + text.strip() + rest.split(end, 1)[1]
    else:
        new = old.rstrip() + "\n\n" + text
    path.write_text(new)


def seed_register(system: System, n: int, overdue_share: float = 0.1) -> None:
    """`n` open cases in the register, as `sync_case` leaves them: Worthing and Adur, members and
    groups from the demo roster, clocks due over the next 4 weeks, one in ten lapsed and overdue."""
    from sqlalchemy.orm import Session

    from conduct.register import ClockRow, ComplaintRow, create_schema, make_engine

    engine = make_engine(system.settings.resolved_database_url, keys=system.settings.resolved_encryption_keys)
    create_schema(engine)
    now = datetime.now(UTC)
    every = max(1, round(1 / overdue_share))
    with Session(engine) as s:
        for i in range(n):
            reference = f"SYN-2026-{i:05d}"
            overdue = i % every == 0
            member = f"wbc-{(i % 10) + 1:02d}"
            s.add(ComplaintRow(
                reference=reference, workflow_id=f"complaint-{reference}", council="worthing",
                hearing_council="worthing", stage="assessment", outcome=None, received_at=now - timedelta(days=i % 40),
                closed_at=None, overdue=overdue, subject_members=[member], subject_groups={member: "Labour"},
                complainant_type="public", confidential=False, published=False, updated_at=now, revision=1,
            ))  # fmt: skip
            s.flush()  # the clock's foreign key needs the case first
            due = date.today() + timedelta(days=(i % 28) - (30 if overdue else 0))
            s.add(ClockRow(reference=reference, name="assessment", started=now, due=due,
                           state="lapsed" if overdue else "pending", met_on=None))  # fmt: skip
            if i % 1000 == 999:
                s.commit()
        s.commit()
    engine.dispose()


async def standalone(n: int, real: int, out: Path) -> None:
    import shutil
    import tempfile

    from bench.run import System, intake, log
    from conduct.register import make_engine
    from conduct.roster_store import current_roster
    from starter.complaints import open_complaint

    data_dir = Path(tempfile.mkdtemp(prefix="conduct-bench-api-"))
    system = System(data_dir)
    try:
        await system.start()
        log(f"seeding {n:,} open cases into the register")
        seed_register(system, n - real)
        engine = make_engine(system.settings.resolved_database_url, keys=system.settings.resolved_encryption_keys)
        roster = current_roster(engine)
        assert roster is not None and system.client is not None
        references = []
        for i in range(real):
            opened = await open_complaint(system.client, system.settings, engine, intake(30_000_000 + i), roster,
                                          f"api-{uuid.uuid4()}")  # fmt: skip
            references.append(opened.reference)
        await system.drain(real, timeout=120)
        log("measuring the officers' API")
        result = await measure(system, references)
        log(json.dumps(result, indent=2))
        how = (
            f"Written by `python bench/officers_api.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: the system of "
            f"bench/run.py plus `conduct api` in its own process; {n - real:,} open cases written into the register "
            f"as `sync_case` writes them (one in ten overdue) and {real} real cases opened through "
            "`open_complaint` for `show` and the actions. Requests are the API's JSON resources with the "
            "development sign-in (`X-Conduct-Officer: mo`)."
        )
        replace_section(out, section(result, how))
        log(f"wrote {out}")
    finally:
        system.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--real", type=int, default=50, help="real cases opened (show, actions)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    asyncio.run(standalone(args.cases, args.real, args.out))


if __name__ == "__main__":
    main()
