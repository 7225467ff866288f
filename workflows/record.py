"""Keeping the record of a case (issue 16) and conflicts of interest (R16), carried out in their own
update handlers like workflows/handled.py: internal notes and delay reasons, one-off letters to a
party, unlinking (R14), and conflicts. Each runs with the case's lock held after the rules were
checked again (workflows/desk.py `_in_handler`), and the register is brought up to date after it.

All are new handlers and a new signal: no path an existing case took issues different commands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct import record_rules
    from conduct.addressees import Addressees
    from conduct.case import CaseState
    from conduct.letters import LetterTemplate
    from conduct.record import CaseNote, Conflict, SentLetter, party_words
    from conduct.record_actions import AddNote, RecordConflict, SendLetter, Unlink
    from conduct.roster import Roster
    from workflows import linking
    from workflows.post import Post


class UnlinkNotice(BaseModel):
    """The `unlinked_from` signal: the other case of a link was unlinked, and why. It carries the
    officer's action as the officers' API signed it: a signal has no validator, and anyone who can
    reach Temporal could otherwise unlink cases (workflows/linking.py)."""

    reference: str
    reason: str = ""
    unlink: Unlink | None = None


class RecordActions:
    state: CaseState
    roster: Roster
    post: Post
    _to: Addressees
    _log: Callable[..., None]
    _publish: Callable[[], None]
    _result: Callable[..., a.ActionResult]
    _unlinked_here: Callable[[str, str], Awaitable[None]]
    _unlinked_there: Callable[[str, str], None]

    async def _note(self, p: AddNote) -> str:
        """An internal note: on the case and in its history, never in a letter. A delay reason
        explains a lapsed clock; reviews show it beside the lapse."""
        if p.delay_reason:
            clock = record_rules.lapsed_clock(self.state, p.clock)
            assert clock is not None  # record_rules._note
            note = CaseNote(at=workflow.now(), officer=p.officer, delay_reason=p.delay_reason, clock=clock)
            self.state.notes.append(note)
            self._log("delay_reason", f"reason for the delay of the {clock.value} clock recorded", p.officer)
            return f"reason for the delay of the {clock.value} clock recorded"
        self.state.notes.append(CaseNote(at=workflow.now(), officer=p.officer, text=p.text))
        self._log("note", "internal note added", p.officer)
        return "note added (internal: never sent)"

    async def _letter(self, p: SendLetter) -> str:
        """A one-off letter to a party, through the same post as the procedure's letters."""
        recipients = record_rules.letter_recipients(self._to, p.to)
        await self.post.send(LetterTemplate.CORRESPONDENCE, recipients, text=p.text)
        self.state.correspondence.append(SentLetter(at=workflow.now(), officer=p.officer, to=p.to, text=p.text))
        self._log("letter", f"letter sent to the {party_words(p.to)}", p.officer)
        return f"letter sent to the {party_words(p.to)}"

    async def _conflict(self, p: RecordConflict) -> a.ActionResult:
        """R16: the officer takes no part in the case from now on; for a conflicted MO the deputy
        acts, receives the MO's letters and signs the case's letters."""
        warnings = record_rules.conflict_warnings(self.state, p.conflicted)
        self.state.conflicts.append(
            Conflict(officer=p.conflicted, reason=p.reason, recorded_by=p.officer, at=workflow.now())
        )
        message = f"{p.conflicted} recorded as conflicted: takes no part in {self.state.reference} (R16)"
        if record_rules.deputy_acts(self.roster, p.conflicted):
            self.state.deputy_acting = True
            message += "; the deputy acts for the Monitoring Officer"
        self._log("conflict", message, p.officer)
        return self._result(message, warnings)

    async def _unlink(self, p: Unlink) -> str:
        """R14: the complaints are no longer considered together; both cases record it (a closed
        other case cannot be told, and the unlink stands here)."""
        self.state.linked.remove(p.other_reference)
        self._log("unlinked", f"no longer considered with {p.other_reference}: {p.reason}", p.officer)
        await self._unlinked_here(p.other_reference, f"unlinked: {p.reason}")  # R14: a follower goes on alone
        other = workflow.get_external_workflow_handle(f"complaint-{p.other_reference}")
        notice = UnlinkNotice(reference=self.state.reference, reason=p.reason, unlink=p)
        told = True
        try:
            if workflow.patched(linking.BY_UPDATE):  # judged by its validator (workflows/linking.py)
                told = await linking.tell(self.state.reference, p.other_reference, "unlink_arrived", notice, p)
            else:
                await other.signal("unlinked_from", notice)
        except Exception:  # the signal found no open case, or the update was refused
            told = False
        if not told:  # the other case has closed: nothing to tell it
            self._log("unlink_not_told", f"{p.other_reference} is closed and was not told")
            return f"unlinked from {p.other_reference} ({p.other_reference} is closed and keeps its record)"
        return f"no longer considered with {p.other_reference}"

    @workflow.update
    def unlink_arrived(self, notice: UnlinkNotice) -> None:
        """The other case of a link was unlinked (`_unlink` there), judged by the validator below."""
        self._unlinked_by_other(notice)

    @unlink_arrived.validator
    def _unlink_signed(self, notice: UnlinkNotice) -> None:
        forged = linking.unsigned(notice.unlink, notice.reference, "unlink", self.state.reference)
        if forged:
            raise ValueError(f"{self.state.reference}: an unlink from {notice.reference} was refused: {forged}")

    @workflow.signal
    def unlinked_from(self, notice: UnlinkNotice) -> None:
        """The same, as the signal of unlinks sent before `links-by-update`, checked here."""
        forged = linking.unsigned(notice.unlink, notice.reference, "unlink", self.state.reference)
        if forged:
            self._log("link_refused", f"an unlink from {notice.reference} was ignored: {forged}")
            return
        self._unlinked_by_other(notice)

    def _unlinked_by_other(self, notice: UnlinkNotice) -> None:
        if notice.reference in self.state.linked:
            self.state.linked.remove(notice.reference)
            self._log("unlinked", f"no longer considered with {notice.reference}: {notice.reason}")
            self._unlinked_there(notice.reference, f"unlinked: {notice.reason}")  # R14: a follower goes on alone
