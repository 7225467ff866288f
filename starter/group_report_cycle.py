"""Starting the yearly cycle: one GroupReport workflow per political group with members on a
council (and a Group Leader on the roster to send the link to). Shared by `conduct group-reports
start` and the tests. London days become instants here, so the workflow only compares instants."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from conduct.calendar import LONDON, lapse_instant
from conduct.group_figures import groups_with_members
from conduct.group_report import GroupReportStart, workflow_id
from conduct.roster import Roster
from workflows.group_report import GroupReportWorkflow

REMIND_AT = time(9, 0)  # London


class CyclePlan(BaseModel):
    starts: list[GroupReportStart]
    skipped: dict[str, str]  # group -> why no workflow


class Started(BaseModel):
    group: str
    workflow_id: str
    new: bool


def plan_cycle(
    roster: Roster,
    council: str,
    period_from: date,
    period_to: date,
    due: date,
    grace_days: int,
    reminder_days: list[int],
) -> CyclePlan:
    if roster.council(council) is None:
        raise LookupError(f"council {council!r} is not on the roster")
    if period_to < period_from:
        raise ValueError("the period ends before it starts")
    if due < period_to:
        raise ValueError("the due date is before the end of the period")
    expires_on = due + timedelta(days=grace_days)
    reminders = sorted(
        {datetime.combine(due - timedelta(days=d), REMIND_AT, tzinfo=LONDON) for d in reminder_days if d > 0}
    )
    starts, skipped = [], {}
    for group in groups_with_members(roster, council):
        if roster.group_leader(council, group) is None:
            skipped[group] = "no Group Leader on the roster"
            continue
        starts.append(
            GroupReportStart(
                council=council,
                group=group,
                period_from=period_from,
                period_to=period_to,
                due=due,
                expires_on=expires_on,
                due_at=lapse_instant(due),
                expires_at=lapse_instant(expires_on),
                reminders_at=reminders,
            )
        )
    return CyclePlan(starts=starts, skipped=skipped)


async def start_cycle(client: Client, task_queue: str, plan: CyclePlan) -> list[Started]:
    """Start each workflow; one already running (or done) for the same council, period and group
    is left as it is, so running `start` twice starts nothing new."""
    started = []
    for start in plan.starts:
        ident = workflow_id(start.council, start.period_to, start.group)
        try:
            handle = await client.start_workflow(
                GroupReportWorkflow.run,
                start,
                id=ident,
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            started.append(Started(group=start.group, workflow_id=ident, new=False))
            continue
        started.append(Started(group=start.group, workflow_id=handle.id, new=True))
    return started
