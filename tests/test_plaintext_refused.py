"""The servers' codec refuses payloads in clear on cases opened with encryption on (issue 12), and
still reads the histories of cases recorded before encryption (CONDUCT_PLAINTEXT_CASES).

Reproduction: the bare `temporal workflow update execute --input '{...}'` sends its input as a
`json/plain` payload, and the codec let it through to the workflow. Here a client without the
keys (the project's pydantic converter, no codec) sends the same payload in clear.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from conduct import actions as a
from conduct.actions import ActionResult
from conduct.codec import REFUSED_ENCODING, EncryptionCodec, PlaintextPolicy, new_key_spec, parse_keys
from conduct.settings import Settings
from conduct.vocabulary import Stage
from starter.client import DATA_CONVERTER, data_converter, workflow_id
from tests import encrypted, factories
from tests.harness import Case, CaseDriver
from tests.steps import MO, RECEIVED
from worker import build_worker
from workflows.complaint import ComplaintWorkflow

KEYS = new_key_spec("key-2026")
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"officer": "mo", "notify": true}')


def _context(workflow_id: str) -> WorkflowSerializationContext:
    return WorkflowSerializationContext(namespace="default", workflow_id=workflow_id)


async def test_the_servers_codec_refuses_plaintext_except_on_cases_recorded_before_encryption() -> None:
    codec = EncryptionCodec(parse_keys(KEYS), PlaintextPolicy.of(True, ["WBC-2025-0007", "group-report-x"]))
    [sealed] = await codec.with_context(_context("complaint-WBC-2026-0001")).encode([PLAIN])
    for context in (
        _context("complaint-WBC-2026-0001"),
        ActivitySerializationContext(
            namespace="default",
            activity_id="1",
            activity_type="send_letter",
            activity_task_queue="conduct",
            workflow_id="complaint-WBC-2026-0001",
            workflow_type="Complaint",
            is_local=False,
        ),
    ):
        bound = codec.with_context(context)
        assert await bound.decode([sealed]) == [PLAIN]  # ciphertext: always read
        [refused] = await bound.decode([PLAIN])
        assert refused.metadata["encoding"] == REFUSED_ENCODING and b"officer" not in refused.SerializeToString()
    [refused] = await codec.decode([PLAIN])  # no case known: refused too
    assert refused.metadata["encoding"] == REFUSED_ENCODING
    for before in ("complaint-WBC-2025-0007", "group-report-x"):
        assert await codec.with_context(_context(before)).decode([PLAIN]) == [PLAIN]
    relaxed = EncryptionCodec(parse_keys(KEYS), PlaintextPolicy.of(False))
    assert await relaxed.with_context(_context("complaint-WBC-2026-0001")).decode([PLAIN]) == [PLAIN]
    assert await EncryptionCodec(parse_keys(KEYS)).decode([PLAIN]) == [PLAIN]  # the UI's endpoint: shown as is


def test_settings_read_the_plaintext_policy() -> None:
    settings = Settings(encryption_keys=KEYS, plaintext_cases="WBC-2025-0007, WBC-2025-0008", _env_file=None)  # type: ignore[call-arg]
    assert settings.refuse_plaintext is True
    assert settings.plaintext_cases == ["WBC-2025-0007", "WBC-2025-0008"]
    codec = data_converter(settings).payload_codec
    assert isinstance(codec, EncryptionCodec)


@pytest_asyncio.fixture
async def encrypted_env(settings: Settings) -> AsyncIterator[tuple[WorkflowEnvironment, Settings]]:
    settings = settings.model_copy(update={"encryption_keys": KEYS})
    async with encrypted.encrypted_env(settings) as env:
        yield env, settings


def _without_keys(env: WorkflowEnvironment) -> Client:
    """Someone who can reach Temporal but holds no key: the project's converter, no codec."""
    return Client(env.client.service_client, namespace="default", data_converter=DATA_CONVERTER)


async def _accepted_updates(case: Case) -> int:
    history = await case.handle.fetch_history()
    return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED for e in history.events)


async def test_an_action_sent_in_clear_is_refused_and_the_case_is_unchanged(
    encrypted_env: tuple[WorkflowEnvironment, Settings],
) -> None:
    env, settings = encrypted_env
    async with build_worker(env.client, settings, fail_fast=True):
        driver = CaseDriver(env, settings)
        await driver.travel_to_day(RECEIVED)
        case = await driver.open()
        await case.settle()
        before = await case.status()
        accepted = await _accepted_updates(case)
        bare = _without_keys(env).get_workflow_handle(case.handle.id)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await bare.execute_update("triage", a.Triage(officer=MO, notify=True), result_type=ActionResult)
        assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "PlaintextRefused"
        # the same input as the bare CLI sends it: one json/plain payload
        raw = dataclasses.replace(DATA_CONVERTER)
        assert (await raw.encode([json.loads(PLAIN.data)]))[0].metadata["encoding"] == b"json/plain"
        await bare.signal("linked_with", "WBC-2029-9999")  # a signal in clear is dropped
        await case.settle()
        after = await case.status()
        assert after.stage == before.stage == Stage.TRIAGE
        assert after.timeline == before.timeline and "WBC-2029-9999" not in after.linked
        assert await _accepted_updates(case) == accepted  # nothing entered history
        # the case still works for an officer whose action is encrypted
        result = await case.act("triage", a.Triage(officer=MO, notify=True))
        assert result is not None
        assert await _accepted_updates(case) == accepted + 1


async def test_a_case_opened_in_clear_fails_at_once(encrypted_env: tuple[WorkflowEnvironment, Settings]) -> None:
    env, settings = encrypted_env
    async with build_worker(env.client, settings, fail_fast=True):
        driver = CaseDriver(env, settings)
        await driver.travel_to_day(RECEIVED)
        start = factories.start_complaint(reference="WBC-2029-0666", received_at=await driver.now())
        forged = await _without_keys(env).start_workflow(
            ComplaintWorkflow.run, start, id=workflow_id("WBC-2029-0666"), task_queue=settings.task_queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await forged.result()
        assert isinstance(failed.value.cause, ApplicationError) and failed.value.cause.type == "PlaintextRefused"


async def test_a_case_recorded_before_encryption_stays_readable_when_listed(
    encrypted_env: tuple[WorkflowEnvironment, Settings],
) -> None:
    env, settings = encrypted_env
    plain_settings = settings.model_copy(update={"encryption_keys": "", "worker_cached_cases": 0})  # no sticky queue
    plain_client = _without_keys(env)
    async with build_worker(plain_client, plain_settings, fail_fast=True):
        driver = CaseDriver(env, plain_settings)
        driver.client = plain_client
        await driver.travel_to_day(RECEIVED)
        case = await driver.open()
        await case.settle()
    listed = settings.model_copy(update={"plaintext_cases": [case.reference]})
    client = Client(env.client.service_client, namespace="default", data_converter=data_converter(listed))
    async with build_worker(client, listed, fail_fast=True):  # a new worker: it replays the history in clear
        handle = client.get_workflow_handle(case.handle.id)
        state = await handle.query(ComplaintWorkflow.status)
        assert state.reference == case.reference and state.stage == Stage.TRIAGE
        result = await Case(CaseDriver(env, listed), handle, case.reference).act(
            "triage", a.Triage(officer=MO, notify=True)
        )
        assert result is not None
