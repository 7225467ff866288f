"""`conduct retention --dry-run`, `conduct subject-access --email ADDRESS`, and the line a case
whose personal data was removed shows in `conduct show` and `conduct history` (issue 13).

Both commands need the MO or the deputy (conduct.access.REPORTS), and each is audited.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from starter import output
from starter.actions_cli import AsOfficer
from starter.output import Exit, fail, handled

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from conduct.case import CaseState
    from conduct.roster import Officer
    from conduct.settings import Settings


def removed_line(reference: str, on: date) -> str:
    from conduct import retention

    return retention.removed_line(reference, on)


# ----------------------------------------------------------------------------- the commands

Json = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


@handled
def retention(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what the next monthly run would remove")] = False,
    on: Annotated[
        datetime | None,
        typer.Option(
            "--on",
            formats=["%Y-%m-%d"],
            help="judge as of this day [default: the next run, the 1st of next month]",
            show_default=False,
        ),
    ] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """The retention policy: which closed cases' personal data the monthly run removes (the MO or
    deputy). The run itself is the `Retention` Schedule's (`conduct schedules apply`)."""
    from conduct.settings import get_settings
    from starter import access_cli, officer

    if not dry_run:
        fail(Exit.USAGE, "give --dry-run: the removal itself runs monthly on the Retention Schedule")
    settings = get_settings()
    access_cli.may_run(settings, officer.identify(settings, as_officer), "retention")
    dry_run_list(settings, on.date() if on else None, json_)


@handled
def subject_access_command(
    email: Annotated[str, typer.Option("--email", metavar="ADDRESS", help="the person's e-mail address")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="FILE", help="the zip to write [default: subject-access-DATE.zip here]", show_default=False
        ),
    ] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """Everything held about one person (a UK GDPR subject access request), as one zip with an
    index: cases as complainant, letters to them, their submissions and evidence; other people's
    data withheld is listed (the MO or deputy). The zip holds personal data: it is made 0600."""
    from conduct.email_address import mail_address
    from conduct.settings import get_settings
    from starter import access_cli, officer

    try:
        email = mail_address(email)
    except ValueError as error:
        fail(Exit.USAGE, f"--email: {error}")
    target = check_out(out or Path(f"subject-access-{datetime.now(UTC):%Y-%m-%d-%H%M%S}.zip"))
    settings = get_settings()
    who = officer.identify(settings, as_officer)
    access_cli.may_run(settings, who, "subject-access")
    from starter import session

    if held_cases(settings, email):  # their cases are read from Temporal (the `status` query)
        index = session.run(settings, lambda client: subject_access(settings, who.id, email, target, client))
    else:
        index = asyncio.run(subject_access(settings, who.id, email, target, None))
    access_cli.note(settings, access_cli.READ, who.id, "ok", action="subject-access")
    if json_:
        output.emit_json({"zip": str(target), **index})
    else:
        kept = sum(1 for f in index["files"] if f["file"])
        output.done(f"wrote {target}: {len(index['cases_as_complainant'])} case(s), {kept} file(s), "
                    f"{len(index['withheld'])} item(s) withheld (listed in its index)")  # fmt: skip


# ----------------------------------------------------------------------------- a shredded case


def removed_on(settings: Settings, reference: str) -> date | None:
    """The day the case's personal data was removed under the retention policy, if it was."""
    from conduct.retention_register import record_of
    from starter import roster_io

    with roster_io.register(settings) as engine:
        record = record_of(engine, reference)
    return None if record is None else record.removed_on


def show_removed(settings: Settings, who: Officer, reference: str, json_: bool, command: str) -> bool:
    """For `show` and `history`: True (after printing what is left) when the case was shredded.
    What remains is the register's anonymised statistics: nothing can be read from its history.
    Those who read every case's stage and clocks (MO, deputy, democratic services) may see them."""
    from sqlalchemy.orm import Session

    from conduct.access import sees_every_case
    from conduct.register import ClockRow, ComplaintRow, DecisionRow
    from starter import access_cli, roster_io

    reference = reference.strip().upper()
    on = removed_on(settings, reference)
    if on is None:
        return False
    if not sees_every_case(who):
        reason = f"{who.id} cannot read {reference}: its personal data was removed; its statistics are the MO's"
        access_cli.refuse(settings, access_cli.READ, who.id, reason, case=reference, action=command)
    line = removed_line(reference, on)
    with roster_io.register(settings) as engine, Session(engine) as db:
        row = db.get(ComplaintRow, reference)
        kept: dict[str, Any] = {}
        if row is not None:
            kept = {
                "council": row.council,
                "stage": row.stage,
                "outcome": row.outcome,
                "received_at": row.received_at.isoformat(),
                "closed_at": row.closed_at.isoformat() if row.closed_at else None,
                "groups": sorted(set((row.subject_groups or {}).values())),
                "source": row.complainant_type,
            }
        if command == "history":
            decisions = db.query(DecisionRow).filter(DecisionRow.reference == reference).order_by(DecisionRow.at)
            kept["decisions"] = [{"kind": d.kind, "at": d.at.isoformat()} for d in decisions]
        else:
            clocks = db.query(ClockRow).filter(ClockRow.reference == reference).order_by(ClockRow.id)
            kept["clocks"] = [{"name": c.name, "due": c.due.isoformat(), "state": c.state} for c in clocks]
    if json_:
        output.emit_json({"reference": reference, "personal_data_removed_on": on.isoformat(), "notice": line, **kept})
        return True
    console = output.out()
    console.print(output.esc(line), soft_wrap=True)
    for name, value in kept.items():
        if isinstance(value, list):
            value = "; ".join(", ".join(str(v) for v in (item.values() if isinstance(item, dict) else [item]))
                              for item in value) or "none"  # fmt: skip
        console.print(f"{name:<13} {output.esc(value)}", soft_wrap=True)
    return True


