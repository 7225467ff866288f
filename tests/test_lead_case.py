"""Issue 14, "Several complaints about one incident" (R14): one case leads, the others follow it.
One decision, one set of clocks, one hearing; each complainant gets their own letters. Driven on
the time-skipping server; letters checked in the outbox, the history read back from Temporal."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from conduct import actions as a
from conduct.actions import Action
from conduct.assessment import AssessmentTests
from conduct.intake import Complainant
from conduct.lead_notices import CopiedLetter, JoinNotice, LeadNotice
from conduct.letters import LetterTemplate
from conduct.record_actions import Unlink
from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    ClockState,
    Finding,
    NoActionGround,
    Outcome,
    Party,
    Provision,
    Sanction,
    Stage,
)
from starter.timeline import timeline_of
from tests import factories
from tests.harness import Case, CaseDriver, Refused
from tests.steps import DEM, IO, MO, RECEIVED, panel_for

LEAD = "WBC-2029-0001"
REASONS = "The remarks were made in a private capacity on a personal account."


def _intake(n: int, **overrides: object):  # noqa: ANN202
    person = Complainant(name=f"Complainant Number{n}", email=f"complainant{n}@example.org", address="1 High St")
    return factories.intake(complainant=person, **overrides)


async def _open(driver: CaseDriver, n: int, **overrides: object) -> Case:
    return await driver.open(f"WBC-2029-000{n}", intake=_intake(n, **overrides))


def _assess(outcome: AssessmentOutcome, reasons: str = "Serious.", grounds: list | None = None) -> a.Assess:
    """An assessment with its tests (sections 3-4): the public interest is met unless no action."""
    met = outcome is not AssessmentOutcome.NO_ACTION
    tests = AssessmentTests(public_interest=met, public_interest_reason="Weighed against the harm alleged.")
    return a.Assess(officer=MO, outcome=outcome, grounds=grounds or [], reasons=reasons, tests=tests)


def _to(case: Case, template: str) -> list[str]:
    """Who received `template` from this case (the outbox's To headers)."""
    return sorted(str(m["To"]) for m in case.outbox() if f"-{template}/" in m["X-Conduct-Idempotency-Key"])


def _follows(lead: str, subjects: tuple[str, ...] = ("wbc-04",)) -> a.Link:
    """`conduct link LEAD THIS --lead`: the `follow` action on the follower, naming its lead."""
    return a.Link(officer=MO, other_reference=lead, other_subjects=list(subjects))


async def _history(case: Case) -> list:  # noqa: ANN202
    return await timeline_of(await case.handle.fetch_history(), case.driver.client.data_converter)


async def _lead_with_followers(driver: CaseDriver) -> tuple[Case, Case, Case]:
    await driver.travel_to_day(RECEIVED)
    lead, first, second = await _open(driver, 1), await _open(driver, 2), await _open(driver, 3)
    for follower in (first, second):
        result = await follower.act("follow", _follows(LEAD))
        assert result.message == f"{follower.reference} follows {LEAD}: the decisions taken there apply here too"
        await lead.settle()
    return lead, first, second


async def test_one_decision_on_the_lead_closes_every_follower_with_its_own_letter(driver: CaseDriver) -> None:
    lead, first, second = await _lead_with_followers(driver)
    assert (await lead.status()).followers == [first.reference, second.reference]

    # One set of clocks: the followers' own assessment clocks stop; the lead's runs.
    for follower in (first, second):
        state = await follower.status()
        assert state.lead == LEAD and state.linked == [LEAD]
        clock = state.clocks[ClockName.ASSESSMENT]
        assert clock.state is ClockState.STOPPED and clock.note == f"considered with {LEAD}, whose clocks run (R14)"
        # Decided through the lead: the procedure's actions are refused here, naming the lead.
        with pytest.raises(Refused, match=f"follows {LEAD} \\(R14\\): act on {LEAD}"):
            await follower.act("triage", a.Triage(officer=MO, notify=True))
        assert not any(x.startswith(("triage", "assess")) for x in state.allowed)
    assert (await lead.status()).clocks[ClockName.ASSESSMENT].state is ClockState.PENDING

    # The lead's triage moves the followers' stage with it; the subject member is told once.
    await lead.act("triage", a.Triage(officer=MO, notify=True))
    await lead.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="No case to answer."))
    for follower in (first, second):
        await follower.settle()
        assert (await follower.status()).stage is Stage.ASSESSMENT
        assert _to(follower, "subject_notified") == []

    await driver.travel_to_day(date(2029, 11, 9))
    await lead.act("assess", _assess(AssessmentOutcome.NO_ACTION, REASONS, [NoActionGround.TRIVIAL]))
    for case in (lead, first, second):
        await case.settle()

    # One decision: recorded once, on the lead; every case closed with its outcome.
    lead_state = await lead.status()
    assert lead_state.outcome is Outcome.NO_ACTION
    assert [t.event for t in lead_state.timeline].count("assessment") == 1
    told = [t.summary for t in lead_state.timeline if t.event == "followers_told"]
    assert told[-1] == "an assessment applied to the 2 case(s) following this one (R14)"
    for n, follower in ((2, first), (3, second)):
        state = await follower.status()
        assert state.stage is Stage.CLOSED and state.outcome is Outcome.NO_ACTION
        assert state.closed_at is not None and state.closed_at.date() == date(2029, 11, 9)
        assert "assessment" not in [t.event for t in state.timeline]  # the decision lives on the lead
        # Each complainant gets their own letter, with their own case's reference and name; the
        # subject member and the Group Leader get it once, from the lead.
        assert _to(follower, "decision_no_action") == [f"Complainant Number{n} <complainant{n}@example.org>"]
        letter = next(m for m in follower.outbox() if "-decision_no_action/" in m["X-Conduct-Idempotency-Key"])
        body = letter.get_body(preferencelist=("plain",)).get_content()
        assert follower.reference in body and f"Number{n}" in body and REASONS in body
        assert "Number1" not in body
        assert [r.role.value for r in state.letters if r.template.value == "decision_no_action"] == ["complainant"]
        assert state.clocks[ClockName.ASSESSMENT].state is ClockState.STOPPED
        # The history says so, in the follower's own record.
        events = await _history(follower)
        moved = [e.detail for e in events if e.name == "lead_moved"]
        assert moved == [f"triage on the lead case {LEAD} applies here (R14)",
                         f"assess on the lead case {LEAD} applies here (R14)"]  # fmt: skip
        assert [e.substance for e in events if e.kind == "action" and e.name == "follow"] == [
            f"follows the lead case {LEAD}, decided with it"
        ]
    led = [e.substance for e in await _history(lead) if e.kind == "action" and e.name == "follower_joined"]
    assert led == [f"{first.reference} follows this case, decided with it (R14)",
                   f"{second.reference} follows this case, decided with it (R14)"]  # fmt: skip
    lead_letters = _to(lead, "decision_no_action")
    assert len(lead_letters) == 2 and "Complainant Number1 <complainant1@example.org>" in lead_letters
    assert sum(len(_to(c, "decision_no_action")) for c in (lead, first, second)) == 4  # 3 complainants + subject


