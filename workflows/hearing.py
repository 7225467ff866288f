"""R9 before the hearing, and changes after it was fixed: the subject member's written response
(with its clock, reminder and letter when missed), the MO's summary for the panel, a new panel,
IP, adviser, time or venue, and a replacement Investigating Officer. Each runs in its update
handler with the case's lock held (workflows/desk.py); the rules are conduct/hearing_rules.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct import hearing_rules
    from conduct.addressees import Addressees
    from conduct.calendar import london_date
    from conduct.case import CaseState, Clock, HearingSummary, SubjectResponse
    from conduct.hearing_rules import ChangeHearing, RecordHearingSummary, RecordSubjectResponse, ReplaceInvestigator
    from conduct.letters import LetterTemplate, Recipient
    from conduct.roster import Roster
    from conduct.vocabulary import ClockName, RecipientRole, Role, Stage
    from workflows.clocks import Clocks, Due
    from workflows.post import Post


class HearingActions:
    state: CaseState
    roster: Roster
    clocks: Clocks
    post: Post
    _to: Addressees
    _log: Callable[..., None]
    _set_stage: Callable[..., None]
    _publish: Callable[[], None]
    _today: Callable[[], date]

    async def _refer_to_hearing(self, report_text: str) -> str:
        """R8/R9: the case goes to the Hearings Sub-Committee. The hearing clock (3 months) and the
        subject member's response clock (working days, ProcedureSettings) start first, so that the
        letter gives both dates."""
        self._set_stage(Stage.HEARING_PENDING)
        hearing = await self.clocks.start(ClockName.HEARING, workflow.now())
        response = await self.clocks.start(ClockName.SUBJECT_RESPONSE, workflow.now())
        self._publish()
        await self.post.send(
            LetterTemplate.REFERRED_TO_HEARING,
            self._to.parties() + self._to.officers(Role.DEMOCRATIC_SERVICES),
            text=report_text,
            clock_due=hearing.due,
            response_due=response.due,
        )
        return (
            f"breach found: referred to the Hearings Sub-Committee; hearing by {hearing.due.isoformat()}, "
            f"the subject member's written response by {response.due.isoformat()}"
        )

    async def _response_due(self, clock: Clock, due: Due) -> None:
        """The response clock's reminder goes to the subject member; when it lapses the subject and
        the MO are told, and the clock stops: the hearing may go ahead on the report (R9). The
        case is not overdue for it: the council has missed nothing."""
        context = {"response_due": clock.due, "clock": clock.name, "clock_due": clock.due}
        if due is Due.REMINDER:
            self._log("response_reminder", f"subject member reminded: response due {clock.due.isoformat()}")
            await self.post.send(LetterTemplate.SUBJECT_RESPONSE_REMINDER, self._to.subjects(), **context)
            return
        self.clocks.stop(ClockName.SUBJECT_RESPONSE, f"no response by {clock.due.isoformat()}", pause=False)
        self._log("response_missed", f"no written response from the subject member by {clock.due.isoformat()}")
        self._publish()
        await self.post.send(
            LetterTemplate.SUBJECT_RESPONSE_MISSED,
            self._to.subjects() + self._to.officers(Role.MONITORING_OFFICER),
            **context,
        )

    def _stop_response_clock(self, why: str) -> None:
        clock = self.clocks.get(ClockName.SUBJECT_RESPONSE)
        if clock is not None and clock.running:
            self.clocks.stop(ClockName.SUBJECT_RESPONSE, why, pause=False)

    def _panel_and_parties(self) -> list[Recipient]:
        """Who receives the papers: the panel, the parties, and those attending for the council."""
        return self._to.hearing() if self.state.hearing else self._to.parties()

    async def _subject_response(self, p: RecordSubjectResponse) -> str:
        """R9: the response on record; the clock is met (late if after its date); the papers go
        again to the panel and parties if the notice has gone."""
        clock = self.clocks.get(ClockName.SUBJECT_RESPONSE)
        late = clock is not None and london_date(workflow.now()) > clock.due
        self.state.subject_response = SubjectResponse(
            agreed=p.agreed.strip(), disputed=p.disputed.strip(), evidence=p.evidence.strip(), officer=p.officer,
            at=workflow.now(), late=late,
        )  # fmt: skip
        if clock is not None:
            self.clocks.meet(ClockName.SUBJECT_RESPONSE, note="received after its date" if late else "")
        self._log(
            "subject_response", "subject member's written response recorded" + (" (late)" if late else ""), p.officer
        )
        self._publish()
        return "subject member's response recorded" + (", late" if late else "") + await self._send_papers("response")

    async def _hearing_summary(self, p: RecordHearingSummary) -> str:
        """R9: the MO's report for the panel, summarising the allegation, agreed facts and disputed issues."""
        self.state.hearing_summary = HearingSummary(text=p.text.strip(), officer=p.officer, at=workflow.now())
        self._log("hearing_summary", "Monitoring Officer's summary for the panel recorded", p.officer)
        return "summary for the panel recorded" + await self._send_papers("summary")

    async def _send_papers(self, added: str) -> str:
        if self.state.hearing is None:
            return "; it goes to the panel and parties with the notice of the hearing"
        await self.post.send(
            LetterTemplate.HEARING_PAPERS,
            self._to.hearing(),
            text=hearing_rules.papers(self.state),
            items=[added],
            **hearing_rules.notice_context(self.state),
        )
        return "; the papers went to the panel and parties"

    async def _change_hearing(self, p: ChangeHearing) -> a.ActionResult:
        """R9: a new panel, IP, adviser, time or venue after scheduling, with a reason: everyone
        attending gets a new notice (newcomers the papers too), and those released are told."""
        hearing = self.state.hearing
        assert hearing is not None
        before = {r.email: r for r in self._to.hearing()}
        changes: list[str] = []  # for the record, with roster ids
        words: list[str] = []  # for the letters, with names
        warnings: list[str] = []
        if p.panel is not None and sorted(p.panel) != sorted(hearing.panel):
            changes.append(f"panel {', '.join(hearing.panel)} -> {', '.join(p.panel)}")
            names = [m.name for m in map(self.roster.member, p.panel) if m]
            words.append("the Sub-Committee is now " + _councillors(names))
            hearing.panel = list(p.panel)
        if p.ip is not None and p.ip != hearing.ip:
            warning = hearing_rules.ip_check(self.state, self.roster, p.ip, p.reason)[1]
            warnings += [warning] if warning else []
            changes.append(f"Independent Person {hearing.ip} -> {p.ip}")
            person = self.roster.independent_person(p.ip)
            words.append(f"the Independent Person attending is now {person.name if person else p.ip}")
            hearing.ip = p.ip
        if p.parish_adviser is not None and p.parish_adviser != hearing.parish_adviser:
            changes.append(f"parish adviser {hearing.parish_adviser or 'none'} -> {p.parish_adviser}")
            adviser = self.roster.member(p.parish_adviser)
            words.append(f"the parish adviser is now {_councillors([adviser.name if adviser else p.parish_adviser])}")
            hearing.parish_adviser = p.parish_adviser
        if p.starts_at is not None and p.starts_at != hearing.starts_at:
            old = hearing.starts_at.strftime("%H:%M") if hearing.starts_at else "not given"
            changes.append(f"time {old} -> {p.starts_at:%H:%M}")
            words.append(f"the hearing now starts at {p.starts_at:%H:%M}")
            hearing.starts_at = p.starts_at
        if p.venue is not None and p.venue.strip() != hearing.venue:
            changes.append(f"venue {hearing.venue or 'not given'} -> {p.venue.strip()}")
            words.append(f"the hearing is now held at {p.venue.strip()}")
            hearing.venue = p.venue.strip()
        hearing.changes.append(f"{london_date(workflow.now()).isoformat()}: {'; '.join(changes)} ({p.reason})")
        self._log("hearing_changed", f"hearing changed: {'; '.join(changes)}: {p.reason}", p.officer)
        now = self._to.hearing()
        newcomers = [r for r in now if r.email not in before]
        released = [r for r in before.values() if r.email not in {n.email for n in now}]
        context = hearing_rules.notice_context(self.state)
        await self.post.send(LetterTemplate.HEARING_CHANGED, now, text=p.reason, items=words, **context)
        if newcomers:
            await self.post.send(
                LetterTemplate.HEARING_NOTICE, newcomers, text=hearing_rules.papers(self.state), **context
            )
        if released:
            await self.post.send(
                LetterTemplate.HEARING_CHANGED, released, text=p.reason, items=words, released=True, **context
            )
        return a.ActionResult(
            reference=self.state.reference,
            stage=self.state.stage.value,
            message=f"hearing changed ({'; '.join(changes)}): new notices sent",
            warnings=warnings,
        )

    async def _replace_investigator(self, p: ReplaceInvestigator) -> str:
        """R6/R7: another Investigating Officer takes over; the investigation clock goes on as it
        was (the 2 months run from the first appointment)."""
        old = self.state.investigator
        self.state.investigator = p.investigator
        self._log(
            "investigator_replaced", f"{p.investigator} replaces {old} as Investigating Officer: {p.reason}", p.officer
        )
        io = self.roster.officer(p.investigator)
        former = self.roster.officer(old) if old else None
        outgoing = []
        if former is not None:
            outgoing = [
                Recipient(
                    name=former.name, email=str(former.email), role=RecipientRole.INVESTIGATING_OFFICER, id=former.id
                )
            ]
        await self.post.send(
            LetterTemplate.INVESTIGATOR_REPLACED,
            self._to.investigator() + outgoing + self._to.parties(),
            person_name=io.name if io else p.investigator,
            text=p.reason,
        )
        clock = self.clocks.get(ClockName.INVESTIGATION)
        goes_on = f"; the investigation stays due {clock.due.isoformat()}" if clock and clock.running else ""
        return f"{p.investigator} is now the Investigating Officer{goes_on}"


def _councillors(names: list[str]) -> str:
    named = [f"Councillor {n}" for n in names]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
