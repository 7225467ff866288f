"""Letters as they leave the system: who may read the complainant's name, and that a retried
letter activity sends and records each letter exactly once."""

from collections import Counter
from pathlib import Path

from sqlalchemy import text
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.mail import OutboxBackend, OutgoingMail
from activities.notifications import LetterActivities
from conduct import actions as a
from conduct.register import make_engine
from conduct.settings import Settings
from conduct.vocabulary import AssessmentOutcome
from tests import factories
from tests.harness import CaseDriver
from tests.steps import IO, MO, RECEIVED, open_and_triage
from worker import build_worker

NAME = factories.intake().complainant.name


def body(message) -> str:  # noqa: ANN001
    parts = [p.get_content() for p in message.walk() if p.get_content_type() in ("text/plain", "text/html")]
    return "\n".join(parts)


async def test_confidential_complainant_is_never_named_to_the_subject_side(driver: CaseDriver) -> None:
    intake = factories.intake(confidential=True, confidentiality_reason="I fear reprisals at work.")
    case = await open_and_triage(driver, intake=intake)
    await case.act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    await case.settle()
    complainant_email = str(intake.complainant.email)
    to_complainant = [m for m in case.outbox() if m["To"].addresses[0].addr_spec == complainant_email]
    to_others = [m for m in case.outbox() if m["To"].addresses[0].addr_spec != complainant_email]
    hidden_side = {"subject_member", "group_leader", "committee_chair"}
    roles = {role for _, role in await case.letters()}
    assert hidden_side <= roles, roles  # the subject, their Group Leader and the chair all got letters
    assert to_complainant and all(NAME in body(m) for m in to_complainant)
    officers = {str(o.email) for o in factories.roster().officers}
    for message in to_others:
        if message["To"].addresses[0].addr_spec not in officers:
            assert NAME not in body(message), f"{message['Subject']} to {message['To']} names the complainant"


class FailsOnceAfterSending:
    """Sends, then fails the first attempt for each letter: the worst moment for a retry."""

    def __init__(self, directory: Path) -> None:
        self.outbox = OutboxBackend(directory)
        self.calls: Counter[str] = Counter()

    def send(self, message: OutgoingMail) -> None:
        self.outbox.send(message)
        self.calls[message.key] += 1
        if self.calls[message.key] == 1:
            raise ConnectionError("mail provider dropped the connection after accepting the message")


async def test_retried_letter_is_sent_and_recorded_once(env: WorkflowEnvironment, settings: Settings) -> None:
    backend = FailsOnceAfterSending(settings.resolved_outbox_dir)
    async with build_worker(env.client, settings, LetterActivities(settings, backend=backend), fail_fast=True):
        driver = CaseDriver(env, settings)
        await driver.travel_to_day(RECEIVED)
        case = await driver.open()
        await case.act("triage", a.Triage(officer=MO, notify=True))
        await case.settle()
        keys = [letter.key for letter in (await case.status()).letters]
    assert len(keys) == 3  # acknowledgement, subject notified, Group Leader informed
    assert all(backend.calls[k] == 2 for k in keys)  # each one really was retried
    assert len(list(settings.resolved_outbox_dir.glob("*.eml"))) == 3
    with make_engine(settings.resolved_database_url).connect() as conn:
        assert conn.execute(text("select count(*) from notifications")).scalar_one() == 3


class RefusesOneAddress:
    """A provider that will never accept one address (say, a mistyped one)."""

    def __init__(self, directory: Path, refused: str) -> None:
        self.outbox, self.refused = OutboxBackend(directory), refused

    def send(self, message: OutgoingMail) -> None:
        if message.to == self.refused:
            raise ApplicationError("550 mailbox unavailable", type="MailPermanentError", non_retryable=True)
        self.outbox.send(message)


async def test_permanent_delivery_failure_is_recorded_escalated_and_does_not_stall(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    subject = factories.roster().member(factories.intake().subject_members[0])
    assert subject is not None
    backend = RefusesOneAddress(settings.resolved_outbox_dir, str(subject.email))
    async with build_worker(env.client, settings, LetterActivities(settings, backend=backend), fail_fast=True):
        driver = CaseDriver(env, settings)
        await driver.travel_to_day(RECEIVED)
        case = await driver.open()
        result = await case.act("triage", a.Triage(officer=MO, notify=True))
        assert result.stage == "assessment"  # the case carried on
        state = await case.status()
    [failure] = state.delivery_failures
    assert (failure.template.value, failure.to, failure.role.value) == (
        "subject_notified",
        str(subject.email),
        "subject_member",
    )
    assert "550 mailbox unavailable" in failure.error
    letters = {(r.template.value, r.role.value) for r in state.letters}
    assert ("delivery_failed", "monitoring_officer") in letters
    assert ("delivery_failed", "deputy_monitoring_officer") in letters
    assert ("group_leader_informed", "group_leader") in letters  # later letters still go
    assert ("subject_notified", "subject_member") not in letters
    assert [t.event for t in state.timeline].count("letter_failed") == 1
