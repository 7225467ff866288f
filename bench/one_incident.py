"""Benchmark: many complaints about one incident, decided once (R14, issue 14).

    python bench/one_incident.py [--quick] [--complaints N --over SECONDS] [--out docs/performance.md]

A councillor's post brings 1,000 complaints over 10 minutes (`--quick`: 50 over 30 s). Each arrives
through the signed webhook, as a council's form builder sends it, and is linked to the first as
it arrives (`conduct link LEAD OTHER --lead`: the same signed `follow` update on OTHER, which joins
the lead). Then the MO triages and
assesses the lead once (no action); every follower's complainant must have their own decision
letter in the outbox within 2 minutes of the decision. Uses bench/run.py's system (dev server,
worker, web app, each its own process) and writes its section of docs/performance.md between
its markers.
"""

from __future__ import annotations

import argparse
import asyncio
import email.parser
import json
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.officers_api import replace_section  # noqa: E402
from bench.run import System, api_body, log, pct, signed  # noqa: E402

START, END = "<!-- one-incident: start -->", "<!-- one-incident: end -->"
TARGET_S = 120.0  # every complainant's decision letter within 2 minutes of the decision
SUBJECT = "wbc-04"  # api_body's subject member


async def act(system: System, reference: str, action: str, payload: Any) -> float:
    """One officer action, signed as the officers' API signs it, straight to the case; seconds taken."""
    from conduct.actions import ActionResult
    from conduct.attestation_keys import attest

    assert system.client is not None
    t = time.perf_counter()
    update_id = f"{action}-{uuid.uuid4().hex}"
    handle = system.client.get_workflow_handle(f"complaint-{reference}")
    attested = attest(system.settings, reference, action, payload, update_id)
    await handle.execute_update(action, attested, id=update_id, result_type=ActionResult)
    return time.perf_counter() - t


def decision_letters(system: System, seen: dict[str, tuple[str, float]]) -> None:
    """Add to `seen` (file name -> (reference, written at)) the decision letters to complainants."""
    outbox = system.outbox
    if not outbox.exists():
        return
    parser = email.parser.BytesHeaderParser()
    for path in outbox.iterdir():
        if path.suffix != ".eml" or path.name in seen:
            continue
        with path.open("rb") as fh:
            headers = parser.parse(fh)
        key = str(headers.get("X-Conduct-Idempotency-Key", ""))
        if "-decision_no_action/complainant/" in key:
            seen[path.name] = (str(headers.get("X-Conduct-Reference", "")), path.stat().st_mtime)


