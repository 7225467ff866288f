"""`conduct schedules apply` on a real dev server: idempotent (twice -> one schedule, updated), and
a triggered run of the schedule completes the reporting workflow."""

from __future__ import annotations

import asyncio

from temporalio.client import ScheduleActionExecutionStartWorkflow

from conduct.reports import ReportRun
from starter.schedules import SCHEDULE_ID, TIME_ZONE
from tests import devserver_fixtures
from tests.devserver_fixtures import Conduct

dev_server = devserver_fixtures.dev_server  # the fixtures of this module
conduct = devserver_fixtures.conduct


async def test_schedules_apply_is_idempotent_and_runs_the_reports(conduct: Conduct) -> None:
    client = conduct.env.client
    first = await conduct.json("schedules", "apply")
    second = await conduct.json("schedules", "apply")
    assert (first["result"], second["result"]) == ("created", "updated")
    assert (first["retention"]["result"], second["retention"]["result"]) == ("created", "updated")
    assert first["retention"]["schedule"] == "conduct-retention"  # the monthly Retention run (issue 13)
    ids = [s.id async for s in await client.list_schedules()]
    assert ids.count(SCHEDULE_ID) == 1

    handle = client.get_schedule_handle(SCHEDULE_ID)
    spec = (await handle.describe()).schedule.spec
    assert spec.time_zone_name == TIME_ZONE
    months = sorted(r.start for c in spec.calendars for r in c.month)
    assert months == [1, 4, 7, 10]
    assert all([r.start for r in c.day_of_month] == [1] for c in spec.calendars)

    await handle.trigger()
    started = None
    for _ in range(100):
        actions = (await handle.describe()).info.recent_actions
        if actions:
            started = actions[-1].action
            break
        await asyncio.sleep(0.1)
    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
    run = client.get_workflow_handle(started.workflow_id, run_id=started.first_execution_run_id, result_type=ReportRun)
    result = await asyncio.wait_for(run.result(), timeout=20)
    assert len(result.periods) in (1, 2)  # the quarter just ended (and the year, in January)
    assert result.receipts and all(r.to for r in result.receipts)
    await handle.delete()
