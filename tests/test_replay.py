"""Replay guards open cases against non-deterministic edits: every recorded history in
tests/histories/ (one per path through a case, and one case left running at every stage; see
tests/history_paths.py) must replay against today's workflow code, decrypted with the production
converter and codec under the corpus's test-only key.

A failure here means the change would break cases already open: put it behind
`workflow.patched(...)` (README "Upgrading"); do not re-record the corpus to make it pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    Replayer,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from conduct.codec import ENCODING as ENCRYPTED
from starter.client import DATA_CONVERTER
from tests import corpus, factories
from tests.history_paths import ROUTES
from tests.record_histories import RUNNING
from worker import WORKFLOWS

EVENT_BUDGET = 500  # far below Temporal's 50,000-event limit; a full hearing case must fit
FILES = corpus.recorded()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_recorded_history_replays(path: Path) -> None:
    history = corpus.load(path)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=corpus.converter())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name} no longer replays: {result.replay_failure}"


PREVIOUS_RELEASE = sorted((corpus.HISTORIES / "release-2026-11-29").glob("*.json"))
"""The corpus as the previous release recorded it (every route, finished and left running at each
stage), kept when the corpus was recorded again for this one: cases opened by that code are in
flight when this code deploys, and must carry on under it."""


@pytest.mark.parametrize("path", PREVIOUS_RELEASE, ids=[p.stem for p in PREVIOUS_RELEASE])
async def test_the_previous_releases_histories_replay(path: Path) -> None:
    history = corpus.load(path)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=corpus.converter())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name} (previous release) no longer replays: {result.replay_failure}"


def test_the_previous_release_is_kept_whole() -> None:
    assert len(PREVIOUS_RELEASE) == 22 and sum(p.stem.startswith(RUNNING) for p in PREVIOUS_RELEASE) == 10


def test_the_corpus_has_one_history_per_route_and_nothing_else() -> None:
    assert [p.stem for p in FILES] == sorted(ROUTES), "re-record with `python -m tests.record_histories`"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_running_histories_are_open_and_the_others_closed(path: Path) -> None:
    events = corpus.load(path).events
    completed = any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED for e in events)
    assert completed is not path.stem.startswith(RUNNING)


def payloads(message: Message, where: str = "") -> Iterator[tuple[str, Payload]]:
    """Every payload inside a history event, with the path of fields that leads to it; search
    attributes (never encrypted, and kept free of personal data) are left out."""
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE or field.name == "search_attributes":
            continue
        if field.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif isinstance(value, Message):
            items = [value]
        else:
            items = list(value)
        for item in items:
            if isinstance(item, Payload):
                yield f"{where}.{field.name}", item
            elif isinstance(item, Message):
                yield from payloads(item, f"{where}.{field.name}")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_recorded_payloads_are_encrypted(path: Path) -> None:
    """Recorded as production writes history: every payload but the SDK's own patch markers is
    ciphertext, and no complainant detail is readable in the file."""
    clear = [
        where
        for event in corpus.load(path).events
        for where, payload in payloads(event)
        if payload.metadata.get("encoding") != ENCRYPTED and not where.startswith(".marker_recorded")
    ]
    assert clear == []
    text = path.read_text()
    for detail in (factories.COMPLAINANT_NAME, str(factories.intake().complainant.email)):
        assert detail not in text


async def test_recorded_history_needs_the_key() -> None:
    """Decoding with the plain converter fails: the corpus really is ciphertext."""
    history = corpus.load(corpus.path_for("no_action"))
    result = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert result.replay_failure is not None


PATCH = "test-only-pause-on-start"


class PauseOnStart(Interceptor):
    """A change to what every case does first (a one-second timer before the procedure), made
    behind `workflow.patched` or, with `patched=False`, carelessly."""

    def __init__(self, patched: bool) -> None:
        self.patched = patched

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        patched = self.patched

        class Pause(WorkflowInboundInterceptor):
            async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
                if not patched or workflow.patched(PATCH):
                    await workflow.sleep(timedelta(seconds=1))
                return await super().execute_workflow(input)

        return Pause


RUNNING_FILES = [p for p in FILES if p.stem.startswith(RUNNING)]


@pytest.mark.parametrize("patched", [True, False], ids=["patched", "unpatched"])
async def test_a_patch_keeps_the_cases_in_flight_replaying(patched: bool) -> None:
    """The same new step replays against every case in flight when it is behind a patch, and
    breaks every one of them when it is not: the corpus catches the difference."""
    replayer = Replayer(workflows=WORKFLOWS, data_converter=corpus.converter(), interceptors=[PauseOnStart(patched)])
    failures = []
    for path in RUNNING_FILES:
        result = await replayer.replay_workflow(corpus.load(path), raise_on_replay_failure=False)
        failures.append(type(result.replay_failure).__name__ if result.replay_failure else None)
    assert len(RUNNING_FILES) == 12
    assert failures == ([None] * 12 if patched else ["NondeterminismError"] * 12)


BEFORE_WEEKLY_ESCALATION = corpus.HISTORIES / "before-escalate-weekly" / "running_assessment_lapsed.json"
"""A case whose assessment clock lapsed and escalated once, still waiting, recorded by the code
as it was before weekly re-escalation (`workflows/clocks.py`, patch "escalate-weekly"): the
clock watcher then waited for the action without a timer."""


@pytest.mark.parametrize("guarded", [True, False], ids=["patched", "unguarded"])
async def test_weekly_escalation_is_a_real_patch_that_in_flight_cases_replay(guarded: bool) -> None:
    from tests.unguarded_escalation import UnguardedEscalationWorkflow

    workflows = WORKFLOWS if guarded else [UnguardedEscalationWorkflow]
    history = corpus.load(BEFORE_WEEKLY_ESCALATION)
    result = await Replayer(workflows=workflows, data_converter=corpus.converter()).replay_workflow(
        history, raise_on_replay_failure=False
    )
    if guarded:
        assert result.replay_failure is None
    else:
        assert type(result.replay_failure).__name__ == "NondeterminismError"
