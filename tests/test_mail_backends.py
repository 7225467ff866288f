"""The production mail backends against local stand-ins: SendGrid against a fake of its v3
`POST /v3/mail/send` API (a threaded http.server on 127.0.0.1), SMTP against a real aiosmtpd
server. How each provider answer becomes a temporary (retried) or permanent (not retried) error,
at the backend, at the send_letter activity, and through a real worker and workflow."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.mail import (
    ATTACHMENT_NAME,
    KEY_HEADER,
    REFERENCE_HEADER,
    MailPermanentError,
    MailTemporaryError,
    OutgoingMail,
    SendGridBackend,
    SmtpBackend,
    backend_from_settings,
    build_message,
)
from activities.notifications import LetterActivities
from conduct import actions as a
from conduct.letters import LetterRequest, LetterTemplate
from conduct.register import NotificationRow
from conduct.settings import PROJECT_ROOT, Settings
from conduct.vocabulary import RecipientRole
from tests import factories
from tests.harness import CaseDriver
from tests.ports import free_port
from tests.steps import MO, RECEIVED
from worker import build_worker

API_KEY = "SG.test-key.not-a-real-one"
SENDER = "Monitoring Officer <monitoring.officer@council.example>"
REFERENCE = factories.REFERENCE
TO = "desmond.achterberg@worthing.example"


def mail(key: str = "WBC-2026-0001:decision_notice:subject_member", **overrides: Any) -> OutgoingMail:
    data: dict[str, Any] = {
        "key": key,
        "to": TO,
        "to_name": "Desmond Achterberg",
        "subject": f"{REFERENCE}: decision on the complaint",
        "text": "Dear Councillor,\n\nThe decision.\n",
        "html": "<!DOCTYPE html><html><body><p>The decision.</p></body></html>",
        "sender": SENDER,
        "reference": REFERENCE,
    }
    data.update(overrides)
    return OutgoingMail.model_validate(data)


# ----------------------------------------------------------------------------- fake SendGrid

Answer = tuple[int, bytes]


def sendgrid_errors(message: str) -> bytes:
    return json.dumps({"errors": [{"message": message, "field": None, "help": None}]}).encode()


class FakeSendGrid:
    """Records every request; answers from `script` (one answer per request, in order), then from
    `rule(request)` when set, else 202 Accepted with an empty body, as SendGrid does."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[Answer] = []
        self.rule: Callable[[dict[str, Any]], Answer] | None = None
        self.delay = 0.0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = {
                    "method": "POST",
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": json.loads(raw),
                }
                with fake.lock:
                    fake.requests.append(request)
                    if fake.script:
                        status, body = fake.script.pop(0)
                    elif fake.rule is not None:
                        status, body = fake.rule(request)
                    else:
                        status, body = 202, b""
                if fake.delay:
                    time.sleep(fake.delay)
                try:
                    self.send_response(status)
                    if status == 202:
                        self.send_header("X-Message-Id", f"fake-{len(fake.requests)}")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def keys(self) -> list[str]:
        return [r["json"]["custom_args"]["conduct_key"] for r in self.requests]


@pytest.fixture
def sendgrid_api() -> Iterator[FakeSendGrid]:
    fake = FakeSendGrid()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def sendgrid(sendgrid_api: FakeSendGrid) -> SendGridBackend:
    return SendGridBackend(API_KEY, sendgrid_api.url, SENDER, timeout=5)


def test_sendgrid_request_is_one_personalised_message(sendgrid: SendGridBackend, sendgrid_api: FakeSendGrid):
    notice = "Decision notice: breach found. Sanction: formal letter."
    sendgrid.send(mail(attachment_text=notice))
    [request] = sendgrid_api.requests
    assert request["path"] == "/v3/mail/send"
    assert request["headers"]["authorization"] == f"Bearer {API_KEY}"
    assert request["headers"]["content-type"] == "application/json"
    body = request["json"]
    assert body["personalizations"] == [{"to": [{"email": TO, "name": "Desmond Achterberg"}]}]
    assert body["from"] == {"email": "monitoring.officer@council.example", "name": "Monitoring Officer"}
    assert body["subject"] == f"{REFERENCE}: decision on the complaint"
    assert body["content"] == [
        {"type": "text/plain", "value": "Dear Councillor,\n\nThe decision.\n"},
        {"type": "text/html", "value": "<!DOCTYPE html><html><body><p>The decision.</p></body></html>"},
    ]
    [attachment] = body["attachments"]
    assert attachment == {
        "content": base64.b64encode(notice.encode()).decode(),
        "filename": ATTACHMENT_NAME,
        "type": "text/plain",
        "disposition": "attachment",
    }
    key = "WBC-2026-0001:decision_notice:subject_member"
    assert body["custom_args"] == {"conduct_key": key, "reference": REFERENCE}
    assert body["headers"] == {KEY_HEADER: key, REFERENCE_HEADER: REFERENCE}


