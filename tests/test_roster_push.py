"""The roster changes while cases are open (issue 11): `conduct roster import` gives every running
case the new roster, `conduct roster push` sends the roster in force again, a re-run applies
nothing twice. On a real Temporal dev server (visibility lists the running cases)."""

from __future__ import annotations

from pathlib import Path

from temporalio.api.enums.v1 import EventType

from conduct.roster import Officer, Roster
from conduct.vocabulary import Role
from starter.client import workflow_id
from tests import devserver_fixtures
from tests.devserver_fixtures import Conduct

dev_server = devserver_fixtures.dev_server  # the fixtures of this module
conduct = devserver_fixtures.conduct

NEW_DEPUTY = Officer(
    id="deputy-2",
    name="Nadia Okafor",
    email="nadia.okafor@adur-worthing.example",
    roles=[Role.DEPUTY_MONITORING_OFFICER],
)


def with_new_deputy(roster: Roster) -> Roster:
    return roster.model_copy(update={"officers": [*roster.officers, NEW_DEPUTY]})


async def running(conduct: Conduct) -> set[str]:
    query = "WorkflowType='Complaint' AND ExecutionStatus='Running'"
    return {w.id.removeprefix("complaint-") async for w in conduct.env.client.list_workflows(query)}


async def roster_updates(conduct: Conduct, reference: str) -> int:
    """How many `update_roster` updates the case accepted (its history, not its own account)."""
    history = await conduct.env.client.get_workflow_handle(workflow_id(reference)).fetch_history()
    return sum(
        1
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name == "update_roster"
    )


async def test_an_imported_roster_reaches_every_open_case_once(conduct: Conduct, tmp_path: Path) -> None:
    first, second = await conduct.open_case(), await conduct.open_case()
    await conduct.eventually(lambda: running(conduct), lambda refs: {first, second} <= refs, "both cases listed")
    path = tmp_path / "roster.json"
    path.write_text(with_new_deputy(conduct.roster).model_dump_json())

    result = await conduct.run("roster", "import", str(path), "--as", "mo", "--reason", "Nadia Okafor joins as deputy")
    assert result.exit_code == 0, result.output
    assert f"{first}  updated" in result.output and f"{second}  updated" in result.output, result.output
    assert "sent to 2 open cases: 2 updated" in result.output

    # The new deputy acts on a case opened before they joined (refused before: not on its roster).
    await conduct.ok("triage", first, "--notify", "--as", "deputy-2")
    state = await conduct.json("show", first, "--as", "deputy-2")
    assert state["stage"] != "triage", state["stage"]

    # Pushing the same roster again is answered with the first result: nothing applies twice.
    again = await conduct.ok("roster", "push", "--as", "deputy-2")
    assert f"{first}  updated" in again.output and f"{second}  updated" in again.output, again.output
    assert [await roster_updates(conduct, r) for r in (first, second)] == [1, 1]

    # Someone who is not the MO or a deputy on the roster sends nothing.
    refused = await conduct.run("roster", "push", "--as", "io-1")
    assert refused.exit_code == 3 and "not the monitoring officer or a deputy" in refused.output
