"""Readiness checks and the case register's gauges, for the web app's /readyz and /metrics (and the
codec endpoint's /readyz).

Ready means the case register answers a read and, where a Temporal client is used, Temporal answers
a call. The reasons are one line and name the part that is down, never the error text: the
endpoints are public, and a driver's error can carry host names or a query. The error is logged.

The gauges are computed at scrape time from the register (read-only), so they are only as fresh as
the register's last sync of each case; the counts carry no personal data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from conduct.register import ClockRow, ComplaintRow
from conduct.vocabulary import ClockState, Stage

log = logging.getLogger("conduct.health")
REGISTER_DOWN = "the case register cannot be reached"
TEMPORAL_DOWN = "Temporal cannot be reached"
OPEN_STAGES = [stage.value for stage in Stage if stage is not Stage.CLOSED]


class RegisterGauges(BaseModel):
    """Open cases by stage (every open stage present, zero or not) and open cases with a lapsed clock."""

    open_by_stage: dict[str, int]
    overdue: int


def _read_gauges(engine: Engine) -> RegisterGauges:
    with Session(engine) as session:
        counts = dict(
            session.execute(
                select(ComplaintRow.stage, func.count())
                .where(ComplaintRow.stage != Stage.CLOSED.value)
                .group_by(ComplaintRow.stage)
            ).all()
        )
        overdue = session.scalar(
            select(func.count(func.distinct(ClockRow.reference)))
            .join(ComplaintRow, ComplaintRow.reference == ClockRow.reference)
            .where(ComplaintRow.stage != Stage.CLOSED.value, ClockRow.state == ClockState.LAPSED.value)
        )
    return RegisterGauges(open_by_stage={**dict.fromkeys(OPEN_STAGES, 0), **counts}, overdue=overdue or 0)


async def register_gauges(engine: Engine, timeout: float) -> RegisterGauges | None:
    """The gauges, or None when the register does not answer within `timeout` seconds."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(_read_gauges, engine), timeout)
    except Exception as err:
        log.warning("%s: %s: %s", REGISTER_DOWN, type(err).__name__, err)
        return None


def _touch_register(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(select(ComplaintRow.reference).limit(1)).all()


async def register_problem(engine: Engine, timeout: float) -> str | None:
    """None when the register answers a read of the complaints table within `timeout` seconds."""
    try:
        await asyncio.wait_for(asyncio.to_thread(_touch_register, engine), timeout)
    except Exception as err:
        log.warning("%s: %s: %s", REGISTER_DOWN, type(err).__name__, err)
        return REGISTER_DOWN
    return None


async def temporal_problem(client: Callable[[], Awaitable[Client]], timeout: float) -> str | None:
    """None when a client can be had and the frontend answers GetSystemInfo within `timeout` seconds."""
    try:
        connected = await asyncio.wait_for(client(), timeout)
        await connected.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=timedelta(seconds=timeout))
    except Exception as err:
        log.warning("%s: %s: %s", TEMPORAL_DOWN, type(err).__name__, err)
        return TEMPORAL_DOWN
    return None


def exposition(gauges: RegisterGauges | None) -> str:
    """The gauges in Prometheus' text format (version 0.0.4); `conduct_register_up 0` and no case
    counts when the register did not answer, so a scrape still succeeds and the outage shows."""
    lines = [
        "# HELP conduct_register_up 1 when the case register answered this scrape.",
        "# TYPE conduct_register_up gauge",
        f"conduct_register_up {0 if gauges is None else 1}",
    ]
    if gauges is not None:
        lines += ["# HELP conduct_cases_open Open complaints by stage.", "# TYPE conduct_cases_open gauge"]
        by_stage = sorted(gauges.open_by_stage.items())
        lines += [f'conduct_cases_open{{stage="{_label(stage)}"}} {n}' for stage, n in by_stage]
        lines += [
            "# HELP conduct_cases_overdue Open complaints with at least one lapsed clock.",
            "# TYPE conduct_cases_overdue gauge",
            f"conduct_cases_overdue {gauges.overdue}",
        ]
    return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
