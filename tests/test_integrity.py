"""A case survives concurrent and repeated officer actions, races with its own clocks, and a
roster that changes while it is open (issue 11).

The races are made deterministic with a gate on the register activity: the first action is
accepted and held mid-flight (its checkpoint waits at the gate) while a second client sends the
second one, which must be refused by the validator before it enters history.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta

import pytest
import pytest_asyncio
from pydantic import BaseModel
from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.deadlines import compute_deadline
from activities.notifications import LetterActivities
from conduct import actions as a
from conduct import search
from conduct.actions import ActionResult
from conduct.calendar import london_date
from conduct.projection import CaseSync
from conduct.roster import Officer
from conduct.settings import Settings
from conduct.vocabulary import AssessmentOutcome, ClockName, ClockState, Finding, NoActionGround, Party, Role, Stage
from tests import factories
from tests.harness import Case, CaseDriver, Refused
from tests.steps import DEM, IO, MO, RECEIVED, open_and_triage, panel_for
from worker import build_worker


class GatedLetters(LetterActivities):
    """The real activities; the register write waits while the gate is closed."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.gate = asyncio.Event()
        self.gate.set()

    @activity.defn(name="sync_case")
    async def sync_case(self, state: CaseSync) -> None:
        while not self.gate.is_set():
            activity.heartbeat()
            await asyncio.sleep(0.05)
        await super().sync_case(state)