def test_sendgrid_without_attachment_or_display_names(sendgrid_api: FakeSendGrid):
    backend = SendGridBackend(API_KEY, sendgrid_api.url, "mo@council.example")
    backend.send(mail(to_name="", sender="", subject="Line\r\nBcc: victim@example.org"))
    body = sendgrid_api.requests[0]["json"]
    assert "attachments" not in body
    assert body["personalizations"] == [{"to": [{"email": TO}]}]
    assert body["from"] == {"email": "mo@council.example"}  # the backend's sender when the message has none
    assert body["subject"] == "Line Bcc: victim@example.org"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, MailTemporaryError),
        (500, MailTemporaryError),
        (502, MailTemporaryError),
        (503, MailTemporaryError),
        (400, MailPermanentError),
        (401, MailPermanentError),
        (403, MailPermanentError),
        (413, MailPermanentError),
    ],
)
def test_sendgrid_answers_become_temporary_or_permanent_errors(
    sendgrid: SendGridBackend, sendgrid_api: FakeSendGrid, status: int, error: type[Exception]
):
    sendgrid_api.script = [(status, sendgrid_errors(f"refused with {status} for {TO}"))]
    with pytest.raises(error) as caught:
        sendgrid.send(mail())
    assert caught.value.status == status
    assert caught.value.body == f"refused with {status} for {TO}"  # SendGrid's message, as given
    assert str(status) in str(caught.value)
    assert TO not in str(caught.value)  # the message (recorded by Temporal) names no address
    assert API_KEY not in str(caught.value) and API_KEY not in repr(sendgrid)


def test_sendgrid_503_then_202(sendgrid: SendGridBackend, sendgrid_api: FakeSendGrid):
    sendgrid_api.script = [(503, b"upstream overloaded")]
    with pytest.raises(MailTemporaryError, match="503: upstream overloaded"):
        sendgrid.send(mail())
    sendgrid.send(mail())
    assert sendgrid_api.keys() == [mail().key] * 2


def test_sendgrid_timeout_and_refused_connection_are_temporary(sendgrid_api: FakeSendGrid):
    sendgrid_api.delay = 1.0
    slow = SendGridBackend(API_KEY, sendgrid_api.url, SENDER, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(MailTemporaryError, match="unreachable"):
        slow.send(mail())
    assert time.monotonic() - started < 0.9
    closed = SendGridBackend(API_KEY, f"http://127.0.0.1:{free_port()}", SENDER, timeout=2)
    with pytest.raises(MailTemporaryError, match="unreachable"):
        closed.send(mail())


def test_backend_from_settings_builds_the_configured_backend(tmp_path: Path):
    def settings(**values: Any) -> Settings:
        return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[call-arg]

    backend = backend_from_settings(
        settings(mail_backend="sendgrid", sendgrid_api_key=API_KEY, sendgrid_host="http://127.0.0.1:9/")
    )
    assert isinstance(backend, SendGridBackend)
    assert backend.host == "http://127.0.0.1:9" and backend.sender == "monitoring.officer@council.example"
    with pytest.raises(ValueError, match="CONDUCT_SENDGRID_API_KEY"):
        backend_from_settings(settings(mail_backend="sendgrid"))

    smtp = backend_from_settings(
        settings(
            mail_backend="smtp",
            smtp_host="relay.example",
            smtp_port=587,
            smtp_username="conduct",
            smtp_password="secret",
            smtp_starttls=True,
            mail_from=SENDER,
        )
    )
    assert isinstance(smtp, SmtpBackend)
    assert (smtp.host, smtp.port, smtp.username, smtp.password, smtp.starttls, smtp.sender) == (
        "relay.example",
        587,
        "conduct",
        "secret",
        True,
        SENDER,
    )
    assert "secret" not in repr(smtp)


# ----------------------------------------------------------------------------- send_letter activity


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'conduct.db'}",
        templates_dir=PROJECT_ROOT / "templates",
        mail_from=SENDER,
    )


