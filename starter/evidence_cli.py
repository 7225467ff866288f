"""`conduct evidence REF [--save N --to DIR]`: the evidence files of a complaint, listed with the
names the complainant gave them, and saved under those names. The web app keeps them under
generated names in the upload folder (starter/web/uploads.py), with a note of the original name.

The same role rules as `conduct show`: who may not read the allegation is refused (exit 3, an
audit line); who may not see who complained sees the generated names only. The files are sealed at
rest (conduct/evidence_seal.py): `--save` writes the evidence in clear, as the complainant sent it;
a file stored before sealing is copied as it is."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starter.output import Exit, done, emit_json, esc, fail, out

if TYPE_CHECKING:
    from conduct.evidence_seal import EvidenceSeal
    from conduct.roster import Officer
    from conduct.settings import Settings

EVIDENCE = "evidence"


def _safe_name(name: str | None, fallback: str) -> str:
    """A file name that stays inside DIR: the last part of the name, printable, not hidden."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    return base[:120] or fallback


def evidence_files(settings: Settings, who: Officer, reference: str) -> tuple[list[dict[str, Any]], Path]:
    """The case's evidence as its reader may see it; refused (exit 3, audited) when the allegation
    is withheld from them."""
    from conduct.access import ALLEGATION, redact
    from starter import access_cli, case_view, session

    state = session.run(settings, lambda client: session.status(client, reference), reference)
    access = access_cli.readable(settings, who, state, EVIDENCE)
    papers = access.withholds(ALLEGATION)
    if papers is not None:
        access_cli.refuse(settings, access_cli.READ, who.id, f"{reference}: the evidence is withheld ({papers.reason})",
                          case=reference, action=EVIDENCE)  # fmt: skip
    uploads = case_view.upload_dir(settings)
    files = case_view.complaint(redact(state, access), access, uploads)["evidence"]
    access_cli.note(settings, access_cli.READ, who.id, "ok", case=reference, action=EVIDENCE)
    return files, uploads


def save(
    files: list[dict[str, Any]], uploads: Path, number: int, folder: Path, seal: EvidenceSeal | None = None
) -> Path:
    """Write file `number` (1 = the first listed), opened with `seal`, into `folder` under its
    original name; never over an existing file."""
    from conduct.evidence_seal import EvidenceSealError, read_evidence

    if not 1 <= number <= len(files):
        fail(Exit.USAGE, f"--save: give a number from 1 to {len(files)}" if files else "the case has no evidence files")
    if not folder.is_dir():
        fail(Exit.USAGE, f"--to: {folder} is not a folder")
    item = files[number - 1]
    source = uploads / item["file"]
    target = folder / _safe_name(item["name"], item["file"])
    try:
        data = read_evidence(source, seal)
    except EvidenceSealError as error:
        fail(Exit.ERROR, f"cannot open {item['file']}: {error}")
    except OSError as error:
        fail(Exit.ERROR, f"cannot read {item['file']}: {error.strerror or error}")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as writing:
            writing.write(data)
    except FileExistsError:
        fail(Exit.USAGE, f"{target} already exists: choose another folder with --to")
    except OSError as error:
        fail(Exit.ERROR, f"cannot copy {item['file']} to {target}: {error.strerror or error}")
    return target


def command(settings: Settings, who: Officer, reference: str, number: int | None, folder: Path | None,
            json_: bool) -> None:  # fmt: skip
    if (number is None) != (folder is None):
        fail(Exit.USAGE, "give --save N and --to DIR together")
    files, uploads = evidence_files(settings, who, reference)
    if number is not None and folder is not None:
        from conduct.evidence_seal import EvidenceSeal

        target = save(files, uploads, number, folder, EvidenceSeal.from_settings(settings))
        done(f"{reference}: evidence {number} saved as {target}")
        return
    if json_:
        emit_json(files)
        return
    if not files:
        out().print(f"{esc(reference)}: no evidence files")
        return
    from rich.table import Table

    table = Table(title=f"Evidence of {esc(reference)}", title_justify="left")
    for column in ("N", "name", "type", "size", "stored as"):
        table.add_column(column)
    for n, item in enumerate(files, 1):
        size = f"{item['size']:,} bytes" if item["size"] is not None else ""
        table.add_row(str(n), esc(item["name"] or "—"), esc(item["type"]), size, esc(item["file"]))
    out().print(table)
