"""`conduct`: the command line. This module wires commands; each command's work lives in its
own module."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from conduct.settings import get_settings

app = typer.Typer(help="Code of Conduct complaints: officers' commands.", no_args_is_help=True)


@app.command()
def worker() -> None:
    """Run the worker (the complaint workflow and its activities)."""
    import worker as worker_module

    worker_module.main()


@app.command()
def dev(
    data_dir: Annotated[Path, typer.Option(help="where the SQLite files and the outbox live")] = Path("var"),
    temporal_port: Annotated[int, typer.Option(min=1, max=65535)] = 7233,
    ui_port: Annotated[int, typer.Option(min=1, max=65535)] = 8233,
) -> None:
    """Run the whole system locally: Temporal dev server (SQLite), worker, outbox. Ctrl-C stops it."""
    from starter.local import run_local

    asyncio.run(run_local(data_dir, temporal_port, ui_port))


@app.command()
def demo(
    reference: Annotated[str | None, typer.Option(help="defaults to the next free reference")] = None,
) -> None:
    """Open a sample complaint from examples/ on the running system and print its status."""
    from starter.local import open_demo_case

    state = asyncio.run(open_demo_case(get_settings(), reference))
    typer.echo(json.dumps(state, indent=2, default=str))


@app.command()
def status(reference: str) -> None:
    """Print a case's state (stage, clocks, letters, timeline) as JSON."""
    from starter.local import case_status

    typer.echo(json.dumps(asyncio.run(case_status(get_settings(), reference)), indent=2, default=str))
