"""Temporal cannot be used to go around the officers' service (issue 12): every officer action
carries the service's signature over the case, the action, the payload, the officer, the update
id and the time, and the workflow's validator refuses anything else before it enters history.

Reproduction: with nothing but access to Temporal, `final_report` as io-1, `schedule_hearing` as
dem and `issue_notice` as mo closed a case with a forged breach that was then published."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from conduct import actions as a
from conduct import attestation
from conduct.actions import ActionResult
from conduct.attestation_keys import attest, key_id, raw_public, signing_key
from conduct.settings import Settings
from conduct.vocabulary import Stage
from tests.harness import Case, CaseDriver
from tests.steps import MO, RECEIVED
from worker import build_worker


async def opened(driver: CaseDriver) -> Case:
    await driver.travel_to_day(RECEIVED)
    return await driver.open()


async def refused(case: Case, update: str, payload: a.OfficerAction, update_id: str) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.handle.execute_update(update, payload, id=update_id, result_type=ActionResult)
    return str(err.value.cause)


async def accepted_updates(case: Case) -> int:
    return sum(
        1
        for e in await case.history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    )


async def test_an_action_without_an_attestation_is_refused_and_the_case_unchanged(driver: CaseDriver) -> None:
    case = await opened(driver)
    reason = await refused(case, "triage", a.Triage(officer=MO, notify=True), "triage-bare")
    assert "carries no attestation" in reason and case.reference in reason
    state = await case.status()
    assert state.stage is Stage.TRIAGE and state.subject_notified is None
    assert await accepted_updates(case) == 0


async def test_a_forged_misused_or_stale_attestation_is_refused(driver: CaseDriver) -> None:
    case = await opened(driver)
    now = await driver.env.get_current_time()
    payload = a.Triage(officer=MO, notify=True)
    forger = Ed25519PrivateKey.generate()
    kid, _ = signing_key(driver.settings)
    forged = payload.model_copy(
        update={"attestation": attestation.sign(forger, kid, case.reference, "triage", payload, "t-1", now)}
    )
    assert "does not verify" in await refused(case, "triage", forged, "t-1")
    unknown = payload.model_copy(
        update={"attestation": attestation.sign(forger, "att-other", case.reference, "triage", payload, "t-2", now)}
    )
    assert "unknown key" in await refused(case, "triage", unknown, "t-2")
    # A genuine attestation for another payload, officer, case or update id does not carry over.
    withhold = attest(driver.settings, case.reference, "triage", payload, "t-3", now)
    swapped = a.Triage(officer=MO, notify=False, reason="Prejudice.", attestation=withhold.attestation)
    assert "another payload" in await refused(case, "triage", swapped, "t-3")
    assert "another update id" in await refused(case, "triage", withhold, "t-4")
    other_case = attest(driver.settings, "WBC-2029-0099", "triage", payload, "t-5", now)
    assert "another case" in await refused(case, "triage", other_case, "t-5")
    stale = attest(driver.settings, case.reference, "triage", payload, "t-6", now - timedelta(hours=1))
    assert "stale" in await refused(case, "triage", stale, "t-6")
    assert await accepted_updates(case) == 0
    assert (await case.status()).stage is Stage.TRIAGE


async def test_keys_rotate_by_id_while_cases_stay_open(env: WorkflowEnvironment, settings: Settings) -> None:
    """The workers trust the new key and the old one; actions signed with either go through."""
    old_kid, old_key = signing_key(settings)
    new_key = Ed25519PrivateKey.generate()
    new_kid = key_id(new_key.public_key())
    rotated = settings.model_copy(
        update={
            "attestation_public_keys": f"{new_kid}:{raw_public(new_key.public_key())},"
            f"{old_kid}:{raw_public(old_key.public_key())}"
        }
    )
    async with build_worker(env.client, rotated, fail_fast=True):
        driver = CaseDriver(env, settings)
        case = await opened(driver)
        now = await env.get_current_time()
        payload = a.Triage(officer=MO, notify=True)
        signed = payload.model_copy(
            update={"attestation": attestation.sign(new_key, new_kid, case.reference, "triage", payload, "t-1", now)}
        )
        result = await case.handle.execute_update("triage", signed, id="t-1", result_type=ActionResult)
        assert result.stage == "assessment"
        await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Merits a look."))


async def test_links_sent_straight_to_temporal_are_ignored_and_signed_ones_taken(driver: CaseDriver) -> None:
    """R14's links are signals between cases, which have no validator: with nothing but access to
    Temporal, `linked_with` / `unlinked_from` linked and unlinked any two cases. Each now carries the
    officer's signed action, and the receiving case checks it."""
    from workflows.linking import LinkNotice
    from workflows.record import UnlinkNotice

    await driver.travel_to_day(RECEIVED)
    first = await driver.open("WBC-2029-0001")
    second = await driver.open("WBC-2029-0002")
    bare = a.Link(officer=MO, other_reference=second.reference, other_subjects=["wbc-04"])
    await second.handle.signal("linked_with", first.reference)  # a bare reference, as before
    await second.handle.signal("linked_with", LinkNotice(reference=first.reference, link=bare))  # unsigned
    forged = attest(
        driver.settings, first.reference, "link", bare.model_copy(update={"other_reference": "WBC-2029-0099"}), "u"
    )
    await second.handle.signal("linked_with", LinkNotice(reference=first.reference, link=forged))  # another case's
    state = await second.status()
    assert state.linked == []
    ignored = [t.summary for t in state.timeline if t.event == "link_refused"]
    assert len(ignored) == 3 and "no signed action" in ignored[0] and "names another case" in ignored[2], ignored

    await first.act("link", bare)  # through the service: signed, and both cases record it
    assert (await second.status()).linked == [first.reference]
    from conduct.record_actions import Unlink

    unsigned = Unlink(officer=MO, other_reference=second.reference, reason="forged")
    await second.handle.signal("unlinked_from", UnlinkNotice(reference=first.reference, reason="x", unlink=unsigned))
    await second.handle.signal("unlinked_from", UnlinkNotice(reference=first.reference, reason="x"))
    assert (await second.status()).linked == [first.reference]


