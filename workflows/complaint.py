"""One complaint, from receipt to closure, as one durable workflow.

`_procedure` reads in the order of the council's procedure (sections 3-9 and the Hearings
appendix); `conduct.rules` says who may do what and when (R1-R15, in one place); docs/rules.md
maps each rule to the code and the test that hold it.

Officer actions arrive as updates (the table at the end of the class) through the desk
(workflows/desk.py): validated by the rules, one procedure-moving action at a time, every step
holding the case's lock across its awaits. The clocks are workflows/clocks.py; the letters
workflows/post.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct import hearing_rules, projection, record_rules, rules, search
    from conduct import publication as pub
    from conduct.access import CasePeople
    from conduct.actions import Action
    from conduct.addressees import Addressees
    from conduct.assessment import attendance_words
    from conduct.calendar import london_date
    from conduct.case import (
        CaseState,
        Clock,
        Decision,
        HearingOutcome,
        Report,
        TimelineEntry,
    )
    from conduct.confidentiality import window_open
    from conduct.intake import StartComplaint
    from conduct.letters import INFORMAL_ACTION_WORDS, LetterContext, LetterTemplate
    from conduct.notice import PublishNotice, decision_notice_text
    from conduct.record_actions import AddNote, RecordConflict, SendLetter, Unlink
    from conduct.sanctions import PATCH as SANCTIONS_PATCH
    from conduct.sanctions import sanction_line, sanction_terms
    from conduct.vocabulary import (
        GROUND_TITLES,
        PROVISION_TITLES,
        AssessmentOutcome,
        ClockName,
        Finding,
        Outcome,
        Role,
        Sanction,
        Stage,
    )
    from workflows import linking
    from workflows.assessment import ASSOCIATION_PATCH, AssessmentActions, tests_lines
    from workflows.clocks import Clocks, Due
    from workflows.confidentiality import ConfidentialityActions
    from workflows.desk import CaseWithdrawn, DecidedWithLead, Desk, handler_update, procedure_update, routed_update
    from workflows.handled import HandledActions
    from workflows.hearing import HearingActions
    from workflows.investigation import DRAFT_PATCH, FINAL_PATCH, InvestigationActions, considered
    from workflows.lead import LeadActions
    from workflows.post import ALIVE, DURABLE_RETRY, WITHHELD_NOTICE_PATCH, Post
    from workflows.postal import PostalActions, postal
    from workflows.publication import Publication
    from workflows.record import RecordActions
    from workflows.sanction import start_follow_ups

REGISTER_TIMEOUT = timedelta(seconds=30)
P = TypeVar("P", bound=a.OfficerAction)


@workflow.defn(name="Complaint")
class ComplaintWorkflow(
    AssessmentActions,
    ConfidentialityActions,
    HearingActions,
    HandledActions,
    InvestigationActions,
    RecordActions,
    PostalActions,
    Publication,
    LeadActions,
    Desk,
):
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
            subject_groups={m.id: m.group_on(intake.council) for m in members if m},  # in the capacity complained of
            received_at=start.received_at,
            intake=intake,
            flags=rules.intake_flags(start),
            hearing_notice_days=start.procedure.hearing_notice_clear_working_days,
        )
        self._to = Addressees(self.roster, self.state)
        self._open_desk()
        self._revision = 0
        self._failure: BaseException | None = None
        self._published: tuple[Stage, bool, datetime | None] | None = None
        self._review: asyncio.Task[None] | None = None
        self.clocks = Clocks(
            self.state, self.procedure, self._nation, self._log, self._clock_due, self._lock, self._failed
        )
        self.post = Post(self.state, lambda: self._to, self._letter_context, self._log, self._queued_for_post)

    @workflow.run
    async def run(self, start: StartComplaint) -> projection.CaseSync:
        """The procedure, supervised: a failed clock watcher fails the workflow task, so that it
        is retried until a fix is deployed instead of the clock silently never escalating. The
        result is the register's view of the closed case (the `status` query has it all)."""
        procedure = asyncio.create_task(self._procedure())
        await workflow.wait_condition(lambda: procedure.done() or self._failure is not None)
        if self._failure is not None:
            raise self._failure
        await procedure
        if self.state.notice is not None:  # R12: approved, corrected or withdrawn after closure
            await self._publication_window()
        for pending in self._inbox:  # an action that raced the closure is answered, not left hanging
            if not pending.answered:
                pending.refused = f"{self.state.reference} closed ({self.state.outcome}) before it was done"
        await workflow.wait_condition(workflow.all_handlers_finished)
        return projection.case_sync(self.state, self._revision)

    # ------------------------------------------------------------------ the procedure, in order

    async def _procedure(self) -> None:
        try:
            await self._receive()
            await self._triage()
            route = await self._assess()
            # R3: a case the association or the police sent back is assessed again (workflows/assessment.py).
            while self.state.stage in (Stage.WITH_ASSOCIATION, Stage.WITH_POLICE) and route:
                if not await self._referral_answer(route):
                    return
                route = await self._assess()
            if route is AssessmentOutcome.INFORMAL:
                route = await self._informal_resolution()
            if route is AssessmentOutcome.INVESTIGATE:
                await self._appoint_investigator()
                if await self._investigation() is Finding.BREACH:
                    await self._hearing()
                    await self._decision_notice()
        except CaseWithdrawn:
            async with self._lock:
                await self._close(Outcome.WITHDRAWN)
        except DecidedWithLead:  # R14: a follower closes with its lead (workflows/lead.py)
            async with self._lock:
                await self._close(self._lead_outcome)

    async def _receive(self) -> None:
        """R1: acknowledge. R2: the assessment clock runs from receipt of all information, which
        is receipt itself unless the MO asks for more (request_info stops it, info_received
        starts it afresh). The clock starts first, so the acknowledgement gives its due date."""
        async with self._lock:
            self._log("received", f"complaint received about {', '.join(self._subject_names())}")
            workflow.upsert_search_attributes(
                [
                    search.REFERENCE.value_set(self.state.reference),
                    search.COUNCIL.value_set(self.state.council),
                    search.SUBJECT_MEMBERS.value_set(self.state.subject_members),
                    search.GROUPS.value_set(sorted(set(self.state.subject_groups.values()))),
                ]
            )
            await self.clocks.start(ClockName.ASSESSMENT, self.state.received_at)
            self._publish()
            await self.post.send(LetterTemplate.ACKNOWLEDGEMENT, self._to.complainant())
            await self._checkpoint()

    async def _triage(self) -> None:
        """R1: notify the subject member, or withhold notice where notifying would be contrary to
        the public interest or prejudice the case. R2: the Group Leader is informed."""
        async with self._step(Action.TRIAGE, a.Triage) as step:
            t = step.payload
            if t.notify and window_open(self.state):  # R18: held until the complainant may no longer withdraw
                step.message = self._hold_notice(t.officer)
                self._set_stage(self._stage_after_triage())
                return
            self.state.subject_notified = t.notify
            self.state.notice_withheld_reason = t.reason if not t.notify else ""
            if t.notify:
                self._log("triage", "subject member notified of the complaint", t.officer)
                await self.post.send(
                    LetterTemplate.SUBJECT_NOTIFIED,
                    self._to.subjects(),
                    group_leader_informed_for=self._to.group_leader_informed_for(),
                )
                await self._inform_group_leaders()
            else:
                self._log("triage", f"notice to the subject member withheld: {t.reason}", t.officer)
            self._set_stage(self._stage_after_triage())
            step.message = "triage recorded"

    async def _assess(self) -> AssessmentOutcome | None:
        """R2-R4, and R3's parish referral. Returns where the case goes next."""
        async with self._step(Action.ASSESS, a.Assess) as step:
            d = step.payload
            self._record_assessment(d)
            if self.state.stage is not Stage.AWAITING_INFORMATION:  # closed for want of it: the clock stays stopped
                self.clocks.meet(ClockName.ASSESSMENT)
            self._log("assessment", f"assessment decided: {d.outcome.value}", d.officer)
            await self._inform_group_leaders()
            if d.outcome is AssessmentOutcome.NO_ACTION:
                step.message = await self._no_action(d)
            elif d.outcome is AssessmentOutcome.REFER and workflow.patched(ASSOCIATION_PATCH):
                step.message = await self._refer_to_association(d)  # R3: the association may send it back
            elif d.outcome is AssessmentOutcome.REFER:
                await self.post.send(LetterTemplate.DECISION_REFERRED, self._to.parties(), text=d.reasons)
                await self._close(Outcome.REFERRED)
                step.message = "referred to the county association of local councils"
            elif d.outcome is AssessmentOutcome.POLICE:
                step.message = await self._refer_to_police(d)  # a possible criminal offence (Code paragraph 9)
            elif d.outcome is AssessmentOutcome.INFORMAL:
                items = [INFORMAL_ACTION_WORDS[x] for x in d.actions]
                await self.post.send(
                    LetterTemplate.DECISION_INFORMAL,
                    self._to.parties(),
                    text=d.reasons,
                    items=items,
                    tests=tests_lines(d),
                )
                self._set_stage(Stage.INFORMAL_RESOLUTION)
                self._review = self._start_review_reminders()
                step.message = "informal resolution under way"
            else:
                step.message = await self._refer_for_investigation()
        return d.outcome

    def _record_assessment(self, d: a.Assess) -> None:
        self.state.assessment = Decision(
            outcome=d.outcome, grounds=d.grounds, actions=d.actions, reasons=d.reasons, officer=d.officer,
            at=workflow.now(), tests=d.tests,
        )  # fmt: skip

    async def _no_action(self, d: a.Assess) -> str:
        """R4: written decision with reasons to both parties; the matter stays on record."""
        items = [GROUND_TITLES[g] for g in d.grounds]
        await self.post.send(
            LetterTemplate.DECISION_NO_ACTION, self._to.parties(), text=d.reasons, items=items, tests=tests_lines(d)
        )
        await self._close(Outcome.NO_ACTION)
        return "no action: decision letters sent"

    async def _informal_resolution(self) -> AssessmentOutcome | None:
        """R5: resolved closes the case; if not, the MO may (after consulting an IP) refer for
        investigation, or take no action. The MO is reminded to review it periodically."""
        async with self._step(Action.INFORMAL_OUTCOME, a.InformalOutcome) as step:
            o = step.payload
            self.state.informal_resolved = o.resolved
            self.state.informal_outcome_text = o.text
            self._stop_review_reminders()
            self._log("informal_outcome", "informal resolution " + ("resolved" if o.resolved else "failed"), o.officer)
            await self.post.send(LetterTemplate.INFORMAL_OUTCOME, self._to.parties(), text=o.text, resolved=o.resolved)
            if o.resolved:
                await self._close(Outcome.RESOLVED_INFORMALLY)
                step.message = "resolved informally"
                return None
            step.message = "informal resolution failed: consult an IP, then assess (investigate or no-action)"

        async with self._step(Action.ASSESS, a.Assess) as step:
            d = step.payload
            self._record_assessment(d)
            self._log("assessment", f"after failed informal resolution: {d.outcome.value}", d.officer)
            if d.outcome is AssessmentOutcome.NO_ACTION:
                step.message = await self._no_action(d)
                return None
            step.message = await self._refer_for_investigation()
            return AssessmentOutcome.INVESTIGATE

    async def _refer_for_investigation(self) -> str:
        """R6: both parties told in writing, the committee chair advised, the subject member given
        a different IP's details, and an Investigating Officer appointed within 14 days."""
        decision = self.state.assessment
        assert decision is not None
        ip_id = rules.different_ip(self.state, self.roster)
        self.state.subject_ip = ip_id
        ip = self.roster.independent_person(ip_id) if ip_id else None
        tests = decision.tests.lines() if decision.tests else []
        await self.post.send(
            LetterTemplate.DECISION_INVESTIGATE, self._to.parties(), text=decision.reasons, tests=tests
        )
        chair = self._to.committee_chair()
        if chair:
            await self.post.send(LetterTemplate.CHAIR_ADVISED, chair)
        else:
            self._log("chair_not_advised", "no committee chair or vice-chair to advise (the chair is a subject member)")
        if ip:
            await self.post.send(
                LetterTemplate.SUBJECT_IP_DETAILS, self._to.subjects(), person_name=ip.name, person_email=str(ip.email)
            )
        self._set_stage(Stage.INVESTIGATOR_APPOINTMENT)
        await self.clocks.start(ClockName.INVESTIGATOR_APPOINTMENT, decision.at)
        self._publish()
        return f"referred for investigation; {ip_id} is the subject member's Independent Person"

    async def _appoint_investigator(self) -> None:
        async with self._step(Action.APPOINT_INVESTIGATOR, a.AppointInvestigator) as step:
            appoint = step.payload
            self.state.investigator = appoint.investigator
            self.clocks.meet(ClockName.INVESTIGATOR_APPOINTMENT)
            self._log(
                "investigator_appointed", f"{appoint.investigator} appointed Investigating Officer", appoint.officer
            )
            io = self.roster.officer(appoint.investigator)
            await self.post.send(
                LetterTemplate.INVESTIGATOR_APPOINTED,
                self._to.investigator() + self._to.parties(),
                person_name=io.name if io else appoint.investigator,
            )
            self._set_stage(Stage.INVESTIGATION)
            await self.clocks.start(ClockName.INVESTIGATION, workflow.now())
            self._publish()
            step.message = f"{appoint.investigator} appointed"

    async def _investigation(self) -> Finding:
        """R7: draft report to MO and both parties, 14 days for comments, final report (IO aims
        for 2 months from appointment). R8: no breach closes the case; breach goes to hearing."""
        async with self._step(Action.DRAFT_REPORT, a.DraftReport) as step:
            draft = step.payload
            self.state.draft_report = Report(
                text=draft.text, officer=draft.officer, at=workflow.now(), documents=draft.documents
            )
            self._log("draft_report", "draft report sent for comments", draft.officer)
            if workflow.patched(DRAFT_PATCH):  # R7: the draft and its closing date reach the parties
                clock = await self._send_draft(draft)
            else:
                await self.post.send(
                    LetterTemplate.DRAFT_REPORT, self._to.officers(Role.MONITORING_OFFICER) + self._to.parties()
                )
                self._set_stage(Stage.COMMENTS)
                clock = await self.clocks.start(ClockName.COMMENT_PERIOD, workflow.now())
            self._publish()
            step.message = f"comment period open until {clock.due}"
        # The comment period closes itself at lapse, or once both parties have responded.
        await self._wait(lambda: not self.clocks[ClockName.COMMENT_PERIOD].running)

        async with self._step(Action.FINAL_REPORT, a.FinalReport) as step:
            final = step.payload
            self.state.final_report = Report(
                text=final.text,
                officer=final.officer,
                at=workflow.now(),
                finding=final.finding,
                further_breach=final.further_breach,
                documents=final.documents,
                considered=considered(self.state, final),
            )
            self.clocks.meet(ClockName.INVESTIGATION)
            self._log("final_report", f"final report: {final.finding.value.replace('_', ' ')}", final.officer)
            if workflow.patched(FINAL_PATCH):  # R7: to the MO and both parties, with its documents
                await self._send_final(final)
            if final.further_breach:
                await self.post.send(
                    LetterTemplate.FURTHER_BREACH,
                    self._to.officers(Role.MONITORING_OFFICER),
                    text=final.further_breach,
                )
            if final.finding is Finding.NO_BREACH:
                await self.post.send(LetterTemplate.FINAL_REPORT_NO_BREACH, self._to.parties(), text=final.text)
                await self._close(Outcome.NO_BREACH)
                step.message = "no breach found: both parties told"
                return Finding.NO_BREACH
            if workflow.patched(hearing_rules.PATCH):  # R9: the letter gives the hearing's and the response's dates
                step.message = await self._refer_to_hearing(final.text)
                return Finding.BREACH
            await self.post.send(
                LetterTemplate.REFERRED_TO_HEARING,
                self._to.parties() + self._to.officers(Role.DEMOCRATIC_SERVICES),
                text=final.text,
            )
            self._set_stage(Stage.HEARING_PENDING)
            await self.clocks.start(ClockName.HEARING, workflow.now())
            self._publish()
            step.message = "breach found: referred to the Hearings Sub-Committee"
        return Finding.BREACH

    async def _hearing(self) -> None:
        """R9-R10: the hearing (scheduled and adjourned in handlers) decides on the balance of
        probabilities, with sanctions on a breach."""
        async with self._step(Action.HEARING_OUTCOME, a.RecordHearingOutcome) as step:
            o = step.payload
            hearing = self.state.hearing
            assert hearing is not None
            self.state.hearing_outcome = HearingOutcome(
                finding=o.finding,
                sanctions=o.sanctions,
                reasons=o.reasons,
                hearing_date=hearing.date,
                officer=o.officer,
                at=workflow.now(),
                breached=o.breached,
                ip_view=o.ip_view,
                committee=o.committee.strip(),
                committee_until=o.committee_until,
                apology_meeting=o.apology_meeting,
                course=o.course.strip(),
                attended=o.attended,
                proceeded_in_absence=o.proceeded_in_absence,
                absence_reason=o.absence_reason.strip(),
            )
            if o.attended is False:  # R9: the panel may go on without the subject member
                self._log("proceeded_in_absence", f"the subject member did not attend: {o.absence_reason}", o.officer)
            self.clocks.meet(ClockName.HEARING, on=hearing.date)
            self._stop_response_clock("the hearing has decided")
            sanctions = ", ".join(s.value for s in o.sanctions) or "none"
            self._log("hearing_outcome", f"hearing decided {o.finding.value}; sanctions: {sanctions}", o.officer)
            self._set_stage(Stage.DECISION_NOTICE)
            await self.clocks.start(ClockName.DECISION_NOTICE, _london_midday(hearing.date))
            self._publish()
            step.message = "hearing outcome recorded: issue the decision notice within 14 days"

    async def _decision_notice(self) -> None:
        """R11: written notice with reasons to all parties (and the parish council) within 14
        days of the hearing. R12: the public notice is drafted, and published once the MO
        approves it (workflows/publication.py); cases issued before drafts published here at once.
        R10: the Group Leader is asked to act on a committee-removal sanction. R15: no appeal."""
        async with self._step(Action.ISSUE_NOTICE, a.IssueNotice) as step:
            outcome = self.state.hearing_outcome
            assert outcome is not None
            self.clocks.meet(ClockName.DECISION_NOTICE)
            self.state.notice_issued_at = workflow.now()
            self._log("decision_notice", "decision notice issued", step.payload.officer)
            drafts = workflow.patched("notice-draft")
            if drafts:
                notice = pub.as_text(pub.view(self._draft_notice(step.payload.officer)))
            else:
                notice = decision_notice_text(self.state, self.roster)
            items = [sanction_line(s, outcome) for s in outcome.sanctions]  # R10: with its parameters
            to = self._to
            recipients = to.parties() + to.investigator() + to.group_leaders() + to.parish_clerk()
            finding = "a breach" if outcome.finding is Finding.BREACH else "no breach"
            reasons = f"The Sub-Committee found {finding} of the Code of Conduct.\n\n{outcome.reasons}"
            attendance = attendance_words(outcome.attended, outcome.proceeded_in_absence, outcome.absence_reason)
            await self.post.send(
                LetterTemplate.DECISION_NOTICE, recipients, text=reasons, items=items, attachment=notice,
                attendance=attendance,
            )  # fmt: skip
            if any(s.value == "committee_removal" for s in outcome.sanctions):
                await self.post.send(
                    LetterTemplate.SANCTION_COMMITTEE_REMOVAL, self._to.group_leaders(), text=outcome.reasons,
                    sanction_terms=sanction_terms(Sanction.COMMITTEE_REMOVAL, outcome),
                )  # fmt: skip
            if outcome.sanctions and workflow.patched(SANCTIONS_PATCH):  # R17: each followed up on its own
                name = self._council_name()
                for line in await start_follow_ups(self.state, self.roster, self._to, self.procedure, name):
                    self._log("sanction_follow_up", line)
            if drafts:
                await self._close(Outcome.BREACH if outcome.finding is Finding.BREACH else Outcome.NO_BREACH)
                step.message = (
                    f"decision notice issued to the parties; the public notice is a draft: "
                    f"`conduct publish {self.state.reference} --preview`, then `conduct publish {self.state.reference}`"
                )
                return
            await workflow.execute_activity(
                "publish_notice",
                PublishNotice(
                    reference=self.state.reference, council=self.state.council, text=notice, at=workflow.now()
                ),
                start_to_close_timeout=REGISTER_TIMEOUT,
                heartbeat_timeout=ALIVE,
                retry_policy=DURABLE_RETRY,
                summary="decision notice",
            )
            self.state.published = True
            self._log("published", "decision notice published (R12)")
            await self._close(Outcome.BREACH if outcome.finding is Finding.BREACH else Outcome.NO_BREACH)
            step.message = "decision notice issued and published"

    async def _close(self, outcome: Outcome) -> None:
        self.clocks.stop_all(f"case closed: {outcome.value}")
        self._stop_review_reminders()
        self.state.outcome = outcome
        self.state.closed_at = workflow.now()
        self._set_stage(Stage.CLOSED, force=True)
        self._log("closed", f"case closed: {outcome.value}")
        await self._checkpoint()

    @workflow.update
    def link_arrived(self, notice: linking.LinkNotice) -> None:
        """R14: another case linked this one (`_link` there), judged by the validator below."""
        if notice.reference not in self.state.linked:
            self._record_link(notice.reference, notice.link.officer)

    @link_arrived.validator
    def _link_signed(self, notice: linking.LinkNotice) -> None:
        forged = linking.unsigned(notice.link, notice.reference, "link", self.state.reference)
        if forged:
            raise ValueError(f"{self.state.reference}: a link from {notice.reference} was refused: {forged}")

    @workflow.signal
    def linked_with(self, notice: Any) -> None:
        """The same, as the signal of links sent before `links-by-update`. It carries the officer's
        action as the officers' API signed it (a signal has no validator); an unsigned one is
        ignored (workflows/linking.py)."""
        reference, forged = linking.received(notice, "link", self.state.reference)
        if forged:
            self._log("link_refused", f"a link from {reference} was ignored: {forged}")
        elif reference not in self.state.linked:
            self._record_link(reference, None)

    def _record_link(self, reference: str, officer: str | None, reason: str = "") -> None:
        self.state.linked.append(reference)
        because = f": {reason}" if reason else ""
        self._log("linked", f"to be considered together with {reference} (R14){because}", officer)

    # ------------------------------------------------------------------ clocks and reminders

    async def _clock_due(self, clock: Clock, due: Due) -> None:
        """A clock's reminder or lapse, with the lock held (workflows/clocks.py)."""
        context = {"clock": clock.name, "clock_due": clock.due, "clock_rule": clock.rule}
        if clock.name is ClockName.SUBJECT_RESPONSE:  # R9: the subject member is reminded, and told when missed
            await self._response_due(clock, due)
            return
        if clock.name is ClockName.CONFIDENTIALITY:  # R18: no reminder; at its end the window closes
            if due is Due.LAPSE:
                await self._window_ends(clock)
            return
        if due is Due.REMINDER:
            self._log("clock_reminder", f"{clock.name.value} clock due {clock.due.isoformat()}: reminder sent")
            await self.post.send(LetterTemplate.CLOCK_REMINDER, self._to.responsible(clock.name), **context)
            return
        if clock.name is ClockName.COMMENT_PERIOD:  # R7: the comment period simply closes
            self.clocks.meet(ClockName.COMMENT_PERIOD, on=clock.due, note="closed at the end of the comment period")
            self._set_stage(Stage.INVESTIGATION)
            return
        if due is Due.LAPSE:
            self.clocks.lapse(clock)
            self._log("clock_lapsed", f"{clock.name.value} clock lapsed (due {clock.due.isoformat()}): escalated")
        else:
            self.clocks.escalated_again(clock)
            self._log("clock_escalated", f"{clock.name.value} clock still lapsed (due {clock.due.isoformat()})")
        self._publish()
        await self.post.send(LetterTemplate.CLOCK_ESCALATION, self._to.escalation(clock.name), **context)
        await self._checkpoint()

    def _start_review_reminders(self) -> asyncio.Task[None]:
        """R5: remind the MO to review an informal resolution every so often until it ends."""

        async def remind() -> None:
            interval = timedelta(days=self.procedure.informal_review_days)
            while True:
                await workflow.sleep(interval, summary="informal resolution review")
                async with self._lock:
                    self._log("informal_review_reminder", "informal resolution review reminder sent")
                    await self.post.send(
                        LetterTemplate.INFORMAL_REVIEW_REMINDER, self._to.officers(Role.MONITORING_OFFICER)
                    )

        task = asyncio.create_task(remind(), name="informal-review")
        task.add_done_callback(lambda t: None if t.cancelled() or not t.exception() else self._failed(t.exception()))
        return task

    def _stop_review_reminders(self) -> None:
        if self._review is not None:
            self._review.cancel()
            self._review = None

    def _failed(self, error: BaseException | None) -> None:
        if error is not None and self._failure is None:
            self._failure = error

    # ------------------------------------------------------------------ letters

    def _letter_context(self, **extra: Any) -> LetterContext:
        assessment = self.state.clocks.get(ClockName.ASSESSMENT)
        return LetterContext(
            reference=self.state.reference,
            council_name=self._council_name(),
            subject_names=self._subject_names(),
            complainant_name=self.state.intake.complainant.name,
            confidentiality_requested=self.state.intake.confidential,
            provisions=[PROVISION_TITLES[p] for p in self.state.intake.provisions],
            conduct_dates=self.state.intake.conduct_dates,
            signing_council_name=self._to.signing_council_name(),
            signed_by=record_rules.signatory(self.state, self.roster),
            received_on=london_date(self.state.received_at),
            assessment_due=assessment.due if assessment and assessment.running else None,
            **extra,
        )

    async def _inform_group_leaders(self) -> None:
        """R2: the Group Leader is informed once, at triage if the subject was notified, else
        with the assessment decision."""
        if any(t.event in ("group_leader_informed", "group_leader_not_applicable") for t in self.state.timeline):
            return
        if not self.state.subject_notified and self._to.group_leaders() and workflow.patched(WITHHELD_NOTICE_PATCH):
            return  # R1: not before the subject member is told (`triage --notify` informs them then)
        exemption = self._to.group_leader_exemption()
        if exemption:
            self._log("group_leader_not_applicable", f"R2 (inform the Group Leader) does not apply: {exemption}")
        recipients = self._to.group_leaders()
        if recipients:
            self._log("group_leader_informed", "Group Leader informed of the complaint")
            decided = self.state.assessment.outcome if self.state.assessment else None
            await self.post.send(LetterTemplate.GROUP_LEADER_INFORMED, recipients, assessment_outcome=decided)

    # ------------------------------------------------------------------ state, register, search

    def _set_stage(self, stage: Stage, force: bool = False) -> None:
        """While a withdrawal is being decided the case stays there; the stage it returns to moves."""
        if self.state.stage is Stage.WITHDRAWAL_REQUESTED and self.state.withdrawal and not force:
            self.state.withdrawal.previous_stage = stage
        else:
            self.state.stage = stage
        self._publish()

    def _publish(self) -> None:
        """Keep the search attributes (operators' listing, the Temporal UI) in step with the
        state; an upsert is an event in history, so only a change is written."""
        now = (self.state.stage, self.state.overdue, self.clocks.next_lapse)
        if now == self._published:
            return
        self._published = now
        stage, overdue, next_due = now
        workflow.upsert_search_attributes(
            [
                search.STAGE.value_set(stage.value),
                search.OVERDUE.value_set(overdue),
                search.NEXT_DEADLINE.value_set(next_due) if next_due else search.NEXT_DEADLINE.value_unset(),
            ]
        )

    async def _checkpoint(self) -> None:
        """Mirror the case into the SQL case register (reports and public pages read it): a
        small projection, under a revision that only grows."""
        self._revision += 1
        self._publish()
        await workflow.execute_activity(
            "sync_case",
            projection.case_sync(self.state, self._revision),
            start_to_close_timeout=REGISTER_TIMEOUT,
            heartbeat_timeout=ALIVE,
            retry_policy=DURABLE_RETRY,
            summary="case register",
        )

    def _log(self, event: str, summary: str, officer: str | None = None) -> None:
        self.state.timeline.append(
            TimelineEntry(at=workflow.now(), event=event, summary=summary, officer=officer, stage=self.state.stage)
        )

    def _nation(self):  # noqa: ANN202
        council = self.roster.council(self.state.council) or self.roster.council(self.state.hearing_council)
        assert council is not None
        return council.nation

    def _council_name(self) -> str:
        council = self.roster.council(self.state.council)
        return council.name if council else self.state.council

    def _subject_names(self) -> list[str]:
        return [m.name for m in (self.roster.member(i) for i in self.state.subject_members) if m]

    # ------------------------------------------------------------------ queries and updates

    @workflow.query
    def status(self) -> CaseState:
        view = self.state.model_copy()
        view.allowed = rules.allowed_now(self.state, self._today())
        return view

    @workflow.query
    def people(self) -> CasePeople:
        """Who takes part (the officers' API checks the person with it before each action)."""
        return CasePeople.of(self.state)

    # Actions `run` waits for, in the order of the procedure.
    triage = routed_update(Action.TRIAGE, a.Triage, "_notify_later", lambda wf: wf.state.subject_notified is None)
    assess = procedure_update(Action.ASSESS, a.Assess)
    informal_outcome = procedure_update(Action.INFORMAL_OUTCOME, a.InformalOutcome)
    appoint_investigator = procedure_update(Action.APPOINT_INVESTIGATOR, a.AppointInvestigator)
    draft_report = procedure_update(Action.DRAFT_REPORT, a.DraftReport)
    final_report = procedure_update(Action.FINAL_REPORT, a.FinalReport)
    hearing_outcome = procedure_update(Action.HEARING_OUTCOME, a.RecordHearingOutcome)
    issue_notice = procedure_update(Action.ISSUE_NOTICE, a.IssueNotice)
    police_answer = procedure_update(Action.POLICE_ANSWER, a.RecordPoliceAnswer)  # R3 (workflows/assessment.py)
    association_answer = procedure_update(Action.ASSOCIATION_ANSWER, a.RecordAssociationAnswer)
    # Actions carried out in their handlers.
    request_info = handler_update(Action.REQUEST_INFO, a.RequestInformation, "_request_info")
    info_received = handler_update(Action.INFO_RECEIVED, a.InformationReceived, "_info_received")
    consult_ip = handler_update(Action.CONSULT_IP, a.ConsultIndependentPerson, "_consult_ip")
    comment = handler_update(Action.COMMENT, a.RecordComment, "_comment")
    schedule_hearing = handler_update(Action.SCHEDULE_HEARING, a.ScheduleHearing, "_schedule_hearing")
    adjourn_hearing = handler_update(Action.ADJOURN_HEARING, a.AdjournHearing, "_adjourn_hearing")
    withdraw = handler_update(Action.WITHDRAW, a.Withdraw, "_withdraw")
    withdrawal_decision = handler_update(Action.WITHDRAWAL_DECISION, a.WithdrawalDecision, "_withdrawal_decision")
    stop_clock = handler_update(Action.STOP_CLOCK, a.StopClock, "_stop_clock")
    restart_clock = handler_update(Action.RESTART_CLOCK, a.RestartClock, "_restart_clock")
    link = handler_update(Action.LINK, a.Link, "_link")
    lead = handler_update(Action.LEAD, a.Link, "_lead_link")
    follow = handler_update(Action.FOLLOW, a.Link, "_follow")
    update_roster = handler_update(Action.UPDATE_ROSTER, a.UpdateRoster, "_update_roster")
    subject_response = handler_update(Action.SUBJECT_RESPONSE, hearing_rules.RecordSubjectResponse, "_subject_response")
    hearing_summary = handler_update(Action.HEARING_SUMMARY, hearing_rules.RecordHearingSummary, "_hearing_summary")
    change_hearing = handler_update(Action.CHANGE_HEARING, hearing_rules.ChangeHearing, "_change_hearing")
    replace_investigator = handler_update(
        Action.REPLACE_INVESTIGATOR, hearing_rules.ReplaceInvestigator, "_replace_investigator"
    )
    extend = handler_update(Action.EXTEND, a.ExtendClock, "_extend")
    further_breach = handler_update(Action.FURTHER_BREACH, a.ReportFurtherBreach, "_further_breach")
    confidentiality = handler_update(Action.CONFIDENTIALITY, a.Confidentiality, "_confidentiality")
    publish = handler_update(Action.PUBLISH, a.Publish, "_publish_decision")
    unpublish = handler_update(Action.UNPUBLISH, a.Unpublish, "_unpublish_decision")
    note = handler_update(Action.NOTE, AddNote, "_note")
    letter = handler_update(Action.LETTER, SendLetter, "_letter")
    conflict = handler_update(Action.CONFLICT, RecordConflict, "_conflict")
    unlink = handler_update(Action.UNLINK, Unlink, "_unlink")
    letter_posted = handler_update(Action.LETTER_POSTED, postal.LetterPosted, "_letter_posted")


def _london_midday(d: date) -> datetime:
    """An instant whose London date is `d`, for a clock that starts on a date (the hearing)."""
    return datetime(d.year, d.month, d.day, 12, 0, tzinfo=UTC)
