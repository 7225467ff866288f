"""Officer actions from the CLI on a real Temporal dev server: idempotent (a command run again is
the same action, answered once) and never hanging (a case stuck on a step, or with no worker,
answers within the configured wait, naming what it waits on), with `conduct show` telling the MO."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from typer.testing import Result

from activities.mail import MailPermanentError, MailTemporaryError, OutboxBackend, OutgoingMail
from activities.notifications import LetterActivities
from conduct import actions as a
from conduct.action_ids import action_id
from starter.client import workflow_id
from tests import devserver_fixtures
from tests.devserver_fixtures import Conduct
from worker import build_worker
from workflows.complaint import ComplaintWorkflow

dev_server = devserver_fixtures.dev_server  # the fixtures of this module
conduct = devserver_fixtures.conduct

WAIT = 3  # CONDUCT_ACTION_WAIT_SECONDS for the commands that must give up
BOUND = WAIT + 8  # seconds: what such a command may take in all (describing the case included)


async def bounded(conduct: Conduct, *args: str) -> tuple[Result, float]:
    """Run a command that must give up within BOUND seconds; fail the test (not hang it) if it does not.
    The wait is also set in the process environment by the test: the worker's activities run in this
    process and may cache the settings between the runner's setting of the environment and its use."""
    began = time.monotonic()
    run = conduct.run(*args, env={"CONDUCT_ACTION_WAIT_SECONDS": str(WAIT)})
    try:
        result = await asyncio.wait_for(run, BOUND + 20)
    except TimeoutError:
        raise AssertionError(f"conduct {' '.join(args)} hung for more than {BOUND + 20} s") from None
    return result, time.monotonic() - began


def test_action_ids_are_stable_and_follow_the_case_the_action_and_the_payload() -> None:
    view = a.ConsultIndependentPerson(officer="mo", ip="ip-1", view="Merits investigation.")
    same = a.ConsultIndependentPerson.model_validate({"view": "Merits investigation.", "ip": "ip-1", "officer": "mo"})
    first = action_id("WBC-2026-0001", "consult_ip", view)
    assert first == action_id("WBC-2026-0001", "consult_ip", same)
    assert first.startswith("consult_ip-") and len(first) == len("consult_ip-") + 24
    others = {
        action_id("WBC-2026-0002", "consult_ip", view),
        action_id("WBC-2026-0001", "consult_ip", view.model_copy(update={"view": "No action."})),
        action_id("WBC-2026-0001", "consult_ip", view.model_copy(update={"officer": "deputy"})),
        action_id("WBC-2026-0001", "withdrawal_decision", view),
    }
    assert first not in others and len(others) == 4
    assert "Merits" not in first  # a hash: no case text in clear


async def accepted_updates(conduct: Conduct, reference: str) -> list[tuple[str, str]]:
    """(update name, update id) of every update the case accepted, from its history."""
    history = await conduct.env.client.get_workflow_handle(workflow_id(reference)).fetch_history()
    accepted = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            accepted.append((request.input.name, request.meta.update_id))
    return accepted


async def test_the_same_command_run_twice_is_one_action(conduct: Conduct) -> None:
    ref = await conduct.open_case()
    await conduct.ok("triage", ref, "--notify")
    view = ("consult-ip", ref, "--ip", "ip-1", "--text", "Merits investigation.")
    first = await conduct.ok(*view)
    again = await conduct.ok(*view)  # e.g. after a timeout: the officer runs the command again
    assert again.stdout == first.stdout and "view of ip-1 recorded" in first.stdout

    state = await conduct.env.client.get_workflow_handle(workflow_id(ref)).query(ComplaintWorkflow.status)
    assert [(c.ip, c.view) for c in state.consultations] == [("ip-1", "Merits investigation.")]
    payload = a.ConsultIndependentPerson(officer="mo", ip="ip-1", view="Merits investigation.")
    consulted = [u for u in await accepted_updates(conduct, ref) if u[0] == "consult_ip"]
    assert consulted == [("consult_ip", action_id(ref, "consult_ip", payload))]  # any client gets the same id

    # Another view (other text) is another action.
    await conduct.ok("consult-ip", ref, "--ip", "ip-1", "--text", "On reflection, no action.")
    state = await conduct.env.client.get_workflow_handle(workflow_id(ref)).query(ComplaintWorkflow.status)
    assert len(state.consultations) == 2


class MailRelayDown:
    """A mail relay that is down (every attempt a temporary failure) until it is brought back."""

    def __init__(self, outbox: OutboxBackend) -> None:
        self.outbox, self.up, self.attempts = outbox, False, 0

    def send(self, message: OutgoingMail) -> None:
        self.attempts += 1
        if not self.up:
            raise MailTemporaryError("mail relay mail.council.example:25 unreachable: connection refused")
        self.outbox.send(message)