async def measure(system: System, n: int, over: float) -> dict[str, Any]:
    from conduct import actions as a
    from conduct.assessment import AssessmentTests
    from conduct.vocabulary import AssessmentOutcome, NoActionGround

    url = f"http://127.0.0.1:{system.web_port}/api/complaints"
    references: list[str] = []
    intake_s: list[float] = []
    link_s: list[float] = []
    errors: list[str] = []
    links: asyncio.Queue[str | None] = asyncio.Queue()

    async def linker() -> None:
        """Links each complaint to the lead as it arrives, one at a time, as an officer would."""
        while (reference := await links.get()) is not None:
            payload = a.Link(officer="mo", other_reference=references[0], other_subjects=[SUBJECT])
            try:  # `conduct link LEAD OTHER --lead` is the `follow` action on OTHER (workflows/lead.py)
                link_s.append(await act(system, reference, "follow", payload))
            except Exception as err:  # noqa: BLE001 - counted and reported
                errors.append(f"link {reference}: {type(err).__name__}: {str(err)[:200]}")

    async with httpx.AsyncClient(timeout=60) as http:

        async def post(i: int) -> None:
            await asyncio.sleep(i * over / n)  # arrivals spread evenly over the period
            body = api_body(i)
            headers = {"content-type": "application/json", **signed(body, f"incident-{uuid.uuid4()}")}
            t = time.perf_counter()
            response = await http.post(url, content=body, headers=headers)
            intake_s.append(time.perf_counter() - t)
            if response.status_code != 201:
                errors.append(f"intake {i}: {response.status_code} {response.text[:200]}")
                return
            reference = response.json()["reference"]
            references.append(reference)
            if len(references) > 1:
                await links.put(reference)

        log(f"{n} complaints over {over:.0f} s through the webhook, each linked to the first as it arrives")
        t0 = time.perf_counter()
        linking = asyncio.create_task(linker())
        first = asyncio.create_task(post(0))
        await first  # the lead is the first to arrive
        await asyncio.gather(*(post(i) for i in range(1, n)))
        arrived_s = time.perf_counter() - t0
        await links.put(None)
        await linking
        linked_s = time.perf_counter() - t0
    lead, followers = references[0], references[1:]
    log(f"arrived in {arrived_s:.0f} s, all linked {linked_s - arrived_s:.1f} s later; deciding {lead} once")
    await system.drain(len(references), timeout=300)

    triage_s = await act(system, lead, "triage", a.Triage(officer="mo", notify=True))
    await act(system, lead, "consult_ip", a.ConsultIndependentPerson(officer="mo", ip="ip-1", view="No case."))
    tests = AssessmentTests(public_interest=False, public_interest_reason="No benefit in taking it further.")
    decision = a.Assess(officer="mo", outcome=AssessmentOutcome.NO_ACTION, grounds=[NoActionGround.TRIVIAL],
                        reasons="The post was a matter of opinion.", tests=tests)  # fmt: skip
    seen: dict[str, tuple[str, float]] = {}
    decision_letters(system, seen)  # none yet
    decided_at = time.time()
    assess_s = await act(system, lead, "assess", decision)
    wanted = set(followers)
    deadline = time.perf_counter() + TARGET_S + 180  # wait past the target, to say how late
    while time.perf_counter() < deadline:
        decision_letters(system, seen)
        if wanted <= {ref for ref, _ in seen.values()}:
            break
        await asyncio.sleep(0.5)
    written = {ref: at for ref, at in seen.values() if ref in wanted}
    delays = sorted(at - decided_at for at in written.values())

    assert system.client is not None
    history = await system.client.get_workflow_handle(f"complaint-{lead}").fetch_history()
    replay_s = await replay_seconds(system, history)
    return {
        "complaints": n,
        "over_s": over,
        "arrived_s": arrived_s,
        "intake_p50_s": pct(intake_s, 50),
        "intake_p95_s": pct(intake_s, 95),
        "links": len(link_s),
        "link_p50_s": pct(link_s, 50),
        "link_p95_s": pct(link_s, 95),
        "linked_after_s": linked_s - arrived_s,
        "triage_s": triage_s,
        "assess_s": assess_s,
        "followers": len(followers),
        "letters": len(written),
        "letter_p50_s": pct(delays, 50) if delays else None,
        "letter_p95_s": pct(delays, 95) if delays else None,
        "last_letter_s": delays[-1] if delays else None,
        "lead_events": len(history.events),
        "lead_history_kb": sum(e.ByteSize() for e in history.events) / 1024,
        "lead_replay_s": replay_s,
        "errors": errors[:5],
        "error_count": len(errors),
    }


async def replay_seconds(system: System, history: Any) -> float:
    """How long the lead's whole history takes to replay, as a worker that evicted it must before
    its next workflow task (the second of two runs: the first loads the workflow's modules)."""
    from temporalio.worker import Replayer

    from worker import WORKFLOWS

    assert system.client is not None
    replayer = Replayer(workflows=WORKFLOWS, data_converter=system.client.data_converter)
    await replayer.replay_workflow(history)
    t = time.perf_counter()
    await replayer.replay_workflow(history)
    return time.perf_counter() - t


