"""R14 in the workflow: a lead case and the cases that follow it (conduct/lead_rules.py).

Design: the followers are passive. When one starts to follow (`follow_lead`, sent by the lead's
`lead` action) its own clocks stop: the lead's are the one set of clocks. After the lead carries
out a procedure-moving step (one decision, one hearing), it signals each follower (from one
`tell_followers` activity, activities/lead.py, so that its history does not grow with them) with
the officer's action as the officers' API signed it, the stage it reached, its outcome if it
closed, and the letters the step wrote to the lead's complainant. The follower checks the
signature and that the sender is its lead (a signal has no validator, as workflows/linking.py),
takes each step once (by its update id), writes those letters to its own complainant, mirrors
the stage and, when the lead closed, closes with the same outcome. A follower that is unlinked,
or whose lead complainant withdrew, is considered on its own again: it returns to the stage it
had and its clocks run on from where they stopped.

Why not let each follower carry out the action through its own procedure: it would have to be
told of every handled action too (hearing dates, adjournments, reports), run every rule again
and could disagree with its lead. Mirroring keeps the decision in one place, and each follower's
history holds only what its complainant was sent.

Everything here runs only for cases linked with `lead` (a new action and new signals): no path
an existing case took issues different commands, so no `workflow.patched` gate is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct import attestation, lead_rules
    from conduct.actions import Action
    from conduct.addressees import Addressees
    from conduct.case import CaseState
    from conduct.lead_notices import CopiedLetter, FollowerJob, LeadLinkNotice, LeadNotice
    from conduct.vocabulary import ClockState, Outcome, Stage
    from workflows.clocks import Clocks
    from workflows.post import ALIVE, DURABLE_RETRY, Post

FOLLOWING = "considered with {lead}, whose clocks run (R14)"
SHOWN = 20  # references named in one history line at most
TELL_TIMEOUT = timedelta(minutes=10)


class _Signed(BaseModel):
    """A signed action whose model the follower need not know: its digest is over the same JSON."""

    model_config = ConfigDict(extra="allow")


def _forged(notice: LeadNotice, here: str) -> str | None:
    """Why a step from the lead may not change this follower; None when it may."""
    try:
        signed = attestation.Attestation.model_validate(notice.payload.get("attestation"))
    except ValidationError:
        return "it carries no signed action"
    action = _Signed.model_validate({k: v for k, v in notice.payload.items() if k != "attestation"})
    return attestation.refusal(signed, notice.reference, notice.action.value, action, None, workflow.now())


class LeadActions:
    state: CaseState
    clocks: Clocks
    post: Post
    _to: Addressees
    _lock: asyncio.Lock
    _lead_outcome: Any
    _log: Callable[..., None]
    _set_stage: Callable[..., None]
    _publish: Callable[[], None]
    _checkpoint: Callable[[], Awaitable[None]]
    _withdrawn: bool
    _failed: Callable[[BaseException | None], None]
    _record_link: Callable[[str, str | None, str], None]

    # ------------------------------------------------------------------ the lead

    async def _lead_link(self, p: a.Link) -> str:
        """R14: this case leads the other (`conduct link REF OTHER --lead`): both record the link,
        and the other follows this one from now on."""
        other = workflow.get_external_workflow_handle(f"complaint-{p.other_reference}")
        notice = LeadLinkNotice(reference=self.state.reference, link=p, stage=self.state.stage)
        try:
            await other.signal("follow_lead", notice)
        except Exception as err:  # the other case does not exist or is closed
            raise ApplicationError(f"{p.other_reference} could not be linked: {err}", non_retryable=True) from err
        self._record_link(p.other_reference, p.officer, p.reason)
        self.state.followers.append(p.other_reference)
        return f"{p.other_reference} follows {self.state.reference}: the decisions taken here apply to it too"

    @asynccontextmanager
    async def _leading(self, action: Action, payload: a.OfficerAction) -> AsyncIterator[None]:
        """Around a step (workflows/desk.py): a lead copies the letters its complainant is sent,
        and once the step is done tells its followers."""
        tell = self.state.followers and (lead_rules.forwarded(action) or action is Action.WITHDRAWAL_DECISION)
        if not tell or self.state.stage is Stage.CLOSED:  # publication after closure: the followers have closed
            yield
            return
        self.post.copies = []
        try:
            yield
            letters = self.post.copies
        finally:
            self.post.copies = None
        if action is Action.WITHDRAWAL_DECISION:
            if self._withdrawn:  # R13 on the lead: its followers' complaints stand, each on its own
                await self._tell_followers(action, payload, [], released=True)
            return
        await self._tell_followers(action, payload, letters)

    async def _tell_followers(
        self, action: Action, payload: a.OfficerAction, letters: list[CopiedLetter], released: bool = False
    ) -> None:
        outcome = Outcome.WITHDRAWN if released else self.state.outcome
        notice = LeadNotice(
            reference=self.state.reference,
            action=action,
            payload=payload.model_dump(mode="json"),
            stage=self.state.stage,
            outcome=outcome,
            released=released,
            letters=letters,
        )
        followers = list(self.state.followers)
        missed: list[str] = await workflow.execute_activity(
            "tell_followers",
            FollowerJob(notice=notice, followers=followers),
            result_type=list[str],
            start_to_close_timeout=TELL_TIMEOUT,
            heartbeat_timeout=ALIVE,
            retry_policy=DURABLE_RETRY,
            summary=f"{a.RECORDS[action]} to {len(followers)} follower(s)",
        )
        told = len(followers) - len(missed)
        what = a.RECORDS[action]
        if released:
            self._log("followers_released", f"lead complaint withdrawn: {told} follower(s) go on their own (R14)")
            self.state.linked = [r for r in self.state.linked if r not in followers]
            self.state.followers = []
        else:
            self._log("followers_told", f"{what} applied to the {told} case(s) following this one (R14)")
        if missed:
            named = ", ".join(missed[:SHOWN]) + (f" and {len(missed) - SHOWN} more" if len(missed) > SHOWN else "")
            self._log("followers_not_told", f"closed, so not told: {named}")
            self.state.followers = [r for r in self.state.followers if r not in missed]

    # ------------------------------------------------------------------ a follower

    @workflow.signal
    def follow_lead(self, notice: LeadLinkNotice) -> None:
        """R14: the lead's `lead` action names this case; its decisions apply here from now on."""
        forged = attestation.refusal(
            notice.link.attestation, notice.reference, Action.LEAD.value, notice.link, None, workflow.now()
        )
        if not forged and notice.link.other_reference != self.state.reference:
            forged = "the signed action names another case"
        if forged:
            self._log("link_refused", f"a lead link from {notice.reference} was ignored: {forged}")
            return
        cannot = lead_rules.cannot_follow(self.state)
        if notice.reference not in self.state.linked:
            self.state.linked.append(notice.reference)
        if cannot:  # the officer's client checked first; the case was decided meanwhile
            self._log("linked", f"to be considered together with {notice.reference} (R14); not as a follower: {cannot}")
            return
        self.state.lead = notice.reference
        self.state.followed_from = self.state.stage
        note = FOLLOWING.format(lead=notice.reference)
        for clock in self.state.clocks.values():
            if clock.running:
                self.clocks.stop(clock.name, note, pause=True)
        self._log(
            "following",
            f"follows {notice.reference}, which leads the complaints about this incident: its decisions apply "
            "here and this case's clocks are stopped (R14)",
            notice.link.officer,
        )
        self._set_stage(notice.stage)

    @workflow.signal
    async def lead_moved(self, notice: LeadNotice) -> None:
        """R14: the lead carried out a step: this complainant is sent the same letters, the stage
        follows, and the case closes with the lead's outcome."""
        async with self._lock:
            if notice.reference != self.state.lead:
                self._log("lead_refused", f"a step from {notice.reference} was ignored: this case does not follow it")
                return
            step = str((notice.payload.get("attestation") or {}).get("update_id", ""))
            if step and step in self.state.lead_steps:  # told again (a retried activity): taken once
                return
            forged = _forged(notice, notice.reference)
            if forged:
                self._log("lead_refused", f"a step from {notice.reference} was ignored: {forged}")
                return
            self.state.lead_steps.append(step)
            officer = notice.payload.get("officer")
            if notice.released:
                self._log("lead_withdrawn", f"the lead complaint {notice.reference} was withdrawn (R13)", officer)
                if notice.reference in self.state.linked:
                    self.state.linked.remove(notice.reference)
                await self._go_alone(f"the lead complaint {notice.reference} was withdrawn")
                await self._checkpoint()
                return
            for letter in notice.letters:
                await self.post.send(
                    letter.template,
                    self._to.complainant(),
                    attachment=letter.attachment,
                    attachment_name=letter.attachment_name,
                    **letter.context,
                )
            what = a.RECORDS[notice.action]
            self._log("lead_moved", f"{what} on the lead case {notice.reference} applies here (R14)", officer)
            if notice.outcome is not None:  # the procedure closes the case (workflows/desk.py _wait)
                self._lead_outcome = notice.outcome
                return
            self._set_stage(notice.stage)
            await self._checkpoint()

    async def _go_alone(self, why: str) -> None:
        """The case is considered on its own again: back to its stage, its clocks run on."""
        lead = self.state.lead
        self.state.lead = None
        self._set_stage(self.state.followed_from or self.state.stage)
        self.state.followed_from = None
        note = FOLLOWING.format(lead=lead)
        restarted = []
        for clock in list(self.state.clocks.values()):
            if clock.state is ClockState.STOPPED and clock.paused_since is not None and clock.note == note:
                again = await self.clocks.restart(clock.name)
                restarted.append(f"{clock.name.value} due {again.due.isoformat()}")
        self._publish()
        clocks = f"; clocks run again: {', '.join(restarted)}" if restarted else ""
        self._log("following_ended", f"no longer follows {lead} ({why}): considered on its own{clocks} (R14)")

    async def _unlinked_here(self, reference: str, why: str) -> None:
        """An unlink taken on this case (the lock is held): a lead forgets its follower; a
        follower goes on alone."""
        if reference in self.state.followers:
            self.state.followers.remove(reference)
        if reference == self.state.lead:
            await self._go_alone(why)

    def _unlinked_there(self, reference: str, why: str) -> None:
        """An unlink taken on the other case (`unlinked_from`, a signal): as `_unlinked_here`, the
        follower's part once it has the lock."""
        if reference in self.state.followers:
            self.state.followers.remove(reference)
        if reference == self.state.lead:
            task = asyncio.create_task(self._alone_with_lock(why))
            task.add_done_callback(lambda t: None if t.cancelled() else self._failed(t.exception()))

    async def _alone_with_lock(self, why: str) -> None:
        async with self._lock:
            await self._go_alone(why)
            await self._checkpoint()
