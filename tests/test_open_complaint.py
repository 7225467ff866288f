"""Opening a complaint is idempotent: one submission key is one reference and one workflow,
however often and however concurrently it is posted."""

import asyncio
from datetime import date

import pytest
from sqlalchemy import text

from conduct.register import create_schema, make_engine
from starter.complaints import IntakeRefused, open_complaint
from tests import factories
from tests.harness import CaseDriver
from tests.steps import RECEIVED


async def test_same_submission_opens_one_case(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    engine = make_engine(driver.settings.resolved_database_url)
    create_schema(engine)
    intake, roster = factories.intake(), factories.roster()
    now = await driver.now()

    async def post(key: str):  # noqa: ANN202
        return await open_complaint(driver.client, driver.settings, engine, intake, roster, key, received_at=now)

    first, *again = await asyncio.gather(*(post("form-token-1") for _ in range(5)))
    assert {o.reference for o in [first, *again]} == {"WBC-2029-0001"}
    assert sum(o.new for o in [first, *again]) == 1
    other = await post("form-token-2")
    assert other.reference == "WBC-2029-0002" and other.new
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from intake_keys")).scalar_one() == 2
    handle = driver.client.get_workflow_handle(first.workflow_id)
    await driver.travel_to_day(date(2029, 11, 6))
    history = [e async for e in handle.fetch_history_events()]
    assert sum(1 for e in history if e.HasField("workflow_execution_started_event_attributes")) == 1
    # R14: a case may come to lead a thousand others, and replay them in one workflow task.
    started = history[0].workflow_execution_started_event_attributes
    assert started.workflow_task_timeout.ToSeconds() == driver.settings.case_task_timeout_seconds == 30


async def test_subject_member_must_belong_to_the_council(driver: CaseDriver) -> None:
    engine = make_engine(driver.settings.resolved_database_url)
    create_schema(engine)
    adur_member = next(m.id for m in factories.roster().members if m.council == "adur")
    intake = factories.intake(subject_members=[adur_member])
    with pytest.raises(IntakeRefused, match="is not a member of Worthing Borough Council"):
        await open_complaint(driver.client, driver.settings, engine, intake, factories.roster(), "k")