async def test_a_hearing_on_the_lead_is_the_followers_hearing(driver: CaseDriver) -> None:
    """Investigation and hearing: every step on the lead reaches each complainant in their own
    letters, and the followers close with the breach found at the one hearing."""
    lead, first, _ = await _lead_with_followers(driver)
    await lead.act("triage", a.Triage(officer=MO, notify=True))
    await lead.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Merits a look."))
    await lead.act("assess", _assess(AssessmentOutcome.INVESTIGATE))
    await first.settle()
    state = await first.status()
    assert state.stage is Stage.INVESTIGATOR_APPOINTMENT
    assert ClockName.INVESTIGATOR_APPOINTMENT not in state.clocks  # one set of clocks: the lead's
    assert _to(first, "decision_investigate") == ["Complainant Number2 <complainant2@example.org>"]
    assert _to(first, "chair_advised") == []  # the chair is advised once, by the lead
    await driver.travel_to_day(date(2029, 11, 12))
    await lead.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    await first.settle()
    assert (await first.status()).stage is Stage.INVESTIGATION
    assert _to(first, "investigator_appointed") == ["Complainant Number2 <complainant2@example.org>"]
    await driver.travel_to_day(date(2029, 12, 17))
    await lead.act("draft_report", a.DraftReport(officer=IO, text="Draft findings."))
    await first.settle()
    assert (await first.status()).stage is Stage.COMMENTS
    assert _to(first, "draft_report") == ["Complainant Number2 <complainant2@example.org>"]
    assert (await lead.status()).clocks[ClockName.COMMENT_PERIOD].running
    assert ClockName.COMMENT_PERIOD not in (await first.status()).clocks
    await lead.act("comment", a.RecordComment(officer=MO, party=Party.COMPLAINANT, text="Agree."))
    await lead.act("comment", a.RecordComment(officer=IO, party=Party.SUBJECT, declined=True))
    await driver.travel_to_day(date(2030, 1, 7))
    final = a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach of respect.")
    await lead.act("final_report", final)
    await first.settle()
    assert (await first.status()).stage is Stage.HEARING_PENDING
    assert ClockName.HEARING not in (await first.status()).clocks
    # One hearing: scheduled, adjourned and decided on the lead; each complainant is told.
    panel = panel_for("worthing", {"wbc-04"})
    hearing = a.ScheduleHearing(
        officer=DEM, date=date(2030, 2, 20), panel=panel, ip="ip-3", starts_at=time(10), venue="Council Chamber"
    )
    await lead.act("schedule_hearing", hearing)
    await first.settle()
    assert _to(first, "hearing_notice") == ["Complainant Number2 <complainant2@example.org>"]
    with pytest.raises(Refused, match=f"follows {LEAD}"):
        await first.act("schedule_hearing", hearing)
    await driver.travel_to_day(date(2030, 2, 20), hour=16)
    outcome = a.RecordHearingOutcome(
        attended=True, officer=DEM, finding=Finding.BREACH, sanctions=[Sanction.FORMAL_LETTER],
        reasons="On the balance of probabilities the member breached paragraph 1.", breached=[Provision.RESPECT],
        ip_view="The Independent Person considered that the member failed to show respect.",
    )  # fmt: skip
    await lead.act("hearing_outcome", outcome)
    await first.settle()
    assert (await first.status()).stage is Stage.DECISION_NOTICE
    await driver.travel_to_day(date(2030, 2, 25))
    await lead.act("issue_notice", a.IssueNotice(officer=MO))
    await first.settle()
    state = await first.status()
    assert state.stage is Stage.CLOSED and state.outcome is Outcome.BREACH
    assert _to(first, "decision_notice") == ["Complainant Number2 <complainant2@example.org>"]
    assert state.notice is None and not state.published  # R12: one public notice, the lead's
    assert not any(c.running for c in state.clocks.values())
    lead_state = await lead.status()
    assert lead_state.outcome is Outcome.BREACH and lead_state.clocks[ClockName.DECISION_NOTICE].state is ClockState.MET


