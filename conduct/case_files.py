"""A case's files on disk: its evidence uploads (named in the notes the web app keeps beside
them, starter/web/uploads.py) and its letters in the outbox (activities/mail.py names each
`<reference>-<hash>.eml`). Retention deletes them; a subject access request reads them."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

_STORED = re.compile(r"[0-9a-f]{32}\.(pdf|png|jpg|txt)")


def _note(path: Path) -> dict[str, object]:
    try:
        note = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return note if isinstance(note, dict) else {}


def uploads_of(upload_dir: Path, reference: str) -> list[Path]:
    """The evidence files whose note names `reference` (notes not included)."""
    if not upload_dir.is_dir():
        return []
    found = []
    for note in sorted(upload_dir.glob("*.json")):
        stored = note.name[: -len(".json")]
        if _STORED.fullmatch(stored) and _note(note).get("reference") == reference:
            found.append(upload_dir / stored)
    return found


def upload_note(upload: Path) -> dict[str, object]:
    return _note(upload.with_name(f"{upload.name}.json"))


def letters_of(outbox_dir: Path, reference: str) -> list[Path]:
    """The case's letters kept in the outbox."""
    safe = re.sub(r"[^A-Za-z0-9-]+", "_", reference)[:40]
    if not safe or not outbox_dir.is_dir():
        return []
    return sorted(
        p for p in outbox_dir.glob(f"{safe}-*.eml") if re.fullmatch(rf"{re.escape(safe)}-[0-9a-f]{{32}}\.eml", p.name)
    )


def delete_uploads(upload_dir: Path, reference: str) -> int:
    """Delete the case's evidence files and their notes; how many files went."""
    deleted = 0
    for upload in uploads_of(upload_dir, reference):
        for path in (upload, upload.with_name(f"{upload.name}.json")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        deleted += 1
    return deleted


def delete_letters(outbox_dir: Path, reference: str) -> int:
    deleted = 0
    for letter in letters_of(outbox_dir, reference):
        with contextlib.suppress(FileNotFoundError):
            letter.unlink()
            deleted += 1
    return deleted
