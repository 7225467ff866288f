"""Sanctions carry their parameters (R10) and each is followed up in a workflow of its own until it
is complied with or escalated (R17), on the time-skipping server: the reminder, compliance recorded
(signed, like every officer action) or found in the training register, the escalation to the MO,
the closing letter to the committee chair, and censure when a public apology is not made."""

from __future__ import annotations

import email.message
import uuid
from datetime import date, time
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.notifications import LetterActivities
from conduct import actions as a
from conduct import sanction_register, training
from conduct.actions import ActionResult
from conduct.register import make_engine
from conduct.sanctions import (
    FollowUpState,
    FollowUpStatus,
    SanctionComplied,
    follow_up_id,
    parameters_refusal,
    terms_refusal,
)
from conduct.settings import Settings
from conduct.vocabulary import Finding, Provision, Sanction, Stage
from tests import factories
from tests.harness import Case, CaseDriver, Refused
from tests.steps import DEM, IO, MO, open_and_triage, panel_for, refer_and_investigate
from tests.test_delivery import RefusesOneAddress
from worker import build_worker
from workflows.sanction import SanctionFollowUpWorkflow

HEARING = date(2030, 2, 20)
NOTICE = date(2030, 2, 25)  # the follow-ups count from the day the decision notice is issued
COURSE = "Code of Conduct refresher"


def outcome(sanctions: list[Sanction], **terms: object) -> a.RecordHearingOutcome:
    return a.RecordHearingOutcome(
        officer=DEM,
        finding=Finding.BREACH,
        sanctions=sanctions,
        reasons="On the balance of probabilities the member breached paragraph 1.",
        breached=[Provision.RESPECT],
        ip_view="The Independent Person considered that the member failed to show respect.",
        attended=True,
        **terms,
    )


async def to_hearing(driver: CaseDriver) -> Case:
    case = await open_and_triage(driver)
    await refer_and_investigate(driver, case)
    await driver.travel_to_day(date(2030, 1, 7))
    await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.BREACH, text="Breach of respect."))
    panel = panel_for("worthing", {factories.intake().subject_members[0]})
    hearing = a.ScheduleHearing(officer=DEM, date=HEARING, panel=panel, ip="ip-3", starts_at=time(10), venue="Chamber")
    await case.act("schedule_hearing", hearing)
    await driver.travel_to_day(HEARING, hour=16)
    return case


async def issue(driver: CaseDriver, case: Case, decided: a.RecordHearingOutcome) -> None:
    await case.act("hearing_outcome", decided)
    await driver.travel_to_day(NOTICE)
    await case.act("issue_notice", a.IssueNotice(officer=MO))


def follow_up(case: Case, sanction: Sanction) -> Case:
    """The follow-up as a Case (settle, outbox): same reference, its own workflow."""
    handle: WorkflowHandle = case.driver.client.get_workflow_handle(follow_up_id(case.reference, sanction))
    return Case(case.driver, handle, case.reference)


async def state_of(child: Case) -> FollowUpState:
    return await child.handle.query(SanctionFollowUpWorkflow.status)


async def complied(case: Case, sanction: Sanction, on: date, officer: str = MO) -> ActionResult:
    child = follow_up(case, sanction)
    update_id = f"sanction_complied-{uuid.uuid4().hex[:12]}"
    payload = SanctionComplied(officer=officer, sanction=sanction, on=on)
    signed = await case.attested("sanction_complied", payload, update_id)
    try:
        return await child.handle.execute_update("sanction_complied", signed, id=update_id, result_type=ActionResult)
    except WorkflowUpdateFailedError as error:  # the validator's reason
        raise Refused(str(error.cause)) from error
    except RPCError as error:  # the follow-up has ended
        raise Refused(str(error)) from error


def sent(case: Case, template_subject: str) -> list[email.message.EmailMessage]:
    return [m for m in case.outbox() if template_subject in str(m["Subject"])]


def to(messages: list[email.message.EmailMessage]) -> list[str]:
    return sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in messages)


