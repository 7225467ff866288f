"""Section 7's fairness and section 3's information requests, in the workflow (a mixin of
ComplaintWorkflow, like workflows/handled.py).

- The draft report reaches the parties (R7): the comment period starts first, so the letter to
  the MO, the complainant and the subject member gives its closing date; the draft travels in
  the letter's text and as an attachment, with its statements and documents. Patch
  `draft-report-encloses`: older cases sent the letter first and started the clock after.
- The final report goes to the MO, the complainant and the subject member with its documents,
  and records whose comments it took into consideration. Patch `final-report-to-parties`.
- `extend`: more time on any clock but the assessment's, with a reason; `further_breach`: the
  IO reports other possible breaches to the MO at any time during the investigation.
- An information request is chased after `information_chase_days` (patch `info-chaser`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct.addressees import Addressees
    from conduct.calendar import london_date
    from conduct.case import CaseState, Clock, Comment
    from conduct.documents import ClockExtension, FurtherBreach
    from conduct.letters import LetterTemplate
    from conduct.procedure import ProcedureSettings
    from conduct.roster import Roster
    from conduct.vocabulary import ClockName, Party, Role, Stage
    from workflows.clocks import Clocks
    from workflows.post import Post

DRAFT_PATCH = "draft-report-encloses"
FINAL_PATCH = "final-report-to-parties"
CHASER_PATCH = "info-chaser"

PARTY_WORDS = {Party.COMPLAINANT: "the complainant", Party.SUBJECT: "the councillor complained about"}


def received_instant(day: date) -> datetime:
    """An instant on London day `day` (midday UTC is that day in London, summer or winter), for
    a clock that runs from the day information arrived (`info-received --on`)."""
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def considered(state: CaseState, final: a.FinalReport) -> list[Party]:
    """R7: the comments the final report took into consideration; by default every comment made
    (a party who declined made none)."""
    if final.considered is not None:
        return list(dict.fromkeys(final.considered))
    return [c.party for c in state.comments if not c.declined]


def comment_words(comment: Comment) -> str:
    late = " (received after the comment period closed)" if comment.late else ""
    day = london_date(comment.at)
    return f"the comments of {PARTY_WORDS[comment.party]}, received {day:%A} {day.day} {day:%B %Y}{late}"


class InvestigationActions:
    state: CaseState
    roster: Roster
    procedure: ProcedureSettings
    clocks: Clocks
    post: Post
    _to: Addressees
    _lock: asyncio.Lock
    _log: Callable[..., None]
    _set_stage: Callable[..., None]
    _publish: Callable[[], None]
    _failed: Callable[[BaseException | None], None]

    # ------------------------------------------------------------------ R7 reports

    async def _send_draft(self, draft: a.DraftReport) -> Clock:
        """The comment period first, so the letter can give its closing date as a date."""
        self._set_stage(Stage.COMMENTS)
        clock = await self.clocks.start(ClockName.COMMENT_PERIOD, workflow.now())
        await self.post.send(
            LetterTemplate.DRAFT_REPORT,
            self._to.officers(Role.MONITORING_OFFICER) + self._to.parties(),
            attachment=draft.text,
            attachment_name=f"{self.state.reference}-draft-report.txt",
            documents=draft.documents,
            text=draft.text,
            clock_due=clock.due,
            person_name=self._officer_name(draft.officer),
            document_names=[d.name for d in draft.documents],
        )
        return clock

    async def _send_final(self, final: a.FinalReport) -> None:
        """R7: the final report with its statements and documents, and the comments it considered."""
        taken = set(considered(self.state, final))
        items = [comment_words(c) for c in self.state.comments if c.party in taken and not c.declined]
        self._log("comments_considered", "final report considered " + ("; ".join(items) or "no comments"))
        await self.post.send(
            LetterTemplate.FINAL_REPORT,
            self._to.officers(Role.MONITORING_OFFICER) + self._to.parties(),
            attachment=final.text,
            attachment_name=f"{self.state.reference}-final-report.txt",
            documents=final.documents,
            text=final.text,
            items=items,
            person_name=self._officer_name(final.officer),
            document_names=[d.name for d in final.documents],
        )

    def _stage_after_triage(self) -> Stage:
        """R1 while information is awaited (asked for before triage) leaves the case waiting for it."""
        return Stage.AWAITING_INFORMATION if self.state.stage is Stage.AWAITING_INFORMATION else Stage.ASSESSMENT

    def _officer_name(self, officer_id: str) -> str:
        officer = self.roster.officer(officer_id)
        return officer.name if officer else ""

    # ------------------------------------------------------------------ actions in their handlers

    async def _extend(self, p: a.ExtendClock) -> str:
        """Time: more time on a clock, with the reason; any lapse before it stays on the record."""
        previous = self.clocks[p.clock]
        extension = ClockExtension(
            previous_due=previous.due, until=p.until, reason=p.reason, officer=p.officer, at=workflow.now()
        )
        clock = await self.clocks.extend(p.clock, extension)
        self._log(
            "clock_extended",
            f"{p.clock.value} clock extended from {previous.due.isoformat()} to {clock.due.isoformat()}: {p.reason}",
            p.officer,
        )
        self._publish()
        return f"{p.clock.value} clock extended to {clock.due.isoformat()}"

    async def _further_breach(self, p: a.ReportFurtherBreach) -> str:
        """R7: the MO is advised of other possible breaches as soon as the IO identifies them."""
        self.state.further_breaches.append(
            FurtherBreach(text=p.text, officer=p.officer, at=workflow.now(), stage=self.state.stage.value)
        )
        self._log("further_breach", "other possible breaches of the Code reported to the Monitoring Officer", p.officer)
        await self.post.send(
            LetterTemplate.FURTHER_BREACH,
            self._to.officers(Role.MONITORING_OFFICER),
            text=p.text,
            person_name=self._officer_name(p.officer),
        )
        return "further possible breaches reported to the Monitoring Officer"

    # ------------------------------------------------------------------ R2 information requests

    def _start_info_chaser(self) -> None:
        """The complainant is chased once if the information has not come after
        `information_chase_days`; the MO may then close the case for want of it."""
        if not workflow.patched(CHASER_PATCH):
            return
        asked = len(self.state.information_requests)

        def answered() -> bool:
            return self.state.stage is not Stage.AWAITING_INFORMATION or len(self.state.information_requests) != asked

        async def chase() -> None:
            try:
                await workflow.wait_condition(
                    answered,
                    timeout=timedelta(days=self.procedure.information_chase_days),
                    timeout_summary="information chaser",
                )
                return
            except TimeoutError:
                pass
            async with self._lock:
                if answered():
                    return
                self._log("information_chased", "the complainant was reminded of the information asked for")
                await self.post.send(
                    LetterTemplate.INFORMATION_CHASER,
                    self._to.complainant(),
                    text=self.state.information_requests[-1],
                )

        task = asyncio.create_task(chase(), name="information-chaser")
        task.add_done_callback(lambda t: None if t.cancelled() or not t.exception() else self._failed(t.exception()))
