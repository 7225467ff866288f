"""Letter, register and reference activities.

The workflow refers to these activities by name only ("send_letter", "sync_case",
"publish_notice", "allocate_reference"), so this module is never imported into the workflow
sandbox. Blocking work (templates, files, SQL, mail) runs in a thread, and the activity
heartbeats while it runs: if this worker dies, the server retries the activity on another within
the workflow's heartbeat timeout (seconds), not after the start-to-close timeout (minutes).

Idempotency of letters: a letter whose key is already in the `notifications` table is not sent
again (the stored receipt comes back with duplicate=True). If the worker dies after sending but
before recording, the retry sends the same key again; the outbox overwrites the same file and a
real mail service is given the same idempotency key and Message-ID.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.letters import render_letter
from activities.mail import MailBackend, MailPermanentError, OutgoingMail, backend_from_settings
from conduct import register
from conduct.case import CaseState
from conduct.letters import LetterBatch, LetterReceipt, LetterRequest
from conduct.register import PublishNotice, ReferenceRequest
from conduct.roster import Roster
from conduct.settings import Settings

T = TypeVar("T")
A = TypeVar("A")
HEARTBEAT_EVERY = 2.0  # seconds; the SDK batches heartbeats, so this costs no extra calls


async def while_alive(work: Callable[[A], T], arg: A) -> T:
    """Runs blocking work in a thread, heartbeating until it returns: the heartbeat says only
    that this worker is alive, so the workflow's heartbeat timeout can be short while a slow
    mail server still has the start-to-close timeout to answer."""
    task = asyncio.ensure_future(asyncio.to_thread(work, arg))
    while True:
        done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_EVERY)
        if done:
            return task.result()
        activity.heartbeat()


class LetterActivities:
    def __init__(self, settings: Settings, backend: MailBackend | None = None, roster: Roster | None = None):
        self.settings = settings
        self.backend: MailBackend = backend if backend is not None else backend_from_settings(settings)
        self.roster = roster
        self.templates_dir = settings.templates_dir
        self.engine = register.make_engine(settings.resolved_database_url)
        register.create_schema(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ blocking work

    def _send(self, request: LetterRequest) -> LetterReceipt:
        with Session(self.engine) as session:
            previous = register.get_notification(session, request.key)
        if previous is not None:
            activity.logger.info("letter %s already sent; not sending again", request.key)
            return previous
        rendered = render_letter(request, self.templates_dir)
        mail = OutgoingMail(
            key=request.key,
            to=str(request.recipient.email),
            to_name=request.recipient.name,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            sender=self.settings.mail_from,
            reference=request.reference,
            attachment_text=request.attachment_text,
        )
        try:
            self.backend.send(mail)
        except MailPermanentError as err:
            # Retrying cannot help (bad address, refused credentials): fail at once, visibly.
            # A MailTemporaryError propagates as it is: the attempt fails and Temporal retries.
            # The message goes into history unencrypted; the details are payloads (encrypted).
            raise ApplicationError(
                f"letter {request.key} refused: {err}",
                {"status": err.status, "body": err.body},
                type="MailPermanentError",
                non_retryable=True,
            ) from err
        receipt = LetterReceipt(
            key=request.key,
            template=request.template,
            to=str(request.recipient.email),
            role=request.recipient.role,
            subject=rendered.subject,
            sent_at=datetime.now(UTC),
            duplicate=False,
        )
        with Session(self.engine) as session:
            if not register.record_notification(session, receipt, request.reference):
                # another attempt recorded it between our check and now: report that one
                receipt = register.get_notification(session, request.key) or receipt
        return receipt

    def _sync(self, state: CaseState) -> None:
        with Session(self.engine) as session:
            register.sync_case(session, state, self.roster)

    def _publish(self, request: PublishNotice) -> None:
        with Session(self.engine) as session:
            register.publish_notice(session, request.reference, request.council, request.text, request.at)

    def _allocate(self, request: ReferenceRequest) -> str:
        with Session(self.engine) as session:
            return register.allocate_reference(session, request.council_code, request.year)

    # ------------------------------------------------------------------ activities

    @activity.defn(name="send_letter")
    async def send_letter(self, request: LetterRequest) -> LetterReceipt:
        return await while_alive(self._send, request)

    @activity.defn(name="send_letters")
    async def send_letters(self, batch: LetterBatch) -> list[LetterReceipt]:
        return [await while_alive(self._send, r) for r in batch.requests]

    @activity.defn(name="sync_case")
    async def sync_case(self, state: CaseState) -> None:
        await while_alive(self._sync, state)

    @activity.defn(name="publish_notice")
    async def publish_notice(self, request: PublishNotice) -> None:
        await while_alive(self._publish, request)

    @activity.defn(name="allocate_reference")
    async def allocate_reference(self, request: ReferenceRequest) -> str:
        return await while_alive(self._allocate, request)

    def activities(self) -> list:
        """For Worker(activities=...)."""
        return [self.send_letter, self.sync_case, self.publish_notice, self.allocate_reference]
