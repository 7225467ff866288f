"""Giving open cases the roster in force. Each case keeps the roster it has (the facts fixed at
receipt stay in its state); `conduct roster import` sends a new roster to every running case
once it is stored, and `conduct roster push` sends the roster in force again (after Temporal was
down, or a case refused).

Each case gets the workflow's `update_roster` officer action, with an update id made from the
case, the roster's number in the register and its content: a re-run (or a push after an import
that reached the case) is answered with the first result and does not apply twice, while an
import of a roster seen before (a revert) is a new number and so a new update.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel

from conduct.action_ids import DIGEST_CHARS, canonical_json
from conduct.actions import Action, ActionResult, UpdateRoster
from conduct.vocabulary import Role
from starter.client import workflow_id
from starter.output import CliError, Exit, esc, out

if TYPE_CHECKING:
    from pathlib import Path

    from temporalio.client import Client

    from conduct.roster import Roster
    from conduct.settings import Settings

RUNNING = "WorkflowType='Complaint' AND ExecutionStatus='Running'"
DEFAULT_REASON = "roster import"
IN_FLIGHT = 8  # cases updated at once: enough to go through thousands in minutes, gentle on the worker
ACCEPT_TIMEOUT = timedelta(seconds=20)  # for the case to accept or refuse the update
APPLY_TIMEOUT = 30.0  # seconds for an accepted update to finish; after that it is reported as under way
KEEPERS = frozenset({Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER})


class Outcome(StrEnum):
    UPDATED = "updated"
    UNDER_WAY = "accepted, still being applied"
    CLOSED = "closed meanwhile"
    REFUSED = "refused"
    FAILED = "failed"


class CaseLine(BaseModel):
    reference: str
    outcome: Outcome
    detail: str = ""

    def text(self) -> str:
        return f"{self.reference}  {self.outcome.value}" + (f": {self.detail}" if self.detail else "")


class PushReport(BaseModel):
    number: int
    lines: list[CaseLine] = []

    def count(self, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.outcome is outcome)

    @property
    def ok(self) -> bool:
        return not (self.count(Outcome.REFUSED) or self.count(Outcome.FAILED))

    def total(self) -> str:
        parts = [f"{self.count(o)} {o.value}" for o in Outcome if self.count(o) or o is Outcome.UPDATED]
        cases = len(self.lines)
        return f"roster {self.number} sent to {cases} open case{'s' if cases != 1 else ''}: {', '.join(parts)}"


def update_id(reference: str, number: int, roster: Roster) -> str:
    """`update_roster-{digest}` over the case, the roster's number and its content."""
    material = json.dumps([reference, number, canonical_json(roster)], separators=(",", ":"), ensure_ascii=False)
    return f"{Action.UPDATE_ROSTER.value}-{hashlib.sha256(material.encode('utf-8')).hexdigest()[:DIGEST_CHARS]}"


def check_sender(roster: Roster, officer_id: str, instead: str) -> None:
    """The officer who sends a roster to the cases must be the MO or a deputy on that roster (the
    cases check it again); refused (exit 3) before anything is stored or sent."""
    officer = roster.officer(officer_id)
    if officer is None or not KEEPERS & set(officer.roles):
        raise CliError(
            Exit.REFUSED,
            f"{officer_id} is not the monitoring officer or a deputy on this roster, so open cases would refuse "
            f"it from them: {instead}",
        )


async def running_cases(client: Client) -> list[str]:
    """References of every running complaint, through visibility (about a second behind)."""
    return sorted([execution.id.removeprefix("complaint-") async for execution in client.list_workflows(RUNNING)])


async def push_roster(
    settings: Settings, client: Client, number: int, roster: Roster, officer_id: str, reason: str
) -> PushReport:
    """Send the roster to every running case, a few at a time; one line per case, never raises for one case."""
    payload = UpdateRoster(officer=officer_id, roster=roster, reason=reason)
    references = await running_cases(client)
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(reference: str) -> CaseLine:
        async with gate:
            return await _update_case(settings, client, reference, update_id(reference, number, roster), payload)

    return PushReport(number=number, lines=list(await asyncio.gather(*(one(r) for r in references))))


