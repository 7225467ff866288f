"""The Temporal Schedule that runs the reporting workflow: each quarter (1 April, 1 July,
1 October) and at year end (1 January: the fourth quarter and the calendar year), at 07:00
London time. `apply_schedule` creates it, or updates it in place when it exists: running it
twice leaves one schedule with the newest definition."""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from conduct.reports import ReportRequest
from conduct.settings import Settings
from workflows.reporting import ReportingWorkflow

SCHEDULE_ID = "conduct-reports"
TIME_ZONE = "Europe/London"


def _calendar(months: list[int], comment: str) -> ScheduleCalendarSpec:
    return ScheduleCalendarSpec(
        second=[ScheduleRange(0)],
        minute=[ScheduleRange(0)],
        hour=[ScheduleRange(7)],
        day_of_month=[ScheduleRange(1)],
        month=[ScheduleRange(m) for m in months],
        comment=comment,
    )


def schedule_id(council: str | None = None) -> str:
    return f"{SCHEDULE_ID}-{council}" if council else SCHEDULE_ID


def build_schedule(settings: Settings, council: str | None = None) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ReportingWorkflow.run,
            ReportRequest(council=council),
            id=schedule_id(council),  # the server appends the scheduled time
            task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                _calendar([4, 7, 10], "quarterly review: the quarter just ended"),
                _calendar([1], "year end: the fourth quarter and the calendar year"),
            ],
            time_zone_name=TIME_ZONE,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ONE),
    )


async def apply_schedule(client: Client, settings: Settings, council: str | None = None) -> tuple[ScheduleHandle, str]:
    """Create the schedule, or update the existing one to this definition. Returns the handle and
    "created" or "updated"."""
    schedule = build_schedule(settings, council)
    ident = schedule_id(council)
    handle = client.get_schedule_handle(ident)
    try:
        await handle.describe()
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise
        try:
            return await client.create_schedule(ident, schedule), "created"
        except ScheduleAlreadyRunningError:
            pass  # created meanwhile by another `apply`: update it below

    def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(schedule=schedule)

    await handle.update(replace)
    return handle, "updated"
