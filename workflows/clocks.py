"""The case's statutory clocks: durable timers that remind, lapse and escalate.

The shape of samples-python's `updatable_timer`: each clock keeps its absolute due instants in
the case state and one watcher task sleeps until the next of them, waking early whenever the
clock changes (met, stopped, restarted). A lapsed clock never silently passes: it escalates,
and escalates again every `escalation_repeat_days` while it stays lapsed (DESIGN.md, "Time").

Watchers are kept, not fired and forgotten: a watcher that fails hands its exception to the
workflow, which fails its task so Temporal retries it until a fix is deployed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from enum import StrEnum

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct.calendar import london_date
    from conduct.case import CaseState, Clock
    from conduct.deadline import Deadline, DeadlineRequest, Pause
    from conduct.documents import ClockExtension
    from conduct.procedure import ProcedureSettings
    from conduct.vocabulary import ClockName, ClockState, DayUnit, Nation

# Milliseconds of arithmetic; a lost worker is retried soon.
DEADLINE_TIMEOUT = timedelta(seconds=10)
# Histories recorded before weekly re-escalation wait on a lapsed clock without a timer.
ESCALATE_AGAIN_PATCH = "escalate-weekly"


class Due(StrEnum):
    REMINDER = "reminder"
    LAPSE = "lapse"
    STILL_LAPSED = "escalation"


class Clocks:
    def __init__(
        self,
        case: CaseState,
        procedure: ProcedureSettings,
        nation: Callable[[], Nation],
        log: Callable[[str, str], None],
        on_due: Callable[[Clock, Due], Awaitable[None]],
        lock: asyncio.Lock,
        failed: Callable[[BaseException], None],
    ) -> None:
        self.case, self.procedure, self._nation = case, procedure, nation
        self._log, self._on_due, self._lock, self._failed = log, on_due, lock, failed
        self._versions: dict[ClockName, int] = {}
        self._watchers: dict[ClockName, asyncio.Task[None]] = {}

    def __getitem__(self, name: ClockName) -> Clock:
        return self.case.clocks[name]

    def get(self, name: ClockName) -> Clock | None:
        return self.case.clocks.get(name)

    @property
    def next_lapse(self) -> datetime | None:
        return min((c.lapses_at for c in self.case.clocks.values() if c.running), default=None)

    async def start(
        self,
        name: ClockName,
        started: datetime,
        pauses: list[Pause] | None = None,
        carried_from: Clock | None = None,
    ) -> Clock:
        """Compute the due date in an activity (so it sits in history with its inputs) and watch
        it. A restarted clock (`carried_from`) keeps its reminder and lapse if they still hold."""
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
            start_to_close_timeout=DEADLINE_TIMEOUT,
            summary=f"{name.value} deadline",
        )
        now = workflow.now()
        old = carried_from
        clock = Clock(
            name=name,
            rule=f"{deadline.rule} ({rule.rule})",
            started=started,
            due=deadline.due,
            lapses_at=deadline.lapses_at,
            remind_at=deadline.remind_at,
            pauses=pauses or [],
            deadline=deadline,
            reminded=bool(old and old.reminded) and not (deadline.remind_at and deadline.remind_at > now),
            lapsed=bool(old and old.lapsed) and deadline.lapses_at <= now,
            escalated_at=old.escalated_at if old and old.lapsed and deadline.lapses_at <= now else None,
        )
        clock.state = ClockState.LAPSED if clock.lapsed else ClockState.PENDING
        clock.lapsed_before, clock.extensions = _kept(self.case.clocks.get(name), clock)
        self.case.clocks[name] = clock
        self._changed(name)
        if not pauses:
            self._log("clock_started", f"{name.value} clock started: due {clock.due.isoformat()} ({clock.rule})")
        self._watch(name)
        return clock

    async def extend(self, name: ClockName, extension: ClockExtension) -> Clock:
        """More time, to `extension.until` (calendar days from the clock's start, computed in the
        deadline activity like any due date); a lapse before it stays on the record."""
        old = self.case.clocks[name]
        amount = (extension.until - london_date(old.started)).days
        deadline: Deadline = await workflow.execute_activity(
            "compute_deadline",
            DeadlineRequest(
                clock=name,
                started_at=old.started,
                amount=amount,
                unit=DayUnit.CALENDAR_DAYS,
                nation=self._nation(),
                reminder_working_days=self.procedure.reminder_working_days,
            ),
            result_type=Deadline,
            start_to_close_timeout=DEADLINE_TIMEOUT,
            summary=f"{name.value} extension",
        )
        now = workflow.now()
        clock = old.model_copy(
            update={
                "due": deadline.due,
                "lapses_at": deadline.lapses_at,
                "remind_at": deadline.remind_at,
                "deadline": deadline,
                "reminded": old.reminded and not (deadline.remind_at and deadline.remind_at > now),
                "lapsed": False,
                "state": ClockState.PENDING,
                "escalated_at": None,
                "lapsed_before": [*old.lapsed_before, *([old.due] if old.lapsed else [])],
                "extensions": [*old.extensions, extension],
            }
        )
        self.case.clocks[name] = clock
        self._changed(name)
        self._watch(name)
        return clock

    def meet(self, name: ClockName, on: date | None = None, note: str = "") -> None:
        clock = self.case.clocks.get(name)
        if clock is None or clock.state in (ClockState.MET, ClockState.MET_LATE):
            return
        clock.met_on = on or london_date(workflow.now())
        clock.state = ClockState.MET if clock.met_on <= clock.due else ClockState.MET_LATE
        clock.paused_since = None
        clock.note = note or clock.note
        self._changed(name)
        self._log(
            "clock_met", f"{name.value} clock {clock.state.value.replace('_', ' ')} on {clock.met_on.isoformat()}"
        )

    def stop(self, name: ClockName, note: str, pause: bool) -> None:
        """Stopped for good (awaiting information, case closed) or paused (`pause`: its paused
        days are later left out of the due date)."""
        clock = self.case.clocks[name]
        clock.state, clock.note = ClockState.STOPPED, note
        clock.paused_since = workflow.now() if pause else None
        self._changed(name)

    def stop_all(self, note: str) -> None:
        for clock in self.case.clocks.values():
            if clock.running:
                self.stop(clock.name, note, pause=False)
        for task in self._watchers.values():
            task.cancel()

    async def restart(self, name: ClockName) -> Clock:
        old = self.case.clocks[name]
        assert old.paused_since is not None
        pause = Pause(start=london_date(old.paused_since), end=london_date(workflow.now()), reason=old.note)
        return await self.start(name, old.started, pauses=[*old.pauses, pause], carried_from=old)

    def lapse(self, clock: Clock) -> None:
        clock.lapsed = True
        clock.state = ClockState.LAPSED
        clock.escalated_at = workflow.now()
        self._changed(clock.name)

    def escalated_again(self, clock: Clock) -> None:
        clock.escalated_at = workflow.now()
        self._changed(clock.name)

    # ------------------------------------------------------------------ watching

    def _changed(self, name: ClockName) -> None:
        self._versions[name] = self._versions.get(name, 0) + 1

    def _watch(self, name: ClockName) -> None:
        """One watcher per clock: a restart replaces the old one."""
        previous = self._watchers.get(name)
        if previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.create_task(self._run_watch(name), name=f"clock:{name.value}")
        task.add_done_callback(self._check)
        self._watchers[name] = task

    def _check(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._failed(task.exception())  # type: ignore[arg-type]

    def await_post(self, name: ClockName, keys: list[str]) -> Clock:
        """The clock counts from a letter that waits in the print queue (conduct.postal): no
        reminder and no lapse until `letter_posted` starts it afresh from the posting day."""
        clock = self.case.clocks[name]
        clock.awaiting_post = [*clock.awaiting_post, *(k for k in keys if k not in clock.awaiting_post)]
        self._changed(name)
        return clock

    def _next_due(self, clock: Clock) -> tuple[Due, datetime] | None:
        if clock.awaiting_post:  # only cases with a letter by post (conduct.postal) ever wait here
            return None
        if not clock.reminded and clock.remind_at and workflow.now() < clock.remind_at:
            return Due.REMINDER, clock.remind_at
        if not clock.lapsed:
            return Due.LAPSE, clock.lapses_at
        if workflow.patched(ESCALATE_AGAIN_PATCH):
            since = clock.escalated_at or clock.lapses_at
            return Due.STILL_LAPSED, since + timedelta(days=self.procedure.escalation_repeat_days)
        return None  # lapsed and escalated once: wait for the action, a stop or a restart

    async def _run_watch(self, name: ClockName) -> None:
        while True:
            clock = self.case.clocks[name]
            if not clock.running:
                return
            version = self._versions[name]
            due = self._next_due(clock)

            def moved(v: int = version) -> bool:
                return self._versions[name] != v

            if due is None:
                await workflow.wait_condition(moved)
                continue
            event, target = due
            try:
                await workflow.wait_condition(
                    moved,
                    timeout=max(target - workflow.now(), timedelta(0)),
                    timeout_summary=f"{name.value} {event.value} {target.isoformat()}",
                )
                continue  # met, stopped or moved: look again
            except TimeoutError:
                pass
            async with self._lock:  # never in the middle of an officer's action
                if moved():
                    continue
                if event is Due.REMINDER:
                    clock.reminded = True
                await self._on_due(clock, event)


def _kept(previous: Clock | None, clock: Clock) -> tuple[list[date], list[ClockExtension]]:
    """What a clock started again keeps of the one it replaces: its lapses (a lapse, once it
    happened, stays in the record and the statistics, whatever restarts the clock) and its
    extensions."""
    if previous is None:
        return [], []
    lapses = [*previous.lapsed_before, *([previous.due] if previous.lapsed and not clock.lapsed else [])]
    return lapses, list(previous.extensions)
