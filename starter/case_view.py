"""`conduct show REF`: one case as the workflow sees it now (its `status` query): parties, stage,
every clock, the actions allowed now and to whom, and the letters sent; and, for the MO, what the
case is carrying out now (a letter being retried, with its attempt and last error) and the letters
that could not be delivered."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from conduct.access import ALLEGATION, IDENTITY, ReadAccess, Withheld, redact
from conduct.calendar import london_date
from conduct.case import CaseState, Clock, LetterRecord
from conduct.channels import CHANNEL_WORDS
from conduct.documents import DocumentRef
from conduct.roster import Roster
from conduct.vocabulary import PROVISION_TITLES, Provision
from starter import correspondence as record_view
from starter.output import esc, out
from starter.report_view import investigation_json, render_investigation
from starter.session import Progress

if TYPE_CHECKING:
    from conduct.settings import Settings

_ALLOWED = re.compile(r"^(?P<action>\S+) \((?P<roles>[^)]*)\)$")


def allowed_actions(state: CaseState) -> list[dict[str, Any]]:
    """CaseState.allowed ("assess (deputy_monitoring_officer/monitoring_officer)") as data."""
    actions = []
    for entry in state.allowed:
        match = _ALLOWED.match(entry)
        if match:
            actions.append({"action": match["action"], "roles": match["roles"].split("/")})
        else:
            actions.append({"action": entry, "roles": []})
    return actions


def _day(moment: datetime | None) -> str | None:
    return london_date(moment).isoformat() if moment else None


def _remind_on(clock: Clock) -> str | None:
    """The next reminder's day: only while the clock runs and has not reminded yet."""
    if clock.remind_at is None or clock.reminded or not clock.running:
        return None
    return _day(clock.remind_at)


def _complainant(state: CaseState, withheld: Withheld | None) -> dict[str, Any]:
    complainant = state.intake.complainant
    if withheld is not None:  # said so, never shown as an empty or anonymous complainant
        return {"withheld": withheld.reason, "type": complainant.type.value, "confidential": state.intake.confidential}
    return {
        "name": complainant.name or None,
        "email": str(complainant.email) if complainant.email else None,
        "type": complainant.type.value,
        "anonymous": complainant.anonymous,
        "confidential": state.intake.confidential,
    }


def _to(role: Any, to: str, withheld: Withheld | None) -> dict[str, Any]:
    """A letter's recipient; the complainant's address only to those who may see who they are."""
    if withheld is not None and role.value == "complainant":
        return {"to": None, "withheld": withheld.reason}
    return {"to": to}


def parties(state: CaseState, roster: Roster | None, withheld: Withheld | None = None) -> dict[str, Any]:
    subjects = []
    for member_id in state.subject_members:
        member = roster.member(member_id) if roster else None
        subjects.append(
            {"id": member_id, "name": member.name if member else None, "group": state.subject_groups.get(member_id)}
        )
    return {
        "complainant": _complainant(state, withheld),
        "subject_members": subjects,
        "independent_persons_consulted": sorted({c.ip for c in state.consultations}),
        "subject_ip": state.subject_ip,
        "investigator": state.investigator,
    }


_STORED = re.compile(r"[0-9a-f]{32}\.[a-z]{3,4}")  # the names starter/web/uploads.py gives evidence files
_KINDS = {"pdf": "PDF", "png": "PNG image", "jpg": "JPEG image", "txt": "plain text"}