def _request() -> LetterRequest:
    template, role = LetterTemplate.DECISION_NOTICE, RecipientRole.SUBJECT_MEMBER
    return LetterRequest(
        key=f"{REFERENCE}:{template.value}:{role.value}",
        template=template,
        reference=REFERENCE,
        recipient=factories.recipient(role),
        context=factories.letter_context(),
        attachment_text="Decision notice",
    )


def _recorded(activities: LetterActivities) -> int:
    """Letters recorded as sent (a claim, `sending` or `failed`, is not a letter sent)."""
    with Session(activities.engine) as session:
        return session.scalar(select(func.count()).select_from(NotificationRow).where(NotificationRow.status == "sent"))


async def test_send_letter_temporary_failure_fails_the_attempt_then_the_retry_sends(
    tmp_path: Path, sendgrid: SendGridBackend, sendgrid_api: FakeSendGrid
):
    activities = LetterActivities(_settings(tmp_path), backend=sendgrid)
    env = ActivityEnvironment()
    request = _request()
    try:
        sendgrid_api.script = [(503, b"try later")]
        with pytest.raises(MailTemporaryError):  # the attempt fails: Temporal's retry policy applies
            await env.run(activities.send_letter, request)
        assert _recorded(activities) == 0

        receipt = await env.run(activities.send_letter, request)  # the retry
        assert receipt.duplicate is False and receipt.to == TO
        again = await env.run(activities.send_letter, request)  # a later duplicate is not sent
        assert again.duplicate is True
        assert _recorded(activities) == 1
        assert sendgrid_api.keys() == [request.key, request.key]
        body = sendgrid_api.requests[-1]["json"]
        assert body["subject"] == receipt.subject
        assert body["attachments"][0]["filename"] == ATTACHMENT_NAME
    finally:
        activities.close()


async def test_send_letter_permanent_failure_is_not_retried_and_not_recorded(
    tmp_path: Path, sendgrid: SendGridBackend, sendgrid_api: FakeSendGrid
):
    activities = LetterActivities(_settings(tmp_path), backend=sendgrid)
    env = ActivityEnvironment()
    try:
        sendgrid_api.script = [
            (401, sendgrid_errors("The provided authorization grant is invalid, expired, or revoked"))
        ]
        with pytest.raises(ApplicationError) as caught:
            await env.run(activities.send_letter, _request())
        error = caught.value
        assert error.type == "MailPermanentError"
        assert error.non_retryable is True
        assert "401" in error.message and TO not in error.message
        assert error.details == (
            {"status": 401, "body": "The provided authorization grant is invalid, expired, or revoked"},
        )
        assert error.__cause__ is None  # not chained: its text would be recorded as the cause, in clear
        assert _recorded(activities) == 0
        assert len(sendgrid_api.requests) == 1
    finally:
        activities.close()


async def test_workflow_retries_temporary_failures_and_records_permanent_ones(
    env: WorkflowEnvironment, settings: Settings, sendgrid_api: FakeSendGrid
):
    """Through a real worker and workflow: the first letter meets a 503 and Temporal retries it;
    the subject member's address is refused (400): not retried, recorded and escalated, and the
    case carries on."""
    subject = factories.roster().member(factories.intake().subject_members[0])
    assert subject is not None
    accepted: Counter[str] = Counter()

    def rule(request: dict[str, Any]) -> Answer:
        body = request["json"]
        if body["personalizations"][0]["to"][0]["email"] == str(subject.email):
            return 400, sendgrid_errors("Does not contain a valid address.")
        accepted[body["custom_args"]["conduct_key"]] += 1
        return 202, b""

    sendgrid_api.script = [(503, b"busy")]
    sendgrid_api.rule = rule
    backend = SendGridBackend(API_KEY, sendgrid_api.url, SENDER, timeout=5)
    async with build_worker(env.client, settings, LetterActivities(settings, backend=backend), fail_fast=True):
        driver = CaseDriver(env, settings)
        await driver.travel_to_day(RECEIVED)
        case = await driver.open()
        result = await case.act("triage", a.Triage(officer=MO, notify=True))
        assert result.stage == "assessment"
        await case.settle()
        state = await case.status()

    asked = Counter(sendgrid_api.keys())
    first = sendgrid_api.keys()[0]
    assert asked[first] == 2 and accepted[first] == 1  # 503, then Temporal's retry: 202
    sent = {r.key for r in state.letters}
    assert sent == set(accepted) and all(n == 1 for n in accepted.values())  # each letter accepted once
    [refused] = set(asked) - set(accepted)
    # asked at most twice (in its batch, then alone by the workflow's fallback), never retried
    assert asked[refused] <= 2
    [failure] = state.delivery_failures
    assert failure.to == str(subject.email) and "400" in failure.error
    assert ("delivery_failed", "monitoring_officer") in {(r.template.value, r.role.value) for r in state.letters}


