"""Deadline computation as an activity, so each due date is recorded in workflow history.

Closure days are configuration and may change; once a deadline is in history, replay and later
configuration changes cannot move it.
"""

from temporalio import activity

from conduct import calendar
from conduct.deadline import Deadline, DeadlineRequest
from conduct.settings import get_settings


@activity.defn(name="compute_deadline")
async def compute_deadline(request: DeadlineRequest) -> Deadline:
    return calendar.compute_deadline(request, list(get_settings().closures))
