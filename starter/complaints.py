"""Opening a complaint: the one way every client (web form, webhook, CLI, dev runner) starts a
complaint workflow. Idempotent by submission key."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from conduct import search
from conduct.intake import ComplaintIntake, StartComplaint
from conduct.intake_keys import reference_for
from conduct.procedure import ProcedureSettings
from conduct.roster import Roster
from conduct.settings import Settings
from conduct.vocabulary import Stage
from starter.client import workflow_id
from workflows.complaint import ComplaintWorkflow


class OpenedComplaint(BaseModel):
    reference: str
    workflow_id: str
    new: bool


class IntakeRefused(ValueError):
    """The complaint does not fit the roster (unknown council or member)."""


def check_against_roster(intake: ComplaintIntake, roster: Roster) -> None:
    council = roster.council(intake.council)
    if council is None:
        raise IntakeRefused(f"unknown council {intake.council!r}")
    for member_id in intake.subject_members:
        member = roster.member(member_id)
        if member is None or not member.sits_on(intake.council):  # a dual-hatted member: any of their councils
            raise IntakeRefused(f"{member_id!r} is not a member of {council.name}")


async def open_complaint(
    client: Client,
    settings: Settings,
    engine: Engine,
    intake: ComplaintIntake,
    roster: Roster,
    key: str,
    received_at: datetime | None = None,
    procedure: ProcedureSettings | None = None,
    digest: str | None = None,
) -> OpenedComplaint:
    """Start (or find) the workflow of submission `key`. The search attributes carry no
    complainant data: codecs do not encrypt them. With `digest` (of what was submitted), a key
    already used for another complaint raises conduct.intake_keys.KeyReused."""
    check_against_roster(intake, roster)
    council = roster.council(intake.council)
    assert council is not None
    received_at = received_at or datetime.now(UTC)
    # The register is synchronous SQL: keep it off the event loop (the web app serves on it).
    reference, new = await asyncio.to_thread(reference_for, engine, key, council.code, received_at.year, digest)
    groups = sorted({m.group_on(intake.council) for m in (roster.member(i) for i in intake.subject_members) if m})
    start = StartComplaint(
        reference=reference,
        received_at=received_at,
        intake=intake,
        roster=roster,
        procedure=procedure or ProcedureSettings(),
    )
    # WorkflowAlreadyStarted: the same submission, whose case has already closed.
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await _start(client, settings, start, groups)
    return OpenedComplaint(reference=reference, workflow_id=workflow_id(reference), new=new)


async def _start(client: Client, settings: Settings, start: StartComplaint, groups: list[str]) -> None:
    reference, intake = start.reference, start.intake
    await client.start_workflow(
        ComplaintWorkflow.run,
        start,
        id=workflow_id(reference),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        task_timeout=timedelta(seconds=settings.case_task_timeout_seconds),  # R14: a lead replays in seconds
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(search.REFERENCE, reference),
                SearchAttributePair(search.COUNCIL, intake.council),
                SearchAttributePair(search.STAGE, Stage.TRIAGE.value),
                SearchAttributePair(search.SUBJECT_MEMBERS, intake.subject_members),
                SearchAttributePair(search.GROUPS, groups),
            ]
        ),
    )