async def test_unlinked_follower_goes_on_alone_and_its_clock_runs_from_where_it_stopped(driver: CaseDriver) -> None:
    lead, first, second = await _lead_with_followers(driver)
    before = (await first.status()).clocks[ClockName.ASSESSMENT].due
    await driver.travel_to_day(date(2029, 11, 12))  # a week (5 working days) following the lead
    with pytest.raises(Refused, match="unlink"):
        await first.act("unlink", Unlink(officer=MO, other_reference="WBC-2029-0009", reason="x"))
    await first.act("unlink", Unlink(officer=MO, other_reference=LEAD, reason="A different incident after all."))
    await first.settle()
    await lead.settle()
    state = await first.status()
    assert state.lead is None and state.linked == [] and state.stage is Stage.TRIAGE
    clock = state.clocks[ClockName.ASSESSMENT]
    assert clock.state is ClockState.PENDING and clock.due > before  # the paused week is left out
    assert state.timeline[-1].event == "following_ended" or "following_ended" in [t.event for t in state.timeline]
    assert (await lead.status()).followers == [second.reference]
    # It is decided on its own now; the lead's decision no longer reaches it.
    await first.act("triage", a.Triage(officer=MO, notify=True))
    await lead.act("triage", a.Triage(officer=MO, notify=True))
    await lead.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="x"))
    await lead.act("assess", _assess(AssessmentOutcome.NO_ACTION, "x", [NoActionGround.TRIVIAL]))
    await second.settle()
    await first.settle()
    assert (await second.status()).outcome is Outcome.NO_ACTION
    assert (await first.status()).stage is Stage.ASSESSMENT and (await first.status()).outcome is None


