"""Letters from a case: one `send_letter` activity per recipient, fanned out together.

Each letter has a deterministic idempotency key (case, sequence, template, recipient), so a
retried activity never sends twice. A letter the provider refuses for good (a bad address, a
template error, a 4xx) does not stall the case: the failure is recorded on it, the MO and deputy
are told, and the procedure goes on (DESIGN.md, "Concurrency and change").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from conduct.addressees import IDENTITY_HIDDEN_FROM, Addressees
    from conduct.case import CaseState, DeliveryFailure, LetterRecord
    from conduct.confidentiality import identity_confidential
    from conduct.documents import DocumentRef
    from conduct.lead_notices import CopiedLetter
    from conduct.letters import LetterContext, LetterReceipt, LetterRequest, LetterTemplate, Recipient
    from conduct.vocabulary import RecipientRole, Role

# Retry until it succeeds (a case must never be lost to an outage); only a non-retryable
# failure (a letter refused for good) ends the attempts.
DURABLE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=10))
# Activities that touch the register or the mail heartbeat while they work, so that a worker
# killed mid-activity is noticed in seconds and the activity retried on another worker.
ALIVE = timedelta(seconds=10)
SEND_TIMEOUT = timedelta(minutes=2)
PERMANENT = "MailPermanentError"
# Histories recorded before a subject member not notified was kept out of every letter (R1).
WITHHELD_NOTICE_PATCH = "withheld-notice-kept"
# A subject member not yet told of the complaint, and their Group Leader, get no letter about it.
KEPT_UNTIL_NOTIFIED = frozenset({RecipientRole.SUBJECT_MEMBER, RecipientRole.GROUP_LEADER})


class Post:
    def __init__(
        self,
        case: CaseState,
        to: Callable[[], Addressees],
        context: Callable[..., LetterContext],
        log: Callable[[str, str], None],
        queued: Callable[[LetterTemplate, list[LetterRecord]], None] | None = None,
    ) -> None:
        self.case, self._to, self._context, self._log = case, to, context, log
        self._queued = queued  # letters put in the print queue (conduct.postal): their clocks wait
        self._seq = 0
        # R14: while a lead case carries out a step its followers take too, the letters to its
        # complainant are copied here (workflows/lead.py); None otherwise.
        self.copies: list[CopiedLetter] | None = None

    async def send(
        self,
        template: LetterTemplate,
        recipients: list[Recipient],
        attachment: str | None = None,
        attachment_name: str = "",
        documents: list[DocumentRef] | None = None,
        **context: object,
    ) -> None:
        """One letter to each recipient (each address once), sent side by side; `attachment` is a
        text sent as a file (`attachment_name`), `documents` sealed files sent with it (R7)."""
        self._seq += 1
        if self.copies is not None and any(r.role is RecipientRole.COMPLAINANT for r in recipients):
            copied = CopiedLetter(template=template, context=dict(context), attachment=attachment,
                                  attachment_name=attachment_name)  # fmt: skip
            self.copies.append(copied)
        base = self._context(**context)
        requests: dict[str, LetterRequest] = {}
        hidden = identity_confidential(self.case)
        for r in recipients:
            # A party without e-mail (conduct.postal) is told apart by role and id.
            address = str(r.email) or f"post:{r.role.value}:{r.id}"
            if address in requests or self._kept_from(template, r):
                continue
            ctx = base
            if hidden and r.role in IDENTITY_HIDDEN_FROM:
                ctx = base.model_copy(update={"complainant_name": "", "complainant_identity_withheld": True})
            key = f"{self.case.reference}/{self._seq:03d}-{template.value}/{r.role.value}/{r.id or r.email}"
            requests[address] = LetterRequest(
                key=key,
                template=template,
                reference=self.case.reference,
                recipient=r,
                context=ctx,
                attachment_text=attachment,
                attachment_name=attachment_name,
                documents=documents or [],
            )
        receipts = await asyncio.gather(*(self._one(req) for req in requests.values()))
        queued: list[LetterRecord] = []
        for rc in receipts:
            if rc is not None:
                # A letter by post is dated by the case's clock: its posting is judged against it.
                sent_at = workflow.now() if rc.by_post else rc.sent_at
                record = LetterRecord(
                    template=rc.template, to=rc.to, role=rc.role, key=rc.key, sent_at=sent_at, by_post=rc.by_post
                )
                self.case.letters.append(record)
                if rc.by_post:
                    queued.append(record)
        if queued and self._queued is not None:
            self._queued(template, queued)

    def _kept_from(self, template: LetterTemplate, r: Recipient) -> bool:
        """R1, DESIGN "Who sees what": a subject member who has not been told of the complaint
        (notice withheld, held, or not yet decided) receives nothing about it, and nor does their
        Group Leader; `triage --notify` tells them later. Recorded on the timeline."""
        if r.role not in KEPT_UNTIL_NOTIFIED or self.case.subject_notified is True:
            return False
        if template is LetterTemplate.SUBJECT_NOTIFIED or not workflow.patched(WITHHELD_NOTICE_PATCH):
            return False
        self._log("letter_withheld", f"{template.value} not sent to the {r.role.value.replace('_', ' ')}: not notified")
        return True

    async def _one(self, req: LetterRequest) -> LetterReceipt | None:
        sent = await deliver(req)
        if isinstance(sent, str):
            await self._failed(req, sent)
            return None
        return sent

    async def _failed(self, req: LetterRequest, reason: str) -> None:
        """On the case for `conduct show`, and the MO and deputy are told (unless their own
        letter is the one failing)."""
        self.case.delivery_failures.append(
            DeliveryFailure(
                template=req.template, to=str(req.recipient.email), role=req.recipient.role, error=reason,
                at=workflow.now(),
            )
        )  # fmt: skip
        self._log(
            "letter_failed", f"{req.template.value} to {req.recipient.role.value} could not be delivered: {reason}"
        )
        if req.template is not LetterTemplate.DELIVERY_FAILED:
            to = self._to()
            await self.send(
                LetterTemplate.DELIVERY_FAILED,
                to.officers(Role.MONITORING_OFFICER) + to.officers(Role.DEPUTY_MONITORING_OFFICER),
                text=failure_line(req, reason),
            )


async def deliver(req: LetterRequest) -> LetterReceipt | str:
    """Send one letter: its receipt, or the reason the mail provider refused it for good. A
    temporary failure is retried by the activity; anything else is raised."""
    try:
        return await workflow.execute_activity(
            "send_letter",
            req,
            result_type=LetterReceipt,
            start_to_close_timeout=SEND_TIMEOUT,
            heartbeat_timeout=ALIVE,
            retry_policy=DURABLE_RETRY,
            summary=f"{req.template.value} to {req.recipient.role.value}",
        )
    except ActivityError as err:
        if not (isinstance(err.cause, ApplicationError) and err.cause.type == PERMANENT):
            raise
        return err.cause.message


def failure_line(req: LetterRequest, reason: str) -> str:
    """A letter refused for good, as the MO and deputy are told of it."""
    return f"{req.template.value} to {req.recipient.name} <{req.recipient.email}>: {reason}"
