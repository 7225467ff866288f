"""SanctionFollowUp: one sanction the Hearings Sub-Committee imposed, followed up until it is
complied with or escalated (R10, R17), in a workflow of its own.

The complaint starts one per sanction when it issues its decision notice (`start_follow_ups`),
as a child it abandons: the case closes with its notice while its follow-ups run on. In order:
the register is told (`conduct cases --sanctions-due`); a reminder goes before the due date to
whoever must act; compliance is recorded by an officer (`conduct sanction-complied`, an update
signed like every officer action) or found in the training register (a course: the training CLI
records it here when attendance is recorded, and the register is asked again at the due date);
when the due date passes without it the Monitoring Officer and deputy are told, and compliance
may still be recorded for a while (`SanctionTimes.grace_days`); then it ends with a letter to the
standards committee's chair saying how it ended. A public apology not made is followed by censure
at Full Council, as the arrangements say: the member and the MO are told.

Deterministic: no I/O here, time only from workflow.now(); dates come in the start input.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from conduct import attestation
    from conduct import sanctions as s
    from conduct.actions import ActionResult
    from conduct.addressees import Addressees
    from conduct.calendar import lapse_instant, london_date, start_of_day_utc
    from conduct.case import CaseState
    from conduct.letters import LetterContext, LetterRequest, LetterTemplate, Recipient
    from conduct.procedure import ProcedureSettings
    from conduct.record_rules import signatory
    from conduct.roster import Roster
    from conduct.vocabulary import SANCTION_TITLES, Role, Sanction
    from workflows.post import ALIVE, DURABLE_RETRY, deliver, failure_line

REGISTER_TIMEOUT = timedelta(seconds=30)
FAILURE_TOLD = "follow-up-failure-told"  # a letter refused for good is told to the MO and deputy
REMIND_AT = timedelta(hours=9)  # a reminder goes at 09:00 on its day (London midnight + 9 h, near enough)


@workflow.defn(name="SanctionFollowUp")
class SanctionFollowUpWorkflow:
    @workflow.init
    def __init__(self, start: s.FollowUpStart) -> None:
        self.state = s.FollowUpState(workflow_id=workflow.info().workflow_id, start=start)
        self._lock = asyncio.Lock()
        self._seq = 0

    @workflow.run
    async def run(self, start: s.FollowUpStart) -> s.FollowUpEnd:
        async with self._lock:
            await self._record()
        if start.reminder_on is not None and not await self._done_by(
            start_of_day_utc(start.reminder_on) + REMIND_AT, "sanction reminder"
        ):
            async with self._lock:
                if self.state.status.open:
                    await self._send(
                        LetterTemplate.SANCTION_REMINDER, start.recipients.responsible, text=s.DUTY[start.sanction]
                    )
                    self.state.reminded_at = workflow.now()
                    await self._record()
        if not await self._done_by(lapse_instant(start.due), "sanction due"):
            await self._from_register()
            async with self._lock:
                if self.state.status.open:
                    await self._escalate()
        if not await self._done_by(lapse_instant(start.grace_until), "sanction grace ends"):
            await self._from_register()
            async with self._lock:
                if self.state.status.open:
                    self.state.status = (
                        s.FollowUpStatus.CENSURE
                        if start.sanction is Sanction.PUBLIC_APOLOGY
                        else s.FollowUpStatus.MISSED
                    )
                    if self.state.status is s.FollowUpStatus.CENSURE:  # section 9: censure follows
                        await self._send(
                            LetterTemplate.SANCTION_CENSURE, start.recipients.subjects + start.recipients.monitoring
                        )
        async with self._lock:
            await self._send(LetterTemplate.SANCTION_CHAIR_REPORT, start.recipients.chair, text=self._ending())
            self.state.closed_at = workflow.now()
            await self._record()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return s.FollowUpEnd(status=self.state.status, complied_on=self.state.complied_on)

    async def _done_by(self, when: datetime, what: str) -> bool:
        """Wait until `when` or compliance, whichever comes first; True once complied with."""
        delay = when - workflow.now()
        if delay > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: not self.state.status.open, timeout=delay, timeout_summary=what)
        return not self.state.status.open

    async def _from_register(self) -> None:
        """A course: the training register may hold attendance the CLI could not pass on (Temporal
        was unreachable then); asked at the due date and at the end of the grace."""
        start = self.state.start
        if start.sanction is not Sanction.TRAINING or not self.state.status.open:
            return
        met = await workflow.execute_activity(
            "sanction_training_check",
            s.TrainingCheck(
                reference=start.reference, members=start.subject_members, course=start.course, since=start.hearing_date
            ),
            result_type=s.TrainingMet,
            start_to_close_timeout=REGISTER_TIMEOUT,
            heartbeat_timeout=ALIVE,
            retry_policy=DURABLE_RETRY,
            summary="training register",
        )
        if met.held_on is not None:
            async with self._lock:
                if self.state.status.open:
                    self._complied(met.held_on, "training register", met.session, "found in the training register")
                    await self._record()

    async def _escalate(self) -> None:
        """R17: missed: the MO and deputy are told; compliance may still be recorded until the grace ends."""
        start = self.state.start
        grace = start.grace_until.isoformat()
        command = f"conduct sanction-complied {start.reference} --sanction {s.COMMAND_WORDS[start.sanction]} --on DATE"
        if start.sanction is Sanction.PUBLIC_APOLOGY:
            then = (
                f"If the apology was made, record it ({command}). If it is not recorded by {grace}, the member may be "
                "censured at a meeting of Full Council, as the arrangements provide: the member and the Chair of the "
                "committee responsible for standards are then told."
            )
        else:
            then = (
                f"If it has been complied with, record it ({command}). If it is not recorded by {grace}, the Chair of "
                "the committee responsible for standards is told that it was not complied with."
            )
        self.state.status = s.FollowUpStatus.OVERDUE
        self.state.escalated_at = workflow.now()
        await self._send(LetterTemplate.SANCTION_ESCALATION, start.recipients.monitoring, text=then)
        await self._record()

    def _ending(self) -> str:
        start, state = self.state.start, self.state
        if state.status is s.FollowUpStatus.CENSURE:
            return (
                "As the arrangements provide, the member may be censured at a meeting of the Full Council: the "
                "Monitoring Officer will put a motion of censure to its next meeting."
            )
        if state.status is s.FollowUpStatus.MISSED:
            return (
                f"The Monitoring Officer was told on {london_date(state.escalated_at or workflow.now()).isoformat()}."
            )
        if state.session:
            return f"It was recorded from the training register (session {state.session})."
        return "" if start.sanction is not Sanction.COMMITTEE_REMOVAL else "The Group Leader has acted on it."

    def _complied(self, on, officer: str, session: str = "", note: str = "") -> None:  # noqa: ANN001
        start = self.state.start
        self.state.complied_on = on
        self.state.complied_by = officer
        self.state.session = session
        self.state.complied_note = note
        late = on > start.due
        self.state.status = s.FollowUpStatus.COMPLIED_LATE if late else s.FollowUpStatus.COMPLIED

    # ------------------------------------------------------------------ letters and register

    async def _send(self, template: LetterTemplate, recipients: list[Recipient], text: str = "") -> None:
        """One letter per recipient (each address once), each with its idempotency key."""
        start = self.state.start
        self._seq += 1
        context = LetterContext(
            reference=start.reference,
            council_name=start.council_name,
            subject_names=start.subject_names,
            signing_council_name=start.signing_council_name,
            signed_by=start.signed_by,
            hearing_date=start.hearing_date,
            text=text,
            sanction=SANCTION_TITLES[start.sanction],
            sanction_terms=start.terms,
            sanction_due=start.due,
            complied_on=self.state.complied_on,
        )
        requests: dict[str, LetterRequest] = {}
        for r in recipients:
            if str(r.email) in requests:
                continue
            where = f"{start.reference}/sanction-{start.sanction.value}/{self._seq:03d}-{template.value}"
            key = f"{where}/{r.role.value}/{r.id or r.email}"
            requests[str(r.email)] = LetterRequest(
                key=key, template=template, reference=start.reference, recipient=r, context=context
            )
        await asyncio.gather(*(self._one(req) for req in requests.values()))

    async def _one(self, req: LetterRequest) -> None:
        sent = await deliver(req)
        if isinstance(sent, str):  # refused for good
            self.state.failures.append(sent)
            await self._tell_failure(req, sent)
            return
        self.state.letters.append(sent.key)

    async def _tell_failure(self, req: LetterRequest, reason: str) -> None:
        """A letter refused for good: the MO and deputy are told, as a case's own failures are
        (workflows/post.py), unless theirs is the letter failing. Follow-ups recorded before
        (patch `follow-up-failure-told`) only kept it in their state."""
        monitoring = self.state.start.recipients.monitoring
        if req.template is LetterTemplate.DELIVERY_FAILED or any(r.email == req.recipient.email for r in monitoring):
            return
        if not workflow.patched(FAILURE_TOLD):
            return
        await self._send(LetterTemplate.DELIVERY_FAILED, monitoring, text=failure_line(req, reason))

    async def _record(self) -> None:
        """Mirror the follow-up into the register (call holding the lock: revisions stay in order)."""
        self.state.revision += 1
        await workflow.execute_activity(
            "sync_sanction",
            self.state,
            start_to_close_timeout=REGISTER_TIMEOUT,
            heartbeat_timeout=ALIVE,
            retry_policy=DURABLE_RETRY,
            summary="sanctions register",
        )

    # ------------------------------------------------------------------ the officer's action

    @workflow.update(name=s.UPDATE)
    async def sanction_complied(self, p: s.SanctionComplied) -> ActionResult:
        async with self._lock:
            refused = s.complied_refusal(self.state, p, london_date(workflow.now()))
            if refused:  # another recorded it first while this one waited for the lock
                raise ApplicationError(refused, type="Refused", non_retryable=True)
            source = "from the training register" if p.session else ""
            self._complied(p.on, p.officer, p.session, p.note.strip() or source)
            await self._record()
        when = "late, after its due date" if self.state.status is s.FollowUpStatus.COMPLIED_LATE else "in time"
        return s.answer(
            self.state,
            f"{s.COMMAND_WORDS[self.state.start.sanction]} complied with on {p.on.isoformat()} ({when}); "
            "the committee chair is told",
        )

    @sanction_complied.validator
    def _may_record(self, p: s.SanctionComplied) -> None:
        """The officers' service vouched for the person (attestation); the person may record it;
        the follow-up is open and the date fits. Validators never run on replay."""
        update = workflow.current_update_info()
        start = self.state.start
        unattested = attestation.refusal(
            p.attestation, start.reference, s.UPDATE, p, update.id if update else None, workflow.now()
        )
        if unattested:
            raise ValueError(f"{start.reference}: refused: {unattested}")
        refused = s.person_refusal(start, p.officer) or s.complied_refusal(self.state, p, london_date(workflow.now()))
        if refused:
            raise ValueError(refused)

    @workflow.query
    def status(self) -> s.FollowUpState:
        return self.state


# ----------------------------------------------------------------------------- started by the complaint


def _responsible(sanction: Sanction, to: Addressees) -> list[Recipient]:
    """Who is reminded before the due date: whoever must act, and the MO who records it."""
    mo = to.officers(Role.MONITORING_OFFICER)
    if sanction is Sanction.FORMAL_LETTER:
        return mo
    if sanction is Sanction.COMMITTEE_REMOVAL:
        return to.group_leaders() + mo
    return to.subjects() + mo


async def start_follow_ups(
    case: CaseState, roster: Roster, to: Addressees, procedure: ProcedureSettings, council_name: str
) -> list[str]:
    """R17: one SanctionFollowUp per sanction imposed, abandoned by the complaint (which closes with
    its notice) so that each runs on to its end. Returns a line per follow-up for the timeline."""
    outcome = case.hearing_outcome
    assert outcome is not None
    imposed_on = london_date(workflow.now())
    conflicted = {c.officer for c in case.conflicts}
    if case.deputy_acting:
        conflicted |= {o.id for o in roster.officers_with(Role.MONITORING_OFFICER)
                       if Role.DEPUTY_MONITORING_OFFICER not in o.roles}  # fmt: skip
    monitoring = to.officers(Role.MONITORING_OFFICER) + to.officers(Role.DEPUTY_MONITORING_OFFICER)
    lines = []
    for sanction in dict.fromkeys(outcome.sanctions):
        start = s.follow_up_start(
            reference=case.reference,
            sanction=sanction,
            council=case.council,
            council_name=council_name,
            signing_council_name=to.signing_council_name(),
            signed_by=signatory(case, roster),
            subject_members=case.subject_members,
            subject_names=[m.name for m in (roster.member(i) for i in case.subject_members) if m],
            hearing_date=outcome.hearing_date,
            imposed_on=imposed_on,
            outcome=outcome,
            times=procedure.sanctions,
            recipients=s.Recipients(
                subjects=to.subjects(),
                monitoring=monitoring,
                responsible=_responsible(sanction, to),
                chair=to.committee_chair(),
            ),
            officers=roster.officers,
            conflicted=conflicted,
        )
        await workflow.start_child_workflow(
            SanctionFollowUpWorkflow.run,
            start,
            id=s.follow_up_id(case.reference, sanction),
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary=f"{sanction.value} follow-up of {case.reference}",
        )
        terms = f" ({start.terms})" if start.terms else ""
        lines.append(f"{sanction.value}{terms} followed up: due {start.due.isoformat()} (R17)")
    return lines
