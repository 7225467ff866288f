"""Drives complaint workflows on the time-skipping server the way officers would."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from conduct.actions import ActionResult
from conduct.attestation_keys import attest
from conduct.case import CaseState
from conduct.intake import StartComplaint
from conduct.settings import Settings
from starter.client import workflow_id
from tests import factories
from workflows.complaint import ComplaintWorkflow

LONDON = ZoneInfo("Europe/London")


def at(d: date, hour: int = 10) -> datetime:
    """A London wall-clock time on day `d` (tests speak in the council's dates)."""
    return datetime.combine(d, time(hour), tzinfo=LONDON)


class Refused(Exception):
    pass


class Case:
    def __init__(self, driver: CaseDriver, handle: WorkflowHandle, reference: str) -> None:
        self.driver, self.handle, self.reference = driver, handle, reference

    async def attested(self, update: str, payload: BaseModel, update_id: str) -> BaseModel:
        """`payload` as the officers' service sends it: signed for this case, action and id."""
        now = await self.driver.env.get_current_time()
        return attest(self.driver.settings, self.reference, update, payload, update_id, now)

    async def act(self, update: str, payload: BaseModel) -> ActionResult:
        """Run an officer action; a validator's refusal becomes `Refused(reason)`."""
        update_id = f"{update}-{uuid.uuid4().hex[:12]}"
        signed = await self.attested(update, payload, update_id)
        try:
            return await self.handle.execute_update(update, signed, id=update_id, result_type=ActionResult)
        except WorkflowUpdateFailedError as err:
            raise Refused(str(err.cause)) from err

    async def settle(self, timeout: float = 10) -> None:
        """Wait until the workflow is idle: no activity in flight and its history unchanged over a
        few polls (the time-skipping server does not report pending workflow tasks)."""
        # The raw description: the time-skipping server keeps an unset Datetime search attribute
        # as a null payload, which the client's decoding of `describe()` cannot read.
        request = DescribeWorkflowExecutionRequest(
            namespace=self.driver.client.namespace, execution=WorkflowExecution(workflow_id=self.handle.id)
        )
        last, steady = -1, 0
        for _ in range(int(timeout / 0.03)):
            raw = await self.driver.client.workflow_service.describe_workflow_execution(request)
            length = raw.workflow_execution_info.history_length
            steady = steady + 1 if length == last and not raw.pending_activities else 0
            if steady >= 3:
                return
            last = length
            await asyncio.sleep(0.03)
        raise AssertionError(f"{self.reference} did not settle within {timeout}s")

    async def status(self) -> CaseState:
        return await self.handle.query(ComplaintWorkflow.status)

    async def history_events(self) -> list[Any]:
        return [e async for e in self.handle.fetch_history_events()]

    async def letters(self, template: str | None = None) -> list[tuple[str, str]]:
        state = await self.status()
        return [(r.template.value, r.role.value) for r in state.letters if template in (None, r.template.value)]

    def outbox(self) -> list[email.message.EmailMessage]:
        messages = []
        for path in sorted(self.driver.outbox.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if msg["X-Conduct-Reference"] == self.reference:
                messages.append(msg)
        return messages


class CaseDriver:
    def __init__(self, env: WorkflowEnvironment, settings: Settings) -> None:
        self.env, self.settings = env, settings
        self.client = env.client

    @property
    def outbox(self) -> Path:
        return self.settings.resolved_outbox_dir

    async def now(self) -> datetime:
        return (await self.env.get_current_time()).astimezone(LONDON)

    async def travel_to(self, when: datetime) -> None:
        """Skip the server's clock forward to `when` (never backwards)."""
        delta = when - await self.now()
        if delta < timedelta(0):
            raise AssertionError(f"cannot travel back to {when}; it is {await self.now()}")
        await self.env.sleep(delta)

    async def travel_to_day(self, d: date, hour: int = 10) -> None:
        await self.travel_to(at(d, hour))

    async def open(self, reference: str = "WBC-2029-0001", **overrides: Any) -> Case:
        start: StartComplaint = factories.start_complaint(
            reference=reference, received_at=await self.now(), **overrides
        )
        handle = await self.client.start_workflow(
            ComplaintWorkflow.run, start, id=workflow_id(reference), task_queue=self.settings.task_queue
        )
        case = Case(self, handle, reference)
        await case.settle()  # receipt: acknowledgement sent, assessment clock started
        return case
