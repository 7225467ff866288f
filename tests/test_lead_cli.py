"""`conduct link LEAD OTHER --lead` (R14) from the command line, against a time-skipping server:
the plain errors and exit codes, and what `conduct show` says of a lead and its follower."""

from __future__ import annotations

from conduct.case import CaseState
from starter.case_view import case_json
from starter.client import workflow_id
from tests.devserver_fixtures import Conduct
from tests.test_record_cli import conduct  # noqa: F401  (the CLI against a fresh server and worker)
from workflows.complaint import ComplaintWorkflow

TESTED = ("--tests-met", "--public-interest", "met", "--public-interest-reason", "Serious enough to take further.")


async def _code(conduct: Conduct, *args: str) -> tuple[int, str]:  # noqa: F811
    result = await conduct.run(*args)
    return result.exit_code, result.output


async def _state(conduct: Conduct, reference: str) -> CaseState:  # noqa: F811
    return await conduct.env.client.get_workflow_handle(workflow_id(reference)).query(ComplaintWorkflow.status)


async def test_link_lead_from_the_cli(conduct: Conduct) -> None:  # noqa: F811
    lead, other = await conduct.open_case(), await conduct.open_case()

    # A case that does not exist: exit 4, one line, nothing recorded.
    code, said = await _code(conduct, "link", lead, "WBC-2026-9999", "--lead")
    assert code == 4 and "WBC-2026-9999" in said
    code, said = await _code(conduct, "link", "WBC-2026-9999", lead, "--lead")
    assert code == 4 and "WBC-2026-9999" in said
    assert (await conduct.json("show", lead))["followers"] == []

    done = await conduct.ok("link", lead, other, "--lead")
    assert f"{other} follows {lead}" in done.output
    assert (await conduct.json("show", lead))["followers"] == [other]
    # (`conduct show` of a case with no clock running describes its workflow, which the time-skipping
    # server cannot do: an unset Datetime search attribute; the dev server can. The state itself:)
    shown = await _state(conduct, other)
    assert shown.lead == lead and shown.linked == [lead]
    view = case_json(shown, conduct.roster)
    assert view["lead"] == lead and view["followers"] == []
    code, said = await _code(conduct, "triage", other, "--notify")
    assert code == 3 and f"follows {lead} (R14)" in said
    code, said = await _code(conduct, "link", other, lead, "--lead")
    assert code == 3 and f"{lead} leads 1 other case(s); a lead cannot follow another (R14)" in said

    # Another member's case cannot follow (a joint hearing is a plain link with --reason).
    across = await conduct.open_case(subject_members=["wbc-01"])
    code, said = await _code(conduct, "link", lead, across, "--lead", "--reason", "Same meeting.")
    assert code == 3 and "a lead decides only for complaints about the same members" in said
    # A case decided on its own cannot follow: the client says so before anything is sent.
    decided = await conduct.open_case()
    await conduct.ok("triage", decided, "--notify")
    await conduct.ok("consult-ip", decided, "--ip", "ip-1", "--text", "Merits a look.")
    await conduct.ok("assess", decided, "--outcome", "investigate", "--text", "Serious.", *TESTED)
    code, said = await _code(conduct, "link", lead, decided, "--lead")
    assert code == 3 and "only an undecided case follows" in said
    assert decided not in (await conduct.json("show", lead))["linked"]

    # Unlinked from the follower's side, with a reason: it goes on alone.
    assert (await _code(conduct, "unlink", other, lead))[0] == 2
    await conduct.ok("unlink", other, lead, "--reason", "A different post after all.")
    shown = await _state(conduct, other)
    assert shown.lead is None and shown.linked == [] and shown.stage.value == "triage"
    await conduct.ok("triage", other, "--notify")
