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
    from conduct.letters import LetterContext, LetterReceipt, LetterRequest, LetterTemplate, Recipient
    from conduct.vocabulary import Role

# Retry until it succeeds (a case must never be lost to an outage); only a non-retryable
# failure (a letter refused for good) ends the attempts.
DURABLE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=10))
# Activities that touch the register or the mail heartbeat while they work, so that a worker
# killed mid-activity is noticed in seconds and the activity retried on another worker.
ALIVE = timedelta(seconds=10)
SEND_TIMEOUT = timedelta(minutes=2)
PERMANENT = "MailPermanentError"


class Post:
    def __init__(
        self,
        case: CaseState,
        to: Callable[[], Addressees],
        context: Callable[..., LetterContext],
        log: Callable[[str, str], None],
    ) -> None:
        self.case, self._to, self._context, self._log = case, to, context, log
        self._seq = 0

    async def send(
        self, template: LetterTemplate, recipients: list[Recipient], attachment: str | None = None, **context: object
    ) -> None:
        """One letter to each recipient (each address once), sent side by side."""
        self._seq += 1
        base = self._context(**context)
        requests: dict[str, LetterRequest] = {}
        for r in recipients:
            if str(r.email) in requests:
                continue
            ctx = base
            if self.case.intake.confidential and r.role in IDENTITY_HIDDEN_FROM:
                ctx = base.model_copy(update={"complainant_name": "", "complainant_identity_withheld": True})
            key = f"{self.case.reference}/{self._seq:03d}-{template.value}/{r.role.value}/{r.id or r.email}"
            requests[str(r.email)] = LetterRequest(
                key=key,
                template=template,
                reference=self.case.reference,
                recipient=r,
                context=ctx,
                attachment_text=attachment,
            )
        receipts = await asyncio.gather(*(self._one(req) for req in requests.values()))
        for rc in receipts:
            if rc is not None:
                self.case.letters.append(
                    LetterRecord(template=rc.template, to=rc.to, role=rc.role, key=rc.key, sent_at=rc.sent_at)
                )

    async def _one(self, req: LetterRequest) -> LetterReceipt | None:
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
            await self._failed(req, err.cause.message)
            return None

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
                text=f"{req.template.value} to {req.recipient.name} <{req.recipient.email}>: {reason}",
            )