async def test_a_link_is_judged_when_it_arrives_and_survives_a_worker_that_no_longer_trusts_its_key(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    """Reproduction: a link reached the other case as a signal, whose signature was checked in its
    handler, and so again on every replay, against the keys the replaying worker trusts. A worker
    started without the key it was signed with (a rotation that dropped it) replayed the case
    without its link. A link now arrives as an update (`link_arrived`), judged by its validator,
    which replay never runs; one sent straight to Temporal unsigned, or signed for another case, is
    refused and leaves nothing."""
    from conduct.record_actions import Unlink
    from workflows.linking import LinkNotice
    from workflows.record import UnlinkNotice

    settings = settings.model_copy(update={"worker_cached_cases": 0})  # every task and query replays the case
    async with build_worker(env.client, settings, fail_fast=True):
        driver = CaseDriver(env, settings)
        await driver.travel_to_day(RECEIVED)
        first, second, third = [await driver.open(f"WBC-2029-000{n}") for n in (1, 2, 3)]
        link = a.Link(officer=MO, other_reference=second.reference, other_subjects=["wbc-04"])
        for notice, why in (
            (LinkNotice(reference=first.reference, link=link), "carries no attestation"),
            (LinkNotice(reference=third.reference, link=attest(settings, first.reference, "link", link, "u")),
             "given for another case"),
        ):  # fmt: skip
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await second.handle.execute_update("link_arrived", notice)
            assert why in str(refused.value.cause)
        unlink = Unlink(officer=MO, other_reference=second.reference, reason="forged")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await second.handle.execute_update("unlink_arrived", UnlinkNotice(reference=first.reference, unlink=unlink))
        assert "an unlink from WBC-2029-0001 was refused" in str(refused.value.cause)
        assert (await second.status()).linked == []

        await first.act("link", link)
        assert (await second.status()).linked == [first.reference]
        events = (await second.handle.fetch_history()).events
        arrived = [e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name for e in events
                   if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]  # fmt: skip
        assert arrived == ["link_arrived"]
        assert not any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED for e in events)

        trusted = attestation.trusted()
        attestation._trusted.clear()  # the key the link was signed with has been dropped
        try:
            assert (await second.status()).linked == [first.reference]  # replayed without it
        finally:
            attestation._trusted.update(trusted)
