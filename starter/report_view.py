"""What `conduct show` says of the investigation (R7): each report's statements and documents
(by the names given, kind and size; the files themselves are sealed in the case's document
store), further possible breaches reported to the MO, comments received late, and the clocks'
extensions and earlier lapses. `state` is already redacted for its reader (conduct/access.py)."""

from __future__ import annotations

from typing import Any

from conduct.calendar import london_date
from conduct.case import CaseState
from starter.output import esc, out


def investigation_json(state: CaseState) -> dict[str, Any]:
    documents = []
    for which, report in (("draft", state.draft_report), ("final", state.final_report)):
        for d in report.documents if report else []:
            documents.append({"report": which, "id": d.id, "name": d.name, "type": d.kind.value, "size": d.size})
    final = state.final_report
    return {
        "documents": documents,
        "further_breaches": [
            {"on": london_date(b.at).isoformat(), "by": b.officer, "text": b.text} for b in state.further_breaches
        ],
        "comments": [
            {"party": c.party.value, "declined": c.declined, "late": c.late, "on": london_date(c.at).isoformat()}
            for c in state.comments
        ],
        "comments_considered": [p.value for p in final.considered] if final and final.considered is not None else None,
        "clock_extensions": {
            c.name.value: [e.model_dump(mode="json") for e in c.extensions]
            for c in state.clocks.values()
            if c.extensions
        },
        "clock_lapsed_before": {
            c.name.value: [d.isoformat() for d in c.lapsed_before] for c in state.clocks.values() if c.lapsed_before
        },
    }


def render_investigation(data: dict[str, Any]) -> None:
    console = out()
    for d in data["documents"]:
        console.print(
            f"{'document':<13} {esc(d['name'])} ({esc(d['type'])}, {d['size']:,} bytes; {d['report']} report)",
            soft_wrap=True,
        )
    for c in data["comments"]:
        verb = "declined to comment" if c["declined"] else "commented"
        console.print(f"{'comment':<13} {c['party']} {verb} on {c['on']}{' (late)' if c['late'] else ''}")
    if data["comments_considered"] is not None:
        considered = ", ".join(data["comments_considered"]) or "none"
        console.print(f"{'considered':<13} the final report considered the comments of: {considered}")
    for b in data["further_breaches"]:
        console.print(f"{'further breach':<13} {b['on']} by {esc(b['by'])}: {esc(b['text'])}", soft_wrap=True)
    for name, extensions in data["clock_extensions"].items():
        for e in extensions:
            console.print(
                f"{'extended':<13} {name} from {e['previous_due']} to {e['until']} by {esc(e['officer'])}: "
                f"{esc(e['reason'])}",
                soft_wrap=True,
            )
    for name, dues in data["clock_lapsed_before"].items():
        console.print(f"{'lapsed before':<13} {name} lapsed when due {', '.join(dues)}")
