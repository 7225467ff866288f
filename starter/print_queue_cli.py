"""`conduct print-queue`: letters to parties without e-mail, as PDFs waiting to be printed and posted
(issue 14, "Channels and receipt"; conduct/print_queue.py).

- `conduct print-queue [--posted | --all] [--case REF] [--json]` lists them, oldest first.
- `--save ID --to DIR` writes letter ID's PDF into DIR (never over a file).
- `--mark-posted ID [--on DATE]` records the day it was posted (default today): in the register,
  and, while its case is open, on the case (the `letter_posted` action), where a clock counting
  from the letter starts from that day (conduct/postal.py).

The MO, the deputy and democratic services (who run the post). A letter to the complainant is the
complainant's name and address: democratic services see it withheld and cannot save it (DESIGN
"Who sees what"), and may still mark it posted; the MO or deputy prints it.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starter.output import Exit, done, emit_json, esc, fail, out

if TYPE_CHECKING:
    from conduct.print_queue import QueuedLetter
    from conduct.roster import Officer
    from conduct.settings import Settings

PRINT_QUEUE = "print_queue"


def _reads_identity(who: Officer) -> bool:
    from conduct.vocabulary import Role

    return bool({Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER} & set(who.roles))


def _check_role(settings: Settings, who: Officer) -> None:
    from conduct.vocabulary import Role
    from starter import access_cli

    if not {Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER, Role.DEMOCRATIC_SERVICES} & set(who.roles):
        have = ", ".join(sorted(r.value for r in who.roles)) or "no role"
        access_cli.refuse(settings, access_cli.READ, who.id, f"refused: {who.id} ({have}) cannot use the print "
                          "queue: it needs monitoring_officer, deputy_monitoring_officer or democratic_services",
                          action=PRINT_QUEUE)  # fmt: skip


def _withheld(who: Officer, letter: QueuedLetter) -> bool:
    from conduct.vocabulary import RecipientRole

    return letter.role is RecipientRole.COMPLAINANT and not _reads_identity(who)


def letter_json(who: Officer, letter: QueuedLetter) -> dict[str, Any]:
    from conduct.postal import address_lines

    hidden = _withheld(who, letter)
    return {
        "id": letter.id,
        "reference": letter.reference,
        "letter": letter.template.value,
        "role": letter.role.value,
        "name": None if hidden else letter.name,
        "address": None if hidden else address_lines(letter.address),
        "subject": letter.subject,
        "pages": letter.document.name,
        "queued_at": letter.queued_at.isoformat(),
        "posted_on": letter.posted_on.isoformat() if letter.posted_on else None,
        "posted_by": letter.posted_by,
        **({"withheld": "the complainant's name and address: MO and deputy only"} if hidden else {}),
    }


def _find(settings: Settings, letter_id: int) -> QueuedLetter:
    from conduct import print_queue
    from starter import roster_io

    with roster_io.register(settings) as engine:
        found = print_queue.letter(engine, letter_id)
    if found is None:
        fail(Exit.NOT_FOUND, f"no letter {letter_id} in the print queue")
    return found


def save(settings: Settings, who: Officer, letter_id: int, folder: Path) -> Path:
    from conduct.document_store import DocumentError, DocumentStore
    from starter import access_cli

    letter = _find(settings, letter_id)
    if _withheld(who, letter):
        reason = f"{letter.reference}: refused: letter {letter_id} is to the complainant: the MO or deputy prints it"
        access_cli.refuse(settings, access_cli.READ, who.id, reason, case=letter.reference, action=PRINT_QUEUE)
    if not folder.is_dir():
        fail(Exit.USAGE, f"--to: {folder} is not a folder")
    try:
        data = DocumentStore(settings).get(letter.reference, letter.document)
    except DocumentError as err:
        fail(Exit.ERROR, str(err))
    target = folder / letter.document.name
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(Exit.USAGE, f"{target} already exists: choose another folder with --to")
    with os.fdopen(fd, "wb") as writing:
        writing.write(data)
    access_cli.note(settings, access_cli.READ, who.id, "ok", case=letter.reference, action=PRINT_QUEUE)
    return target


def mark_posted(settings: Settings, as_officer: str | None, who: Officer, letter_id: int, on: date | None) -> None:
    """The case first (its rules check the day), then the register; a closed case only the register."""
    from conduct import print_queue
    from conduct.calendar import london_date
    from conduct.postal import LetterPosted, letter
    from conduct.vocabulary import Stage
    from starter import roster_io, session
    from starter.act import perform
    from starter.output import CliError

    queued = _find(settings, letter_id)
    today = london_date(datetime.now(UTC))
    day = on or today
    if queued.posted_on is not None:
        fail(Exit.REFUSED, f"{queued.reference}: letter {letter_id} was already recorded as posted on "
             f"{queued.posted_on.isoformat()}")  # fmt: skip
    if day > today:
        fail(Exit.USAGE, f"--on {day.isoformat()} is in the future")
    if day < london_date(queued.queued_at):
        fail(Exit.USAGE, f"--on {day.isoformat()} is before letter {letter_id} was queued "
             f"({london_date(queued.queued_at).isoformat()})")  # fmt: skip
    try:
        state = session.run(settings, lambda client: session.status(client, queued.reference), queued.reference)
    except CliError as error:
        if error.code is not Exit.NOT_FOUND:
            raise
        state = None  # the case's workflow has ended: only the register is told
    on_case = state is not None and state.stage is not Stage.CLOSED
    if on_case and state is not None:
        record = letter(state, queued.key)
        on_case = record is not None and record.posted_on is None
    if on_case:
        perform(settings, as_officer, queued.reference, "letter_posted", LetterPosted, key=queued.key, on=day)
    with roster_io.register(settings) as engine:
        print_queue.mark_posted(engine, letter_id, day, who.id)
    done(f"{queued.reference}: letter {letter_id} ({queued.template.value} to the "
         f"{queued.role.value.replace('_', ' ')}) recorded as posted on {day.isoformat()}")  # fmt: skip


def command(
    settings: Settings,
    as_officer: str | None,
    posted: bool,
    all_: bool,
    reference: str | None,
    mark: int | None,
    on: date | None,
    save_id: int | None,
    to: Path | None,
    json_: bool,
) -> None:
    from conduct import print_queue
    from starter import access_cli, officer, roster_io

    if mark is not None and save_id is not None:
        fail(Exit.USAGE, "give --mark-posted or --save, not both")
    if (save_id is None) != (to is None):
        fail(Exit.USAGE, "give --save ID and --to DIR together")
    if on is not None and mark is None:
        fail(Exit.USAGE, "--on goes with --mark-posted")
    if posted and all_:
        fail(Exit.USAGE, "give --posted or --all, not both")
    who = officer.identify(settings, as_officer)
    _check_role(settings, who)
    if mark is not None:
        mark_posted(settings, as_officer, who, mark, on)
        return
    if save_id is not None and to is not None:
        target = save(settings, who, save_id, to)
        done(f"letter {save_id} saved as {target}")
        return
    with roster_io.register(settings) as engine:
        found = print_queue.letters(engine, posted=None if all_ else posted, reference=reference)
    access_cli.note(settings, access_cli.READ, who.id, "ok", case=reference, action=PRINT_QUEUE)
    rows = [letter_json(who, f) for f in found]
    if json_:
        emit_json(rows)
        return
    if not rows:
        out().print("no letters waiting to be posted" if not (posted or all_) else "no letters")
        return
    from rich.table import Table

    table = Table(title="Print queue", title_justify="left")
    for column in ("ID", "case", "letter", "to", "name and address", "queued", "posted"):
        table.add_column(column)
    for row in rows:
        who_to = "withheld" if "withheld" in row else ", ".join([row["name"] or "", *row["address"]])
        table.add_row(
            str(row["id"]), esc(row["reference"]), esc(row["letter"]), esc(row["role"].replace("_", " ")),
            esc(who_to), row["queued_at"][:10], row["posted_on"] or "—",
        )  # fmt: skip
    out().print(table)