async def _update_case(
    settings: Settings, client: Client, reference: str, update: str, payload: UpdateRoster
) -> CaseLine:
    from temporalio.client import (
        WorkflowUpdateFailedError,
        WorkflowUpdateRPCTimeoutOrCancelledError,
        WorkflowUpdateStage,
    )
    from temporalio.service import RPCError, RPCStatusCode

    from conduct.attestation_keys import attest
    from starter.session import refusal_reason

    handle = client.get_workflow_handle(workflow_id(reference))
    payload = attest(settings, reference, Action.UPDATE_ROSTER.value, payload, update)
    try:
        started = await handle.start_update(
            Action.UPDATE_ROSTER.value,
            payload,
            id=update,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            result_type=ActionResult,
            rpc_timeout=ACCEPT_TIMEOUT,
        )
        await asyncio.wait_for(started.result(), APPLY_TIMEOUT)
    except WorkflowUpdateFailedError as error:
        return CaseLine(reference=reference, outcome=Outcome.REFUSED, detail=refusal_reason(error))
    except TimeoutError:
        return CaseLine(reference=reference, outcome=Outcome.UNDER_WAY, detail="see `conduct show`")
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        return CaseLine(reference=reference, outcome=Outcome.FAILED, detail="no answer in time: is the worker running?")
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:  # closed since it was listed: nothing to update
            return CaseLine(reference=reference, outcome=Outcome.CLOSED)
        return CaseLine(reference=reference, outcome=Outcome.FAILED, detail=" ".join(str(error).split())[:300])
    except Exception as error:  # one case's surprise must not hide the other cases' lines
        return CaseLine(reference=reference, outcome=Outcome.FAILED, detail=type(error).__name__)
    return CaseLine(reference=reference, outcome=Outcome.UPDATED)


def print_report(report: PushReport) -> None:
    console = out()
    for line in report.lines:
        colour = "red" if line.outcome in (Outcome.REFUSED, Outcome.FAILED) else "green"
        console.print(f"[{colour}]{esc(line.text())}[/{colour}]", soft_wrap=True)
    console.print(esc(report.total()), soft_wrap=True)


# ----------------------------------------------------------------------------- the commands


def _fail_unless_ok(report: PushReport) -> None:
    if report.ok:
        return
    refused, failed = report.count(Outcome.REFUSED), report.count(Outcome.FAILED)
    raise CliError(
        Exit.ERROR if failed else Exit.REFUSED,
        f"{refused + failed} open case(s) did not take roster {report.number} "
        f"({refused} refused, {failed} failed): see above, then run `conduct roster push`",
    )


async def _push(settings: Settings, number: int, roster: Roster, officer_id: str, reason: str) -> PushReport:
    from starter.session import open_client

    client = await open_client(settings)  # CliError (exit 1) when Temporal cannot be reached
    return await push_roster(settings, client, number, roster, officer_id, reason)


def import_command(settings: Settings, path: Path, officer_id: str | None, reason: str) -> None:
    """`conduct roster import`: check, store, then send to every running case. The roster is in
    force once stored; when Temporal cannot be reached the command says so and succeeds, and
    `conduct roster push` sends it later."""
    from starter import officer, output, roster_io

    importer = officer.may_replace_roster(settings, officer_id)  # against the roster in force until now
    roster = roster_io.read_roster_file(path)
    sender = importer.id if importer else _keeper_named(roster, officer_id)
    if importer:
        check_sender(roster, importer.id, "the roster was not imported; import it as an officer who is")
    number = roster_io.import_roster(settings, roster)
    output.done(f"roster {number} imported from {path}: {roster_io.summary(roster)}")
    if sender is None:  # the first roster, imported by nobody it names as MO or deputy
        output.out().print(
            "[yellow]![/yellow] open cases were not sent this roster (no MO or deputy named with --as): "
            "run `conduct roster push --as OFFICER_ID` if any case is open",
            soft_wrap=True,
        )
        return
    try:
        report = asyncio.run(_push(settings, number, roster, sender, reason))
    except CliError as error:
        output.out().print(
            f"[yellow]! open cases were NOT updated[/yellow]: {esc(error.message)}. The roster is stored and in "
            "force for new cases; run `conduct roster push` when Temporal is back.",
            soft_wrap=True,
        )
        return
    print_report(report)
    _fail_unless_ok(report)


def _keeper_named(roster: Roster, officer_id: str | None) -> str | None:
    officer = roster.officer(officer_id.strip()) if officer_id else None
    return officer.id if officer and KEEPERS & set(officer.roles) else None


def push_command(settings: Settings, officer_id: str | None, reason: str) -> None:
    """`conduct roster push`: the roster in force, sent again to every running case."""
    from starter import officer, roster_io

    sender = officer.identify(settings, officer_id)
    newest = roster_io.newest_roster(settings)
    assert newest is not None  # identify() refuses when there is none
    number, roster = newest
    check_sender(roster, sender.id, "nothing was sent; push it as an officer who is")
    report = asyncio.run(_push(settings, number, roster, sender.id, reason))
    print_report(report)
    _fail_unless_ok(report)