# ----------------------------------------------------------------------------- conduct retention --dry-run


def next_run_day(today: date) -> date:
    """The 1st of next month: when the Schedule next runs (starter/schedules.py)."""
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def dry_run_list(settings: Settings, on: date | None, json_: bool) -> None:
    from conduct.calendar import london_date
    from conduct.retention_register import due_cases, due_notices
    from conduct.roster_store import current_roster
    from starter import roster_io

    day = on or next_run_day(london_date(datetime.now(UTC)))
    with roster_io.register(settings) as engine:
        roster = current_roster(engine)
        cases, notices = due_cases(engine, roster, day), due_notices(engine, roster, day)
    if json_:
        output.emit_json(
            {
                "run_on": day.isoformat(),
                "cases": [c.model_dump(mode="json") for c in cases],
                "notices": [n.model_dump(mode="json") for n in notices],
            }
        )
        return
    console = output.out()
    console.print(f"the retention run of {day:%-d %B %Y} would remove:", soft_wrap=True)
    if not cases and not notices:
        console.print("nothing", soft_wrap=True)
    for c in cases:
        console.print(
            f"{c.reference:<16} {c.council:<20} closed {c.closed_on:%-d %B %Y}, kept {c.retention_years} years "
            f"(until {c.due_on:%-d %B %Y}): data key, uploads, letters; register rows made anonymous",
            soft_wrap=True,
        )
    for n in notices:
        console.print(
            f"{n.reference:<16} {n.council:<20} notice published {n.published_on:%-d %B %Y}, kept "
            f"{n.retention_years} years: taken off the public pages",
            soft_wrap=True,
        )
    console.print("(a case whose workflow still runs is left for a later run)", soft_wrap=True)


# ----------------------------------------------------------------------------- subject access


def _same(a: str | None, b: str) -> bool:
    return bool(a) and a.strip().casefold() == b.strip().casefold()  # type: ignore[union-attr]


def held_cases(settings: Settings, email: str) -> list[str]:
    """The cases still held (not removed) where `email` is the complainant's."""
    from conduct.retention_register import record_of
    from starter import roster_io

    with roster_io.register(settings) as engine:
        cases, _ = held_about(engine, email)
        return [r for r in cases if record_of(engine, r) is None]


