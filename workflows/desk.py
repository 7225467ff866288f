"""How officer actions reach a case: one desk, one action at a time.

Every officer action is a workflow update named for it (`procedure_update`, `handler_update`),
whose validator asks `conduct.rules.refusal` before anything enters history. One
procedure-moving action is in flight per case: another is refused with a reason until it is
done (DESIGN.md, "Concurrency"). Actions `run` waits for are handed over through a small inbox
and answered once carried out (`_step`); the others are carried out in their handlers
(`_in_handler`). Both hold the case's lock across their awaits and check the case again once
they have it, as in samples-python `message_passing/safe_message_handlers`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar, cast

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct import attestation, rules
    from conduct.actions import Action
    from conduct.calendar import london_date
    from conduct.case import CaseState, TimelineEntry
    from conduct.record import CaseNote
    from conduct.roster import Roster
    from conduct.vocabulary import Stage

P = TypeVar("P", bound=a.OfficerAction)


class CaseWithdrawn(Exception):
    """Raised inside the procedure once the MO decides to stop after a withdrawal (R13)."""


class DecidedWithLead(Exception):
    """Raised inside a follower's procedure once its lead case closed (R14, workflows/lead.py)."""


@dataclass
class _Pending:
    """An action handed to `run`: answered with a result, or refused once `run` looks at it."""

    action: Action
    payload: a.OfficerAction
    result: a.ActionResult | None = None
    refused: str | None = None

    @property
    def answered(self) -> bool:
        return self.result is not None or self.refused is not None


@dataclass
class _Step(Generic[P]):
    """The action `run` is carrying out, and what its officer will be told."""

    payload: P
    message: str = ""
    warnings: list[str] = field(default_factory=list)


def _update(action: Action, payload: type[a.OfficerAction], handler: Callable[..., Any]) -> Any:
    """One officer action as a workflow update named for it, whose validator asks the rules."""
    handler.__annotations__ = {"p": payload, "return": a.ActionResult}
    handler.__name__ = handler.__qualname__ = action.value
    update = workflow.update(name=action.value)(handler)

    def validate(self: Desk, p: a.OfficerAction) -> None:
        self._validate(action, p)

    validate.__annotations__ = {"p": payload, "return": None}
    update.validator(validate)
    return update


def procedure_update(action: Action, payload: type[a.OfficerAction]) -> Any:
    """An action `run` waits for: handed over through the inbox, answered once carried out."""

    async def handler(self: Desk, p: a.OfficerAction) -> a.ActionResult:
        return await self._submit(action, p)

    return _update(action, payload, handler)


def handler_update(action: Action, payload: type[a.OfficerAction], method: str) -> Any:
    """An action carried out in its handler by `method`."""

    async def handler(self: Desk, p: a.OfficerAction) -> a.ActionResult:
        return await self._in_handler(action, p, getattr(self, method))

    return _update(action, payload, handler)


def routed_update(
    action: Action, payload: type[a.OfficerAction], method: str, in_procedure: Callable[[Any], bool]
) -> Any:
    """An action `run` waits for while `in_procedure(workflow)` holds, and carried out in its handler
    by `method` afterwards (R1: triage, then `triage --notify` after notice was withheld)."""

    async def handler(self: Desk, p: a.OfficerAction) -> a.ActionResult:
        if in_procedure(self):
            return await self._submit(action, p)
        return await self._in_handler(action, p, getattr(self, method))

    return _update(action, payload, handler)


