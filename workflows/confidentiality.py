"""R18 and R1 on a case: the MO's decision on confidentiality, the complainant's chance to
withdraw after a refusal, and notice to the subject member given later or held until then.

- `confidentiality --grant`: recorded, and the complainant told.
- `confidentiality --refuse`: recorded, the complainant told that their identity will be shared
  and that they may withdraw by a date (the `confidentiality` clock, 10 working days by default,
  ProcedureSettings). Until that day ends nothing naming them is sent (conduct.confidentiality
  `identity_confidential`), and notice to the subject member given meanwhile is held.
- The window ends: the identity may be shared (unless the complainant asked to withdraw by then)
  and a held notice goes to the subject member, unless a withdrawal is being decided; then it
  goes if the MO decides to continue.
- `triage --notify` after `--withhold` tells the subject member then (held in the same way).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct.addressees import Addressees
    from conduct.calendar import london_date
    from conduct.case import CaseState, Clock, ConfidentialityDecision
    from conduct.confidentiality import window_open
    from conduct.letters import LetterTemplate
    from conduct.vocabulary import ClockName, Stage
    from workflows.clocks import Clocks
    from workflows.post import Post


class ConfidentialityActions:
    state: CaseState
    clocks: Clocks
    post: Post
    _to: Addressees
    _log: Callable[..., None]
    _publish: Callable[[], None]
    _checkpoint: Callable[[], Awaitable[None]]
    _inform_group_leaders: Callable[[], Awaitable[None]]

    async def _confidentiality(self, p: a.Confidentiality) -> str:
        """R18: the MO decides the request with reasons, and tells the complainant."""
        decision = ConfidentialityDecision(granted=p.grant, reason=p.reason, officer=p.officer, at=workflow.now())
        self.state.confidentiality = decision
        if p.grant:
            self._log("confidentiality_granted", "request for confidentiality granted (R18)", p.officer)
            await self.post.send(LetterTemplate.CONFIDENTIALITY_GRANTED, self._to.complainant(), text=p.reason)
            return "confidentiality granted: the complainant is told; their identity stays out of others' letters"
        clock = await self.clocks.start(ClockName.CONFIDENTIALITY, workflow.now())
        decision.withdraw_by = clock.due
        self._log(
            "confidentiality_refused",
            f"request for confidentiality refused; the complainant may withdraw until {clock.due.isoformat()} (R18)",
            p.officer,
        )
        await self.post.send(
            LetterTemplate.CONFIDENTIALITY_REFUSED,
            self._to.complainant(),
            text=p.reason,
            clock=ClockName.CONFIDENTIALITY,
            clock_due=clock.due,
        )
        self._publish()
        held = " is sent, and notice to the subject member waits," if not self.state.subject_notified else " is sent"
        until = clock.due.isoformat()
        return (
            f"confidentiality refused: the complainant may withdraw until {until}; nothing naming them{held} till then"
        )

    def _hold_notice(self, officer: str) -> str:
        """R18: notice decided while the complainant may still withdraw is held until then."""
        decision = self.state.confidentiality
        assert decision is not None and decision.withdraw_by is not None
        until = decision.withdraw_by.isoformat()
        self.state.subject_notified = False
        self.state.notice_held = True
        self.state.notice_withheld_reason = f"held until the complainant's time to withdraw ends on {until} (R18)"
        self._log("notice_held", f"notice to the subject member held until {until} (R18)", officer)
        return f"notice to the subject member held until {until}, when the complainant's time to withdraw ends (R18)"

    async def _give_notice(self, officer: str | None) -> None:
        """R1: the subject member is told of the complaint; R2: their Group Leader is informed."""
        self.state.subject_notified = True
        self.state.notice_held = False
        self.state.notice_withheld_reason = ""
        self._log("subject_notified", "subject member notified of the complaint", officer)
        await self.post.send(
            LetterTemplate.SUBJECT_NOTIFIED,
            self._to.subjects(),
            group_leader_informed_for=self._to.group_leader_informed_for(),
        )
        await self._inform_group_leaders()

    async def _notify_later(self, p: a.Triage) -> str:
        """R1: `triage --notify` after notice was withheld (the rules refuse anything else here)."""
        if window_open(self.state):
            return self._hold_notice(p.officer)
        await self._give_notice(p.officer)
        return "subject member notified of the complaint"

    async def _window_ends(self, clock: Clock) -> None:
        """R18: the complainant's time to withdraw has ended (with the lock held)."""
        decision = self.state.confidentiality
        assert decision is not None
        self.clocks.meet(ClockName.CONFIDENTIALITY, on=clock.due, note="the complainant's time to withdraw ended")
        w = self.state.withdrawal
        decision.window_closed = True
        decision.withdrew_in_window = w is not None and london_date(w.requested_at) <= clock.due
        if decision.withdrew_in_window:
            self._log("confidentiality_window_ended", "time to withdraw ended; the complainant asked to withdraw")
        else:
            self._log("confidentiality_window_ended", "time to withdraw ended; the complainant's identity may go out")
        await self._release_held_notice()
        await self._checkpoint()

    async def _release_held_notice(self) -> None:
        """A held notice goes once the window has ended and no withdrawal is being decided."""
        if not self.state.notice_held or window_open(self.state):
            return
        if self.state.stage in (Stage.WITHDRAWAL_REQUESTED, Stage.CLOSED):
            return
        await self._give_notice(None)
