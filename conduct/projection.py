"""What the case register needs from a case, and nothing more: the `sync_case` activity's input.

    def case_sync(state: CaseState, revision: int) -> CaseSync

The workflow calls it at each checkpoint, with a revision it increments each time:

    self._revision += 1
    await workflow.execute_activity("sync_case", projection.case_sync(self.state, self._revision), ...)

Why: the activity's input is written into the workflow history at every checkpoint. The whole
`CaseState` (timeline, letters, the allegation, report texts) made up 154 KB of a 355 KB hearing
case history; this projection carries only what `conduct.register` stores: the complaint row,
the parties' roster ids (names and addresses are looked up in the roster by the activity; only the
complainant's come from the case), the decisions as the register words them, and the clocks
(which `conduct history` also reads from these inputs to tell a met clock from a stopped one).
A decision's summary is capped at `SUMMARY_LIMIT` characters (a final report's text is kept
whole in the history of the update that submitted it).

`revision` orders the writes: the register never lets a lower revision overwrite a higher one,
whatever the timestamps say (two checkpoints within the same workflow task share `workflow.now()`).

Pure and deterministic (no I/O, no clock, no randomness): it runs inside the workflow sandbox.
The models are lenient (unknown fields ignored, addresses as plain strings) because they travel
in history and must decode after the code changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from conduct.case import CaseState, Clock
from conduct.vocabulary import (
    GROUND_TITLES,
    SANCTION_TITLES,
    ClockName,
    ClockState,
    Outcome,
    RecipientRole,
    Stage,
)

SUMMARY_LIMIT = 2_000
DELAY_REASON = "delay_reason"  # a decision row "clock: reason" (conduct/reports.py reads it back)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ComplainantSync(_Lenient):
    name: str = ""
    email: str | None = None
    type: str = "public"


class PartyRef(_Lenient):
    """A party other than the complainant, by roster id (the register looks the name up)."""

    role: RecipientRole
    id: str


class DecisionSync(_Lenient):
    kind: str
    at: datetime
    summary: str
    officer: str | None = None


class ClockSync(_Lenient):
    started: datetime
    due: date
    state: ClockState
    met_on: date | None = None
    note: str = ""
    lapsed_before: list[date] = Field(default=[], description="earlier due dates it lapsed on (kept for statistics)")
    extensions: list[str] = Field(default=[], description="'YYYY-MM-DD -> YYYY-MM-DD: reason' per extension")


class CaseSync(_Lenient):
    """One register write. `revision` is required (a CaseState never has one), so an input can be
    told from a whole CaseState that an older workflow scheduled."""

    revision: int = Field(ge=0, description="monotonic per case: a lower revision never overwrites a higher one")
    reference: str
    workflow_id: str
    council: str
    hearing_council: str
    stage: Stage
    outcome: Outcome | None = None
    received_at: datetime
    closed_at: datetime | None = None
    updated_at: datetime = Field(description="time of the latest event of the case (shown, not used to order)")
    overdue: bool = False
    subject_members: list[str] = []
    subject_groups: dict[str, str] = {}
    complainant: ComplainantSync = ComplainantSync()
    channel: str = Field(default="online", description="how the complaint arrived (conduct.channels)")
    confidential: bool = False
    subject_notified: bool | None = Field(
        default=None, description="the subject member has been told of the complaint; None: a sync from before"
    )
    published: bool = False
    conflicts: list[str] = Field(default=[], description="R16: officers recorded as conflicted (ids)")
    deputy_acting: bool = Field(default=False, description="R16: the deputy acts for a conflicted MO")
    parties: list[PartyRef] = []
    decisions: list[DecisionSync] = []
    clocks: dict[ClockName, ClockSync] = {}


def case_sync(state: CaseState, revision: int) -> CaseSync:
    """The register's view of `state` at `revision` (pure)."""
    complainant = state.intake.complainant
    return CaseSync(
        revision=revision,
        reference=state.reference,
        workflow_id=state.workflow_id,
        council=state.council,
        hearing_council=state.hearing_council,
        stage=state.stage,
        outcome=state.outcome,
        received_at=state.received_at,
        closed_at=state.closed_at,
        updated_at=updated_at(state),
        overdue=state.overdue,
        subject_members=list(state.subject_members),
        subject_groups=dict(state.subject_groups),
        complainant=ComplainantSync(
            name=complainant.name,
            email=str(complainant.email) if complainant.email else None,
            type=complainant.type.value,
        ),
        channel=state.intake.channel.value,
        confidential=state.intake.confidential,
        subject_notified=state.subject_notified is True,
        published=state.published,
        conflicts=[c.officer for c in state.conflicts],
        deputy_acting=state.deputy_acting,
        parties=_parties(state),
        decisions=_decisions(state),
        clocks={
            name: ClockSync(
                started=c.started, due=c.due, state=c.state, met_on=c.met_on, note=c.note, **_clock_record(c)
            )
            for name, c in state.clocks.items()
        },
    )