@pytest_asyncio.fixture
async def gated(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[tuple[CaseDriver, GatedLetters]]:
    letters = GatedLetters(settings)
    async with build_worker(env.client, settings, letters=letters, fail_fast=True):
        yield CaseDriver(env, settings), letters


async def second_client(env: WorkflowEnvironment) -> Client:
    """Another officer's connection to the same Temporal."""
    return await Client.connect(
        env.client.service_client.config.target_host,
        namespace=env.client.namespace,
        data_converter=env.client.data_converter,
    )


async def accepted_updates(case: Case, name: str) -> int:
    return sum(
        1
        for e in await case.history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name == name
    )


async def race(
    driver: CaseDriver,
    letters: GatedLetters,
    case: Case,
    update: str,
    first: BaseModel,
    second: BaseModel,
    second_update: str | None = None,
) -> tuple[ActionResult, str]:
    """`first` accepted and held mid-flight; `second` (of `second_update`, by default the same
    action), from another client, meanwhile. Returns the first's answer and the second's refusal."""
    second_update = second_update or update
    before = await accepted_updates(case, update)
    other = (await second_client(driver.env)).get_workflow_handle(case.handle.id)
    first = await case.attested(update, first, f"{update}-first")
    second = await case.attested(second_update, second, f"{second_update}-second")
    letters.gate.clear()
    try:
        held = await case.handle.start_update(
            update, first, id=f"{update}-first", wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=ActionResult
        )
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            late = await other.start_update(
                second_update,
                second,
                id=f"{second_update}-second",
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                result_type=ActionResult,
            )
            await asyncio.wait_for(late.result(), 10)
    finally:
        letters.gate.set()
    result = await asyncio.wait_for(held.result(), 20)
    await case.settle()
    assert await accepted_updates(case, update) == before + 1, "the history shows one decision"
    return result, str(refused.value.cause)


# Each procedure-moving action: how to bring a case to it, and two rival payloads.
Setup = Callable[[CaseDriver], Awaitable[Case]]


async def at_triage(driver: CaseDriver) -> Case:
    await driver.travel_to_day(RECEIVED)
    return await driver.open()


async def at_assessment(driver: CaseDriver) -> Case:
    return await open_and_triage(driver)


async def awaiting_information(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await case.act("request_info", a.RequestInformation(officer=MO, text="Please send the minutes."))
    return case


async def in_informal_resolution(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    assess = a.Assess(
        officer=MO,
        outcome=AssessmentOutcome.INFORMAL,
        actions=["apology"],
        reasons="An apology would resolve it.",
        tests=factories.TESTED,
    )
    await case.act("assess", assess)
    return case


async def at_appointment(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    return case


async def in_investigation(driver: CaseDriver) -> Case:
    case = await at_appointment(driver)
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    return case


async def in_comments(driver: CaseDriver) -> Case:
    case = await in_investigation(driver)
    await case.act("draft_report", a.DraftReport(officer=IO, text="Draft findings."))
    return case


async def after_comments(driver: CaseDriver) -> Case:
    case = await in_comments(driver)
    await case.act("comment", a.RecordComment(officer=MO, party=Party.COMPLAINANT, text="Agree."))
    await case.act("comment", a.RecordComment(officer=MO, party=Party.SUBJECT, declined=True))
    return case


async def hearing_pending(driver: CaseDriver) -> Case:
    case = await after_comments(driver)
    await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach of respect."))
    return case


PANEL = panel_for("worthing", {"wbc-04"})


async def hearing_fixed(driver: CaseDriver) -> Case:
    case = await hearing_pending(driver)
    hearing = a.ScheduleHearing(officer=DEM, date=date(2029, 12, 20), panel=PANEL, ip="ip-3")
    await case.act("schedule_hearing", hearing)
    return case


async def on_hearing_day(driver: CaseDriver) -> Case:
    case = await hearing_fixed(driver)
    await driver.travel_to_day(date(2029, 12, 20), hour=16)
    return case


async def at_decision_notice(driver: CaseDriver) -> Case:
    case = await on_hearing_day(driver)
    outcome = a.RecordHearingOutcome(
        officer=DEM, finding=Finding.BREACH, reasons="Breach.", breached=["respect"], ip_view="A breach.", attended=True
    )
    await case.act("hearing_outcome", outcome)
    return case


async def withdrawal_requested(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await case.act("withdraw", a.Withdraw(officer=MO, text="I no longer wish to go on."))
    return case


async def clock_stopped(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await case.act("stop_clock", a.StopClock(officer=MO, reason="Complainant in hospital."))
    return case


def no_action(reasons: str) -> a.Assess:
    return a.Assess(
        officer=MO,
        outcome=AssessmentOutcome.NO_ACTION,
        grounds=[NoActionGround.TRIVIAL],
        reasons=reasons,
        tests=factories.UNMERITED,
    )


RACES: dict[str, tuple[Setup, BaseModel, BaseModel]] = {
    "triage": (at_triage, a.Triage(officer=MO, notify=True), a.Triage(officer=MO, notify=False, reason="Prejudice.")),
    "request_info": (
        at_assessment,
        a.RequestInformation(officer=MO, text="Please send the minutes."),
        a.RequestInformation(officer=MO, text="Please send the recording."),
    ),
    "info_received": (
        awaiting_information,
        a.InformationReceived(officer=MO, text="Minutes received."),
        a.InformationReceived(officer=MO, text="Recording received."),
    ),
    "assess": (
        at_assessment,
        a.Assess(
            officer=MO,
            outcome=AssessmentOutcome.INFORMAL,
            actions=["apology"],
            reasons="An apology.",
            tests=factories.TESTED,
        ),
        no_action("Too minor."),
    ),
    "informal_outcome": (
        in_informal_resolution,
        a.InformalOutcome(officer=MO, resolved=True, text="Apology made."),
        a.InformalOutcome(officer=MO, resolved=False, text="Apology refused."),
    ),
    "appoint_investigator": (
        at_appointment,
        a.AppointInvestigator(officer=MO, investigator=IO),
        a.AppointInvestigator(officer=MO, investigator="io-2"),
    ),
    "draft_report": (
        in_investigation,
        a.DraftReport(officer=IO, text="Draft findings."),
        a.DraftReport(officer=IO, text="Other draft findings."),
    ),
    "comment": (
        in_comments,
        a.RecordComment(officer=MO, party=Party.COMPLAINANT, text="Agree."),
        a.RecordComment(officer=MO, party=Party.SUBJECT, declined=True),
    ),
    "final_report": (
        after_comments,
        a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach of respect."),
        a.FinalReport(officer=IO, finding=Finding.NO_BREACH, text="No breach."),
    ),
    "schedule_hearing": (
        hearing_pending,
        a.ScheduleHearing(officer=DEM, date=date(2029, 12, 20), panel=PANEL, ip="ip-3"),
        a.ScheduleHearing(officer=DEM, date=date(2029, 12, 21), panel=PANEL, ip="ip-3"),
    ),
    "adjourn_hearing": (
        hearing_fixed,
        a.AdjournHearing(officer=DEM, date=date(2030, 1, 10), reason="Member unwell."),
        a.AdjournHearing(officer=DEM, date=date(2030, 1, 17), reason="Room unavailable."),
    ),
    "hearing_outcome": (
        on_hearing_day,
        a.RecordHearingOutcome(
            attended=True,
            officer=DEM,
            finding=Finding.BREACH,
            reasons="Breach found.",
            breached=["respect"],
            ip_view="A breach.",
        ),
        a.RecordHearingOutcome(
            attended=True, officer=DEM, finding=Finding.NO_BREACH, reasons="No breach.", ip_view="No breach."
        ),
    ),
    "issue_notice": (at_decision_notice, a.IssueNotice(officer=MO), a.IssueNotice(officer="deputy")),
    "withdraw": (
        at_assessment,
        a.Withdraw(officer=MO, text="I no longer wish to go on."),
        a.Withdraw(officer=MO, text="Please stop."),
    ),
    "withdrawal_decision": (
        withdrawal_requested,
        a.WithdrawalDecision(officer=MO, stop=True, ip="ip-1", view="No intimidation."),
        a.WithdrawalDecision(officer=MO, stop=False, ip="ip-2", view="Public interest."),
    ),
    "stop_clock": (
        at_assessment,
        a.StopClock(officer=MO, reason="Complainant in hospital."),
        a.StopClock(officer=MO, reason="Police enquiries."),
    ),
    "restart_clock": (
        clock_stopped,
        a.RestartClock(officer=MO),
        a.RestartClock(officer=MO, clock=ClockName.ASSESSMENT),
    ),
}


@pytest.mark.parametrize("update", list(RACES))
async def test_two_officers_at_once_one_takes_effect_the_other_is_refused(
    gated: tuple[CaseDriver, GatedLetters], update: str
) -> None:
    driver, letters = gated
    setup, first, second = RACES[update]
    case = await setup(driver)
    result, refusal = await race(driver, letters, case, update, first, second)
    assert result.reference == case.reference
    assert f"{case.reference} is at stage" in refusal
    assert "already being recorded" in refusal
    assert "Allowed now:" in refusal


async def test_a_stale_assessment_never_closes_the_case_after_informal_resolution_fails(
    gated: tuple[CaseDriver, GatedLetters],
) -> None:
    """Reproduction: two assess updates (informal, no action) at once; when informal resolution
    later failed, the stale no-action one closed the case with letters, no officer acting and
    without the IP consultation R5 requires."""
    driver, letters = gated
    case = await at_assessment(driver)
    informal = a.Assess(
        officer=MO,
        outcome=AssessmentOutcome.INFORMAL,
        actions=["apology"],
        reasons="An apology.",
        tests=factories.TESTED,
    )
    await race(driver, letters, case, "assess", informal, no_action("Too minor."))
    await case.act("informal_outcome", a.InformalOutcome(officer=MO, resolved=False, text="Apology refused."))
    await case.settle()
    state = await case.status()
    assert state.stage is Stage.INFORMAL_RESOLUTION
    assert state.outcome is None
    assert await case.letters("decision_no_action") == []
    with pytest.raises(Refused, match="Independent Person"):  # R5: a fresh IP consultation first
        await case.act("assess", no_action("Too minor."))


async def test_a_clock_restart_racing_the_assessment_never_revives_a_met_clock(
    gated: tuple[CaseDriver, GatedLetters],
) -> None:
    """Reproduction: restart_clock awaited its deadline and then overwrote the clock that assess
    had just met: a reminder, two escalation letters and overdue=true on a resolving case."""
    driver, letters = gated
    case = await clock_stopped(driver)
    informal = a.Assess(
        officer=MO,
        outcome=AssessmentOutcome.INFORMAL,
        actions=["apology"],
        reasons="An apology.",
        tests=factories.TESTED,
    )
    _, refusal = await race(driver, letters, case, "restart_clock", a.RestartClock(officer=MO), informal, "assess")
    assert "a clock restart is already being recorded" in refusal
    await case.act("assess", informal)
    await driver.travel_to_day(date(2030, 2, 1))
    await case.settle()
    state = await case.status()
    assert state.clocks[ClockName.ASSESSMENT].state is ClockState.MET
    assert not state.overdue
    assert await case.letters("clock_escalation") == []
    assert await case.letters("clock_reminder") == []


async def test_stopping_a_lapsed_clock_clears_overdue(driver: CaseDriver) -> None:
    """Reproduction: stop_clock on a lapsed clock left the case flagged overdue."""
    case = await open_and_triage(driver)
    await driver.travel_to_day(date(2029, 12, 5))  # assessment due 3 December 2029
    await case.settle()
    assert (await case.status()).overdue
    await case.act("stop_clock", a.StopClock(officer=MO, reason="Complainant in hospital."))
    state = await case.status()
    assert state.clocks[ClockName.ASSESSMENT].state is ClockState.STOPPED
    assert not state.overdue
    request = DescribeWorkflowExecutionRequest(
        namespace=driver.client.namespace, execution=WorkflowExecution(workflow_id=case.handle.id)
    )
    raw = await driver.client.workflow_service.describe_workflow_execution(request)
    assert raw.workflow_execution_info.search_attributes.indexed_fields[search.OVERDUE.name].data == b"false"


async def test_a_lapsed_clock_escalates_again_every_week_until_met(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)  # assessment due Monday 3 December 2029
    await driver.travel_to_day(date(2029, 12, 4))
    await case.settle()
    assert len(await case.letters("clock_escalation")) == 2  # MO and deputy
    await driver.travel_to_day(date(2029, 12, 11), hour=12)
    await case.settle()
    assert len(await case.letters("clock_escalation")) == 4
    await driver.travel_to_day(date(2029, 12, 18), hour=12)
    await case.settle()
    assert len(await case.letters("clock_escalation")) == 6
    await case.act("assess", no_action("Too minor."))
    await driver.travel_to_day(date(2030, 1, 15))
    await case.settle()
    state = await case.status()
    assert len(await case.letters("clock_escalation")) == 6
    assert state.clocks[ClockName.ASSESSMENT].state is ClockState.MET_LATE
    again = [t for t in state.timeline if t.event == "clock_escalated"]
    assert [london_date(t.at) for t in again] == [date(2029, 12, 11), date(2029, 12, 18)]


async def test_informal_review_reminders_stop_when_informal_resolution_ends(driver: CaseDriver) -> None:
    case = await in_informal_resolution(driver)
    await driver.travel_to_day(RECEIVED + timedelta(days=30))
    await case.settle()
    assert len(await case.letters("informal_review_reminder")) == 1
    await case.act("informal_outcome", a.InformalOutcome(officer=MO, resolved=False, text="Apology refused."))
    await driver.travel_to_day(RECEIVED + timedelta(days=150))
    await case.settle()
    assert len(await case.letters("informal_review_reminder")) == 1


async def test_a_letter_refused_for_good_on_intake_lets_the_case_be_triaged_at_once(driver: CaseDriver) -> None:
    """Reproduction: an address the mail library refuses made the acknowledgement retry for
    ever; the assessment clock never started and `conduct triage` hung behind it."""
    await driver.travel_to_day(RECEIVED)
    complainant = factories.intake().complainant.model_copy(update={"email": "josé@example.org"})
    case = await driver.open(intake=factories.intake(complainant=complainant))
    state = await case.status()
    assert state.clocks[ClockName.ASSESSMENT].state is ClockState.PENDING
    assert [f.template.value for f in state.delivery_failures] == ["acknowledgement"]
    assert sorted(r for _, r in await case.letters("delivery_failed")) == [
        "deputy_monitoring_officer",
        "monitoring_officer",
    ]
    result = await asyncio.wait_for(case.act("triage", a.Triage(officer=MO, notify=True)), 10)
    assert result.stage == "assessment"


async def test_a_new_roster_reaches_an_open_case(driver: CaseDriver) -> None:
    """Reproduction: each case saw only the roster it was opened with; a new deputy was refused
    on every open case and escalations went to staff who had left."""
    case = await at_triage(driver)
    roster = factories.roster()
    roster.officers = [o for o in roster.officers if o.id != "deputy"] + [
        Officer(id="deputy-2", name="Priya Raman", email="priya.raman@council.example",
                roles=[Role.DEPUTY_MONITORING_OFFICER])
    ]  # fmt: skip
    with pytest.raises(Refused, match="not on the roster"):
        await case.act("triage", a.Triage(officer="deputy-2", notify=True))
    result = await case.act("update_roster", a.UpdateRoster(officer=MO, roster=roster, reason="new deputy"))
    assert "officer deputy-2 added" in result.message and "officer deputy removed" in result.message
    await case.act("triage", a.Triage(officer="deputy-2", notify=True))
    state = await case.status()
    entry = next(t for t in state.timeline if t.event == "roster_updated")
    assert entry.officer == MO and "new deputy" in entry.summary
    assert state.subject_groups == {"wbc-04": "Labour"}  # fixed at receipt
    await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Merits a look."))
    await driver.travel_to_day(date(2029, 12, 4))
    await case.settle()
    escalated = [str(m["To"]) for m in case.outbox() if "OVERDUE" in str(m["Subject"])]
    assert any("priya.raman@" in to for to in escalated)
    assert not any("patrick.delaney@" in to for to in escalated)


async def test_a_roster_is_given_only_by_its_mo_or_deputy(driver: CaseDriver) -> None:
    case = await at_triage(driver)
    with pytest.raises(Refused, match="needs deputy_monitoring_officer or monitoring_officer"):
        await case.act("update_roster", a.UpdateRoster(officer=IO, roster=factories.roster(), reason="take over"))


async def test_a_failed_clock_watcher_fails_the_workflow_task(env: WorkflowEnvironment, settings: Settings) -> None:
    """Reproduction: an exception in a watcher was only logged, and the clock never escalated
    again. Now the workflow task fails (and is retried) while the case stays open."""
    from tests.broken_clock import BrokenClockWorkflow

    worker_broken = Worker(
        env.client,
        task_queue=settings.task_queue,
        workflows=[BrokenClockWorkflow],
        activities=LetterActivities(settings).activities() + [compute_deadline],
    )
    async with worker_broken:
        driver = CaseDriver(env, settings)
        # Received six weeks ago: the assessment clock has lapsed when the watcher starts.
        start = factories.start_complaint(received_at=await driver.now() - timedelta(days=42))
        handle = await env.client.start_workflow(
            "Complaint", start, id=f"complaint-{start.reference}", task_queue=settings.task_queue
        )
        case = Case(driver, handle, start.reference)
        for _ in range(100):
            events = await case.history_events()
            failed = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
            if failed:
                break
            await asyncio.sleep(0.05)
        assert failed, "a failed watcher must fail the workflow task"
        assert "watcher bug at the assessment lapse" in failed[0].workflow_task_failed_event_attributes.failure.message
        raw = await driver.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=driver.client.namespace, execution=WorkflowExecution(workflow_id=case.handle.id)
            )
        )
        assert raw.workflow_execution_info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
