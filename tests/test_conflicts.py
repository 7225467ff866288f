"""R16 (issue 14, "Conflicts of interest"): an officer with a conflict takes no part in the case;
the deputy acts for a conflicted MO and signs the letters; the MO and the deputy are never the IO."""

from __future__ import annotations

from datetime import date

import pytest

from conduct import access
from conduct import actions as a
from conduct.record_actions import AddNote, RecordConflict
from conduct.vocabulary import AssessmentOutcome, Role
from starter.timeline import timeline_of
from tests import factories
from tests.harness import CaseDriver, Refused
from tests.steps import DEPUTY, MO, open_and_triage


def _roster_where_mo_and_deputy_also_investigate():  # noqa: ANN202
    roster = factories.roster()
    for officer in roster.officers:
        if officer.id in (MO, DEPUTY):
            officer.roles.append(Role.INVESTIGATING_OFFICER)
    return roster


@pytest.mark.parametrize("appointee", [MO, DEPUTY])
async def test_the_mo_or_deputy_holding_the_io_role_cannot_be_appointed_io(driver: CaseDriver, appointee: str) -> None:
    """Reproduction: an MO who also holds the IO role on the roster appointed themselves."""
    case = await open_and_triage(driver, roster=_roster_where_mo_and_deputy_also_investigate())
    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    with pytest.raises(Refused, match=r"cannot be the Investigating Officer \(R16\)"):
        await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=appointee))
    state = await case.status()
    assert state.investigator is None and state.stage.value == "investigator_appointment"
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator="io-1"))
    assert (await case.status()).investigator == "io-1"


def _sent(case, template: str) -> list:  # noqa: ANN001, ANN202
    """The outbox's letters of `template` (named in each letter's idempotency key)."""
    return [m for m in case.outbox() if f"-{template}/" in m["X-Conduct-Idempotency-Key"]]


def _plain(message) -> str:  # noqa: ANN001
    return message.get_body(preferencelist=("plain",)).get_content()


async def test_a_conflicted_mo_takes_no_part_the_deputy_acts_and_signs(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    result = await case.act(
        "conflict", RecordConflict(officer=DEPUTY, conflicted=MO, reason="Neighbour of the member.")
    )
    assert result.message.endswith("the deputy acts for the Monitoring Officer")
    state = await case.status()
    assert state.deputy_acting and [(c.officer, c.recorded_by) for c in state.conflicts] == [(MO, DEPUTY)]

    # The workflow itself refuses the MO, whatever client sends the action (not only the CLI).
    for action, payload in (
        ("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-2", view="No action.")),
        ("assess", a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="x", tests=factories.TESTED)),
        ("note", AddNote(officer=MO, text="I should not be here.")),
        ("conflict", RecordConflict(officer=MO, conflicted="io-1", reason="x")),
    ):
        with pytest.raises(
            Refused, match=r"mo is recorded as conflicted on WBC-2029-0001 and takes no part in it \(R16\)"
        ):
            await case.act(action, payload)
    roster = factories.roster()
    assert access.read_access(roster.officer(MO), state).refused is not None  # nor may the MO read it

    await case.act(
        "assess",
        a.Assess(officer=DEPUTY, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    await case.settle()
    decision = _sent(case, "decision_investigate")
    assert decision and all("Patrick Delaney, Deputy Monitoring Officer\n" in _plain(m) for m in decision)
    assert all("Yours sincerely,\n\nMonitoring Officer" not in _plain(m) for m in decision)

    # The MO's letters go to the deputy: the escalation of the 14-day appointment clock.
    await driver.travel_to_day(date(2029, 11, 30))
    await case.settle()
    escalated = [str(m["To"]) for m in _sent(case, "clock_escalation")]
    assert escalated and all("patrick.delaney" in to for to in escalated), escalated

    history = [e for e in await timeline_of(await case.handle.fetch_history(), driver.client.data_converter)
               if e.name == "conflict"]  # fmt: skip
    assert [(e.officer, e.papers) for e in history] == [(DEPUTY, "Neighbour of the member.")]
    await case.act("appoint_investigator", a.AppointInvestigator(officer=DEPUTY, investigator="io-1"))


async def test_a_conflicted_officer_is_never_appointed_and_a_case_is_never_left_without_an_mo(
    driver: CaseDriver,
) -> None:
    case = await open_and_triage(driver)
    with pytest.raises(Refused, match="cannot conflict"):
        await case.act("conflict", RecordConflict(officer="io-1", conflicted="io-2", reason="x"))
    with pytest.raises(Refused, match="'nobody' is not an officer on the roster"):
        await case.act("conflict", RecordConflict(officer=MO, conflicted="nobody", reason="x"))
    await case.act("conflict", RecordConflict(officer=MO, conflicted="io-2", reason="Related to the complainant."))
    with pytest.raises(Refused, match="already recorded as conflicted"):
        await case.act("conflict", RecordConflict(officer=MO, conflicted="io-2", reason="again"))
    await case.act("conflict", RecordConflict(officer=MO, conflicted=DEPUTY, reason="Works with the member."))
    with pytest.raises(Refused, match="nobody would be left to act as Monitoring Officer"):
        await case.act("conflict", RecordConflict(officer=MO, conflicted=MO, reason="x"))
    assert not (await case.status()).deputy_acting

    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    with pytest.raises(Refused, match=r"io-2 is recorded as conflicted on WBC-2029-0001 \(R16\)"):
        await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator="io-2"))
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator="io-1"))

    # An appointed IO who turns out to be conflicted does nothing more, and is warned about.
    result = await case.act("conflict", RecordConflict(officer=MO, conflicted="io-1", reason="Now a friend."))
    assert result.warnings == ["io-1 is the appointed Investigating Officer and can no longer act on WBC-2029-0001"]
    with pytest.raises(Refused, match="io-1 is recorded as conflicted"):
        await case.act("draft_report", a.DraftReport(officer="io-1", text="Draft."))
