"""R14 in the workflow: a lead case and the cases that follow it (conduct/lead_rules.py).

Design: the followers are passive. `conduct link LEAD OTHER --lead` is the `follow` action on
OTHER: OTHER joins the lead (the small `follower_joined` update, sent from the `join_lead`
activity, activities/lead.py), mirrors the lead's stage from its answer and stops its own clocks:
the lead's are the one set of clocks. The lead records the follower under its lock and issues no
command for it, so a lead with a thousand followers replays in a workflow task (docs/performance.md);
a step the lead is taking finishes first, and every later step reaches the follower. After the lead
carries out a procedure-moving step (one decision, one hearing), it tells each follower (the
`lead_step` update, from one `tell_followers` activity, so that its history does not grow with
them; a few followers at a time, each done before the next is told) with the officer's action as
the officers' API signed it, the stage it reached, its outcome if it closed, and the letters the
step wrote to the lead's complainant. The follower's validator checks the signature and that the
sender is its lead (replay never runs it: workflows/linking.py); the follower takes each step once
(by its update id), writes those letters to its own complainant, mirrors the stage and, when the
lead closed, closes with the same outcome. A follower that is unlinked, or whose
lead complainant withdrew, is considered on its own again: it returns to the stage it had and its
clocks run on from where they stopped.

Why not let each follower carry out the action through its own procedure: it would have to be
told of every handled action too (hearing dates, adjournments, reports), run every rule again
and could disagree with its lead. Mirroring keeps the decision in one place, and each follower's
history holds only what its complainant was sent.

Links recorded before followers joined by update were the lead's `lead` action and its
`follow_lead` signal to the follower; both are kept, so those cases replay and run on. Everything
here runs only for cases linked this way (new actions and new signals): no path an existing case
took issues different commands, so no `workflow.patched` gate is needed.
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
    from conduct import attestation, lead_rules, rules
    from conduct.actions import Action
    from conduct.addressees import Addressees
    from conduct.case import CaseState
    from conduct.lead_notices import CopiedLetter, FollowerJob, JoinNotice, LeadLinkNotice, LeadNotice, LeadStanding
    from conduct.roster import Roster
    from conduct.vocabulary import ClockState, Outcome, Stage
    from workflows import linking
    from workflows.clocks import Clocks
    from workflows.post import ALIVE, DURABLE_RETRY, Post

FOLLOWING = "considered with {lead}, whose clocks run (R14)"
SHOWN = 20  # references named in one history line at most
TELL_TIMEOUT = timedelta(minutes=10)
JOIN_TIMEOUT = timedelta(minutes=2)  # the lead answers once a step it is taking is done


class _Signed(BaseModel):
    """A signed action whose model the follower need not know: its digest is over the same JSON."""

    model_config = ConfigDict(extra="allow")


def _forged(notice: LeadNotice, here: str, max_age: timedelta | None = attestation.MAX_AGE) -> str | None:
    """Why a step from the lead may not change this follower; None when it may."""
    try:
        signed = attestation.Attestation.model_validate(notice.payload.get("attestation"))
    except ValidationError:
        return "it carries no signed action"
    action = _Signed.model_validate({k: v for k, v in notice.payload.items() if k != "attestation"})
    return attestation.refusal(signed, notice.reference, notice.action.value, action, None, workflow.now(), max_age)


class LeadActions:
    state: CaseState
    roster: Roster
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
    _today: Callable[[], Any]

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

    @workflow.update
    async def follower_joined(self, notice: JoinNotice) -> LeadStanding:
        """R14: a case follows this one from now on (its `follow` action, `join_lead`). Under the
        lock, so that a step being taken is done, and told to the followers it had, before the
        answer says where this case stands. No command and no timeline entry per follower: the
        update itself is the record (`conduct history`), and the count is shown."""
        async with self._lock:
            why = rules.lead_refusal(self.state, self.roster, self._as_lead(notice), self._today())
            if why:
                raise ApplicationError(why, type="Refused", non_retryable=True)
            if notice.reference not in self.state.followers:
                self.state.followers.append(notice.reference)
            if notice.reference not in self.state.linked:
                self.state.linked.append(notice.reference)
            return LeadStanding(reference=self.state.reference, stage=self.state.stage)

    @follower_joined.validator
    def _may_join(self, notice: JoinNotice) -> None:
        """Signed by the officers' service for the follower, naming this case: anyone who can reach
        Temporal could otherwise make a case lead another. Any age: a join taken again changes nothing."""
        link = notice.link
        forged = attestation.refusal(
            link.attestation, notice.reference, Action.FOLLOW.value, link, None, workflow.now(), max_age=None
        )
        if not forged and link.other_reference != self.state.reference:
            forged = "the signed action names another lead"
        why = forged or rules.lead_refusal(self.state, self.roster, self._as_lead(notice), self._today())
        if why:
            raise ValueError(why)

    def _as_lead(self, notice: JoinNotice) -> a.Link:
        """The follower's `follow` seen from the lead: the other case is the follower."""
        return notice.link.model_copy(update={"other_reference": notice.reference})

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
            self._log("followers_not_told", f"not told (closed, or no longer following): {named}")
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
        self._start_following(notice.reference, notice.stage, notice.link.officer)

    async def _follow(self, p: a.Link) -> str:
        """R14, the `follow` action (`conduct link LEAD THIS --lead`): join the lead, then mirror
        its stage. The lead may refuse (closed, following another, another member's): the case is
        left as it was and the officer told why."""

        def refused(why: str) -> str:
            return rules.explained(self.state, f"{p.other_reference} cannot lead it: {why}", self._today())

        notice = JoinNotice(reference=self.state.reference, link=p)
        summary = f"join {p.other_reference}"
        standing = await linking.ask_another_case("join_lead", notice, LeadStanding, JOIN_TIMEOUT, summary, refused)
        self._start_following(p.other_reference, standing.stage, p.officer)
        return f"{self.state.reference} follows {p.other_reference}: the decisions taken there apply here too"

    def _start_following(self, lead: str, stage: Stage, officer: str | None) -> None:
        if lead not in self.state.linked:
            self.state.linked.append(lead)
        self.state.lead = lead
        self.state.followed_from = self.state.stage
        note = FOLLOWING.format(lead=lead)
        for clock in self.state.clocks.values():
            if clock.running:
                self.clocks.stop(clock.name, note, pause=True)
        self._log(
            "following",
            f"follows {lead}, which leads the complaints about this incident: its decisions apply "
            "here and this case's clocks are stopped (R14)",
            officer,
        )
        self._set_stage(stage)

    @workflow.update
    async def lead_step(self, notice: LeadNotice) -> None:
        """R14: the lead carried out a step (`tell_followers`). An update, not a signal, so that the
        lead's activity waits for each follower to have taken it and tells a few at a time: told
        all at once, a thousand followers were loaded together, each evicted from the worker's
        cache between its own tasks and replayed again (docs/performance.md)."""
        await self._lead_moved(notice, checked=True)

    @lead_step.validator
    def _from_the_lead(self, notice: LeadNotice) -> None:
        """Only this case's lead, with the officer's action signed for it. Checked here, where a
        refusal leaves no trace and replay never checks again: a signature checked in a handler
        would be judged again on replay against the keys trusted then."""
        why = self._not_from_the_lead(notice)
        if why:
            raise ValueError(f"{self.state.reference}: a step from {notice.reference} was refused: {why}")

    def _not_from_the_lead(self, notice: LeadNotice) -> str | None:
        """Any age: the lead tells a thousand followers over minutes, and again after an outage;
        a step is taken once (its update id), so an old one sent again changes nothing."""
        if notice.reference != self.state.lead:
            return "this case does not follow it"
        return _forged(notice, notice.reference, max_age=None)

    @workflow.signal
    async def lead_moved(self, notice: LeadNotice) -> None:
        """The same, as the signal of steps told before `lead_step`: kept so those histories replay."""
        await self._lead_moved(notice, checked=False)

    async def _lead_moved(self, notice: LeadNotice, checked: bool) -> None:
        """This complainant is sent the same letters as the lead's, the stage follows, and the case
        closes with the lead's outcome. `checked`: the update's validator judged the sender; a
        signal's step that is not the lead's is logged and ignored here."""
        async with self._lock:
            if notice.reference != self.state.lead:  # (the validator's answer may be out of date by now)
                self._log("lead_refused", f"a step from {notice.reference} was ignored: this case does not follow it")
                return
            step = str((notice.payload.get("attestation") or {}).get("update_id", ""))
            if step and step in self.state.lead_steps:  # told again (a retried activity): taken once
                return
            forged = None if checked else _forged(notice, notice.reference)
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
