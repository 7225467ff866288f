"""One complaint, from receipt to closure, as one durable workflow.

`run` reads in the order of the council's procedure (sections 3-9 and the Hearings appendix).
Officer actions arrive as updates: each validator asks `conduct.rules.refusal` (rules R1-R15,
in one place) before anything enters history. Actions that move the procedure on are handed to
`run` through a small inbox and the update returns once `run` has acted on it, so letters are
sent and the stage has moved by the time the officer's command returns. Actions that do not
move the procedure (consulting an IP, comments, clock stops, withdrawal, links) are done in
their handlers.

Clocks are durable timers, one watcher task each: reminder before the due date, escalation at
lapse, and the case keeps waiting for the action (DESIGN.md, "A lapsed clock never silently
passes").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import email_validator  # noqa: F401  (pydantic's EmailStr imports it lazily; load it outside the sandbox)
    from pydantic import BaseModel

    from conduct import actions as a
    from conduct import rules, search
    from conduct.addressees import IDENTITY_HIDDEN_FROM, Addressees
    from conduct.calendar import london_date
    from conduct.case import (
        CaseState,
        Clock,
        Comment,
        Decision,
        DeliveryFailure,
        Hearing,
        HearingOutcome,
        IPConsultation,
        LetterRecord,
        Report,
        TimelineEntry,
        Withdrawal,
    )
    from conduct.deadline import Deadline, DeadlineRequest, Pause
    from conduct.intake import StartComplaint
    from conduct.letters import LetterBatch, LetterContext, LetterReceipt, LetterRequest, LetterTemplate, Recipient
    from conduct.notice import PublishNotice, decision_notice_text
    from conduct.vocabulary import (
        GROUND_TITLES,
        PROVISION_TITLES,
        SANCTION_TITLES,
        AssessmentOutcome,
        ClockName,
        ClockState,
        Finding,
        Outcome,
        Role,
        Stage,
    )

# Activities retry until they succeed (a case must never be lost to an outage); only a
# non-retryable failure (a letter refused for good) ends them.
DURABLE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=10))
QUICK = timedelta(seconds=30)
# Activities that touch the register or the mail heartbeat while they work, so that a worker
# killed mid-activity is noticed in seconds and the activity retried on another worker.
ALIVE = timedelta(seconds=10)


class CaseWithdrawn(Exception):
    """Raised inside `run` once the MO decides to stop after a withdrawal (R13)."""


@dataclass
class _Pending:
    seq: int
    action: str
    payload: BaseModel
    result: a.ActionResult | None = None


@workflow.defn(name="Complaint")
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, start: StartComplaint) -> None:
        self.roster = start.roster
        self.procedure = start.procedure
        intake = start.intake
        members = [self.roster.member(m) for m in intake.subject_members]
        self.state = CaseState(
            reference=start.reference,
            workflow_id=workflow.info().workflow_id,
            council=intake.council,
            hearing_council=self.roster.hearing_council(intake.council),
            subject_members=intake.subject_members,
            subject_groups={m.id: m.group for m in members if m},
            received_at=start.received_at,
            intake=intake,
            flags=rules.intake_flags(start),
        )
        self._to = Addressees(self.roster, self.state)
        self._inbox: list[_Pending] = []
        self._seq = 0
        self._letter_seq = 0
        self._clock_versions: dict[ClockName, int] = {}
        self._clock_generations: dict[ClockName, int] = {}
        self._withdrawn = False

    # ------------------------------------------------------------------ the procedure, in order

    @workflow.run
    async def run(self, start: StartComplaint) -> CaseState:
        try:
            await self._receive()
            await self._triage(await self._next("triage"))
            route = await self._assess(await self._next("assess"))
            if route is AssessmentOutcome.INFORMAL:
                route = await self._informal_resolution()
            if route is AssessmentOutcome.INVESTIGATE:
                await self._refer_for_investigation()
                if await self._investigation() is Finding.BREACH:
                    await self._hearing()
                    await self._decision_notice()
        except CaseWithdrawn:
            await self._close(Outcome.WITHDRAWN)
        for pending in self._inbox:  # an action that raced the closure is answered, not left hanging
            if pending.result is None:
                pending.result = self._result(f"not done: the case closed ({self.state.outcome}) first")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    async def _receive(self) -> None:
        """R1: acknowledge. R2: the assessment clock runs from receipt of all information, which
        is receipt itself unless the MO asks for more (request_info stops it, info_received
        starts it afresh)."""
        self._log("received", f"complaint received about {', '.join(self._subject_names())}")
        workflow.upsert_search_attributes(
            [
                search.REFERENCE.value_set(self.state.reference),
                search.COUNCIL.value_set(self.state.council),
                search.SUBJECT_MEMBERS.value_set(self.state.subject_members),
                search.GROUPS.value_set(sorted(set(self.state.subject_groups.values()))),
            ]
        )
        await self._letter(LetterTemplate.ACKNOWLEDGEMENT, self._to.complainant())
        await self._start_clock(ClockName.ASSESSMENT, self.state.received_at)
        await self._checkpoint()

    async def _triage(self, p: _Pending) -> None:
        """R1: notify the subject member, or withhold notice where notifying would be contrary to
        the public interest or prejudice the case. R2: the Group Leader is informed."""
        t: a.Triage = p.payload  # type: ignore[assignment]
        self.state.subject_notified = t.notify
        self.state.notice_withheld_reason = t.reason if not t.notify else ""
        if t.notify:
            self._log("triage", "subject member notified of the complaint", t.officer)
            await self._letter(LetterTemplate.SUBJECT_NOTIFIED, self._to.subjects())
            await self._inform_group_leaders()
        else:
            self._log("triage", f"notice to the subject member withheld: {t.reason}", t.officer)
        self._set_stage(Stage.ASSESSMENT)
        await self._done(p, "triage recorded")

    async def _assess(self, p: _Pending) -> AssessmentOutcome:
        """R2-R4, and R3's parish referral. Returns where the case goes next."""
        d: a.Assess = p.payload  # type: ignore[assignment]
        self._record_assessment(d)
        self._meet(ClockName.ASSESSMENT)
        self._log("assessment", f"assessment decided: {d.outcome.value}", d.officer)
        await self._inform_group_leaders()
        if d.outcome is AssessmentOutcome.NO_ACTION:
            await self._no_action(d, p)
        elif d.outcome is AssessmentOutcome.REFER:
            await self._letter(LetterTemplate.DECISION_REFERRED, self._to.parties(), text=d.reasons)
            await self._close(Outcome.REFERRED)
            await self._done(p, "referred to the county association of local councils")
        elif d.outcome is AssessmentOutcome.INFORMAL:
            items = [x.value.replace("_", " ") for x in d.actions]
            await self._letter(LetterTemplate.DECISION_INFORMAL, self._to.parties(), text=d.reasons, items=items)
            self._set_stage(Stage.INFORMAL_RESOLUTION)
            await self._done(p, "informal resolution under way")
        # investigate: the update is answered once the referral letters are out (R6, below)
        return d.outcome

    def _record_assessment(self, d: a.Assess) -> None:
        self.state.assessment = Decision(
            outcome=d.outcome, grounds=d.grounds, actions=d.actions, reasons=d.reasons, officer=d.officer,
            at=workflow.now(),
        )  # fmt: skip

    async def _no_action(self, d: a.Assess, p: _Pending) -> None:
        """R4: written decision with reasons to both parties; the matter stays on record."""
        items = [GROUND_TITLES[g] for g in d.grounds]
        await self._letter(LetterTemplate.DECISION_NO_ACTION, self._to.parties(), text=d.reasons, items=items)
        await self._close(Outcome.NO_ACTION)
        await self._done(p, "no action: decision letters sent")

    async def _informal_resolution(self) -> AssessmentOutcome | None:
        """R5: resolved closes the case; if not, the MO may (after consulting an IP) refer for
        investigation, or take no action. The MO is reminded to review it periodically."""
        review = self._start_review_reminders()
        p = await self._next("informal_outcome")
        o: a.InformalOutcome = p.payload  # type: ignore[assignment]
        self.state.informal_resolved = o.resolved
        self.state.informal_outcome_text = o.text
        review.cancel()
        self._log("informal_outcome", "informal resolution " + ("resolved" if o.resolved else "failed"), o.officer)
        verdict = "resolved informally" if o.resolved else "not resolved by informal resolution"
        await self._letter(
            LetterTemplate.INFORMAL_OUTCOME,
            self._to.parties(),
            text=o.text,
            items=[f"The complaint has been {verdict}."],
        )
        if o.resolved:
            await self._close(Outcome.RESOLVED_INFORMALLY)
            await self._done(p, "resolved informally")
            return None
        await self._done(p, "informal resolution failed: consult an IP, then assess (investigate or no-action)")
        p = await self._next("assess")
        d: a.Assess = p.payload  # type: ignore[assignment]
        self._record_assessment(d)
        self._log("assessment", f"after failed informal resolution: {d.outcome.value}", d.officer)
        if d.outcome is AssessmentOutcome.NO_ACTION:
            await self._no_action(d, p)
            return None
        return AssessmentOutcome.INVESTIGATE  # answered by _refer_for_investigation

    async def _refer_for_investigation(self) -> None:
        """R6: both parties told in writing, the committee chair advised, the subject member given
        a different IP's details, and an Investigating Officer appointed within 14 days."""
        p = self._inbox_item("assess")
        decision = self.state.assessment
        assert decision is not None
        ip_id = rules.different_ip(self.state, self.roster)
        self.state.subject_ip = ip_id
        ip = self.roster.independent_person(ip_id) if ip_id else None
        await self._letter(LetterTemplate.DECISION_INVESTIGATE, self._to.parties(), text=decision.reasons)
        await self._letter(LetterTemplate.CHAIR_ADVISED, self._to.committee_chair())
        if ip:
            await self._letter(
                LetterTemplate.SUBJECT_IP_DETAILS, self._to.subjects(), person_name=ip.name, person_email=str(ip.email)
            )
        self._set_stage(Stage.INVESTIGATOR_APPOINTMENT)
        await self._start_clock(ClockName.INVESTIGATOR_APPOINTMENT, decision.at)
        if p:
            await self._done(p, f"referred for investigation; {ip_id} is the subject member's Independent Person")

        p = await self._next("appoint_investigator")
        appoint: a.AppointInvestigator = p.payload  # type: ignore[assignment]
        self.state.investigator = appoint.investigator
        self._meet(ClockName.INVESTIGATOR_APPOINTMENT)
        self._log("investigator_appointed", f"{appoint.investigator} appointed Investigating Officer", appoint.officer)
        io = self.roster.officer(appoint.investigator)
        await self._letter(
            LetterTemplate.INVESTIGATOR_APPOINTED,
            self._to.investigator() + self._to.parties(),
            person_name=io.name if io else appoint.investigator,
        )
        self._set_stage(Stage.INVESTIGATION)
        await self._start_clock(ClockName.INVESTIGATION, workflow.now())
        await self._done(p, f"{appoint.investigator} appointed")

    async def _investigation(self) -> Finding:
        """R7: draft report to MO and both parties, 14 days for comments, final report (IO aims
        for 2 months from appointment). R8: no breach closes the case; breach goes to hearing."""
        p = await self._next("draft_report")
        draft: a.DraftReport = p.payload  # type: ignore[assignment]
        self.state.draft_report = Report(text=draft.text, officer=draft.officer, at=workflow.now())
        self._log("draft_report", "draft report sent for comments", draft.officer)
        await self._letter(LetterTemplate.DRAFT_REPORT, self._to.officers(Role.MONITORING_OFFICER) + self._to.parties())
        self._set_stage(Stage.COMMENTS)
        await self._start_clock(ClockName.COMMENT_PERIOD, workflow.now())
        await self._done(p, f"comment period open until {self.state.clocks[ClockName.COMMENT_PERIOD].due}")
        # The comment period closes itself at lapse, or once both parties have responded.
        await self._wait(lambda: not self.state.clocks[ClockName.COMMENT_PERIOD].running)

        p = await self._next("final_report")
        final: a.FinalReport = p.payload  # type: ignore[assignment]
        self.state.final_report = Report(
            text=final.text,
            officer=final.officer,
            at=workflow.now(),
            finding=final.finding,
            further_breach=final.further_breach,
        )
        self._meet(ClockName.INVESTIGATION)
        self._log("final_report", f"final report: {final.finding.value.replace('_', ' ')}", final.officer)
        if final.further_breach:
            await self._letter(
                LetterTemplate.FURTHER_BREACH, self._to.officers(Role.MONITORING_OFFICER), text=final.further_breach
            )
        if final.finding is Finding.NO_BREACH:
            await self._letter(LetterTemplate.FINAL_REPORT_NO_BREACH, self._to.parties(), text=final.text)
            await self._close(Outcome.NO_BREACH)
            await self._done(p, "no breach found: both parties told")
            return Finding.NO_BREACH
        await self._letter(
            LetterTemplate.REFERRED_TO_HEARING,
            self._to.parties() + self._to.officers(Role.DEMOCRATIC_SERVICES),
            text=final.text,
        )
        self._set_stage(Stage.HEARING_PENDING)
        await self._start_clock(ClockName.HEARING, workflow.now())
        await self._done(p, "breach found: referred to the Hearings Sub-Committee")
        return Finding.BREACH

    async def _hearing(self) -> None:
        """R9-R10: the hearing (scheduled and adjourned in handlers) decides on the balance of
        probabilities, with sanctions on a breach."""
        p = await self._next("hearing_outcome")
        o: a.RecordHearingOutcome = p.payload  # type: ignore[assignment]
        hearing = self.state.hearing
        assert hearing is not None
        self.state.hearing_outcome = HearingOutcome(
            finding=o.finding,
            sanctions=o.sanctions,
            reasons=o.reasons,
            hearing_date=hearing.date,
            officer=o.officer,
            at=workflow.now(),
        )
        self._meet(ClockName.HEARING, on=hearing.date)
        sanctions = ", ".join(s.value for s in o.sanctions) or "none"
        self._log("hearing_outcome", f"hearing decided {o.finding.value}; sanctions: {sanctions}", o.officer)
        self._set_stage(Stage.DECISION_NOTICE)
        await self._start_clock(ClockName.DECISION_NOTICE, _london_midday(hearing.date))
        await self._done(p, "hearing outcome recorded: issue the decision notice within 14 days")

    async def _decision_notice(self) -> None:
        """R11: written notice with reasons to all parties (and the parish council) within 14
        days of the hearing. R12: the notice is published. R10: the Group Leader is asked to act
        on a committee-removal sanction. R15: there is no appeal."""
        p = await self._next("issue_notice")
        outcome = self.state.hearing_outcome
        assert outcome is not None
        self._meet(ClockName.DECISION_NOTICE)
        self.state.notice_issued_at = workflow.now()
        self._log("decision_notice", "decision notice issued", p.payload.officer)  # type: ignore[attr-defined]
        notice = decision_notice_text(self.state, self.roster)
        items = [SANCTION_TITLES[s] for s in outcome.sanctions]
        recipients = self._to.parties() + self._to.investigator() + self._to.group_leaders() + self._to.parish_clerk()
        finding = "a breach" if outcome.finding is Finding.BREACH else "no breach"
        reasons = f"The Sub-Committee found {finding} of the Code of Conduct.\n\n{outcome.reasons}"
        await self._letter(LetterTemplate.DECISION_NOTICE, recipients, text=reasons, items=items, attachment=notice)
        if any(s.value == "committee_removal" for s in outcome.sanctions):
            await self._letter(
                LetterTemplate.SANCTION_COMMITTEE_REMOVAL, self._to.group_leaders(), text=outcome.reasons
            )
        await workflow.execute_activity(
            "publish_notice",
            PublishNotice(reference=self.state.reference, council=self.state.council, text=notice, at=workflow.now()),
            start_to_close_timeout=QUICK,
            heartbeat_timeout=ALIVE,
            retry_policy=DURABLE_RETRY,
        )
        self.state.published = True
        self._log("published", "decision notice published (R12)")
        await self._close(Outcome.BREACH if outcome.finding is Finding.BREACH else Outcome.NO_BREACH)
        await self._done(p, "decision notice issued and published")

    async def _close(self, outcome: Outcome) -> None:
        for clock in self.state.clocks.values():
            if clock.running:
                clock.state = ClockState.STOPPED
                clock.note = f"case closed: {outcome.value}"
                self._bump(clock.name)
        self.state.outcome = outcome
        self.state.closed_at = workflow.now()
        self.state.overdue = False
        self._set_stage(Stage.CLOSED, force=True)
        self._log("closed", f"case closed: {outcome.value}")
        await self._checkpoint()

    # ------------------------------------------------------------------ queries and updates

    @workflow.query
    def status(self) -> CaseState:
        view = self.state.model_copy()
        view.allowed = rules.allowed_now(self.state)
        return view

    def _validate(self, action: str, payload: BaseModel) -> None:
        reason = rules.refusal(self.state, self.roster, action, payload, self._today())
        if reason:
            raise ValueError(reason)

    async def _submit(self, action: str, payload: BaseModel) -> a.ActionResult:
        """Hand an action to `run` and return once it has been acted upon."""
        self._validate(action, payload)  # again: another update may have moved the case meanwhile
        self._seq += 1
        pending = _Pending(self._seq, action, payload)
        self._inbox.append(pending)
        await workflow.wait_condition(lambda: pending.result is not None)
        assert pending.result is not None
        return pending.result

    @workflow.update
    async def triage(self, p: a.Triage) -> a.ActionResult:
        return await self._submit("triage", p)

    @triage.validator
    def _triage_ok(self, p: a.Triage) -> None:
        self._validate("triage", p)

    @workflow.update
    async def assess(self, p: a.Assess) -> a.ActionResult:
        return await self._submit("assess", p)

    @assess.validator
    def _assess_ok(self, p: a.Assess) -> None:
        self._validate("assess", p)

    @workflow.update
    async def informal_outcome(self, p: a.InformalOutcome) -> a.ActionResult:
        return await self._submit("informal_outcome", p)

    @informal_outcome.validator
    def _informal_outcome_ok(self, p: a.InformalOutcome) -> None:
        self._validate("informal_outcome", p)

    @workflow.update
    async def appoint_investigator(self, p: a.AppointInvestigator) -> a.ActionResult:
        return await self._submit("appoint_investigator", p)

    @appoint_investigator.validator
    def _appoint_ok(self, p: a.AppointInvestigator) -> None:
        self._validate("appoint_investigator", p)

    @workflow.update
    async def draft_report(self, p: a.DraftReport) -> a.ActionResult:
        return await self._submit("draft_report", p)

    @draft_report.validator
    def _draft_ok(self, p: a.DraftReport) -> None:
        self._validate("draft_report", p)

    @workflow.update
    async def final_report(self, p: a.FinalReport) -> a.ActionResult:
        return await self._submit("final_report", p)

    @final_report.validator
    def _final_ok(self, p: a.FinalReport) -> None:
        self._validate("final_report", p)

    @workflow.update
    async def hearing_outcome(self, p: a.RecordHearingOutcome) -> a.ActionResult:
        return await self._submit("hearing_outcome", p)

    @hearing_outcome.validator
    def _hearing_outcome_ok(self, p: a.RecordHearingOutcome) -> None:
        self._validate("hearing_outcome", p)

    @workflow.update
    async def issue_notice(self, p: a.IssueNotice) -> a.ActionResult:
        return await self._submit("issue_notice", p)

    @issue_notice.validator
    def _issue_notice_ok(self, p: a.IssueNotice) -> None:
        self._validate("issue_notice", p)

    # Actions that do not move the procedure on are done here, in their handlers.

    @workflow.update
    async def request_info(self, p: a.RequestInformation) -> a.ActionResult:
        """R2: the assessment clock stops until the information is complete."""
        self._validate("request_info", p)
        self.state.information_requests.append(p.text)
        clock = self.state.clocks[ClockName.ASSESSMENT]
        clock.state = ClockState.STOPPED
        clock.note = "awaiting information from the complainant"
        self._bump(ClockName.ASSESSMENT)
        self._log("information_requested", "more information requested; assessment clock stopped", p.officer)
        self._set_stage(Stage.AWAITING_INFORMATION)
        await self._letter(LetterTemplate.INFORMATION_REQUEST, self._to.complainant(), text=p.text)
        await self._checkpoint()
        return self._result("information requested from the complainant")

    @request_info.validator
    def _request_info_ok(self, p: a.RequestInformation) -> None:
        self._validate("request_info", p)

    @workflow.update
    async def info_received(self, p: a.InformationReceived) -> a.ActionResult:
        """R2: 20 working days from receipt of all relevant information."""
        self._validate("info_received", p)
        self._log("information_received", "information complete; assessment clock starts afresh", p.officer)
        self._set_stage(Stage.ASSESSMENT if self.state.subject_notified is not None else Stage.TRIAGE)
        await self._start_clock(ClockName.ASSESSMENT, workflow.now())
        await self._checkpoint()
        due = self.state.clocks[ClockName.ASSESSMENT].due
        return self._result(f"assessment due {due.isoformat()}")

    @info_received.validator
    def _info_received_ok(self, p: a.InformationReceived) -> None:
        self._validate("info_received", p)

    @workflow.update
    async def consult_ip(self, p: a.ConsultIndependentPerson) -> a.ActionResult:
        """R2, R5, best practice 8: the IP's view is recorded before the MO decides."""
        self._validate("consult_ip", p)
        self.state.consultations.append(IPConsultation(ip=p.ip, at=workflow.now(), stage=self.state.stage, view=p.view))
        self._log("ip_consulted", f"Independent Person {p.ip} consulted", p.officer)
        await self._register_side_action()
        return self._result(f"view of {p.ip} recorded")

    @consult_ip.validator
    def _consult_ip_ok(self, p: a.ConsultIndependentPerson) -> None:
        self._validate("consult_ip", p)

    @workflow.update
    async def comment(self, p: a.RecordComment) -> a.ActionResult:
        """R7: the comment period closes early once both parties have commented or declined."""
        self._validate("comment", p)
        self.state.comments.append(Comment(party=p.party, text=p.text, declined=p.declined, at=workflow.now()))
        verb = "declined to comment" if p.declined else "commented"
        self._log("comment", f"{p.party.value} {verb} on the draft report", p.officer)
        if {c.party for c in self.state.comments} == {a.Party.COMPLAINANT, a.Party.SUBJECT}:
            self._meet(ClockName.COMMENT_PERIOD, note="closed early: both parties responded")
            self._set_stage(Stage.INVESTIGATION)
        await self._register_side_action()
        return self._result(f"{p.party.value} {verb}")

    @comment.validator
    def _comment_ok(self, p: a.RecordComment) -> None:
        self._validate("comment", p)

    @workflow.update
    async def schedule_hearing(self, p: a.ScheduleHearing) -> a.ActionResult:
        """R9: a panel of three from the subject's own council, an IP other than the assessment
        IP, sufficient notice to all parties."""
        self._validate("schedule_hearing", p)
        warnings = rules.panel_warnings(
            self.state, self.roster, p, self._today(), self.procedure.hearing_notice_working_days
        )
        self.state.hearing = Hearing(
            date=p.date, panel=p.panel, ip=p.ip, parish_adviser=p.parish_adviser, warnings=warnings
        )
        self._log("hearing_scheduled", f"hearing fixed for {p.date.isoformat()}", p.officer)
        await self._letter(LetterTemplate.HEARING_NOTICE, self._to.hearing(), hearing_date=p.date)
        await self._checkpoint()
        return self._result(f"hearing fixed for {p.date.isoformat()}", warnings)

    @schedule_hearing.validator
    def _schedule_hearing_ok(self, p: a.ScheduleHearing) -> None:
        self._validate("schedule_hearing", p)

    @workflow.update
    async def adjourn_hearing(self, p: a.AdjournHearing) -> a.ActionResult:
        """R9: the sub-committee may adjourn; the hearing clock keeps running."""
        self._validate("adjourn_hearing", p)
        hearing = self.state.hearing
        assert hearing is not None
        hearing.adjournments.append(f"{hearing.date.isoformat()}: {p.reason}")
        hearing.date = p.date
        self._log("hearing_adjourned", f"hearing adjourned to {p.date.isoformat()}: {p.reason}", p.officer)
        await self._letter(LetterTemplate.HEARING_ADJOURNED, self._to.hearing(), hearing_date=p.date, text=p.reason)
        await self._register_side_action()
        return self._result(f"hearing adjourned to {p.date.isoformat()}")

    @adjourn_hearing.validator
    def _adjourn_hearing_ok(self, p: a.AdjournHearing) -> None:
        self._validate("adjourn_hearing", p)

    @workflow.update
    async def withdraw(self, p: a.Withdraw) -> a.ActionResult:
        """R13: withdrawal at any time before the hearing decides; the MO then decides."""
        self._validate("withdraw", p)
        self.state.withdrawal = Withdrawal(requested_at=workflow.now(), text=p.text, previous_stage=self.state.stage)
        self._log("withdrawal_requested", "complainant asked to withdraw", p.officer)
        self.state.stage = Stage.WITHDRAWAL_REQUESTED
        self._publish()
        await self._letter(LetterTemplate.WITHDRAWAL_RECEIVED, self._to.complainant(), text=p.text)
        await self._checkpoint()
        return self._result("withdrawal recorded: consult an IP and decide whether to stop")

    @withdraw.validator
    def _withdraw_ok(self, p: a.Withdraw) -> None:
        self._validate("withdraw", p)

    @workflow.update
    async def withdrawal_decision(self, p: a.WithdrawalDecision) -> a.ActionResult:
        """R13: after consulting an IP, and mindful of intimidation (Code paragraph 2)."""
        self._validate("withdrawal_decision", p)
        w = self.state.withdrawal
        assert w is not None
        w.decision, w.ip, w.ip_view = ("stop" if p.stop else "continue"), p.ip, p.view
        self._log("withdrawal_decision", f"after withdrawal the MO decided to {w.decision}", p.officer)
        text = "The complaint will not be taken further." if p.stop else "The complaint will continue to be considered."
        await self._letter(LetterTemplate.WITHDRAWAL_DECISION, self._to.parties(), text=text)
        if p.stop:
            self._withdrawn = True
            await workflow.wait_condition(lambda: self.state.stage is Stage.CLOSED)
            return self._result("complaint withdrawn and closed")
        self.state.stage = w.previous_stage
        self._publish()
        await self._checkpoint()
        return self._result(f"the complaint continues at stage {w.previous_stage.value}")

    @withdrawal_decision.validator
    def _withdrawal_decision_ok(self, p: a.WithdrawalDecision) -> None:
        self._validate("withdrawal_decision", p)

    @workflow.update
    async def stop_clock(self, p: a.StopClock) -> a.ActionResult:
        """Time: a stopped clock's paused days are left out of its due date."""
        self._validate("stop_clock", p)
        name = rules.target_clock(self.state, p.clock, paused=False)
        assert name is not None
        clock = self.state.clocks[name]
        clock.state, clock.paused_since, clock.note = ClockState.STOPPED, workflow.now(), p.reason
        self._bump(name)
        self._log("clock_stopped", f"{name.value} clock stopped: {p.reason}", p.officer)
        self._publish()
        await self._register_side_action()
        return self._result(f"{name.value} clock stopped")

    @stop_clock.validator
    def _stop_clock_ok(self, p: a.StopClock) -> None:
        self._validate("stop_clock", p)

    @workflow.update
    async def restart_clock(self, p: a.RestartClock) -> a.ActionResult:
        self._validate("restart_clock", p)
        name = rules.target_clock(self.state, p.clock, paused=True)
        assert name is not None
        old = self.state.clocks[name]
        assert old.paused_since is not None
        pauses = [*old.pauses, Pause(start=london_date(old.paused_since), end=self._today(), reason=old.note)]
        clock = await self._start_clock(name, old.started, pauses=pauses, lapsed=old.lapsed, reminded=old.reminded)
        self._log("clock_restarted", f"{name.value} clock restarted; now due {clock.due.isoformat()}", p.officer)
        await self._register_side_action()
        return self._result(f"{name.value} clock restarted, due {clock.due.isoformat()}")

    @restart_clock.validator
    def _restart_clock_ok(self, p: a.RestartClock) -> None:
        self._validate("restart_clock", p)

    @workflow.update
    async def link(self, p: a.Link) -> a.ActionResult:
        """R14: two complaints about the same member or incident may be considered together.
        Both cases record the link."""
        self._validate("link", p)
        other = workflow.get_external_workflow_handle(f"complaint-{p.other_reference}")
        try:
            await other.signal(ComplaintWorkflow.linked_with, self.state.reference)
        except Exception as err:  # the other case does not exist or is closed
            raise ApplicationError(f"{p.other_reference} could not be linked: {err}", non_retryable=True) from err
        self._record_link(p.other_reference, p.officer)
        await self._register_side_action()
        return self._result(f"to be considered together with {p.other_reference}")

    @link.validator
    def _link_ok(self, p: a.Link) -> None:
        self._validate("link", p)

    @workflow.signal
    def linked_with(self, reference: str) -> None:
        if reference not in self.state.linked:
            self._record_link(reference, None)

    def _record_link(self, reference: str, officer: str | None) -> None:
        self.state.linked.append(reference)
        self._log("linked", f"to be considered together with {reference} (R14)", officer)

    # ------------------------------------------------------------------ clocks

    async def _start_clock(
        self,
        name: ClockName,
        started: datetime,
        pauses: list[Pause] | None = None,
        lapsed: bool = False,
        reminded: bool = False,
    ) -> Clock:
        rule = self.procedure.clocks[name]
        deadline: Deadline = await workflow.execute_activity(
            "compute_deadline",
            DeadlineRequest(
                clock=name,
                started_at=started,
                amount=rule.amount,
                unit=rule.unit,
                nation=self._nation(),
                pauses=pauses or [],
                reminder_working_days=self.procedure.reminder_working_days,
            ),
            result_type=Deadline,
            start_to_close_timeout=ALIVE,  # milliseconds of arithmetic; a lost worker is retried soon
        )
        now = workflow.now()
        clock = Clock(
            name=name,
            rule=f"{deadline.rule} ({rule.rule})",
            started=started,
            due=deadline.due,
            lapses_at=deadline.lapses_at,
            remind_at=deadline.remind_at,
            pauses=pauses or [],
            deadline=deadline,
            reminded=reminded and not (deadline.remind_at and deadline.remind_at > now),
            lapsed=lapsed and deadline.lapses_at <= now,
        )
        clock.state = ClockState.LAPSED if clock.lapsed else ClockState.PENDING
        self.state.clocks[name] = clock
        self._bump(name)
        self._refresh_overdue()
        if not pauses:
            self._log("clock_started", f"{name.value} clock started: due {clock.due.isoformat()} ({clock.rule})")
        self._publish()
        generation = self._clock_generations[name] = self._clock_generations.get(name, 0) + 1
        asyncio.create_task(self._watch(name, generation), name=f"clock:{name.value}:{generation}")
        return clock

    async def _watch(self, name: ClockName, generation: int) -> None:
        """Sleep until the next reminder or lapse of this clock; wake early when it changes.
        A restarted clock gets a new watcher, and the old one bows out."""
        while True:
            clock = self.state.clocks[name]
            if not clock.running or self._clock_generations[name] != generation:
                return
            version = self._clock_versions[name]
            if not clock.reminded and clock.remind_at and workflow.now() < clock.remind_at:
                target, event = clock.remind_at, "reminder"
            elif not clock.lapsed:
                target, event = clock.lapses_at, "lapse"
            else:  # lapsed and escalated: wait for the action, a stop or a restart
                await workflow.wait_condition(lambda v=version: self._clock_versions[name] != v)
                continue
            try:
                await workflow.wait_condition(
                    lambda v=version: self._clock_versions[name] != v,
                    timeout=max(target - workflow.now(), timedelta(0)),
                    timeout_summary=f"{name.value} {event} {target.isoformat()}",
                )
                continue  # met, stopped or moved: look again
            except TimeoutError:
                pass
            if event == "reminder":
                clock.reminded = True
                await self._remind(clock)
            else:
                await self._lapse(clock)

    async def _remind(self, clock: Clock) -> None:
        self._log("clock_reminder", f"{clock.name.value} clock due {clock.due.isoformat()}: reminder sent")
        await self._letter(
            LetterTemplate.CLOCK_REMINDER, self._to.responsible(clock.name), **self._clock_context(clock)
        )

    async def _lapse(self, clock: Clock) -> None:
        """R7: the comment period simply closes. Every other clock escalates and keeps waiting."""
        if clock.name is ClockName.COMMENT_PERIOD:
            self._meet(ClockName.COMMENT_PERIOD, on=clock.due, note="closed at the end of the comment period")
            self._set_stage(Stage.INVESTIGATION)
            return
        clock.lapsed = True
        clock.state = ClockState.LAPSED
        self._bump(clock.name)
        self._refresh_overdue()
        self._log("clock_lapsed", f"{clock.name.value} clock lapsed (due {clock.due.isoformat()}): escalated")
        self._publish()
        await self._letter(
            LetterTemplate.CLOCK_ESCALATION, self._to.escalation(clock.name), **self._clock_context(clock)
        )
        await self._checkpoint()

    def _meet(self, name: ClockName, on: date | None = None, note: str = "") -> None:
        clock = self.state.clocks.get(name)
        if clock is None or clock.state in (ClockState.MET, ClockState.MET_LATE):
            return
        clock.met_on = on or self._today()
        clock.state = ClockState.MET if clock.met_on <= clock.due else ClockState.MET_LATE
        clock.paused_since = None
        clock.note = note or clock.note
        self._bump(name)
        self._refresh_overdue()
        self._log(
            "clock_met", f"{name.value} clock {clock.state.value.replace('_', ' ')} on {clock.met_on.isoformat()}"
        )
        self._publish()

    def _bump(self, name: ClockName) -> None:
        self._clock_versions[name] = self._clock_versions.get(name, 0) + 1

    def _refresh_overdue(self) -> None:
        self.state.overdue = any(c.state is ClockState.LAPSED for c in self.state.clocks.values())

    def _start_review_reminders(self) -> asyncio.Task[None]:
        """R5: remind the MO to review an informal resolution every so often until it ends."""

        async def remind() -> None:
            interval = timedelta(days=self.procedure.informal_review_days)
            while True:
                await workflow.sleep(interval, summary="informal resolution review")
                self._log("informal_review_reminder", "informal resolution review reminder sent")
                await self._letter(LetterTemplate.INFORMAL_REVIEW_REMINDER, self._to.officers(Role.MONITORING_OFFICER))

        return asyncio.create_task(remind(), name="informal-review")

    # ------------------------------------------------------------------ letters

    async def _letter(
        self,
        template: LetterTemplate,
        recipients: list[Recipient],
        attachment: str | None = None,
        **context: object,
    ) -> None:
        """Send one letter to each recipient, each with a deterministic idempotency key."""
        self._letter_seq += 1
        base = self._letter_context(**context)
        requests = []
        seen: set[str] = set()
        for r in recipients:
            if str(r.email) in seen:
                continue
            seen.add(str(r.email))
            ctx = base
            if self.state.intake.confidential and r.role in IDENTITY_HIDDEN_FROM:
                ctx = base.model_copy(update={"complainant_name": "", "complainant_identity_withheld": True})
            key = f"{self.state.reference}/{self._letter_seq:03d}-{template.value}/{r.role.value}/{r.id or r.email}"
            requests.append(
                LetterRequest(
                    key=key,
                    template=template,
                    reference=self.state.reference,
                    recipient=r,
                    context=ctx,
                    attachment_text=attachment,
                )
            )
        if not requests:
            return
        summary = f"{template.value} to {', '.join(sorted({r.recipient.role.value for r in requests}))}"
        try:
            receipts = await self._send("send_letters", LetterBatch(requests=requests), list[LetterReceipt], summary)
        except ActivityError as err:
            if not _permanent_mail_failure(err):
                raise
            # One address the provider will never accept: send the rest one by one (those already
            # sent come back as duplicates) and record what failed, rather than stall the case.
            receipts = []
            for req in requests:
                try:
                    receipts.append(await self._send("send_letter", req, LetterReceipt, summary))
                except ActivityError as one:
                    if not _permanent_mail_failure(one):
                        raise
                    await self._delivery_failed(req, one)
        for rc in receipts:
            self.state.letters.append(
                LetterRecord(template=rc.template, to=rc.to, role=rc.role, key=rc.key, sent_at=rc.sent_at)
            )

    async def _send(self, activity: str, arg: BaseModel, result_type: object, summary: str) -> Any:
        return await workflow.execute_activity(
            activity,
            arg,
            result_type=result_type,  # type: ignore[arg-type]
            start_to_close_timeout=timedelta(minutes=2),
            heartbeat_timeout=ALIVE,
            retry_policy=DURABLE_RETRY,
            summary=summary,
        )

    async def _delivery_failed(self, req: LetterRequest, err: ActivityError) -> None:
        """A letter the provider refused for good: on the case for `conduct show`, and the MO
        and deputy are told (unless their own letter is the one failing)."""
        reason = str(err.cause.message if isinstance(err.cause, ApplicationError) else err)
        self.state.delivery_failures.append(
            DeliveryFailure(template=req.template, to=str(req.recipient.email), role=req.recipient.role,
                            error=reason, at=workflow.now())
        )  # fmt: skip
        self._log(
            "letter_failed", f"{req.template.value} to {req.recipient.role.value} could not be delivered: {reason}"
        )
        if req.template is not LetterTemplate.DELIVERY_FAILED:
            await self._letter(
                LetterTemplate.DELIVERY_FAILED,
                self._to.officers(Role.MONITORING_OFFICER) + self._to.officers(Role.DEPUTY_MONITORING_OFFICER),
                text=f"{req.template.value} to {req.recipient.name} <{req.recipient.email}>: {reason}",
            )

    def _letter_context(self, **extra: object) -> LetterContext:
        assessment = self.state.clocks.get(ClockName.ASSESSMENT)
        return LetterContext(
            reference=self.state.reference,
            council_name=self._council_name(),
            subject_names=self._subject_names(),
            complainant_name=self.state.intake.complainant.name,
            provisions=[PROVISION_TITLES[p] for p in self.state.intake.provisions],
            received_on=london_date(self.state.received_at),
            assessment_due=assessment.due if assessment and assessment.running else None,
            **extra,  # type: ignore[arg-type]
        )

    def _clock_context(self, clock: Clock) -> dict[str, object]:
        return {"clock": clock.name, "clock_due": clock.due, "clock_rule": clock.rule}

    async def _inform_group_leaders(self) -> None:
        """R2: the Group Leader is informed once, at triage if the subject was notified, else
        with the assessment decision."""
        if any(t.event == "group_leader_informed" for t in self.state.timeline):
            return
        recipients = self._to.group_leaders()
        if recipients:
            self._log("group_leader_informed", "Group Leader informed of the complaint")
            await self._letter(LetterTemplate.GROUP_LEADER_INFORMED, recipients)

    # ------------------------------------------------------------------ helpers

    async def _next(self, action: str) -> _Pending:
        """Wait for the officer action `run` needs next (withdrawal may end the wait)."""
        await self._wait(lambda: any(p.action == action and p.result is None for p in self._inbox))
        return next(p for p in self._inbox if p.action == action and p.result is None)

    def _inbox_item(self, action: str) -> _Pending | None:
        return next((p for p in self._inbox if p.action == action and p.result is None), None)

    async def _wait(self, condition: object) -> None:
        await workflow.wait_condition(lambda: self._withdrawn or condition())  # type: ignore[operator]
        if self._withdrawn:
            raise CaseWithdrawn()

    async def _done(self, p: _Pending, message: str) -> None:
        """Answer the update that handed `p` to `run`, once the register has caught up."""
        await self._checkpoint()
        p.result = self._result(message)

    def _result(self, message: str, warnings: list[str] | None = None) -> a.ActionResult:
        return a.ActionResult(
            reference=self.state.reference, stage=self.state.stage.value, message=message, warnings=warnings or []
        )

    def _set_stage(self, stage: Stage, force: bool = False) -> None:
        """While a withdrawal is being decided the case stays there; the stage it returns to moves."""
        if self.state.stage is Stage.WITHDRAWAL_REQUESTED and self.state.withdrawal and not force:
            self.state.withdrawal.previous_stage = stage
        else:
            self.state.stage = stage
        self._publish()

    def _publish(self) -> None:
        """Keep the search attributes (the CLI's listing) in step with the state."""
        running = [c for c in self.state.clocks.values() if c.running]
        next_due = min((c.lapses_at for c in running), default=None)
        workflow.upsert_search_attributes(
            [
                search.STAGE.value_set(self.state.stage.value),
                search.OVERDUE.value_set(self.state.overdue),
                search.NEXT_DEADLINE.value_set(next_due) if next_due else search.NEXT_DEADLINE.value_unset(),
            ]
        )

    async def _register_side_action(self) -> None:
        """Side actions were first left for the next step to mirror; cases whose history predates
        this change keep that behaviour on replay."""
        if workflow.patched("register-side-actions"):
            await self._checkpoint()

    async def _checkpoint(self) -> None:
        """Mirror the case into the SQL case register (reports and public pages read it)."""
        await workflow.execute_activity(
            "sync_case",
            self.state,
            start_to_close_timeout=QUICK,
            heartbeat_timeout=ALIVE,
            retry_policy=DURABLE_RETRY,
            summary="case register",
        )

    def _log(self, event: str, summary: str, officer: str | None = None) -> None:
        self.state.timeline.append(
            TimelineEntry(at=workflow.now(), event=event, summary=summary, officer=officer, stage=self.state.stage)
        )

    def _today(self) -> date:
        return london_date(workflow.now())

    def _nation(self):  # noqa: ANN202
        council = self.roster.council(self.state.council)
        principal = self.roster.council(self.state.hearing_council)
        return (council or principal).nation  # type: ignore[union-attr]

    def _council_name(self) -> str:
        council = self.roster.council(self.state.council)
        return council.name if council else self.state.council

    def _sub_committee(self) -> str:
        council = self.roster.council(self.state.hearing_council)
        return council.sub_committee if council else "Hearings Sub-Committee"

    def _subject_names(self) -> list[str]:
        return [m.name for m in (self.roster.member(i) for i in self.state.subject_members) if m]


def _permanent_mail_failure(err: ActivityError) -> bool:
    return isinstance(err.cause, ApplicationError) and err.cause.type == "MailPermanentError"


def _london_midday(d: date) -> datetime:
    """An instant whose London date is `d`, for a clock that starts on a date (the hearing)."""
    return datetime(d.year, d.month, d.day, 12, 0, tzinfo=UTC)
