"""Letters by post on a case (issue 14, "Channels and receipt"; conduct/postal.py): a clock that
runs from a letter put in the print queue waits for it, and `letter_posted` (sent by `conduct
print-queue --mark-posted`) records the posting day and starts that clock afresh from it.

Reached only by cases with a party without e-mail, which no case had before this module: the
new commands (a timer cancelled, a deadline computed again) are on new paths, and no existing
history meets them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct import postal
    from conduct.case import CaseState, LetterRecord
    from conduct.letters import LetterTemplate
    from conduct.vocabulary import ClockName
    from workflows.clocks import Clocks


class PostalActions:
    state: CaseState
    clocks: Clocks
    _log: Callable[..., None]
    _publish: Callable[[], None]

    def _queued_for_post(self, template: LetterTemplate, records: list[LetterRecord]) -> None:
        """Post's callback: letters just put in the print queue. The clock that counts from one of
        them, started for this letter, waits until it is posted."""
        for record in records:
            name = postal.clock_waiting_for(template, record.role)
            clock = self.clocks.get(name) if name else None
            if name is None or clock is None or not clock.running:
                continue
            self.clocks.await_post(name, [record.key])
            self._log(
                "clock_awaits_post",
                f"{name.value} clock waits for the {template.value} letter to the "
                f"{record.role.value.replace('_', ' ')} to be posted",
            )

    async def _letter_posted(self, p: postal.LetterPosted) -> str:
        """A letter in the print queue was posted: recorded, and the clock waiting for it (once it
        waits for no other) starts afresh from the latest posting day."""
        record = postal.letter(self.state, p.key)
        assert record is not None  # postal.posted_refusal
        record.posted_on = p.on
        who = record.role.value.replace("_", " ")
        self._log(
            "letter_posted", f"{record.template.value} letter to the {who} posted on {p.on.isoformat()}", p.officer
        )
        message = f"{record.template.value} letter to the {who} recorded as posted on {p.on.isoformat()}"
        for name, clock in list(self.state.clocks.items()):
            if p.key not in clock.awaiting_post:
                continue
            left = [k for k in clock.awaiting_post if k != p.key]
            if left:
                self.clocks.await_post(name, [])  # wakes the watcher; it goes on waiting
                clock.awaiting_post = left
                message += f"; the {name.value} clock waits for {len(left)} more letter(s) to be posted"
                continue
            waited = [postal.letter(self.state, k) for k in clock.awaiting_post]
            posted = max(r.posted_on for r in waited if r is not None and r.posted_on is not None)
            started = datetime(posted.year, posted.month, posted.day, 12, 0, tzinfo=UTC)  # London date `posted`
            clock.awaiting_post = []
            again = await self.clocks.start(name, started)
            if name is ClockName.CONFIDENTIALITY and self.state.confidentiality is not None:
                self.state.confidentiality.withdraw_by = again.due  # R18: the time to withdraw
            message += f"; the {name.value} clock counts from {posted.isoformat()}: due {again.due.isoformat()}"
        self._publish()
        return message
