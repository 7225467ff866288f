"""Letter, register and reference activities.

The workflow refers to these activities by name only ("send_letter", "sync_case",
"publish_notice", "allocate_reference"), so this module is never imported into the workflow
sandbox. Blocking work (templates, files, SQL, mail) runs in this worker's own thread pool, as
large as the worker's activity slots (`CONDUCT_WORKER_ACTIVITIES`), so an accepted activity never
queues for a thread; the activity heartbeats while it runs: if this worker dies, the server
retries the activity on another within the workflow's heartbeat timeout (seconds), not after the
start-to-close timeout (minutes).

One letter per activity (`send_letter`; the workflow fans out one activity per recipient).

Errors retrying cannot fix fail the activity at once, as a non-retryable ApplicationError of
type "MailPermanentError" (the workflow records it on the case, escalates it and goes on): a
template that does not render (Jinja errors, LetterTemplateError), an address or header the mail
library refuses (email_validator, the email package's header and encoding errors), and a
provider's refusal (HTTP 4xx other than 408/429, SMTP 5xx). Everything else fails the attempt
and Temporal retries it. The failure's message goes into history (encrypted only when failure
attributes are encoded): it names the recipient by role, never by name or address.

Claim before sending. A letter's idempotency key is inserted into the `notifications` table as
`sending`, in a transaction of its own, before the provider is called; once the provider has
accepted it, the row is marked `sent` with the receipt. What a retry finds:
- `sent`: the stored receipt comes back (duplicate=True); nothing is sent.
- `sending`: an earlier attempt claimed the letter and died or lost the provider's answer; it may
  or may not have gone. It is sent again with the same key and the same Message-ID: the outbox
  overwrites the same file, SMTP servers and readers see the same Message-ID, and SendGrid gets
  the same `conduct_key` custom arg and key header. We resend rather than ask the provider,
  because neither the outbox nor SMTP can be asked, and a SendGrid activity lookup lags by
  minutes: a rare duplicate that can be recognised beats a letter that never goes.
- `failed` (refused for good before; only after a manual reset of the activity): tried again.
A permanent refusal marks the claim `failed`.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

from jinja2 import TemplateError
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.letters import LetterTemplateError, render_letter
from activities.mail import (
    ATTACHMENT_NAME,
    MailBackend,
    MailPermanentError,
    OutgoingMail,
    backend_from_settings,
    check_address,
    reason,
    redact,
)
from activities.print_letters import queue_letter
from activities.report_documents import letter_documents
from conduct import register
from conduct.case import CaseState
from conduct.document_store import DocumentError
from conduct.letters import LetterBatch, LetterReceipt, LetterRequest
from conduct.projection import CaseSync
from conduct.register import PublishNotice, ReferenceRequest
from conduct.roster import Roster
from conduct.settings import Settings
from conduct.vocabulary import RecipientRole

T = TypeVar("T")
A = TypeVar("A")
HEARTBEAT_EVERY = 2.0  # seconds; the SDK batches heartbeats, so this costs no extra calls
PERMANENT = "MailPermanentError"  # the failure type the workflow recognises


async def while_alive(work: Callable[[A], T], arg: A, executor: Executor | None = None) -> T:
    """Runs blocking work in a thread of `executor` (default: the loop's), heartbeating until it
    returns: the heartbeat says only that this worker is alive, so the workflow's heartbeat timeout
    can be short while a slow mail server still has the start-to-close timeout to answer."""
    context = contextvars.copy_context()  # as asyncio.to_thread: the activity's logger works in the thread
    task = asyncio.get_running_loop().run_in_executor(executor, context.run, work, arg)
    while True:
        done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_EVERY)
        if done:
            return task.result()
        activity.heartbeat()


def _words(role: object) -> str:
    return str(getattr(role, "value", role)).replace("_", " ")


def scrub(text: str, request: LetterRequest) -> str:
    """`text` without the recipient's address or name (a provider's refusal often quotes both)."""
    text = redact(text).replace(str(request.recipient.email), "<address>")
    name = request.recipient.name.strip()
    parts = sorted({name, *(w.strip(".,()") for w in name.split())}, key=len, reverse=True)
    for part in parts:
        if len(part) >= 3:
            text = re.sub(re.escape(part), "<name>", text, flags=re.IGNORECASE)
    return text


def permanent(request: LetterRequest, what: str, err: BaseException) -> ApplicationError:
    """The non-retryable failure for a letter that will never go: template, role and key, and the
    reason, with no name or address (it is recorded in the workflow history)."""
    cause = str(err) if isinstance(err, MailPermanentError) else reason(err)
    return ApplicationError(
        f"{request.template.value} letter to the {_words(request.recipient.role)} (key {redact(request.key)}) "
        f"cannot be sent: {what}: {scrub(cause, request)}",
        type=PERMANENT,
        non_retryable=True,
    )


class LetterActivities:
    def __init__(
        self,
        settings: Settings,
        backend: MailBackend | None = None,
        roster: Roster | None = None,
        executor: Executor | None = None,
    ):
        self.settings = settings
        self.backend: MailBackend = backend if backend is not None else backend_from_settings(settings)
        self.roster = roster
        self.templates_dir = settings.templates_dir
        self.threads = settings.worker_activities
        self._own_executor = executor is None
        self.executor: Executor = executor or ThreadPoolExecutor(self.threads, thread_name_prefix="conduct-activity")
        self.engine = register.make_engine(settings.resolved_database_url, keys=settings.resolved_encryption_keys)
        register.create_schema(self.engine)

    def close(self) -> None:
        if self._own_executor:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()

    # ------------------------------------------------------------------ blocking work

    def _mail(self, request: LetterRequest) -> OutgoingMail:
        """Render and address the letter; whatever retrying cannot fix is a permanent failure."""
        whose = "complainant's" if request.recipient.role is RecipientRole.COMPLAINANT else "recipient's"
        try:
            rendered = render_letter(request, self.templates_dir)
        except (TemplateError, LetterTemplateError) as err:
            raise permanent(request, "the template does not render", err) from None
        try:
            attachments = letter_documents(self.settings, request)
        except DocumentError as err:
            raise permanent(request, "a document cannot be attached", err) from None
        try:
            check_address(str(request.recipient.email), whose)
            return OutgoingMail(
                key=request.key,
                to=str(request.recipient.email),
                to_name=request.recipient.name,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                sender=self.settings.mail_from,
                reference=request.reference,
                attachment_text=request.attachment_text,
                attachment_name=request.attachment_name or ATTACHMENT_NAME,
                attachments=attachments,
            )
        except MailPermanentError as err:
            raise permanent(request, "address refused", err) from None

    def _print(self, request: LetterRequest) -> LetterReceipt:
        """A party without e-mail: the letter goes to the print queue as a PDF (activities/print_letters.py)."""
        try:
            rendered = render_letter(request, self.templates_dir)
        except (TemplateError, LetterTemplateError) as err:
            raise permanent(request, "the template does not render", err) from None
        if not request.recipient.address.strip():
            raise permanent(request, "address refused", MailPermanentError("no e-mail and no postal address"))
        try:
            return queue_letter(self.settings, self.engine, request, rendered)
        except DocumentError as err:
            raise permanent(request, "the letter cannot be kept for printing", err) from None

    def _send(self, request: LetterRequest) -> LetterReceipt:
        previous = register.get_notification(self.engine, request.key)
        if previous is not None:
            activity.logger.info("letter %s already sent; not sending again", request.key)
            return previous
        if request.recipient.by_post:
            return self._print(request)
        mail = self._mail(request)
        receipt = LetterReceipt(
            key=request.key,
            template=request.template,
            to=mail.to,
            role=request.recipient.role,
            subject=mail.subject,
            sent_at=datetime.now(UTC),
            duplicate=False,
        )
        claim = register.claim_letter(self.engine, receipt, request.reference)  # committed before sending
        if claim.status == register.SENT and claim.receipt is not None:
            return claim.receipt
        if claim.status == register.SENDING:
            activity.logger.info("letter %s was claimed by an earlier attempt: sending it again", request.key)
        try:
            self.backend.send(mail)
        except MailPermanentError as err:
            # A MailTemporaryError (or anything else) propagates as it is: the attempt fails,
            # the claim stays `sending`, and Temporal retries. The provider's answer, which may
            # quote the recipient, goes only into the details (payloads: encrypted), and the
            # MailPermanentError is not chained (Temporal would record its text as the cause).
            register.mark_letter_failed(self.engine, request.key)
            failure = permanent(request, "the mail provider refused it", err)
            raise ApplicationError(
                failure.message, {"status": err.status, "body": err.body}, type=PERMANENT, non_retryable=True
            ) from None
        except ApplicationError as err:
            if err.non_retryable:
                register.mark_letter_failed(self.engine, request.key)
            raise
        return register.mark_letter_sent(
            self.engine, receipt.model_copy(update={"sent_at": datetime.now(UTC)}), request.reference
        )

    def _sync(self, sync: CaseSync | CaseState) -> None:
        with Session(self.engine) as session:
            register.sync_case(session, sync, self.roster)

    def _publish(self, request: PublishNotice) -> None:
        with Session(self.engine) as session:
            notice = request if request.version else None  # version 0: published at issue-notice, before drafts
            register.publish_notice(session, request.reference, request.council, request.text, request.at, notice)

    def _allocate(self, request: ReferenceRequest) -> str:
        with Session(self.engine) as session:
            return register.allocate_reference(session, request.council_code, request.year)

    # ------------------------------------------------------------------ activities

    @activity.defn(name="send_letter")
    async def send_letter(self, request: LetterRequest) -> LetterReceipt:
        return await while_alive(self._send, request, self.executor)

    @activity.defn(name="send_letters")
    async def send_letters(self, batch: LetterBatch) -> list[LetterReceipt]:
        """Several letters in one activity: kept for workflows whose history schedules it (each
        letter is still claimed, sent and marked on its own; a permanent failure fails the batch,
        and the workflow then sends the letters one by one)."""
        return [await while_alive(self._send, r, self.executor) for r in batch.requests]

    @activity.defn(name="sync_case")
    async def sync_case(self, sync: CaseSync | CaseState) -> None:
        """`CaseSync` (conduct.projection); a whole CaseState from a workflow that predates it."""
        await while_alive(self._sync, sync, self.executor)

    @activity.defn(name="publish_notice")
    async def publish_notice(self, request: PublishNotice) -> None:
        await while_alive(self._publish, request, self.executor)

    @activity.defn(name="allocate_reference")
    async def allocate_reference(self, request: ReferenceRequest) -> str:
        return await while_alive(self._allocate, request, self.executor)

    def activities(self) -> list:
        """For Worker(activities=...)."""
        return [self.send_letter, self.sync_case, self.publish_notice, self.allocate_reference]
