"""What bounds intake: the same intake rows as bench/run.py, once with the complaint worker running
and once with it stopped (SIGSTOP) while the requests are sent, beside the no-op start rows.

On one 2-core machine the worker that processes each new complaint (first workflow task, the
acknowledgement letter, the deadline, the register) competes with the web app and the server for
the same cores while the intake row runs; the no-op baseline's worker has nothing to do. Stopping
the worker during the row separates that contention from the request path itself. A diagnostic,
not a target: production runs the worker on other cores or hosts.

    python bench/diagnose_intake.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import System, log, measure_intake, measure_noop  # noqa: E402


def row(label: str, c: int, x: dict[str, Any], noop: dict[str, Any]) -> str:
    return (
        f"| {label} | {c} | {x['per_s']:.1f} ({x['per_s'] / noop['per_s']:.2f}×) | {x['p50_ms']:.0f} "
        f"({x['p50_ms'] / noop['p50_ms']:.2f}×) | {x['p99_ms']:.0f} ({x['p99_ms'] / noop['p99_ms']:.2f}×) |"
    )


async def run(requests: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="conduct-diagnose-"))
    system = System(data_dir)
    lines = [
        f"load before: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "",
        "| row | in flight | per s (÷ no-op) | p50 ms (÷ no-op) | p99 ms (÷ no-op) |",
        "|---|---|---|---|---|",
    ]
    try:
        await system.start()
        assert system.worker is not None
        references: list[str] = []
        for c in (5, 50):
            log(f"{c} in flight")
            noop = await measure_noop(system, requests, c)
            running = await measure_intake(system, requests, c, references)
            await system.drain(len(references), 300)
            system.worker.send_signal(signal.SIGSTOP)
            try:
                stopped = await measure_intake(system, requests, c, references)
            finally:
                system.worker.send_signal(signal.SIGCONT)
            await system.drain(len(references), 300)
            lines += [
                f"| no-op start | {c} | {noop['per_s']:.1f} | {noop['p50_ms']:.0f} | {noop['p99_ms']:.0f} |",
                row("intake, worker running", c, running, noop),
                row("intake, worker stopped", c, stopped, noop),
            ]
    finally:
        system.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests per row")
    asyncio.run(run(parser.parse_args().requests))


if __name__ == "__main__":
    main()
