"""Complainant data in Temporal history is ciphertext; keys rotate; old plain payloads still read."""

import dataclasses

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.worker import Replayer

from conduct import actions as a
from conduct.codec import EncryptionCodec, KeyError_, new_key_spec, parse_keys
from conduct.settings import Settings
from starter.client import DATA_CONVERTER, data_converter
from tests import factories
from tests.encrypted import encrypted_env
from tests.harness import CaseDriver
from tests.steps import MO, RECEIVED
from worker import build_worker
from workflows.complaint import ComplaintWorkflow

OLD, NEW = new_key_spec("key-2025"), new_key_spec("key-2026")


async def test_round_trip_rotation_and_plain_payloads() -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"name": "Harriet Lomax"}')
    old_codec = EncryptionCodec(parse_keys(OLD))
    [sealed] = await old_codec.encode([plain])
    assert b"Harriet" not in sealed.SerializeToString()
    assert sealed.metadata["encryption-key-id"] == b"key-2025"
    rotated = EncryptionCodec(parse_keys(f"{NEW},{OLD}"))  # new key encrypts, old still decrypts
    assert await rotated.decode([sealed]) == [plain]
    [resealed] = await rotated.encode([plain])
    assert resealed.metadata["encryption-key-id"] == b"key-2026"
    assert await rotated.decode([plain]) == [plain]  # written before encryption was switched on
    with pytest.raises(KeyError_, match="key 'key-2026', which is not configured"):
        await old_codec.decode([resealed])
    [a1], [a2] = await rotated.encode([plain]), await rotated.encode([plain])
    assert a1.data != a2.data  # a fresh nonce each time


@pytest.mark.parametrize(
    ("spec", "message"),
    [("nokey", "id:base64"), ("k:!!!", "not valid base64"), ("k:c2hvcnQ=", "must be 32 bytes")],
)
def test_malformed_keys_are_refused(spec: str, message: str) -> None:
    with pytest.raises(KeyError_, match=message):
        parse_keys(spec)


async def test_history_holds_no_complainant_data_in_clear(tmp_path, settings: Settings) -> None:  # noqa: ANN001
    settings = settings.model_copy(update={"encryption_keys": NEW})
    async with encrypted_env(settings) as env:
        async with build_worker(env.client, settings, fail_fast=True):
            driver = CaseDriver(env, settings)
            await driver.travel_to_day(RECEIVED)
            case = await driver.open()
            await case.act("triage", a.Triage(officer=MO, notify=True))
            await case.settle()
            state = await case.status()  # the officers' client decodes
            assert state.intake.complainant.name == factories.COMPLAINANT_NAME
            history = await case.handle.fetch_history()
        raw = Client(env.client.service_client, namespace="default", data_converter=DATA_CONVERTER)
        raw_history = await raw.get_workflow_handle(case.handle.id).fetch_history()
        blob = raw_history.to_json()
        intake = factories.intake()
        for secret in (intake.complainant.name, str(intake.complainant.email), intake.description[:30]):
            assert secret not in blob
        assert "key-2026" in blob or "a2V5LTIwMjY" in blob  # the key id is in the metadata
        await Replayer(workflows=[ComplaintWorkflow], data_converter=data_converter(settings)).replay_workflow(history)


def test_settings_never_print_the_keys() -> None:
    settings = Settings(encryption_keys=NEW, _env_file=None)  # type: ignore[call-arg]
    assert NEW.split(":")[1] not in repr(settings)
    assert dataclasses.is_dataclass(data_converter(settings))
