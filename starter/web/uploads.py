"""Evidence files: recognised by their content (never by name or the browser's content type),
stored outside the web root under generated names, with a small JSON note beside each.

A file is written only for a post that is accepted (or that Temporal could not take yet, when it
is kept for the form sent again), and deleted at once if the post is refused after all. The note
records the submission key and, once the complaint is opened, its reference: `sweep` deletes
files no complaint refers to once they are old.

With encryption keys configured (`seal`), a file is written sealed with the council's key ring and
never in clear, and `claim` seals it again under the case's own data key (conduct/evidence_seal.py),
so that shredding the case's key leaves it unreadable. The note holds no evidence bytes."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from conduct.evidence_seal import EvidenceSeal, EvidenceSealError
from conduct.private_files import private_dir
from starter.web.security import Signer

log = logging.getLogger("conduct.web")

KINDS = {"pdf": "PDF", "png": "PNG image", "jpg": "JPEG image", "txt": "plain text"}
_STORED = re.compile(r"[0-9a-f]{32}\.(pdf|png|jpg|txt)")
ACCEPT = ".pdf,.png,.jpg,.jpeg,.txt,application/pdf,image/png,image/jpeg,text/plain"


def sniff(head: bytes) -> str | None:
    """The file's kind from its first bytes: pdf, png, jpg or txt; None for anything else."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    return "txt" if _plain_text(head) else None


def _plain_text(data: bytes) -> bool:
    if not data or b"\x00" in data:
        return False
    text = data.removeprefix(b"\xef\xbb\xbf")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(text) - 3:  # a character cut off at the end of the sample is fine
            return False
        decoded = text[: err.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\t\n\r\f" for ch in decoded)


@dataclass(frozen=True)
class StoredFile:
    stored: str  # generated name inside the upload folder, e.g. 3f2a...c1.pdf
    original: str  # the name on the complainant's computer, shown back to them only
    size: int

    @property
    def kind(self) -> str:
        return KINDS.get(self.stored.rsplit(".", 1)[-1], "file")


def clean_original_name(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:120] or "file"


def store(
    upload_dir: Path, data: bytes, kind: str, original: str, submission: str = "", seal: EvidenceSeal | None = None
) -> StoredFile:
    """Write `data` under a generated name (never the user's) with owner-only permissions, sealed
    with the key ring when `seal` is given; `submission` is the idempotency key of the post that brought it."""
    private_dir(upload_dir)
    stored = f"{secrets.token_hex(16)}.{kind}"
    path = upload_dir / stored
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(seal.seal(stored, data) if seal is not None else data)
    note = {
        "original_name": original,
        "kind": kind,
        "size": len(data),
        "sha256": sha256(data).hexdigest(),
        "received_at": datetime.now(UTC).isoformat(),
        "submission": submission,
    }
    fd = os.open(upload_dir / f"{stored}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(note, f)
    return StoredFile(stored=stored, original=original, size=len(data))


def _note_path(upload_dir: Path, stored: str) -> Path:
    return upload_dir / f"{stored}.json"


def _read_note(upload_dir: Path, stored: str) -> dict[str, object]:
    try:
        note = json.loads(_note_path(upload_dir, stored).read_text())
    except (OSError, ValueError):
        return {}
    return note if isinstance(note, dict) else {}


def delete(upload_dir: Path, files: Iterable[StoredFile]) -> None:
    """Remove files (and their notes) of a post that was refused."""
    for f in files:
        if _STORED.fullmatch(f.stored):
            for path in (upload_dir / f.stored, _note_path(upload_dir, f.stored)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


def claim(upload_dir: Path, files: Iterable[StoredFile], reference: str, seal: EvidenceSeal | None = None) -> None:
    """Record in each file's note the complaint that refers to it (the sweep then keeps it), and with
    `seal` seal the file again under the case's data key. A file that cannot be sealed again stays
    sealed with the ring (logged): the complaint is opened either way."""
    for f in files:
        if not _STORED.fullmatch(f.stored) or not (upload_dir / f.stored).is_file():
            continue
        if seal is not None:
            try:
                seal.reseal_for_case(upload_dir / f.stored, reference)
            except (EvidenceSealError, OSError, SQLAlchemyError) as err:
                log.warning("evidence file %s of %s stays sealed with the ring: %s", f.stored, reference, err)
        note = _read_note(upload_dir, f.stored)
        if note.get("reference") == reference:
            continue
        note["reference"] = reference
        path = _note_path(upload_dir, f.stored)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(note, out)
        os.replace(temporary, path)


def sweep(
    upload_dir: Path, older_than_seconds: float, key_in_use: Callable[[str], bool], now: float | None = None
) -> int:
    """Delete files older than `older_than_seconds` (by modification time) that no complaint refers
    to: their note names no reference, and no complaint was opened under their submission key.
    Returns how many files were deleted. Notes left without their file go too."""
    if not upload_dir.is_dir():
        return 0
    cutoff = (now if now is not None else time.time()) - older_than_seconds
    deleted = 0
    for path in upload_dir.iterdir():
        name = path.name
        try:
            old = path.stat().st_mtime < cutoff
        except FileNotFoundError:
            continue
        if not old:
            continue
        if name.endswith(".json") and _STORED.fullmatch(name[:-5]):
            if not (upload_dir / name[:-5]).exists():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            continue
        if not _STORED.fullmatch(name):
            continue
        note = _read_note(upload_dir, name)
        submission = note.get("submission")
        if note.get("reference") or (isinstance(submission, str) and submission and key_in_use(submission)):
            continue
        delete(upload_dir, [StoredFile(stored=name, original="", size=0)])
        deleted += 1
    if deleted:
        log.info("deleted %d evidence file(s) no complaint refers to", deleted)
    return deleted


# A file of a post that Temporal could not take yet is kept, and offered back to the complainant
# as a signed hidden value, so that they need not choose it again.


def keep_token(signer: Signer, f: StoredFile) -> str:
    value = base64.urlsafe_b64encode(json.dumps([f.stored, f.original, f.size]).encode()).decode()
    return f"{value}.{signer.sign('kept-upload', value)}"


def from_keep_token(signer: Signer, upload_dir: Path, token: str) -> StoredFile | None:
    value, sep, signature = token.partition(".")
    if not sep or len(token) > 2000 or not signer.valid("kept-upload", value, signature):
        return None
    try:
        stored, original, size = json.loads(base64.urlsafe_b64decode(value))
    except (ValueError, TypeError):
        return None
    if not isinstance(stored, str) or not _STORED.fullmatch(stored) or not (upload_dir / stored).is_file():
        return None
    return StoredFile(stored=stored, original=str(original), size=int(size))