class Desk:
    """The officer-facing half of a case workflow; the procedure half subclasses it."""

    state: CaseState
    roster: Roster

    def _open_desk(self) -> None:
        self._lock = asyncio.Lock()
        self._in_flight: Action | None = None
        self._inbox: list[_Pending] = []
        self._withdrawn = False
        self._lead_outcome: Any = None  # R14: the outcome a follower's lead closed with (workflows/lead.py)

    async def _checkpoint(self) -> None:
        raise NotImplementedError

    def _leading(self, action: Action, payload: a.OfficerAction) -> AbstractAsyncContextManager[None]:
        raise NotImplementedError  # workflows/lead.py

    def _today(self) -> date:
        return london_date(workflow.now())

    def _refusal(
        self, action: Action, payload: a.OfficerAction, in_flight: Action | None, recheck: bool = True
    ) -> str | None:
        """The rules (conduct/rules.py). `recheck` (the default, in handlers): the action was
        validated when it arrived; only the case is judged again, so replay never meets a payload
        check added after the history was recorded."""
        # The working-day calendar (R9's notice) loads its bank-holiday tables and their translations
        # lazily; they are static data, so that is deterministic.
        with workflow.unsafe.imports_passed_through(), workflow.unsafe.sandbox_unrestricted():
            return rules.refusal(self.state, self.roster, action, payload, self._today(), in_flight, recheck)

    def _validate(self, action: Action, payload: a.OfficerAction) -> None:
        """The update's validator: the officers' service vouched for the person (its
        attestation), and the rules allow the action now. Validators never run on replay."""
        update = workflow.current_update_info()
        unattested = attestation.refusal(
            payload.attestation,
            self.state.reference,
            action.value,
            payload,
            update.id if update else None,
            workflow.now(),
        )
        if unattested:
            raise ValueError(f"{self.state.reference}: refused: {unattested}")
        reason = self._refusal(action, payload, self._in_flight, recheck=False)
        if reason:
            raise ValueError(reason)

    async def _submit(self, action: Action, payload: a.OfficerAction) -> a.ActionResult:
        """Hand an action to `run` and answer once it has been carried out."""
        with self._flight(action):
            pending = _Pending(action, payload)
            self._inbox.append(pending)
            await workflow.wait_condition(lambda: pending.answered)
        if pending.result is None:
            raise ApplicationError(pending.refused or "not done", type="Refused", non_retryable=True)
        return pending.result

    async def _in_handler(
        self, action: Action, payload: P, work: Callable[[P], Awaitable[str | a.ActionResult]]
    ) -> a.ActionResult:
        """Carry out an action in its handler, with the lock held and the case checked again
        (another step may have moved it while this one waited its turn)."""
        with self._flight(action):
            async with self._lock:
                reason = self._refusal(action, payload, None)
                if reason:
                    raise ApplicationError(reason, type="Refused", non_retryable=True)
                async with self._leading(action, payload):  # R14: a lead's followers take it too
                    done = await work(payload)
                self._noted(payload)
                await self._checkpoint()
            if action is Action.WITHDRAWAL_DECISION and self._withdrawn:  # R13: answered once closed
                await workflow.wait_condition(lambda: self.state.stage is Stage.CLOSED)
        return done if isinstance(done, a.ActionResult) else self._result(done)

    @contextmanager
    def _flight(self, action: Action) -> Iterator[None]:
        """While a procedure-moving action is carried out, the validators refuse another. Entered
        before the handler's first await, so a later update's validator already sees it."""
        moving = action in a.MOVING
        if moving:
            self._in_flight = action
        try:
            yield
        finally:
            if moving:
                self._in_flight = None

    async def _next(self, action: Action) -> _Pending:
        """Wait for the officer action `run` needs next (withdrawal may end the wait); any other
        action still waiting is answered rather than left to be picked up later."""
        await self._wait(lambda: any(p.action is action and not p.answered for p in self._inbox))
        taken = next(p for p in self._inbox if p.action is action and not p.answered)
        for other in self._inbox:
            if other is not taken and not other.answered:
                other.refused = f"{self.state.reference}: {a.RECORDS[taken.action]} was recorded first"
        return taken

    @asynccontextmanager
    async def _step(self, action: Action, kind: type[P]) -> AsyncIterator[_Step[P]]:
        """The next `action` from the inbox, carried out with the lock held and answered with
        the step's message once the register has caught up."""
        while True:
            pending = await self._next(action)
            async with self._lock:
                reason = self._refusal(action, pending.payload, None)
                if reason:
                    pending.refused = reason
                    continue
                step = _Step(cast(P, pending.payload))
                async with self._leading(action, step.payload):  # R14: a lead's followers take it too
                    yield step
                self._noted(step.payload)
                await self._checkpoint()
                pending.result = self._result(step.message, step.warnings)
                return

    def _noted(self, payload: a.OfficerAction) -> None:
        """An action's `--note`: an internal note on the case (conduct.record.CaseNote), never in a letter."""
        if payload.note.strip():
            self.state.notes.append(CaseNote(at=workflow.now(), officer=payload.officer, text=payload.note.strip()))
            self.state.timeline.append(
                TimelineEntry(
                    at=workflow.now(), event="note", summary="internal note added", officer=payload.officer,
                    stage=self.state.stage,
                )
            )  # fmt: skip

    async def _wait(self, condition: Callable[[], bool]) -> None:
        await workflow.wait_condition(lambda: self._withdrawn or self._lead_outcome is not None or condition())
        if self._withdrawn:
            raise CaseWithdrawn()
        if self._lead_outcome is not None:
            raise DecidedWithLead()

    def _result(self, message: str, warnings: list[str] | None = None) -> a.ActionResult:
        return a.ActionResult(
            reference=self.state.reference, stage=self.state.stage.value, message=message, warnings=warnings or []
        )
