"""Replay guards the workflow against non-deterministic edits: the recorded history of a full
hearing case (tests/histories/full_hearing.json) must replay against today's code."""

import json

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from starter.client import DATA_CONVERTER
from tests.harness import CaseDriver
from tests.record_history import HISTORY
from tests.steps import drive_to_published_breach
from workflows.complaint import ComplaintWorkflow

EVENT_BUDGET = 500  # far below Temporal's 50,000-event limit; a full hearing case must fit


async def test_recorded_full_hearing_case_replays() -> None:
    history = WorkflowHistory.from_json("complaint-WBC-2029-0001", HISTORY.read_text())
    assert len(history.events) > 100  # a real, complete case, not a stub
    result = await Replayer(workflows=[ComplaintWorkflow], data_converter=DATA_CONVERTER).replay_workflow(history)
    assert result.replay_failure is None


async def test_todays_full_hearing_case_replays_and_fits_the_event_budget(driver: CaseDriver) -> None:
    case = await drive_to_published_breach(driver)
    await case.handle.result()
    history = await case.handle.fetch_history()
    assert len(history.events) < EVENT_BUDGET
    json.loads(history.to_json())
    await Replayer(workflows=[ComplaintWorkflow], data_converter=DATA_CONVERTER).replay_workflow(history)