def _evidence_note(upload_dir: Path | None, stored: str) -> dict[str, Any]:
    """The note the web app keeps beside an evidence file (original name, size); {} if none."""
    if upload_dir is None or not _STORED.fullmatch(stored):
        return {}
    try:
        note = json.loads((upload_dir / f"{stored}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return note if isinstance(note, dict) else {}


def complaint(state: CaseState, access: ReadAccess | None, upload_dir: Path | None = None) -> dict[str, Any]:
    """What the complaint says (`state` already redacted): the allegation only to those who may
    read it, and the file names the complainant gave only to those who may also see who they are."""
    papers = access.withholds(ALLEGATION) if access else None
    if papers is not None:
        return {"withheld": papers.reason}
    identity = access.withholds(IDENTITY) if access else None
    intake = state.intake
    evidence = []
    for stored in intake.evidence:
        note = _evidence_note(upload_dir, stored)
        size = note.get("size")
        evidence.append(
            {
                "file": stored,
                "name": None if identity else note.get("original_name"),
                "type": _KINDS.get(stored.rsplit(".", 1)[-1], "file"),
                "size": size if isinstance(size, int) else None,
            }
        )
    return {
        "description": intake.description,
        "conduct_dates": [d.isoformat() for d in intake.conduct_dates],
        "provisions": [p.value for p in intake.provisions],
        "evidence": evidence,
        "original": _original(intake.original),  # `conduct receive --original`: sealed (conduct.document_store)
        "confidential": intake.confidential,
        "confidentiality_reason": None if identity else (intake.confidentiality_reason or None),
    }


def _posted(record: LetterRecord) -> dict[str, Any]:
    """A letter by post (conduct.postal): printed, and the day it was posted once recorded."""
    return {"by_post": True, "posted_on": record.posted_on.isoformat() if record.posted_on else None}


def _original(document: DocumentRef | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {"name": document.name, "type": document.kind.value, "size": document.size, "sha256": document.sha256}


def names(state: CaseState, roster: Roster | None) -> dict[str, str]:
    """Every person the case names by id, with their name on the roster in force."""
    if roster is None:
        return {}
    ids = [*state.subject_members, *(c.ip for c in state.consultations)]
    ids += [i for i in (state.subject_ip, state.investigator) if i]
    if state.hearing:
        ids += [*state.hearing.panel, state.hearing.ip, state.hearing.parish_adviser or ""]
    if state.withdrawal and state.withdrawal.ip:
        ids.append(state.withdrawal.ip)
    found: dict[str, str] = {}
    for person_id in ids:
        if not person_id or person_id in found:
            continue
        person = roster.member(person_id) or roster.independent_person(person_id) or roster.officer(person_id)
        if person is not None:
            found[person_id] = person.name
    return found


def decisions(state: CaseState) -> list[dict[str, Any]]:
    """The decisions taken on the case, with their reasons (`state` already redacted)."""
    made: list[dict[str, Any]] = []
    answers = iter(state.referral_answers)  # R3: each referral out, then the answer that brought it back
    for d in [*state.earlier_assessments, *([state.assessment] if state.assessment else [])]:
        made.append({"decision": "assessment", "outcome": d.outcome.value, "grounds": [g.value for g in d.grounds],
                     "actions": [x.value for x in d.actions], "reasons": d.reasons, "by": d.officer,
                     "on": _day(d.at), "tests": d.tests.lines() if d.tests else []})  # fmt: skip
        answer = next(answers, None) if d.outcome.value in ("refer", "police") else None
        if answer is not None:
            made.append({"decision": f"{answer.body} answer", "outcome": answer.outcome, "reasons": answer.text,
                         "by": answer.officer, "on": _day(answer.at)})  # fmt: skip
    if state.informal_resolved is not None:
        made.append({"decision": "informal outcome", "outcome": "resolved" if state.informal_resolved else "unresolved",
                     "reasons": state.informal_outcome_text or None})  # fmt: skip
    if state.hearing_outcome:
        h = state.hearing_outcome
        made.append({"decision": "hearing", "outcome": h.finding.value, "sanctions": [x.value for x in h.sanctions],
                     "reasons": h.reasons, "by": h.officer, "on": h.hearing_date.isoformat(),
                     "attended": h.attended, "proceeded_in_absence": h.proceeded_in_absence})  # fmt: skip
    if state.withdrawal and state.withdrawal.decision:
        w = state.withdrawal
        made.append({"decision": "withdrawal", "outcome": w.decision, "ip": w.ip, "reasons": w.ip_view or None})
    return made


def case_json(
    state: CaseState,
    roster: Roster | None,
    progress: Progress | None = None,
    access: ReadAccess | None = None,
    upload_dir: Path | None = None,
) -> dict[str, Any]:
    """The case as `access` lets its reader see it (conduct/access.py); what is withheld is named
    in `withheld`, and a withheld field says so where it would be."""
    progress = progress or Progress()
    withheld = access.withholds(IDENTITY) if access else None
    state = redact(state, access) if access else state
    return {
        "reference": state.reference,
        "council": state.council,
        "hearing_council": state.hearing_council,
        "stage": state.stage.value,
        "outcome": state.outcome.value if state.outcome else None,
        "overdue": state.overdue,
        "received_at": state.received_at.isoformat(),
        "channel": state.intake.channel.value,  # issue 14: online, post, email, in_person
        "closed_at": state.closed_at.isoformat() if state.closed_at else None,
        "parties": parties(state, roster, withheld),
        "names": names(state, roster),
        "complaint": complaint(state, access, upload_dir),
        "decisions": decisions(state),
        "investigation": investigation_json(state),
        "subject_notified": state.subject_notified,
        "notice_withheld_reason": state.notice_withheld_reason or None,
        "flags": state.flags,
        "linked": state.linked,
        "lead": state.lead,  # R14: the lead case this one follows
        "followers": state.followers,  # R14: the cases that follow this one
        "hearing": state.hearing.model_dump(mode="json") if state.hearing else None,
        "published": state.published,
        "clocks": [
            {
                "name": clock.name.value,
                "rule": clock.rule,
                "started": clock.started.isoformat(),
                "due": clock.due.isoformat(),
                "state": clock.state.value,
                "met_on": clock.met_on.isoformat() if clock.met_on else None,
                "remind_on": _remind_on(clock),
                "note": clock.note or None,
                **({"awaiting_post": len(clock.awaiting_post)} if clock.awaiting_post else {}),  # conduct.postal
            }
            for clock in state.clocks.values()
        ],
        "allowed": allowed_actions(state),
        "letters": [
            {
                "template": r.template.value,
                **_to(r.role, r.to, withheld),
                "role": r.role.value,
                "sent_at": r.sent_at.isoformat(),
                **(_posted(r) if r.by_post else {}),
            }
            for r in state.letters
        ],
        "delivery_failures": [
            {
                "template": f.template.value,
                **_to(f.role, f.to, withheld),
                "role": f.role.value,
                "error": None if withheld and f.role.value == "complainant" else f.error,
                "at": f.at.isoformat(),
            }
            for f in state.delivery_failures
        ],
        "in_progress": [
            {**step.model_dump(mode="json"), "step": step.step, "line": step.line()} for step in progress.steps
        ],
        "failing_task_attempt": progress.failing_task_attempt or None,
        "withheld": [w.model_dump() for w in access.withheld] if access else [],
        **record_view.sections(state, access),  # correspondence (letters and notes), conflicts (R16)
    }


def _render_names(found: dict[str, str]) -> None:
    if found:
        shown = ", ".join(f"{person_id} {name}" for person_id, name in found.items())
        out().print(f"{'names':<13} {esc(shown)}", soft_wrap=True)


def _render_complaint(said: dict[str, Any]) -> None:
    console = out()
    if "withheld" in said:
        console.print(f"{'complaint':<13} withheld ({esc(said['withheld'])})", soft_wrap=True)
        return
    provisions = ", ".join(PROVISION_TITLES.get(Provision(p), p) for p in said["provisions"])
    console.print(f"{'conduct on':<13} {esc(', '.join(said['conduct_dates']))}")
    console.print(f"{'provisions':<13} {esc(provisions)}", soft_wrap=True)
    if said["confidential"]:
        reason = said["confidentiality_reason"]
        console.print(f"{'confidential':<13} requested{': ' + esc(reason) if reason else ''}", soft_wrap=True)
    if said.get("original"):
        o = said["original"]
        line = f"{o['name']} ({o['type']}, {o['size']:,} bytes; sealed)"
        console.print(f"{'original':<13} {esc(line)}", soft_wrap=True)
    for item in said["evidence"]:
        size = f", {item['size']:,} bytes" if item["size"] is not None else ""
        name = f"{item['name']} " if item["name"] else ""
        console.print(f"{'evidence':<13} {esc(name)}({esc(item['type'])}{size}; {esc(item['file'])})", soft_wrap=True)
    console.print("[bold]Complaint[/bold]")
    console.print(esc(said["description"]), soft_wrap=True)


def _render_decision(made: dict[str, Any]) -> None:
    words = [made["outcome"].replace("_", " ")]
    for key in ("grounds", "actions", "sanctions"):
        if made.get(key):
            words.append(f"{key}: " + ", ".join(x.replace("_", " ") for x in made[key]))
    if made.get("on"):
        words.append(f"on {made['on']}")
    if made.get("by"):
        words.append(f"by {made['by']}")
    if made.get("ip"):
        words.append(f"IP {made['ip']}")
    console = out()
    console.print(f"[bold]Decision[/bold] ({esc(made['decision'])}): {esc('; '.join(words))}", soft_wrap=True)
    if made.get("reasons"):
        console.print(f"  {esc(made['reasons'])}", soft_wrap=True)
    for line in made.get("tests") or []:  # sections 3-4: the initial tests and the public interest test
        console.print(f"  {esc(line)}", soft_wrap=True)
    if made.get("attended") is not None:  # R9
        present = "attended" if made["attended"] else "did not attend; the panel proceeded in their absence"
        console.print(f"  the subject member {present}", soft_wrap=True)


_STATE_STYLE = {"pending": "cyan", "stopped": "yellow", "met": "green", "lapsed": "bold red", "met_late": "red"}


def _shown_to(item: dict[str, Any]) -> str:
    return "withheld" if "withheld" in item else str(item["to"])


def upload_dir(settings: Settings) -> Path:
    """Where the web app keeps evidence files (CONDUCT_UPLOAD_DIR, default DATA_DIR/uploads)."""
    try:
        from starter.web.config import WebConfig
    except ImportError:  # an installation without the web app
        return settings.data_dir / "uploads"
    return WebConfig().resolved_upload_dir(settings.data_dir)


def render_case(
    state: CaseState,
    roster: Roster | None,
    progress: Progress | None = None,
    access: ReadAccess | None = None,
    uploads: Path | None = None,
) -> None:
    data = case_json(state, roster, progress, access, uploads)
    console = out()
    outcome = f" → [bold]{esc(data['outcome'])}[/bold]" if data["outcome"] else ""
    overdue = "  [bold red]OVERDUE[/bold red]" if state.overdue else ""
    console.print(f"[bold]{esc(state.reference)}[/bold]  stage [bold]{esc(state.stage.value)}[/bold]{outcome}{overdue}")
    p = data["parties"]
    who = p["complainant"]
    if "withheld" in who:
        name = f"withheld ({who['withheld']})"
    else:
        name = "anonymous" if who["anonymous"] else f"{who['name']} <{who['email'] or 'no email'}>"
    console.print(f"complainant   {esc(name)} ({esc(who['type'])}{', confidential' if who['confidential'] else ''})")
    for s in p["subject_members"]:
        console.print(f"subject       {esc(s['id'])} {esc(s['name'] or '')} ({esc(s['group'] or 'no group')})")
    console.print(f"council       {esc(state.council)} (heard by {esc(state.hearing_council)})")
    console.print(f"received      {esc(_day(state.received_at))} {esc(CHANNEL_WORDS[state.intake.channel])}")
    for label, value in (
        ("notice withheld", state.notice_withheld_reason),
        ("IPs consulted", ", ".join(p["independent_persons_consulted"])),
        ("subject's IP", p["subject_ip"]),
        ("investigator", p["investigator"]),
        (
            "hearing",
            state.hearing and f"{state.hearing.date} panel {', '.join(state.hearing.panel)}, IP {state.hearing.ip}",
        ),
        ("linked", ", ".join(state.linked)),
        ("follows", state.lead and f"{state.lead} (R14: decided with it)"),
        ("leads", state.followers and f"{len(state.followers)} case(s) (R14)"),
        ("flags", "; ".join(state.flags)),
    ):
        if value:
            console.print(f"{label:<13} {esc(value)}")
    _render_names(data["names"])
    _render_complaint(data["complaint"])
    for line in (progress or Progress()).lines():
        console.print(f"[bold yellow]in progress[/bold yellow]   {esc(line)}", soft_wrap=True)

    clocks = Table(title="Clocks", title_justify="left")
    for column in ("clock", "rule", "started", "due", "reminder", "state", "note"):
        clocks.add_column(column)
    for c in state.clocks.values():
        style = _STATE_STYLE.get(c.state.value, "default")
        shown = c.state.value + (f" {c.met_on}" if c.met_on else "")
        clocks.add_row(
            esc(c.name.value), esc(c.rule), esc(_day(c.started)), esc(c.due), esc(_remind_on(c) or ""),
            f"[{style}]{esc(shown)}[/]", esc(c.note),
        )  # fmt: skip
    console.print(clocks)
    for made in data["decisions"]:
        _render_decision(made)
    render_investigation(data["investigation"])

    allowed = Table(title="Allowed now", title_justify="left")
    allowed.add_column("action")
    allowed.add_column("who")
    for item in data["allowed"]:
        allowed.add_row(esc(item["action"]), esc(", ".join(r.replace("_", " ") for r in item["roles"])))
    if data["allowed"]:
        console.print(allowed)
    else:
        console.print("Allowed now: nothing (the case is closed)")

    record_view.render(data)  # the letters sent, with the notes, as one correspondence log

    if state.delivery_failures:
        failed = Table(title=f"Not delivered ({len(state.delivery_failures)})", title_justify="left")
        for column in ("when", "letter", "to", "role", "error"):
            failed.add_column(column)
        for f, item in zip(state.delivery_failures, data["delivery_failures"], strict=True):
            failed.add_row(
                esc(_day(f.at)), esc(f.template.value), esc(_shown_to(item)), esc(f.role.value),
                f"[red]{esc(item['error'] or 'withheld')}[/]",
            )  # fmt: skip
        console.print(failed)
    for withheld in access.withheld if access else []:
        console.print(esc(withheld.line()), soft_wrap=True)