async def test_the_lead_complainant_withdraws_and_the_followers_go_on_alone(driver: CaseDriver) -> None:
    lead, first, _ = await _lead_with_followers(driver)
    await lead.act("withdraw", a.Withdraw(officer=MO, text="No longer wishes to pursue it."))
    await lead.act("withdrawal_decision", a.WithdrawalDecision(officer=MO, stop=True, ip="ip-1", view="Agreed."))
    await lead.settle()
    await first.settle()
    assert (await lead.status()).outcome is Outcome.WITHDRAWN
    state = await first.status()
    assert state.outcome is None and state.lead is None and state.stage is Stage.TRIAGE
    assert state.clocks[ClockName.ASSESSMENT].state is ClockState.PENDING
    assert _to(first, "withdrawal_decision") == []  # the lead complainant's letter is theirs alone
    await first.act("triage", a.Triage(officer=MO, notify=True))


async def test_lead_links_are_refused_across_members_and_for_decided_cases(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    lead = await _open(driver, 1)
    other = await _open(driver, 2, subject_members=["wbc-01"])
    with pytest.raises(Refused, match="a lead decides only for complaints about the same members"):
        await other.act("follow", _follows(LEAD))
    # A client that misreports the lead's members is refused by the lead, and nothing changes here.
    with pytest.raises(Refused, match=f"{LEAD} cannot lead it: .*a lead decides only for complaints about the same"):
        await other.act("follow", _follows(LEAD, ("wbc-01",)))
    state = await other.status()
    assert state.lead is None and state.linked == [] and state.clocks[ClockName.ASSESSMENT].state is ClockState.PENDING
    assert (await lead.status()).followers == []
    across = a.Link(officer=MO, other_reference=other.reference, other_subjects=["wbc-01"], reason="Joint hearing.")
    await lead.act("link", across)  # a joint hearing: linked, each decided on its own
    assert (await other.status()).lead is None

    decided = await _open(driver, 3)
    await decided.act("triage", a.Triage(officer=MO, notify=True))
    await decided.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="x"))
    await decided.act("assess", _assess(AssessmentOutcome.INVESTIGATE))
    with pytest.raises(Refused, match="was decided on its own .*only an undecided case follows"):
        await decided.act("follow", _follows(LEAD))
    assert (await decided.status()).lead is None and LEAD not in (await decided.status()).linked
    # A follower cannot lead: the would-be lead refuses, and the case that asked is left as it was.
    fresh, late = await _open(driver, 4), await _open(driver, 5)
    await fresh.act("follow", _follows(LEAD))
    with pytest.raises(Refused, match=f"{fresh.reference} cannot lead it: {fresh.reference} follows {LEAD} \\(R14\\)"):
        await late.act("follow", _follows(fresh.reference))
    state = await late.status()
    assert state.lead is None and state.linked == [] and state.stage is Stage.TRIAGE
    assert (await fresh.status()).followers == []
    # A lead that has closed cannot be followed: its workflow has ended.


