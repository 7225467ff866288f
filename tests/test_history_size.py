"""History budgets: a full hearing case, receipt to published decision notice, stays within an
event count and a byte count (Temporal's limits are 51,200 events and 50 MB, with warnings at
10,240 events and 10 MB; a case must stay far from them however long it runs, and a small history
replays fast when a worker wakes an evicted case). Bytes are the serialized events, which is what
Temporal counts; the JSON export is about three times larger (base64 payloads).

Measured as production writes history: through the project's data converter with a key ring, so
payloads are compressed and sealed (conduct/codec.py), under the case's own data key."""

from temporalio.api.enums.v1 import EventType
from temporalio.worker import Replayer

from conduct.codec import new_key_spec
from conduct.settings import Settings
from starter.client import data_converter
from tests.encrypted import encrypted_env
from tests.harness import CaseDriver
from tests.steps import drive_to_published_breach
from worker import WORKFLOWS, build_worker

EVENT_BUDGET = 550  # 531 measured: publication (R12), hearing papers (R9), sanctions' follow-ups (R17)
BYTE_BUDGET = 150_000


async def test_a_full_hearing_case_stays_within_its_history_budgets(settings: Settings) -> None:
    settings = settings.model_copy(update={"encryption_keys": new_key_spec("size")})
    async with encrypted_env(settings) as env, build_worker(env.client, settings, fail_fast=True):
        case = await drive_to_published_breach(CaseDriver(env, settings))
        await case.handle.result()  # R12: the run ends once the notice's publication window has passed
        history = await case.handle.fetch_history()
    size = sum(event.ByteSize() for event in history.events)
    events = list(history.events)
    assert events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    print(f"full hearing case: {len(events)} events, {size:,} bytes of history")
    assert len(events) <= EVENT_BUDGET
    assert size <= BYTE_BUDGET
    await Replayer(workflows=WORKFLOWS, data_converter=data_converter(settings)).replay_workflow(history)
