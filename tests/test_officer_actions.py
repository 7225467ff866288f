"""Officer actions from the CLI on a real Temporal dev server: idempotent (a command run again is
the same action, answered once) and never hanging (a case stuck on a step, or with no worker,
answers within the configured wait, naming what it waits on), with `conduct show` telling the MO."""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any

from temporalio.api.enums.v1 import EventType

from activities.mail import MailTemporaryError, OutboxBackend, OutgoingMail
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


def on_queue(conduct: Conduct, queue: str) -> Conduct:
    """The same CLI and register, with cases opened on another task queue."""
    return dataclasses.replace(conduct, settings=conduct.settings.model_copy(update={"task_queue": queue}))


async def test_an_action_waiting_on_a_stuck_step_answers_in_time_and_names_the_step(conduct: Conduct) -> None:
    stuck = on_queue(conduct, f"conduct-stuck-{uuid.uuid4().hex[:8]}")
    relay = MailRelayDown(OutboxBackend(stuck.settings.resolved_outbox_dir))
    letters = LetterActivities(stuck.settings, backend=relay)
    async with build_worker(conduct.env.client, stuck.settings, letters, fail_fast=True):
        ref = await stuck.open_case()  # its acknowledgement cannot be sent: triage waits behind it

        began = time.monotonic()
        result = await conduct.run("triage", ref, "--notify", env={"CONDUCT_ACTION_WAIT_SECONDS": str(WAIT)})
        took = time.monotonic() - began
        assert result.exit_code == 1, result.output
        assert took < WAIT + 8, f"the command took {took:.1f} s"
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
        relay.up = True
        await conduct.ok("triage", ref, "--notify")
        case = await conduct.json("show", ref)
        assert case["stage"] == "assessment" and case["in_progress"] == []
        triages = [name for name, _ in await accepted_updates(conduct, ref) if name == "triage"]
        assert triages == ["triage"]


async def test_an_action_on_a_case_no_worker_serves_answers_in_time(conduct: Conduct) -> None:
    queue = f"conduct-no-worker-{uuid.uuid4().hex[:8]}"
    ref = await on_queue(conduct, queue).open_case()
    began = time.monotonic()
    result = await conduct.run("triage", ref, "--notify", env={"CONDUCT_ACTION_WAIT_SECONDS": str(WAIT)})
    took = time.monotonic() - began
    assert result.exit_code == 1, result.output
    assert took < WAIT + 8, f"the command took {took:.1f} s"
    message = " ".join(result.output.split())
    assert f"case {ref} did not answer within {WAIT} s" in message, message
    assert f"no worker is polling its task queue '{queue}'" in message and "make run" in message