async def test_a_join_straight_to_the_lead_must_be_signed_for_the_follower_and_adds_no_command(
    driver: CaseDriver,
) -> None:
    """Found at 1,000 complaints (docs/performance.md): linking grew the lead's history by ~16 events
    and four workflow tasks per follower (the update, a signal, the register sync, a search
    attribute), and a lead of 1,000 could no longer be replayed within a workflow task. A follower
    now joins with one small update to the lead, which issues no command for it. The update has a
    validator: a join not signed for the follower, naming this lead, changes nothing."""
    lead, first, second = await _lead_with_followers(driver)
    events = (await lead.handle.fetch_history()).events
    joins = [e.event_id for e in events if e.HasField("workflow_execution_update_accepted_event_attributes")]
    assert len(joins) == 2
    after_first = [e for e in events if e.event_id > joins[0]]
    commands = [e for e in after_first if e.HasField("activity_task_scheduled_event_attributes")
                or e.HasField("signal_external_workflow_execution_initiated_event_attributes")
                or e.HasField("upsert_workflow_search_attributes_event_attributes")
                or e.HasField("timer_started_event_attributes")]  # fmt: skip
    assert commands == [] and len(after_first) <= 10  # the second join: its update and one workflow task

    fresh = await _open(driver, 4)
    signed = await fresh.attested("follow", _follows(LEAD), "follow-fresh")
    for notice, why in (
        (JoinNotice(reference=fresh.reference, link=_follows(LEAD)), "carries no attestation"),
        (JoinNotice(reference="WBC-2029-0009", link=signed), "given for another case"),
        (JoinNotice(reference=fresh.reference, link=signed.model_copy(update={"other_reference": "WBC-2029-0002"})),
         "given for another payload"),
    ):  # fmt: skip
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await lead.handle.execute_update("follower_joined", notice)
        assert why in str(refused.value.cause)
    assert (await lead.status()).followers == [first.reference, second.reference]


async def test_a_step_not_signed_for_the_lead_is_ignored_and_each_step_is_taken_once(driver: CaseDriver) -> None:
    """`lead_moved` is a signal (no validator): the follower checks the officer's signature for its
    lead, and takes a step it was told twice (a retried activity) once."""
    lead, first, _ = await _lead_with_followers(driver)
    letter = CopiedLetter(template=LetterTemplate.DECISION_NO_ACTION, context={"text": "Closed.", "items": []})
    payload = _assess(AssessmentOutcome.NO_ACTION, "Closed.", [NoActionGround.TRIVIAL])
    unsigned = LeadNotice(reference=LEAD, action=Action.ASSESS, payload=payload.model_dump(mode="json"),
                          stage=Stage.CLOSED, outcome=Outcome.NO_ACTION, letters=[letter])  # fmt: skip
    await first.handle.signal("lead_moved", unsigned)
    await first.settle()
    state = await first.status()
    assert state.outcome is None and state.timeline[-1].summary == (
        f"a step from {LEAD} was ignored: it carries no signed action"
    )
    # Signed for another case: ignored. From a case it does not follow: ignored.
    other = await first.attested("assess", payload, "assess-for-another-case")
    other_notice = unsigned.model_copy(update={"payload": other.model_dump(mode="json")})
    await first.handle.signal("lead_moved", other_notice)
    await first.settle()
    assert "attestation was given for another case" in (await first.status()).timeline[-1].summary
    await first.handle.signal("lead_moved", unsigned.model_copy(update={"reference": "WBC-2029-0009"}))
    await first.settle()
    assert (await first.status()).timeline[-1].summary.endswith("this case does not follow it")

    # Signed for the lead (as the lead sends it): taken, once, however often it arrives.
    signed = await lead.attested("triage", a.Triage(officer=MO, notify=True), "triage-once")
    told = LeadNotice(reference=LEAD, action=Action.TRIAGE, payload=signed.model_dump(mode="json"),
                      stage=Stage.ASSESSMENT, letters=[letter])  # fmt: skip
    for _ in range(2):
        await first.handle.signal("lead_moved", told)
    await first.settle()
    state = await first.status()
    assert state.stage is Stage.ASSESSMENT and state.lead_steps == ["triage-once"]
    assert len(_to(first, "decision_no_action")) == 1