def held_about(engine: Engine, email: str) -> tuple[list[str], list[tuple[str, str, str, str, datetime]]]:
    """The cases where `email` is the complainant's, and the letters sent to it (reference,
    template, role, key digest, sent at). The columns are sealed with random nonces, so each value
    is opened and compared here: no query can compare them."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from activities.mail import key_digest
    from conduct.register import SENT, ComplaintRow, NotificationRow, PartyRow
    from conduct.sealed_columns import prefetch_case_keys
    from conduct.vocabulary import RecipientRole

    with Session(engine) as db:
        prefetch_case_keys(engine, list(db.scalars(select(ComplaintRow.reference))))
        complainant = RecipientRole.COMPLAINANT.value
        cases = sorted(
            {
                p.reference
                for p in db.scalars(select(PartyRow).where(PartyRow.role == complainant))
                if _same(p.email, email)
            }
        )
        letters = [
            (n.reference, n.template, n.role, key_digest(n.key)[:32], n.sent_at)
            for n in db.scalars(
                select(NotificationRow).where(NotificationRow.status == SENT).order_by(NotificationRow.id)
            )
            if _same(n.to, email)
        ]
    return cases, letters


WITHHELD_IN_A_CASE = [
    "the councillor(s) complained about: their names, their response and their evidence",
    "officers' assessments, reports, notes and the reasons of their decisions",
    "the Independent Person's views and the hearing panel's deliberations",
    "letters to other people",
]


def _own_part(state: CaseState) -> dict[str, Any]:
    """What the person gave us in this case: their complaint as sent, their own comments, their request to withdraw."""
    from conduct.vocabulary import Party

    intake = state.intake
    return {
        "reference": state.reference,
        "received_at": state.received_at.isoformat(),
        "stage": state.stage.value,
        "outcome": state.outcome.value if state.outcome else None,
        "you": intake.complainant.model_dump(mode="json"),
        "your_complaint": {
            "council": intake.council,
            "conduct_dates": [d.isoformat() for d in intake.conduct_dates],
            "provisions": [str(getattr(p, "value", p)) for p in intake.provisions],
            "description": intake.description,
            "confidentiality_asked": intake.confidential,
            "confidentiality_reason": intake.confidentiality_reason,
        },
        "your_comments": [c.model_dump(mode="json") for c in state.comments if c.party is Party.COMPLAINANT],
        "your_withdrawal_request": (
            {"requested_at": state.withdrawal.requested_at.isoformat(), "text": state.withdrawal.text}
            if state.withdrawal
            else None
        ),
    }


async def subject_access(settings: Settings, officer_id: str, email: str, out: Path, client: Any) -> dict[str, Any]:
    """Write the zip to `out` (a new 0600 file) and return its index. `client`: a Temporal client
    whose converter decodes the cases (their state is read with the `status` query); called only
    when a case of theirs is still held."""
    from activities.retention import upload_dir
    from conduct import case_files
    from conduct.evidence_seal import EvidenceSeal, EvidenceSealError, read_evidence
    from conduct.private_files import create_private
    from conduct.retention_register import record_of
    from starter import roster_io, session

    with roster_io.register(settings) as engine:
        cases, letters = held_about(engine, email)
        removed = {r: rec.removed_on for r in cases if (rec := record_of(engine, r)) is not None}
    live = [r for r in cases if r not in removed]
    found: list[CaseState] = list(await asyncio.gather(*(session.status(client, r) for r in live)))
    buffer = io.BytesIO()
    files: list[dict[str, str]] = []
    withheld: list[dict[str, str]] = []
    uploads = upload_dir(settings)
    seal = EvidenceSeal.from_settings(settings)  # evidence is sealed at rest: the archive holds it in clear
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, data: bytes, what: str) -> None:
            archive.writestr(name, data)
            files.append({"file": name, "what": what})

        for state in found:
            ref = state.reference
            add(f"cases/{ref}/your-complaint.json", json.dumps(_own_part(state), indent=2).encode(),
                "your complaint as sent, your comments and any request to withdraw")  # fmt: skip
            for n, upload in enumerate(case_files.uploads_of(uploads, ref), 1):
                note = case_files.upload_note(upload)
                original = Path(str(note.get("original_name") or upload.name)).name or upload.name
                try:
                    data = read_evidence(upload, seal)
                except EvidenceSealError as err:  # listed, so that the officer sees what is missing and why
                    files.append({"file": "", "what": f"evidence you sent, {original}: cannot be opened ({err})"})
                    continue
                add(f"cases/{ref}/evidence/{n:02d}-{original}", data, "evidence you sent")
            for line in WITHHELD_IN_A_CASE:
                withheld.append({"case": ref, "withheld": line})
        for ref, on in sorted(removed.items()):
            withheld.append({"case": ref, "withheld": removed_line(ref, on) + " (nothing of it is held any more)"})
        outbox = settings.resolved_outbox_dir
        for n, (ref, template, role, digest, sent_at) in enumerate(letters, 1):
            path = next((p for p in case_files.letters_of(outbox, ref) if p.name.endswith(f"-{digest}.eml")), None)
            what = f"letter '{template}' sent to you on {sent_at:%-d %B %Y} as {role.replace('_', ' ')}"
            if path is not None:
                add(f"letters/{n:03d}-{ref}-{template}.eml", path.read_bytes(), what)
            else:
                files.append({"file": "", "what": what + " (sent through the mail service; no copy is kept)"})
        index = {
            "subject_access_request": {
                "email": email,
                "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "by": officer_id,
            },  # fmt: skip
            "cases_as_complainant": cases,
            "files": files,
            "withheld": withheld,
        }
        archive.writestr("index.json", json.dumps(index, indent=2))
        archive.writestr("index.txt", _index_text(index))
    if not create_private(out, buffer.getvalue()):
        fail(Exit.USAGE, f"{out} already exists: choose another --out")
    return index


def _index_text(index: dict[str, Any]) -> str:
    request = index["subject_access_request"]
    lines = [
        f"Subject access request for {request['email']}, made {request['made_at']} by {request['by']}",
        "",
        "Cases in which you are the complainant: " + (", ".join(index["cases_as_complainant"]) or "none"),
        "",
        "What this archive holds:",
        *[f"  {f['file'] or '(not kept)'}: {f['what']}" for f in index["files"]],
        "",
        "Withheld (other people's personal data, or removed):",
        *[f"  {w['case']}: {w['withheld']}" for w in index["withheld"]],
    ]
    if not index["files"] and not index["cases_as_complainant"]:
        lines.insert(2, "We hold nothing about this address.")
    return "\n".join(lines) + "\n"


def check_out(out: Path) -> Path:
    if out.exists():
        fail(Exit.USAGE, f"{out} already exists: choose another --out")
    if not out.parent.is_dir():
        fail(Exit.USAGE, f"{out.parent} is not a folder")
    return out