# ----------------------------------------------------------------------------- SMTP


class Recorder:
    """aiosmtpd handler: keeps each accepted envelope; `rcpt_reply` / `data_reply` refuse."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802, ANN001, ANN201
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
        if self.data_reply:
            return self.data_reply
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"conduct", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtpd() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        ready_timeout=5,
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def _smtp(port: int, **overrides: Any) -> SmtpBackend:
    values: dict[str, Any] = {"host": "127.0.0.1", "port": port, "sender": "bounces@council.example", "timeout": 5}
    values.update(overrides)
    return SmtpBackend(**values)


def test_smtp_sends_the_built_message(smtpd: tuple[Recorder, int]):
    recorder, port = smtpd
    outgoing = mail(attachment_text="Decision notice: breach found.")
    _smtp(port).send(outgoing)
    [envelope] = recorder.envelopes
    assert envelope.mail_from == "bounces@council.example"
    assert envelope.rcpt_tos == [TO]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == TO
    assert message["From"].addresses[0].addr_spec == "monitoring.officer@council.example"
    assert message["Subject"] == outgoing.subject
    assert message[KEY_HEADER] == outgoing.key
    assert message[REFERENCE_HEADER] == REFERENCE
    assert message["Message-ID"] == build_message(outgoing)["Message-ID"]  # the same on every retry
    plain = message.get_body(preferencelist=("plain",)).get_content()
    assert plain.replace("\r\n", "\n") == outgoing.text  # CRLF on the wire
    assert "<p>The decision.</p>" in message.get_body(preferencelist=("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == ATTACHMENT_NAME


def test_smtp_login(smtpd: tuple[Recorder, int]):
    recorder, port = smtpd
    _smtp(port, username="conduct", password="s3cret").send(mail())
    assert len(recorder.envelopes) == 1
    with pytest.raises(MailPermanentError) as caught:
        _smtp(port, username="conduct", password="wrong").send(mail())
    assert caught.value.status == 535


@pytest.mark.parametrize(
    ("stage", "reply", "error"),
    [
        ("rcpt", f"450 4.2.1 <{TO}>: mailbox busy, try later", MailTemporaryError),
        ("rcpt", f"550 5.1.1 <{TO}>: Recipient address rejected", MailPermanentError),
        ("data", "451 4.3.0 queue full", MailTemporaryError),
        ("data", "554 5.7.1 message refused", MailPermanentError),
    ],
)
def test_smtp_replies_become_temporary_or_permanent_errors(
    smtpd: tuple[Recorder, int], stage: str, reply: str, error: type[Exception]
):
    recorder, port = smtpd
    setattr(recorder, f"{stage}_reply", reply)
    with pytest.raises(error) as caught:
        _smtp(port).send(mail())
    assert caught.value.status == int(reply[:3])
    assert TO not in str(caught.value)  # addresses in replies are redacted from the message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert recorder.envelopes == []


def test_smtp_unreachable_is_temporary_and_missing_starttls_is_permanent(smtpd: tuple[Recorder, int]):
    _, port = smtpd
    with pytest.raises(MailTemporaryError, match="unreachable"):
        _smtp(free_port()).send(mail())
    with pytest.raises(MailPermanentError, match="STARTTLS"):
        _smtp(port, starttls=True).send(mail())
