"""The Temporal Schedule that runs the reporting workflow: each quarter (1 April, 1 July,
1 October) and at year end (1 January: the fourth quarter and the calendar year), at 07:00
London time. `apply_schedule` creates it, or updates it in place when it exists: running it
twice leaves one schedule with the newest definition.

The retention schedule (`RETENTION_SCHEDULE_ID`) starts the `Retention` workflow on the 1st of
each month at 03:00 London time (`apply_retention_schedule`, also run by `conduct schedules apply`)."""

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
from conduct.retention import RetentionRequest
from conduct.settings import Settings
from workflows.reporting import ReportingWorkflow
from workflows.retention import RetentionWorkflow

SCHEDULE_ID = "conduct-reports"
RETENTION_SCHEDULE_ID = "conduct-retention"
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


def build_retention_schedule(settings: Settings) -> Schedule:
    """Monthly: the 1st at 03:00 London time; a run still going when the next is due is not doubled."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            RetentionWorkflow.run, RetentionRequest(), id=RETENTION_SCHEDULE_ID, task_queue=settings.task_queue
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    second=[ScheduleRange(0)],
                    minute=[ScheduleRange(0)],
                    hour=[ScheduleRange(3)],
                    day_of_month=[ScheduleRange(1)],
                    month=[ScheduleRange(1, 12)],
                    comment="retention: closed cases past their council's retention period",
                )
            ],
            time_zone_name=TIME_ZONE,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def apply_retention_schedule(client: Client, settings: Settings) -> tuple[ScheduleHandle, str]:
    """Create the monthly retention schedule, or update it in place."""
    return await _apply(client, RETENTION_SCHEDULE_ID, build_retention_schedule(settings))


async def apply_schedule(client: Client, settings: Settings, council: str | None = None) -> tuple[ScheduleHandle, str]:
    """Create the schedule, or update the existing one to this definition. Returns the handle and
    "created" or "updated"."""
    return await _apply(client, schedule_id(council), build_schedule(settings, council))


async def _apply(client: Client, ident: str, schedule: Schedule) -> tuple[ScheduleHandle, str]:
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