def body(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return " ".join(part.get_content().split())


MO_ADDRESSES = ["joanna.whitlock@adur-worthing.example", "patrick.delaney@adur-worthing.example"]


async def test_a_training_sanction_complied_with_before_its_due_date_ends_in_a_letter_to_the_chair(
    driver: CaseDriver,
) -> None:
    case = await to_hearing(driver)
    await issue(driver, case, outcome([Sanction.FORMAL_LETTER, Sanction.TRAINING], course=COURSE))
    state = await case.status()
    assert state.stage is Stage.CLOSED  # the complaint closes with its notice; the follow-ups run on
    assert [t.summary for t in state.timeline if t.event == "sanction_follow_up"] == [
        "formal_letter followed up: due 2030-03-11 (R17)",
        f"training (the course “{COURSE}”) followed up: due 2030-05-25 (R17)",
    ]
    notice = sent(case, "decision")[0]
    assert f"further training and guidance: the course “{COURSE}”" in body(notice)

    child = follow_up(case, Sanction.TRAINING)
    await child.settle()
    first = await state_of(child)
    assert (first.status, first.start.due, first.start.reminder_on) == (
        FollowUpStatus.PENDING,
        date(2030, 5, 25),
        date(2030, 5, 18),
    )
    engine = make_engine(driver.settings.resolved_database_url)
    due = sanction_register.due_lines(engine, NOTICE)
    assert [(x.reference, x.sanction, x.due) for x in due] == [
        (case.reference, "formal_letter", date(2030, 3, 11)),
        (case.reference, "training", date(2030, 5, 25)),
    ]

    await driver.travel_to_day(date(2030, 5, 19))
    await child.settle()
    reminders = [m for m in sent(case, "reminder: further training") if "2030" in str(m["Subject"])]
    assert "desmond.achterberg@worthing.example" in to(reminders) and "joanna.whitlock@adur-worthing.example" in to(
        reminders
    )
    assert "Saturday 25 May 2030" in body(reminders[0])

    with pytest.raises(Refused, match="is in the future"):
        await complied(case, Sanction.TRAINING, date(2030, 5, 30))
    with pytest.raises(Refused, match="cannot record a sanction complied with"):
        await complied(case, Sanction.TRAINING, date(2030, 5, 15), officer=IO)
    result = await complied(case, Sanction.TRAINING, date(2030, 5, 15))
    assert "complied with on 2030-05-15 (in time)" in result.message
    await child.settle()
    with pytest.raises(Refused, match="not found|already completed"):  # ended (the CLI asks first: exit 3)
        await complied(case, Sanction.TRAINING, date(2030, 5, 16))

    done = await state_of(child)
    assert (done.status, done.complied_on, done.escalated_at) == (FollowUpStatus.COMPLIED, date(2030, 5, 15), None)
    assert (await child.handle.describe()).status is WorkflowExecutionStatus.COMPLETED
    chair = sent(case, "sanction complied with: further training")
    assert to(chair) == ["bernard.okafor@worthing.example"]
    assert "It was complied with on Wednesday 15 May 2030." in body(chair[0])
    assert f"the course “{COURSE}”" in body(chair[0])
    assert not sent(case, "OVERDUE - further training")
    assert sanction_register.due_lines(engine, date(2030, 5, 19)) == []  # the formal letter's ended in March
    engine.dispose()


async def test_a_course_recorded_in_the_training_register_completes_the_sanction_at_its_due_date(
    driver: CaseDriver,
) -> None:
    case = await to_hearing(driver)
    await issue(driver, case, outcome([Sanction.TRAINING], course=COURSE))
    engine = make_engine(driver.settings.resolved_database_url)
    subject = factories.intake().subject_members[0]
    training.save_session(
        engine,
        training.TrainingSession(
            id="TS-2030-004",
            title="code of conduct  REFRESHER",
            held_on=date(2030, 4, 2),
            kind=training.TrainingKind.CODE_OF_CONDUCT,
        ),  # fmt: skip
    )
    training.record_attendance(engine, "TS-2030-004", [subject])
    engine.dispose()
    await driver.travel_to_day(date(2030, 5, 27))  # past the due date: the register is asked first
    child = follow_up(case, Sanction.TRAINING)
    await child.settle()
    done = await state_of(child)
    assert (done.status, done.complied_on, done.session) == (FollowUpStatus.COMPLIED, date(2030, 4, 2), "TS-2030-004")
    assert not sent(case, "OVERDUE")
    chair = sent(case, "sanction complied with")
    assert "recorded from the training register (session TS-2030-004)" in body(chair[0])


async def test_a_training_sanction_missed_escalates_to_the_mo_then_the_chair_is_told(driver: CaseDriver) -> None:
    case = await to_hearing(driver)
    await issue(driver, case, outcome([Sanction.TRAINING], course=COURSE))
    child = follow_up(case, Sanction.TRAINING)
    await driver.travel_to_day(date(2030, 5, 25))
    await child.settle()
    assert not sent(case, "OVERDUE")  # due on the 25th: it lapses when that day ends
    await driver.travel_to_day(date(2030, 5, 27))
    await child.settle()
    escalation = sent(case, "OVERDUE - further training and guidance was due Saturday 25 May 2030")
    assert to(escalation) == MO_ADDRESSES
    assert "conduct sanction-complied WBC-2029-0001 --sanction training --on DATE" in body(escalation[0])
    overdue = await state_of(child)
    assert overdue.status is FollowUpStatus.OVERDUE
    engine = make_engine(driver.settings.resolved_database_url)
    lines = sanction_register.due_lines(engine, date(2030, 5, 27))
    assert [(x.sanction, x.status, x.escalated, x.days_left) for x in lines] == [("training", "overdue", True, -2)]
    assert not sent(case, "not complied with")

    await driver.travel_to_day(date(2030, 6, 10))  # the grace (14 days) ends with the 8th of June
    await child.settle()
    missed = await state_of(child)
    assert missed.status is FollowUpStatus.MISSED
    chair = sent(case, "sanction not complied with: further training")
    assert to(chair) == ["bernard.okafor@worthing.example"]
    assert "It was not complied with by its due date" in body(chair[0])
    assert sanction_register.due_lines(engine, date(2030, 6, 10)) == []
    engine.dispose()


async def test_a_public_apology_not_made_is_followed_by_censure(driver: CaseDriver) -> None:
    case = await to_hearing(driver)
    meeting = date(2030, 3, 20)
    await issue(driver, case, outcome([Sanction.PUBLIC_APOLOGY], apology_meeting=meeting))
    child = follow_up(case, Sanction.PUBLIC_APOLOGY)
    await child.settle()
    assert (await state_of(child)).start.due == meeting
    await driver.travel_to_day(date(2030, 3, 21))
    await child.settle()
    escalation = sent(case, "OVERDUE - a public apology")
    assert to(escalation) == MO_ADDRESSES
    assert "may be censured at a meeting of Full Council" in body(escalation[0])
    await driver.travel_to_day(date(2030, 4, 5))
    await child.settle()
    assert (await state_of(child)).status is FollowUpStatus.CENSURE
    censure = sent(case, "public apology not made: censure at Full Council")
    assert to(censure) == sorted(["desmond.achterberg@worthing.example", "joanna.whitlock@adur-worthing.example",
                                  "patrick.delaney@adur-worthing.example"])  # fmt: skip
    words = body(censure[0])
    assert "the Full Council meeting of 20 March 2030" in words
    assert "may be censured at a meeting of the Full Council" in words
    chair = sent(case, "sanction not complied with: a public apology")
    assert to(chair) == ["bernard.okafor@worthing.example"] and "motion of censure" in body(chair[0])


async def test_sanctions_without_their_parameters_are_refused(driver: CaseDriver) -> None:
    case = await to_hearing(driver)
    with pytest.raises(Refused, match="training names the course"):
        await case.act("hearing_outcome", outcome([Sanction.TRAINING]))
    with pytest.raises(Refused, match="names the period"):
        await case.act("hearing_outcome", outcome([Sanction.COMMITTEE_REMOVAL], committee="Planning"))
    with pytest.raises(Refused, match="removal from the committee must end after the hearing"):
        await case.act(
            "hearing_outcome", outcome([Sanction.COMMITTEE_REMOVAL], committee="Planning", committee_until=HEARING)
        )
    with pytest.raises(Refused, match="--course goes with --sanction training"):
        await case.act("hearing_outcome", outcome([Sanction.FORMAL_LETTER], course=COURSE))
    assert (await case.status()).stage is Stage.HEARING_PENDING


def test_parameters_are_checked_against_the_roster_and_the_hearing() -> None:
    roster = factories.roster()
    removal = outcome([Sanction.COMMITTEE_REMOVAL], committee="Finance", committee_until=date(2030, 9, 30))
    assert terms_refusal(removal) is None
    refused = parameters_refusal(roster, "adur", HEARING, removal)
    assert refused == "'Finance' is not a committee of adur (committees: Planning, Licensing)"
    planning = removal.model_copy(update={"committee": "Planning"})
    assert parameters_refusal(roster, "adur", HEARING, planning) is None
    late = outcome([Sanction.PUBLIC_APOLOGY], apology_meeting=date(2030, 2, 1))
    assert "on or after the hearing" in (parameters_refusal(roster, "worthing", HEARING, late) or "")
    # An outcome recorded before the parameters existed decodes with empty defaults and replays.
    old = a.RecordHearingOutcome.model_validate(
        {"officer": DEM, "finding": "breach", "sanctions": ["committee_removal"], "reasons": "x"}
    )
    assert (old.committee, old.committee_until) == ("", None)
    assert parameters_refusal(roster, "worthing", HEARING, old) is None


def test_a_follow_up_is_sealed_under_its_case_data_key() -> None:
    """The follow-up's id is under its case's, so the codec seals it with that case's data key
    (shredding the case at the end of retention shreds its follow-ups too)."""
    from conduct.codec import EncryptionCodec, new_key_spec, parse_keys

    store: Any = object()  # only whether a key store is configured matters to `case`
    child = follow_up_id("WBC-2029-0001", Sanction.TRAINING)
    codec = EncryptionCodec(parse_keys(new_key_spec("k1")), workflow_id=child, case_keys=store)
    assert codec.case == "WBC-2029-0001"


async def test_a_follow_up_letter_refused_for_good_is_told_to_the_mo_and_deputy(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    """Reproduction: a follow-up's letter that the mail provider refused for good was kept in the
    follow-up's state only; nobody was told, and the chair never heard the sanction's end. The MO
    and deputy are told, as a case's own failures are, and the follow-up still ends."""
    chair = "bernard.okafor@worthing.example"
    backend = RefusesOneAddress(settings.resolved_outbox_dir, chair)
    async with build_worker(env.client, settings, LetterActivities(settings, backend=backend), fail_fast=True):
        driver = CaseDriver(env, settings)
        case = await to_hearing(driver)
        await issue(driver, case, outcome([Sanction.FORMAL_LETTER]))
        child = follow_up(case, Sanction.FORMAL_LETTER)
        await child.settle()
        await complied(case, Sanction.FORMAL_LETTER, NOTICE)
        await child.settle()
        state = await state_of(child)
    assert state.status is FollowUpStatus.COMPLIED and len(state.failures) == 1 and "550" in state.failures[0]
    assert sent(case, "sanction complied with") == []  # the chair's letter was refused
    told = [m for m in sent(case, "a letter could not be delivered") if "sanction_chair_report" in body(m)]
    assert to(told) == MO_ADDRESSES
    assert chair in body(told[0]) and "550 mailbox unavailable" in body(told[0])