async def test_a_follower_whose_complainant_withdrew_is_not_told_and_the_others_are(driver: CaseDriver) -> None:
    """A follower's own complainant may withdraw (R13 stays on the follower); its case closes, and
    the lead's later steps are taken by the others only (`lead_step` to a closed case: not told)."""
    lead, first, second = await _lead_with_followers(driver)
    await first.act("withdraw", a.Withdraw(officer=MO, text="No longer wishes to pursue it."))
    await first.act("withdrawal_decision", a.WithdrawalDecision(officer=MO, stop=True, ip="ip-1", view="Agreed."))
    await first.settle()
    assert (await first.status()).outcome is Outcome.WITHDRAWN
    await lead.act("triage", a.Triage(officer=MO, notify=True))
    await lead.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="No case to answer."))
    await lead.act("assess", _assess(AssessmentOutcome.NO_ACTION, REASONS, [NoActionGround.TRIVIAL]))
    for case in (lead, first, second):
        await case.settle()
    state = await first.status()
    assert state.outcome is Outcome.WITHDRAWN and _to(first, "decision_no_action") == []
    assert "lead_moved" not in [t.event for t in state.timeline]
    assert (await second.status()).outcome is Outcome.NO_ACTION
    told = [t.summary for t in (await lead.status()).timeline if t.event.startswith("followers_")]
    assert told == [
        "a triage decision applied to the 1 case(s) following this one (R14)",
        f"not told (closed, or no longer following): {first.reference}",
        "an assessment applied to the 1 case(s) following this one (R14)",
    ]
    assert (await lead.status()).followers == [second.reference]


async def test_a_lead_step_not_signed_for_the_lead_is_refused_by_its_validator(driver: CaseDriver) -> None:
    """`lead_step` (the update the lead's activity sends) is judged in its validator: a step not
    signed for the lead, or from a case this one does not follow, is refused: no update in the
    history (a rejected update costs a workflow task only) and nothing done."""
    lead, first, _ = await _lead_with_followers(driver)
    await first.settle()
    before = len((await first.handle.fetch_history()).events)
    payload = _assess(AssessmentOutcome.NO_ACTION, "Closed.", [NoActionGround.TRIVIAL])
    unsigned = LeadNotice(reference=LEAD, action=Action.ASSESS, payload=payload.model_dump(mode="json"),
                          stage=Stage.CLOSED, outcome=Outcome.NO_ACTION)  # fmt: skip
    elsewhere = unsigned.model_copy(update={"reference": "WBC-2029-0009"})
    for notice, why in ((unsigned, "it carries no signed action"), (elsewhere, "this case does not follow it")):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await first.handle.execute_update("lead_step", notice)
        assert f"a step from {notice.reference} was refused: {why}" in str(refused.value.cause)
    after = (await first.handle.fetch_history()).events[before:]
    assert not any(e.HasField("workflow_execution_update_accepted_event_attributes") for e in after)
    assert not any(e.HasField("activity_task_scheduled_event_attributes") for e in after)
    state = await first.status()
    assert state.outcome is None and state.stage is Stage.TRIAGE


async def test_a_lead_step_told_long_after_it_was_signed_is_still_taken_once(driver: CaseDriver) -> None:
    """A lead tells a thousand followers over minutes, and tells the rest again after an outage:
    a follower refusing a step as stale would be dropped by its lead and wait for ever, its clocks
    stopped. The step's update id makes it once-only; its age does not matter."""
    lead, first, _ = await _lead_with_followers(driver)
    signed = await lead.attested("triage", a.Triage(officer=MO, notify=True), "triage-told-late")
    told = LeadNotice(reference=LEAD, action=Action.TRIAGE, payload=signed.model_dump(mode="json"),
                      stage=Stage.ASSESSMENT)  # fmt: skip
    await driver.env.sleep(timedelta(hours=1))  # an outage: the activity is retried an hour later
    for _ in range(2):
        await first.handle.execute_update("lead_step", told, id="lead-step-late")
    await first.handle.execute_update("lead_step", told, id="lead-step-late-again")
    state = await first.status()
    assert state.stage is Stage.ASSESSMENT and state.lead_steps == ["triage-told-late"]
    assert [t.event for t in state.timeline].count("lead_moved") == 1
