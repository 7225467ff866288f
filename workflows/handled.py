"""The officer actions carried out in their own update handlers, not by the procedure's `run`:
each runs with the case's lock held, after the rules were checked again (workflows/desk.py
`_in_handler`), and the register is brought up to date after it. They are R2's information
requests and IP views, R7's comments, R9's hearing arrangements, R13's withdrawal, R14's links,
the clock stops and restarts, and the roster in force."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct import hearing_rules, investigation_rules, rules
    from conduct.addressees import Addressees
    from conduct.case import CaseState, Comment, IPConsultation, Withdrawal
    from conduct.letters import LetterTemplate
    from conduct.procedure import ProcedureSettings
    from conduct.roster import Roster
    from conduct.vocabulary import ClockName, Stage
    from workflows import linking
    from workflows.clocks import Clocks
    from workflows.investigation import received_instant
    from workflows.post import Post


class HandledActions:
    state: CaseState
    roster: Roster
    procedure: ProcedureSettings
    clocks: Clocks
    post: Post
    _to: Addressees
    _withdrawn: bool
    _log: Callable[..., None]
    _set_stage: Callable[..., None]
    _publish: Callable[[], None]
    _result: Callable[..., a.ActionResult]
    _today: Callable[[], date]
    _record_link: Callable[[str, str | None, str], None]
    _release_held_notice: Callable[[], Awaitable[None]]
    _start_info_chaser: Callable[[], None]

    async def _request_info(self, p: a.RequestInformation) -> str:
        """R2: the assessment clock stops until the information is complete."""
        self.state.information_requests.append(p.text)
        self.clocks.stop(ClockName.ASSESSMENT, "awaiting information from the complainant", pause=False)
        self._log("information_requested", "more information requested; assessment clock stopped", p.officer)
        self._set_stage(Stage.AWAITING_INFORMATION)
        await self.post.send(LetterTemplate.INFORMATION_REQUEST, self._to.complainant(), text=p.text)
        self._start_info_chaser()  # workflows/investigation.py
        return "information requested from the complainant"

    async def _info_received(self, p: a.InformationReceived) -> str:
        """R2: 20 working days from receipt of all relevant information."""
        on = f" on {p.on.isoformat()}" if p.on else ""
        self._log("information_received", f"information complete{on}; assessment clock starts afresh", p.officer)
        self._set_stage(Stage.ASSESSMENT if self.state.subject_notified is not None else Stage.TRIAGE)
        clock = await self.clocks.start(ClockName.ASSESSMENT, received_instant(p.on) if p.on else workflow.now())
        self._publish()
        return f"assessment due {clock.due.isoformat()}"

    async def _consult_ip(self, p: a.ConsultIndependentPerson) -> str:
        """R2, R5, best practice 8: the IP's view is recorded before the MO decides."""
        self.state.consultations.append(IPConsultation(ip=p.ip, at=workflow.now(), stage=self.state.stage, view=p.view))
        self._log("ip_consulted", f"Independent Person {p.ip} consulted", p.officer)
        return f"view of {p.ip} recorded"

    async def _comment(self, p: a.RecordComment) -> str:
        """R7: the comment period closes early once both parties have commented or declined; a
        comment after it closed is still recorded, marked late."""
        late = investigation_rules.comment_is_late(self.state)
        self.state.comments.append(
            Comment(party=p.party, text=p.text, declined=p.declined, at=workflow.now(), late=late)
        )
        verb = "declined to comment" if p.declined else "commented"
        self._log("comment", f"{p.party.value} {verb} on the draft report{' (late)' if late else ''}", p.officer)
        if not late and {c.party for c in self.state.comments} == {a.Party.COMPLAINANT, a.Party.SUBJECT}:
            self.clocks.meet(ClockName.COMMENT_PERIOD, note="closed early: both parties responded")
            self._set_stage(Stage.INVESTIGATION)
        return f"{p.party.value} {verb}"

    async def _schedule_hearing(self, p: a.ScheduleHearing) -> a.ActionResult:
        """R9: a panel of three from the subject's own council, an IP other than the assessment
        IP, sufficient notice to all parties; time, venue, public or private, and the papers with the
        notice (conduct/hearing_rules.py)."""
        with workflow.unsafe.imports_passed_through(), workflow.unsafe.sandbox_unrestricted():  # bank holidays
            warnings = rules.panel_warnings(self.state, self.roster, p)
            warnings += hearing_rules.schedule_warnings(self.state, self.roster, p, self._today())
            self.state.hearing = hearing_rules.hearing_from(self.state, self.roster, p, self._today(), warnings)
        self._log("hearing_scheduled", hearing_rules.scheduled_words(self.state.hearing), p.officer)
        await self.post.send(
            LetterTemplate.HEARING_NOTICE,
            self._to.hearing(),
            text=hearing_rules.papers(self.state),
            **hearing_rules.notice_context(self.state),
        )
        return self._result(f"hearing fixed for {p.date.isoformat()}", warnings)

    async def _adjourn_hearing(self, p: a.AdjournHearing) -> str:
        """R9: the sub-committee may adjourn; the hearing clock keeps running."""
        hearing = self.state.hearing
        assert hearing is not None
        hearing.adjournments.append(f"{hearing.date.isoformat()}: {p.reason}")
        hearing.date = p.date
        hearing.late = hearing.late or hearing_rules.is_late(self.state, p.date)  # R9: shown as late
        self._log("hearing_adjourned", f"hearing adjourned to {p.date.isoformat()}: {p.reason}", p.officer)
        context = hearing_rules.notice_context(self.state)
        await self.post.send(LetterTemplate.HEARING_ADJOURNED, self._to.hearing(), text=p.reason, **context)
        return f"hearing adjourned to {p.date.isoformat()}"

    async def _withdraw(self, p: a.Withdraw) -> str:
        """R13: withdrawal at any time before the hearing decides; the MO then decides."""
        self.state.withdrawal = Withdrawal(requested_at=workflow.now(), text=p.text, previous_stage=self.state.stage)
        self._log("withdrawal_requested", "complainant asked to withdraw", p.officer)
        self.state.stage = Stage.WITHDRAWAL_REQUESTED
        self._publish()
        await self.post.send(LetterTemplate.WITHDRAWAL_RECEIVED, self._to.complainant(), text=p.text)
        return "withdrawal recorded: consult an IP and decide whether to stop"

    async def _withdrawal_decision(self, p: a.WithdrawalDecision) -> str:
        """R13: after consulting an IP, and mindful of intimidation (Code paragraph 2). To stop,
        the procedure is told to end; the handler answers once the case is closed."""
        w = self.state.withdrawal
        assert w is not None
        w.decision, w.ip, w.ip_view = ("stop" if p.stop else "continue"), p.ip, p.view
        self._log("withdrawal_decision", f"after withdrawal the MO decided to {w.decision}", p.officer)
        text = "The complaint will not be taken further." if p.stop else "The complaint will continue to be considered."
        await self.post.send(LetterTemplate.WITHDRAWAL_DECISION, self._to.parties(), text=text)
        if p.stop:
            self._withdrawn = True
            return "complaint withdrawn and closed"
        self.state.stage = w.previous_stage
        self._publish()
        if self.state.notice_held:  # R18: a notice held while the complainant might withdraw goes now
            await self._release_held_notice()
        return f"the complaint continues at stage {w.previous_stage.value}"

    async def _stop_clock(self, p: a.StopClock) -> str:
        """Time: a stopped clock's paused days are left out of its due date."""
        name = rules.target_clock(self.state, p.clock, paused=False)
        assert name is not None
        self.clocks.stop(name, p.reason, pause=True)
        self._log("clock_stopped", f"{name.value} clock stopped: {p.reason}", p.officer)
        self._publish()
        return f"{name.value} clock stopped"

    async def _restart_clock(self, p: a.RestartClock) -> str:
        name = rules.target_clock(self.state, p.clock, paused=True)
        assert name is not None
        clock = await self.clocks.restart(name)
        self._publish()
        self._log("clock_restarted", f"{name.value} clock restarted; now due {clock.due.isoformat()}", p.officer)
        return f"{name.value} clock restarted, due {clock.due.isoformat()}"

    async def _link(self, p: a.Link) -> str:
        """R14: two complaints about the same member or incident may be considered together.
        Both cases record the link."""
        other = workflow.get_external_workflow_handle(f"complaint-{p.other_reference}")
        notice = linking.notice(self.state.reference, p)  # signed links, gated for recorded histories
        if workflow.patched(linking.BY_UPDATE) and not isinstance(notice, str):  # judged by its validator
            if not await linking.tell(self.state.reference, p.other_reference, "link_arrived", notice, p):
                raise ApplicationError(f"{p.other_reference} could not be linked: it is closed", non_retryable=True)
        else:
            try:
                await other.signal("linked_with", notice)
            except Exception as err:  # the other case does not exist or is closed
                raise ApplicationError(f"{p.other_reference} could not be linked: {err}", non_retryable=True) from err
        self._record_link(p.other_reference, p.officer, p.reason)
        return f"to be considered together with {p.other_reference}"

    async def _update_roster(self, p: a.UpdateRoster) -> str:
        """The roster in force reaches an open case: new officers, IPs and members act and are
        written to from now on. The facts fixed at receipt (the subject's group and council)
        stay as they were on receipt."""
        changes = _roster_changes(self.roster, p.roster)
        self.roster = p.roster
        self._to = Addressees(self.roster, self.state)
        self._log("roster_updated", f"roster updated ({p.reason}): {changes}", p.officer)
        return f"roster updated: {changes}"


def _roster_changes(old: Roster, new: Roster) -> str:
    """Who joined, left or changed role, in one line for the history."""
    words = []
    for kind, before, after in (
        ("officer", {o.id: sorted(o.roles) for o in old.officers}, {o.id: sorted(o.roles) for o in new.officers}),
        ("IP", {p.id: [] for p in old.independent_persons}, {p.id: [] for p in new.independent_persons}),
        ("member", {m.id: [m.group] for m in old.members}, {m.id: [m.group] for m in new.members}),
    ):
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
        words += [f"{kind} {k} added" for k in added]
        words += [f"{kind} {k} removed" for k in removed]
        words += [f"{kind} {k} changed" for k in changed]
    return "; ".join(words) or "no change"
