"""`conduct history REF`: the case's audit trail read from the workflow's own Temporal event
history, never from the `status` query or the SQL register.

What each line comes from:
- actions: accepted updates (name, officer in the payload), with the result their completion carries;
- clocks started/restarted: the completed `compute_deadline` activities (their request and result);
- clocks reminded/lapsed: fired timers, named by their summary ("assessment lapse 2029-...");
- clocks met/stopped: the cancelled timer of that clock, classified by the next case snapshot the
  workflow wrote into history (`sync_case` input, or the workflow result); a clock that lapsed and
  was then met has no timer left to cancel: it is placed where the workflow cleared the overdue
  search attribute, or else where the snapshot shows it;
- letters: completed `send_letters`/`send_letter` activities (template and recipients);
- receipt, links from other cases, publication and closure: their own events.
Payloads are decoded with the client's data converter, so an encrypting codec is honoured.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field
from rich.table import Table
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter

from conduct.calendar import LONDON
from conduct.search import OVERDUE
from starter import session
from starter.output import esc, out

_SUMMARY = re.compile(r"^(?P<clock>[a-z_]+) (?P<event>reminder|lapse|escalation) (?P<target>\S+)$")
_ENDED = ("met", "met_late", "stopped")
# Updates whose handler stops a running clock (the others that end a clock meet it).
_STOPPING_UPDATES = frozenset({"stop_clock", "request_info", "withdrawal_decision"})
LETTER_ACTIVITIES = ("send_letters", "send_letter")
_DECODED_ACTIVITIES = ("compute_deadline", "sync_case", "publish_notice", *LETTER_ACTIVITIES)


def letter_of(key: str) -> str:
    """The letter a per-recipient key belongs to: its recipients share the key up to the recipient
    ("REF/007-decision_notice/complainant" belongs to "REF/007-decision_notice")."""
    return "/".join(key.split("/")[:2])


class HistoryEntry(BaseModel):
    at: datetime
    kind: str = Field(description="received, action, clock, letter, reminder, linked, published, closed or ended")
    name: str
    officer: str | None = None
    clock: str | None = None
    due: date | None = None
    stage: str | None = None
    detail: str = ""
    substance: str = Field(default="", description="an action's decision: what was decided, on which grounds")
    papers: str = Field(default="", description="an action's text from the papers: a view, a report, a comment")
    to: list[dict[str, str]] = []
    event_id: int


@dataclass
class _Decoded:
    """The payloads of interest, decoded (async, codec-aware) before the synchronous fold."""

    values: dict[int, Any] = field(default_factory=dict)
    summaries: dict[int, str] = field(default_factory=dict)


async def _decode_one(converter: DataConverter, payloads: Sequence[Payload]) -> Any:
    if not payloads:
        return None
    try:
        return (await converter.decode(list(payloads)))[0]
    except Exception:  # an undecodable payload (e.g. a key no longer configured) is shown as absent
        return None


async def decode(events: Sequence[HistoryEvent], converter: DataConverter) -> _Decoded:
    decoded = _Decoded()
    activity_types: dict[int, str] = {}
    for e in events:
        payloads: Sequence[Payload] | None = None
        t = e.event_type
        if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            payloads = e.workflow_execution_started_event_attributes.input.payloads
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            payloads = e.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            outcome = e.workflow_execution_update_completed_event_attributes.outcome
            payloads = outcome.success.payloads if outcome.HasField("success") else None
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = e.activity_task_scheduled_event_attributes
            activity_types[e.event_id] = attrs.activity_type.name
            if attrs.activity_type.name in _DECODED_ACTIVITIES:
                payloads = attrs.input.payloads
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attrs_c = e.activity_task_completed_event_attributes
            if activity_types.get(attrs_c.scheduled_event_id) in ("compute_deadline", *LETTER_ACTIVITIES):
                payloads = attrs_c.result.payloads
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            payloads = e.workflow_execution_signaled_event_attributes.input.payloads
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            payloads = e.workflow_execution_completed_event_attributes.result.payloads
        if payloads:
            decoded.values[e.event_id] = await _decode_one(converter, payloads)
        if t == EventType.EVENT_TYPE_TIMER_STARTED and e.user_metadata.HasField("summary"):
            summary = await _decode_one(converter, [e.user_metadata.summary])
            if isinstance(summary, str):
                decoded.summaries[e.event_id] = summary
    return decoded


def _at(e: HistoryEvent) -> datetime:
    return e.event_time.ToDatetime(tzinfo=UTC)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _search_value(payload: Payload) -> Any:
    """Search attributes are plain JSON (codecs never touch them)."""
    try:
        return json.loads(payload.data)
    except ValueError:
        return None


def _ended_detail(clock: dict[str, Any]) -> str:
    if clock.get("state") == "stopped":
        return str(clock.get("note") or "")
    return f"on {clock['met_on']}" if clock.get("met_on") else ""


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _words(values: Any) -> str:
    return ", ".join(str(v).replace("_", " ") for v in values or [])


def action_substance(name: str, p: dict[str, Any]) -> tuple[str, str]:
    """What an action decided (shown to every reader of the history) and the text it added to the
    papers (withheld from a reader who may not read the allegation: conduct/access.py)."""
    said: list[str] = []
    papers = ""
    if name == "triage":
        said.append("subject member notified" if p.get("notify") else f"notice withheld: {p.get('reason', '')}")
    elif name == "assess":
        said.append(str(p.get("outcome", "")).replace("_", " "))
        said += [f"grounds: {_words(p.get('grounds'))}"] if p.get("grounds") else []
        said += [f"informal action: {_words(p.get('actions'))}"] if p.get("actions") else []
        tests = p.get("tests") or {}
        if tests:  # sections 3-4
            failed = tests.get("failed") or []
            said.append(f"initial tests not met: {_words(failed)}" if failed else "initial tests met")
            said.append("public interest test " + ("met" if tests.get("public_interest") else "not met"))
        said.append(f"reasons: {p.get('reasons', '')}")
    elif name == "consult_ip":
        said.append(f"Independent Person {p.get('ip', '')}")
        papers = f"view: {p.get('view', '')}"
    elif name == "withdrawal_decision":
        said.append(f"{'stop' if p.get('stop') else 'continue'}, Independent Person {p.get('ip', '')} consulted")
        papers = f"view: {p.get('view', '')}" if p.get("view") else ""
    elif name == "hearing_outcome":
        said.append(str(p.get("finding", "")).replace("_", " "))
        said += [f"sanctions: {_words(p.get('sanctions'))}"] if p.get("sanctions") else []
        if p.get("attended") is not None:  # R9
            said.append("the subject member attended" if p.get("attended") else "proceeded in the subject's absence")
        said.append(f"reasons: {p.get('reasons', '')}")
    elif name == "informal_outcome":
        said.append("resolved" if p.get("resolved") else "unresolved")
        papers = str(p.get("text") or "")
    elif name == "final_report":
        said.append(f"finding: {str(p.get('finding', '')).replace('_', ' ')}")
        papers = str(p.get("text") or "")
    elif name == "comment":
        said.append(f"{p.get('party', '')}" + (" declined to comment" if p.get("declined") else ""))
        papers = str(p.get("text") or "")
    elif name in ("draft_report", "request_info", "info_received", "withdraw"):
        papers = str(p.get("text") or "")
    elif name == "stop_clock":
        said.append(f"{p.get('clock') or 'the running clock'}: {p.get('reason', '')}")
    elif name == "schedule_hearing":
        said.append(
            f"{p.get('date', '')}, panel {', '.join(p.get('panel') or [])}, Independent Person {p.get('ip', '')}"
        )
    elif name == "adjourn_hearing":
        said.append(f"to {p.get('date', '')}: {p.get('reason', '')}")
    elif name in ("police_answer", "association_answer"):  # R3
        said.append(str(p.get("outcome", "")).replace("_", " "))
        papers = str(p.get("text") or "")
    elif name == "appoint_investigator":
        said.append(f"Investigating Officer {p.get('investigator', '')}")
    elif name in RECORD_ACTIONS:
        return record_substance(name, p)
    return "; ".join(x for x in said if x), papers


RECORD_ACTIONS = frozenset({"note", "letter", "conflict", "unlink", "link", "lead", "follow", "follower_joined"})


def record_substance(name: str, p: dict[str, Any]) -> tuple[str, str]:
    """The record's actions (issue 16) and conflicts (R16): notes, letters' texts and conflicts'
    reasons may name people, so they are papers."""
    if name == "note":
        clock = p.get("clock")
        said = f"reason for the delay of the {clock or 'lapsed'} clock" if p.get("delay_reason") else "internal note"
        return said, str(p.get("delay_reason") or p.get("text") or "")
    if name == "letter":
        return f"letter to the {str(p.get('to', '')).replace('_', ' ')}", str(p.get("text") or "")
    if name == "conflict":
        said = f"{p.get('conflicted', '')} has a conflict of interest and takes no part (R16)"
        return said, str(p.get("reason") or "")
    if name == "unlink":
        return f"no longer considered with {p.get('other_reference', '')}: {p.get('reason', '')}", ""
    reason = f": {p['reason']}" if p.get("reason") else ""
    if name == "lead":  # R14: the other case follows this one
        return f"leads {p.get('other_reference', '')}, decided with it{reason}", ""
    if name == "follow":  # R14: this case follows the other (`link LEAD THIS --lead`)
        return f"follows the lead case {p.get('other_reference', '')}, decided with it{reason}", ""
    if name == "follower_joined":  # R14: the update a follower sends its lead
        return f"{p.get('reference', '')} follows this case, decided with it (R14)", ""
    return f"with {p.get('other_reference', '')}{reason}", ""


PAPERS_SHOWN = 300  # characters of a text from the papers in the table (--json has it whole)


class _Fold:
    """Walks the events in order; `entries` is the timeline."""

    def __init__(self, events: Sequence[HistoryEvent], decoded: _Decoded) -> None:
        self.events, self.decoded = events, decoded
        self.entries: list[HistoryEntry] = []
        self.scheduled: dict[int, tuple[str, Any]] = {}
        self.timers: dict[int, str] = {}  # started event id -> summary
        self.actions: dict[str, HistoryEntry] = {}  # update id -> entry
        self.letters: dict[str, HistoryEntry] = {}  # letter key (without recipient) -> entry
        self.clock_state: dict[str, str] = {}
        self.clock_due: dict[str, date | None] = {}
        # Look-ahead material for classifying a cancelled clock timer.
        self.batch_start: dict[int, int] = {}
        self.snapshots: list[tuple[int, dict[str, Any]]] = []
        self.deadline_requests: list[tuple[int, str]] = []
        self.accepted: list[tuple[int, str]] = []
        self.overdue_cleared: set[int] = set()
        self._prepare()

    def _prepare(self) -> None:
        batch = 0
        kinds: dict[int, str] = {}
        for e in self.events:
            t, v = e.event_type, self.decoded.values.get(e.event_id)
            if t == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                batch = e.event_id
            self.batch_start[e.event_id] = batch
            if t == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                kind = e.activity_task_scheduled_event_attributes.activity_type.name
                kinds[e.event_id] = kind
                if kind == "sync_case":
                    self.snapshots.append((e.event_id, _dict(_dict(v).get("clocks"))))
                elif kind == "compute_deadline":
                    self.deadline_requests.append((e.event_id, str(_dict(v).get("clock"))))
            elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
                self.snapshots.append((e.event_id, _dict(_dict(v).get("clocks"))))
            elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                name = e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
                self.accepted.append((e.event_id, name))
            elif t == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
                fields = e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
                if OVERDUE.name in fields and _search_value(fields[OVERDUE.name]) is False:
                    self.overdue_cleared.add(e.event_id)

    # ------------------------------------------------------------------ helpers

    def add(self, e: HistoryEvent, kind: str, name: str, **fields: Any) -> HistoryEntry:
        entry = HistoryEntry(at=_at(e), kind=kind, name=name, event_id=e.event_id, **fields)
        self.entries.append(entry)
        return entry

    def clock_event(self, e: HistoryEvent, clock: str, name: str, detail: str = "", due: date | None = None) -> None:
        self.clock_state[clock] = name
        self.add(e, "clock", name, clock=clock, due=due or self.clock_due.get(clock), detail=detail)

    def state_after(self, event_id: int, clock: str) -> dict[str, Any]:
        """The clock in the first case snapshot written from `event_id`'s workflow task on, unless
        the clock was restarted before it."""
        since = self.batch_start.get(event_id, event_id)
        restart = next((i for i, c in self.deadline_requests if i > since and c == clock), None)
        snapshot = next((s for i, s in self.snapshots if i > since and (restart is None or i < restart)), None)
        return _dict((snapshot or {}).get(clock))

    def classify_cancel(self, event_id: int, clock: str) -> tuple[str, str]:
        """met, met_late or stopped: what the next case snapshot says, unless the clock was
        restarted before it (then it had been stopped); without a snapshot, the update at hand."""
        state = self.state_after(event_id, clock)
        if state.get("state") in _ENDED:
            return str(state["state"]), _ended_detail(state)
        position = bisect_right([i for i, _ in self.accepted], event_id)
        trigger = self.accepted[position - 1][1] if position else ""
        return ("stopped" if trigger in _STOPPING_UPDATES else "met"), ""

    # ------------------------------------------------------------------ the walk

    def run(self) -> list[HistoryEntry]:
        for e in self.events:
            handler = _HANDLERS.get(e.event_type)
            if handler:
                handler(self, e, self.decoded.values.get(e.event_id))
        return self.entries

    def started(self, e: HistoryEvent, value: Any) -> None:
        start = _dict(value)
        received = start.get("received_at", "")
        self.add(
            e, "received", "received", detail=f"complaint {start.get('reference', '')} received {received}".strip()
        )

    def update_accepted(self, e: HistoryEvent, value: Any) -> None:
        request = e.workflow_execution_update_accepted_event_attributes.accepted_request
        payload = _dict(value)
        if request.input.name == "lead_step":  # R14: as the `lead_moved` signal it replaced
            self.lead_moved(e, payload)
            return
        if request.input.name == "link_arrived":  # R14: as the `linked_with` signal it replaced
            self.linked(e, payload)
            return
        if request.input.name == "unlink_arrived":
            self.unlinked(e, payload)
            return
        substance, papers = action_substance(request.input.name, payload)
        # (`follower_joined`: the officer of the follower's signed link)
        officer = payload.get("officer") or _dict(payload.get("link")).get("officer")
        self.actions[request.meta.update_id] = self.add(
            e, "action", request.input.name, officer=officer, substance=substance, papers=papers
        )

    def update_completed(self, e: HistoryEvent, value: Any) -> None:
        attrs = e.workflow_execution_update_completed_event_attributes
        entry = self.actions.get(attrs.meta.update_id)  # (the test server leaves accepted_event_id unset)
        if entry is None:
            return
        if attrs.outcome.HasField("failure"):
            entry.detail = f"failed: {attrs.outcome.failure.message}"
            return
        result = _dict(value)
        entry.stage = result.get("stage")
        warnings = "; ".join(result.get("warnings") or [])
        entry.detail = str(result.get("message", "")) + (f" (warnings: {warnings})" if warnings else "")

    def activity_scheduled(self, e: HistoryEvent, value: Any) -> None:
        self.scheduled[e.event_id] = (e.activity_task_scheduled_event_attributes.activity_type.name, value)

    def activity_completed(self, e: HistoryEvent, value: Any) -> None:
        kind, request = self.scheduled.get(e.activity_task_completed_event_attributes.scheduled_event_id, ("", None))
        if kind == "compute_deadline":
            result, asked = _dict(value), _dict(request)
            clock = str(result.get("clock") or asked.get("clock"))
            due = _day(result.get("due"))
            self.clock_due[clock] = due
            name = "restarted" if asked.get("pauses") else "started"
            self.clock_event(e, clock, name, detail=str(result.get("rule", "")), due=due)
        elif kind in LETTER_ACTIVITIES:
            receipts = value if isinstance(value, list) else [value]
            to = [{"role": str(_dict(r).get("role")), "to": str(_dict(r).get("to"))} for r in receipts if r]
            template = str(_dict(receipts[0]).get("template")) if receipts and receipts[0] else "letter"
            # One activity per recipient: the recipients of one letter share its key up to the
            # recipient ("REF/007-decision_notice/…") and read as one line.
            letter = letter_of(str(_dict(receipts[0]).get("key", ""))) if receipts and receipts[0] else ""
            entry = self.letters.get(letter) if letter else None
            if entry is None:
                entry = self.add(e, "letter", template, to=[])
                if letter:
                    self.letters[letter] = entry
            entry.to.extend(to)
        elif kind == "publish_notice":
            if _dict(request).get("status") == "withdrawn":
                self.add(e, "published", "notice_withdrawn", detail="decision notice withdrawn (R12)")
            else:
                self.add(e, "published", "decision_notice", detail="decision notice published (R12)")

    def timer_started(self, e: HistoryEvent, value: Any) -> None:
        self.timers[e.event_id] = self.decoded.summaries.get(e.event_id, "")

    def timer_fired(self, e: HistoryEvent, value: Any) -> None:
        summary = self.timers.get(e.timer_fired_event_attributes.started_event_id, "")
        match = _SUMMARY.match(summary)
        if match is None:
            if summary:
                self.add(e, "reminder", summary.replace(" ", "_"), detail=summary)
            return
        clock = match["clock"]
        if match["event"] == "reminder":
            self.clock_event(e, clock, "reminded")
        elif match["event"] == "escalation":
            self.clock_event(e, clock, "lapsed", detail="still lapsed: escalated again")
        elif clock == "comment_period":  # R7: the comment period simply closes
            self.clock_event(e, clock, "met", detail="closed at the end of the comment period")
        else:
            self.clock_event(e, clock, "lapsed", detail="escalated")

    def timer_canceled(self, e: HistoryEvent, value: Any) -> None:
        summary = self.timers.get(e.timer_canceled_event_attributes.started_event_id, "")
        match = _SUMMARY.match(summary)
        if match is None or self.clock_state.get(match["clock"]) in _ENDED:
            return
        name, detail = self.classify_cancel(e.event_id, match["clock"])
        self.clock_event(e, match["clock"], name, detail=detail)

    def upserted(self, e: HistoryEvent, value: Any) -> None:
        """The workflow cleared `overdue`: a lapsed clock has just been met (or stopped)."""
        if e.event_id not in self.overdue_cleared:
            return
        for clock in [c for c, state in self.clock_state.items() if state == "lapsed"]:
            state = self.state_after(e.event_id, clock)
            if state.get("state") in _ENDED:
                self.clock_event(e, clock, str(state["state"]), detail=_ended_detail(state))

    def snapshot(self, e: HistoryEvent, clocks: dict[str, Any]) -> None:
        """A clock the workflow shows ended without a timer to cancel (it had lapsed)."""
        for clock, state in clocks.items():
            now = _dict(state).get("state")
            if now in _ENDED and self.clock_state.get(clock) in ("started", "restarted", "reminded", "lapsed"):
                self.clock_event(e, clock, str(now), detail=_ended_detail(_dict(state)))

    def sync_case(self, e: HistoryEvent, value: Any) -> None:
        self.activity_scheduled(e, value)
        if e.activity_task_scheduled_event_attributes.activity_type.name == "sync_case":
            self.snapshot(e, _dict(_dict(value).get("clocks")))

    def signaled(self, e: HistoryEvent, value: Any) -> None:
        attrs = e.workflow_execution_signaled_event_attributes
        if attrs.signal_name == "linked_with":
            self.linked(e, value)
        elif attrs.signal_name == "unlinked_from":
            self.unlinked(e, _dict(value))
        elif attrs.signal_name == "follow_lead":  # R14 (workflows/lead.py)
            lead = _dict(value).get("reference", "")
            self.add(e, "linked", "follow_lead", detail=f"follows the lead case {lead}: decided with it (R14)")
        elif attrs.signal_name == "lead_moved":
            self.lead_moved(e, _dict(value))

    def linked(self, e: HistoryEvent, notice: Any) -> None:
        """A link from another case: its notice, or (links sent before they were signed) its bare reference."""
        reference = notice if isinstance(notice, str) else _dict(notice).get("reference", "")
        self.add(e, "linked", "linked_with", detail=f"to be considered together with {reference} (R14)")

    def unlinked(self, e: HistoryEvent, notice: dict[str, Any]) -> None:
        detail = f"no longer considered with {notice.get('reference', '')}: {notice.get('reason', '')}"
        self.add(e, "unlinked", "unlinked_from", detail=detail)

    def lead_moved(self, e: HistoryEvent, notice: dict[str, Any]) -> None:
        what = str(notice.get("action", "")).replace("_", "-")
        detail = f"{what} on the lead case {notice.get('reference', '')} applies here (R14)"
        self.add(e, "linked", "lead_moved", detail=detail)

    def completed(self, e: HistoryEvent, value: Any) -> None:
        state = _dict(value)
        self.snapshot(e, _dict(state.get("clocks")))
        outcome = state.get("outcome") or "closed"
        self.add(e, "closed", str(outcome), stage=state.get("stage"), detail=f"case closed: {outcome}")

    def ended(self, e: HistoryEvent, value: Any) -> None:
        t = e.event_type
        if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
            detail = f"terminated: {e.workflow_execution_terminated_event_attributes.reason}"
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            detail = f"failed: {e.workflow_execution_failed_event_attributes.failure.message}"
        else:
            detail = EventType.Name(t).removeprefix("EVENT_TYPE_WORKFLOW_EXECUTION_").lower().replace("_", " ")
        self.add(e, "ended", "ended", detail=detail)


_HANDLERS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: _Fold.started,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: _Fold.update_accepted,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: _Fold.update_completed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: _Fold.sync_case,
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: _Fold.activity_completed,
    EventType.EVENT_TYPE_TIMER_STARTED: _Fold.timer_started,
    EventType.EVENT_TYPE_TIMER_FIRED: _Fold.timer_fired,
    EventType.EVENT_TYPE_TIMER_CANCELED: _Fold.timer_canceled,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: _Fold.upserted,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: _Fold.signaled,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: _Fold.completed,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: _Fold.ended,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: _Fold.ended,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: _Fold.ended,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: _Fold.ended,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: _Fold.ended,
}


async def timeline_of(history: WorkflowHistory, converter: DataConverter) -> list[HistoryEntry]:
    """The timeline of one workflow history (recorded or fetched)."""
    events = list(history.events)
    return _Fold(events, await decode(events, converter)).run()


async def fetch_timeline(client: Client, reference: str) -> list[HistoryEntry]:
    history = await session.handle(client, reference).fetch_history()
    return await timeline_of(history, client.data_converter)


def timeline_json(reference: str, entries: list[HistoryEntry]) -> dict[str, Any]:
    return {"reference": reference, "events": [e.model_dump(mode="json") for e in entries]}


_CLOCK_WORDS = {
    "started": "started",
    "restarted": "restarted",
    "reminded": "reminder sent",
    "lapsed": "LAPSED",
    "met": "met",
    "met_late": "met late",
    "stopped": "stopped",
}


def _what(e: HistoryEntry) -> str:
    if e.kind == "action":
        return f"[bold]{esc(e.name.replace('_', '-'))}[/bold]"
    if e.kind == "clock":
        style = "bold red" if e.name == "lapsed" else "cyan"
        return f"[{style}]{esc(e.clock)} clock {esc(_CLOCK_WORDS.get(e.name, e.name))}[/{style}]"
    if e.kind == "letter":
        return f"letter {esc(e.name)}"
    return esc(e.kind if e.kind == e.name else f"{e.kind}: {e.name}")


def _detail(e: HistoryEntry) -> str:
    if e.kind == "letter":
        # A recipient withheld from this reader (conduct/access.py) says so.
        return esc(
            ", ".join(f"{t['role'].replace('_', ' ')} {'withheld' if 'withheld' in t else t['to']}" for t in e.to)
        )
    papers = e.papers if len(e.papers) <= PAPERS_SHOWN else e.papers[: PAPERS_SHOWN - 1] + "…"
    parts = [e.detail, e.substance, papers]
    if e.kind == "clock" and e.due and e.name in ("started", "restarted", "reminded", "lapsed"):
        parts.append(f"due {e.due.isoformat()}")
    if e.kind == "action" and e.stage:
        parts.append(f"→ {e.stage}")
    return esc(" · ".join(p for p in parts if p))


def render_timeline(reference: str, entries: list[HistoryEntry]) -> None:
    table = Table(title=f"{reference}: history", title_justify="left")
    for column in ("when (London)", "what", "who", "detail"):
        table.add_column(column)
    for e in entries:
        when = e.at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(esc(when), _what(e), esc(e.officer or ""), _detail(e))
    out().print(table)
