"""The record in `conduct show`: the correspondence log (every letter the case sent, the one-off
letters' texts, the internal notes and delay reasons, in time order) and the conflicts (R16).

`state` is already redacted for its reader (conduct/access.py): where the papers are withheld
(notes, letters' texts and conflicts' reasons may name people) the entry says so instead of
showing an empty text."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from conduct.access import ALLEGATION, IDENTITY, ReadAccess
from conduct.calendar import london_date
from conduct.case import CaseState
from conduct.letters import LetterTemplate
from conduct.record import PARTY_ROLES, SentLetter
from starter.output import esc, out


def _text(text: str, papers: str | None) -> dict[str, Any]:
    return {"text": None, "withheld": papers} if papers is not None else {"text": text}


def _one_off_letters(state: CaseState) -> dict[int, SentLetter]:
    """Which one-off letter each `correspondence` letter record carried (index into state.letters)."""
    matched: dict[int, SentLetter] = {}
    for written in state.correspondence:
        for i, record in enumerate(state.letters):
            if (
                i not in matched
                and record.template is LetterTemplate.CORRESPONDENCE
                and record.role is PARTY_ROLES[written.to]
                and record.sent_at <= written.at
            ):
                matched[i] = written
    return matched


def correspondence(state: CaseState, access: ReadAccess | None) -> list[dict[str, Any]]:
    papers = access.withholds(ALLEGATION) if access else None
    identity = access.withholds(IDENTITY) if access else None
    withheld_papers = papers.reason if papers else None
    one_off = _one_off_letters(state)
    entries: list[dict[str, Any]] = []
    for i, r in enumerate(state.letters):
        entry: dict[str, Any] = {"kind": "letter", "at": r.sent_at.isoformat(), "template": r.template.value}
        entry["role"] = r.role.value
        if identity is not None and r.role.value == "complainant":
            entry.update(to=None, to_withheld=identity.reason)
        else:
            entry["to"] = r.to
        if i in one_off:
            entry.update(by=one_off[i].officer, **_text(one_off[i].text, withheld_papers))
        entries.append(entry)
    for n in state.notes:
        entry = {"kind": "delay_reason" if n.clock else "note", "at": n.at.isoformat(), "by": n.officer}
        if n.clock:
            entry["clock"] = n.clock.value
        entries.append({**entry, **_text(n.delay_reason if n.clock else n.text, withheld_papers)})
    return sorted(entries, key=lambda e: e["at"])


def conflicts(state: CaseState, access: ReadAccess | None) -> list[dict[str, Any]]:
    papers = access.withholds(ALLEGATION) if access else None
    return [
        {"officer": c.officer, "recorded_by": c.recorded_by, "at": c.at.isoformat(),
         **_text(c.reason, papers.reason if papers else None)}
        for c in state.conflicts
    ]  # fmt: skip


def sections(state: CaseState, access: ReadAccess | None) -> dict[str, Any]:
    """The keys `conduct show --json` adds for the record (`state` already redacted)."""
    return {
        "correspondence": correspondence(state, access),
        "conflicts": conflicts(state, access),
        "deputy_acting": state.deputy_acting,
    }


def _shown(entry: dict[str, Any]) -> str:
    return f"withheld ({entry['withheld']})" if "withheld" in entry else str(entry.get("text") or "")


def render(data: dict[str, Any]) -> None:
    console = out()
    for c in data["conflicts"]:
        line = f"{c['officer']} (recorded by {c['recorded_by']} on {london_date_of(c['at'])}): {_shown(c)}"
        console.print(f"{'conflicted':<13} {esc(line)}", soft_wrap=True)
    if data["deputy_acting"]:
        console.print(f"{'acting':<13} the deputy acts for the Monitoring Officer (R16)")
    log = data["correspondence"]
    table = Table(title=f"Correspondence ({len(log)})", title_justify="left")
    for column in ("when", "what", "by", "to", "text"):
        table.add_column(column)
    for e in log:
        if e["kind"] == "letter":
            what = f"letter {e['template']}"
            to = f"{e['role'].replace('_', ' ')} {'withheld' if e.get('to_withheld') else e['to']}"
        else:
            what = "note" if e["kind"] == "note" else f"delay reason ({e['clock']} clock)"
            to = "internal"
        text = _shown(e) if "text" in e or "withheld" in e else ""
        table.add_row(esc(london_date_of(e["at"])), esc(what), esc(e.get("by") or ""), esc(to), esc(text))
    console.print(table)


def london_date_of(iso: str) -> str:
    from datetime import datetime

    return london_date(datetime.fromisoformat(iso)).isoformat()