def section(r: dict[str, Any], how: str) -> str:
    complete = r["letters"] == r["followers"] and not r["error_count"]
    last = r["last_letter_s"]
    ok = complete and last is not None and last <= TARGET_S
    verdict = "**pass**" if ok else "**MISS**"
    late = f"{last:.1f} s" if last is not None else "none written"
    rows = [
        (f"every follower's decision letter written ({r['letters']:,} of {r['followers']:,}), after the one decision",
         f"last {late}; p50 {r['letter_p50_s'] or 0:.1f} s, p95 {r['letter_p95_s'] or 0:.1f} s", "< 120 s", verdict),
        (f"webhook intake, {r['complaints']:,} complaints over {r['over_s']:.0f} s",
         f"p50 {r['intake_p50_s'] * 1000:.0f} ms, p95 {r['intake_p95_s'] * 1000:.0f} ms", "", ""),
        (f"`link LEAD OTHER --lead` as each arrives ({r['links']:,} links, one at a time)",
         f"p50 {r['link_p50_s'] * 1000:.0f} ms, p95 {r['link_p95_s'] * 1000:.0f} ms; last linked "
         f"{r['linked_after_s']:.1f} s after the last arrival", "", ""),
        ("the lead's `triage` / `assess` (each tells every follower)", f"{r['triage_s']:.1f} s / {r['assess_s']:.1f} s",
         "", ""),
        ("the lead's history at closure", f"{r['lead_events']:,} events, {r['lead_history_kb']:,.0f} KB", "", ""),
        ("the lead's whole history replayed (what a worker that evicted it does before its next task)",
         f"{r['lead_replay_s']:.1f} s", "< 30 s task limit (Temporal's default 10 s)", ""),
    ]  # fmt: skip
    table = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    errors = f"\n\nErrors ({r['error_count']}): " + "; ".join(r["errors"]) if r["error_count"] else ""
    method = (
        "Each follower joins its lead with one small `follower_joined` update, for which the lead issues no command "
        "(five events and one workflow task each). The lead's workflow, once its step is done, tells every follower "
        "from one `tell_followers` activity (the `lead_step` update: the officer's signed action, the stage and the "
        "letters its complainant was sent; workflows/lead.py), 32 followers at a time, each done before the next is "
        "told, so its history grows with the links, not with the steps; each follower checks the signature, writes "
        "the letter to its own complainant and closes with the lead's outcome. The lead's `triage` and `assess` "
        "answer once every follower has taken the step. A letter's time is its file's in the outbox, from the "
        "moment the `assess` update was sent.\n\n"
        "Before followers joined by update (the full run of 2026-11-30 02:38 UTC), the lead's own `lead` action "
        "signalled the follower, synced the register and wrote a search attribute for each link: about 16 events and "
        "four workflow tasks per link, 16,034 events and 3.9 MB at 1,000. The lead's next workflow task, the MO's "
        "`triage`, then took 26-34 s against the 10 s limit, was retried, and the lead made no progress (a MISS). "
        "With joins by update (5,098 events, replayed in 3.4 s, triage 21.7 s) but the followers still told by "
        "signal, all at once, the run of 04:17 UTC wrote the last letter at 168.7 s (p50 85 s), a MISS: 999 "
        "followers loaded together into a cache of 500, each evicted between its own tasks and replayed again. "
        "Cases now also start with a 30 s workflow task limit (`CONDUCT_CASE_TASK_TIMEOUT_SECONDS`)."
    )
    return (
        f"{START}\n## Several complaints about one incident (R14)\n\n{how}\n\n"
        f"| measure | figure | target | |\n|---|---|---|---|\n{table}{errors}\n\n{method}\n{END}\n"
    )


async def standalone(n: int, over: float, out: Path | None) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="conduct-bench-incident-"))
    system = System(data_dir)
    try:
        await system.start()
        result = await measure(system, n, over)
        log(json.dumps(result, indent=2))
        if out is not None:
            how = (
                f"Written by `python bench/one_incident.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: the system of "
                f"bench/run.py; {n:,} complaints about one post by one member through the signed webhook over "
                f"{over:.0f} s, each linked to the first (the lead) as it arrived; then the lead triaged and "
                "assessed once (no action)."
            )
            replace_section(out, section(result, how), START, END)
            log(f"wrote {out}")
        return result
    finally:
        system.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50 complaints over 30 s")
    parser.add_argument("--complaints", type=int, default=None)
    parser.add_argument("--over", type=float, default=None, help="seconds over which they arrive")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--no-write", action="store_true", help="print the figures; leave docs/performance.md")
    args = parser.parse_args()
    n = args.complaints or (50 if args.quick else 1_000)
    over = args.over or (30.0 if args.quick else 600.0)
    asyncio.run(standalone(n, over, None if args.no_write else args.out))


if __name__ == "__main__":
    main()
