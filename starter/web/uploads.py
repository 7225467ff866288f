"""Evidence files: recognised by their content (never by name or the browser's content type),
stored outside the web root under generated names, with a small JSON note beside each."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

from starter.web.security import Signer

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


def store(upload_dir: Path, data: bytes, kind: str, original: str) -> StoredFile:
    """Write `data` under a generated name (never the user's) with owner-only permissions."""
    upload_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = f"{secrets.token_hex(16)}.{kind}"
    path = upload_dir / stored
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    note = {
        "original_name": original,
        "kind": kind,
        "size": len(data),
        "sha256": sha256(data).hexdigest(),
        "received_at": datetime.now(UTC).isoformat(),
    }
    fd = os.open(upload_dir / f"{stored}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(note, f)
    return StoredFile(stored=stored, original=original, size=len(data))


# A file accepted in a post whose other answers had problems is kept, and offered back to the
# complainant as a signed hidden value, so that they need not choose it again.


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