def _clock_record(c: Clock) -> dict[str, Any]:
    """A clock's lapses and extensions, only when it has any (the sync is in every checkpoint).
    A clock stopped after it lapsed (information asked for late) keeps that lapse."""
    lapses = [*c.lapsed_before, *([c.due] if c.lapsed and c.state is ClockState.STOPPED else [])]
    extended = [f"{e.previous_due.isoformat()} -> {e.until.isoformat()}: {e.reason}" for e in c.extensions]
    return {k: v for k, v in (("lapsed_before", lapses), ("extensions", extended)) if v}


def updated_at(state: CaseState) -> datetime:
    moments = [state.received_at, *(e.at for e in state.timeline)]
    if state.closed_at:
        moments.append(state.closed_at)
    return max(m.astimezone(UTC) for m in moments)


def _parties(state: CaseState) -> list[PartyRef]:
    refs: dict[tuple[RecipientRole, str], None] = {}
    for member_id in state.subject_members:
        refs[(RecipientRole.SUBJECT_MEMBER, member_id)] = None
    if state.investigator:
        refs[(RecipientRole.INVESTIGATING_OFFICER, state.investigator)] = None
    ips = [c.ip for c in state.consultations]
    ips += [state.subject_ip] if state.subject_ip else []
    ips += [state.hearing.ip] if state.hearing else []
    ips += [state.withdrawal.ip] if state.withdrawal and state.withdrawal.ip else []
    for ip in ips:
        refs[(RecipientRole.INDEPENDENT_PERSON, ip)] = None
    return [PartyRef(role=role, id=party_id) for role, party_id in refs if party_id]


def _words(value: str) -> str:
    return str(value).replace("_", " ")


def _cap(text: str) -> str:
    text = text.strip()
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def _last_event(state: CaseState, *events: str, stage: Stage | None = None) -> Any:
    """The latest timeline entry with one of `events` (or, failing that, recorded in `stage`)."""
    for entry in reversed(state.timeline):
        if entry.event in events:
            return entry
    if stage is not None:
        for entry in reversed(state.timeline):
            if entry.stage is stage:
                return entry
    return None


def _decisions(state: CaseState) -> list[DecisionSync]:
    decisions: dict[tuple[str, datetime], DecisionSync] = {}

    def add(kind: str, at: datetime, summary: str, officer: str | None) -> None:
        at = at.astimezone(UTC)
        decisions[(kind, at)] = DecisionSync(kind=kind, at=at, summary=_cap(summary), officer=officer)

    if state.subject_notified is not None:
        entry = _last_event(state, "triage")
        if state.subject_notified:
            summary = "The subject member is notified of the complaint."
        else:
            summary = f"Notice to the subject member withheld: {state.notice_withheld_reason}"
        add("triage", entry.at if entry else state.received_at, summary, entry.officer if entry else None)

    if state.assessment:
        a = state.assessment
        parts = [f"Outcome: {_words(a.outcome)}."]
        if a.grounds:
            parts.append("Grounds: " + "; ".join(GROUND_TITLES[g] for g in a.grounds) + ".")
        if a.actions:
            parts.append("Actions: " + ", ".join(_words(x) for x in a.actions) + ".")
        if a.tests:  # sections 3-4
            parts.append("Tests: " + "; ".join(a.tests.lines()) + ".")
        parts.append(a.reasons)
        add("assessment", a.at, " ".join(parts), a.officer)

    if state.informal_resolved is not None:
        entry = _last_event(
            state,
            "informal_outcome",
            "informal_resolved",
            "informal_failed",
            "informal_resolution",
            stage=Stage.INFORMAL_RESOLUTION,
        )
        at = entry.at if entry else (state.closed_at or state.received_at)
        verdict = "Resolved informally." if state.informal_resolved else "Not resolved informally."
        add("informal_outcome", at, f"{verdict} {state.informal_outcome_text}", entry.officer if entry else None)

    if state.final_report:
        r = state.final_report
        finding = _words(r.finding) if r.finding else "none recorded"
        add("final_report", r.at, f"Finding: {finding}. {r.text}", r.officer)

    if state.hearing and state.hearing.late and state.stage is Stage.HEARING_PENDING:  # R9: `conduct cases` shows it
        late = f"hearing {state.hearing.date.isoformat()}: {state.hearing.reason}"
        add("hearing_late", state.received_at, late, None)

    if state.hearing_outcome:
        h = state.hearing_outcome
        sanctions = "; ".join(SANCTION_TITLES[s] for s in h.sanctions) or "none"
        add("hearing_outcome", h.at, f"Finding: {_words(h.finding)}. Sanctions: {sanctions}. {h.reasons}", h.officer)

    if state.withdrawal and state.withdrawal.decision:
        w = state.withdrawal
        entry = _last_event(state, "withdrawal_decision", "withdrawal_decided", "withdrawal")
        at = entry.at if entry else (state.closed_at or w.requested_at)
        summary = f"Decision on withdrawal: {w.decision}. Independent Person's view: {w.ip_view or 'not recorded'}"
        add("withdrawal", at, summary, entry.officer if entry else None)

    for note in state.notes:  # issue 16: why a lapsed clock was late, for the timeliness review
        if note.clock is not None and note.delay_reason:
            add(DELAY_REASON, note.at, f"{note.clock.value}: {note.delay_reason}", note.officer)
    return list(decisions.values())