class RefusesTheSubject:
    """A provider that will never accept the subject member's address."""

    def __init__(self, outbox: OutboxBackend, refused: str) -> None:
        self.outbox, self.refused = outbox, refused

    def send(self, message: OutgoingMail) -> None:
        if message.to == self.refused:
            raise MailPermanentError("550 5.1.1 mailbox unavailable", status=550)
        self.outbox.send(message)


def on_queue(conduct: Conduct, queue: str) -> Conduct:
    """The same CLI and register, with cases opened on another task queue."""
    return dataclasses.replace(conduct, settings=conduct.settings.model_copy(update={"task_queue": queue}))


async def test_an_action_waiting_on_a_stuck_step_answers_in_time_and_names_the_step(
    conduct: Conduct, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In the process environment too: the worker's activities read the settings in this process.
    monkeypatch.setenv("CONDUCT_ACTION_WAIT_SECONDS", str(WAIT))
    stuck = on_queue(conduct, f"conduct-stuck-{uuid.uuid4().hex[:8]}")
    relay = MailRelayDown(OutboxBackend(stuck.settings.resolved_outbox_dir))
    letters = LetterActivities(stuck.settings, backend=relay)
    async with build_worker(conduct.env.client, stuck.settings, letters, fail_fast=True):
        ref = await stuck.open_case()  # its acknowledgement cannot be sent: triage waits behind it

        result, took = await bounded(conduct, "triage", ref, "--notify")
        assert result.exit_code == 1, result.output
        assert took < BOUND, f"the command took {took:.1f} s: {result.output}"
        message = " ".join(result.output.split())
        assert (
            f"{ref}: triage was accepted and is still being carried out: "
            "waiting on sending the acknowledgement to complainant, attempt "
        ) in message, message
        assert "mail relay mail.council.example:25 unreachable" in message and "Traceback" not in message
        assert relay.attempts >= 2

        # `conduct show` tells the MO the same.
        shown = " ".join((await conduct.ok("show", ref)).stdout.split())
        assert "in progress sending the acknowledgement to complainant, attempt " in shown, shown
        case: dict[str, Any] = await conduct.json("show", ref)
        [step] = case["in_progress"]
        assert step["summary"] == "acknowledgement to complainant" and step["attempt"] >= 2
        assert "unreachable" in step["last_error"] and step["next_attempt_at"]
        assert case["stage"] == "triage"

        # The relay comes back; the officer runs the same command again and gets the first action's
        # answer: one triage, not two.
        relay.up = True  # the accepted triage completes on its own at the letter's next attempt
        for _ in range(150):  # the retries back off (2, 4, 8, 16 s): the next attempt may be a while
            if (await conduct.json("show", ref))["stage"] == "assessment":
                break
            await asyncio.sleep(0.3)
        await conduct.ok("triage", ref, "--notify")
        case = await conduct.json("show", ref)
        assert case["stage"] == "assessment" and case["in_progress"] == []
        triages = [name for name, _ in await accepted_updates(conduct, ref) if name == "triage"]
        assert triages == ["triage"]


async def test_an_action_on_a_case_no_worker_serves_answers_in_time(
    conduct: Conduct, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONDUCT_ACTION_WAIT_SECONDS", str(WAIT))
    queue = f"conduct-no-worker-{uuid.uuid4().hex[:8]}"
    ref = await on_queue(conduct, queue).open_case()
    result, took = await bounded(conduct, "triage", ref, "--notify")
    assert result.exit_code == 1, result.output
    assert took < BOUND, f"the command took {took:.1f} s"
    message = " ".join(result.output.split())
    assert f"case {ref} did not answer within {WAIT} s" in message, message
    assert f"no worker is polling its task queue '{queue}'" in message and "make run" in message


async def test_show_lists_the_letters_that_could_not_be_delivered(conduct: Conduct) -> None:
    refusing = on_queue(conduct, f"conduct-refusing-{uuid.uuid4().hex[:8]}")
    subject = conduct.roster.member("wbc-04")
    assert subject is not None
    backend = RefusesTheSubject(OutboxBackend(refusing.settings.resolved_outbox_dir), str(subject.email))
    letters = LetterActivities(refusing.settings, backend=backend)
    async with build_worker(conduct.env.client, refusing.settings, letters, fail_fast=True):
        ref = await refusing.open_case(subject_members=["wbc-04"])
        await conduct.ok("triage", ref, "--notify")  # the subject's letter is refused for good; the case goes on
        case = await conduct.json("show", ref)
        shown = " ".join((await conduct.ok("show", ref)).stdout.split())
    [failure] = case["delivery_failures"]
    assert (failure["template"], failure["role"], failure["to"]) == (
        "subject_notified", "subject_member", str(subject.email),
    )  # fmt: skip
    assert "550 5.1.1 mailbox unavailable" in failure["error"] and case["stage"] == "assessment"
    assert "Not delivered (1)" in shown and "subject_notified" in shown and "550 5.1.1 mailbox unavailable" in shown
