"""Reports' statements and documents, sealed at rest: `DATA_DIR/documents/<reference>/<id>.sealed`.

Each file is AES-256-GCM under a key derived (HKDF-SHA256) from the first key of the council's key
ring (CONDUCT_ENCRYPTION_KEYS), with the case reference and the document id bound in as associated
data, so a file copied to another case, or renamed, does not open. Every configured key opens
(rotation). Layout: ``CDOC1`` | key id length (1 byte) | key id | nonce (12) | ciphertext. One
folder per case, so a case's documents go with it when it is shredded. Without a key nothing is
stored: a report's documents are never kept in clear.

Written 0600 in 0700 folders (conduct/private_files.py). The id is derived from the name and the
content, so the same command run twice stores the same file and sends the same action.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from conduct.codec import parse_keys
from conduct.documents import DocumentKind, DocumentRef
from conduct.private_files import private_dir, write_private
from conduct.settings import Settings

MAGIC = b"CDOC1"
_INFO = b"conduct report document v1"
_REFERENCE = re.compile(r"^[A-Z]{2,6}-\d{4}-\d{4,}$")


class DocumentError(ValueError):
    """A document that cannot be stored or read: no key, not a kind we take, too large, altered."""


def sniff(head: bytes, name: str) -> DocumentKind | None:
    """The kind from the first bytes (never from the name alone); a .docx is a zip named so."""
    if head.startswith(b"%PDF-"):
        return DocumentKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocumentKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return DocumentKind.JPG
    if head.startswith(b"PK\x03\x04") and name.lower().endswith(".docx"):
        return DocumentKind.DOCX
    if head and b"\x00" not in head:
        try:
            head.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        except UnicodeDecodeError as err:
            if err.start < len(head) - 3:  # a character cut off at the end of the sample is fine
                return None
        return DocumentKind.TXT
    return None


def clean_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"').strip().lstrip(".")
    return base[:120] or "document"


class DocumentStore:
    def __init__(self, settings: Settings) -> None:
        self.root = settings.data_dir / "documents"
        keys = parse_keys(settings.resolved_encryption_keys) if settings.resolved_encryption_keys else {}
        self._keys = keys

    def _folder(self, reference: str) -> Path:
        if not _REFERENCE.fullmatch(reference):
            raise DocumentError(f"not a case reference: {reference!r}")
        return self.root / reference

    def path(self, reference: str, document_id: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", document_id):
            raise DocumentError("not a document id")
        return self._folder(reference) / f"{document_id}.sealed"

    def _cipher(self, key_id: str) -> AESGCM:
        key = self._keys.get(key_id)
        if key is None:
            raise DocumentError(f"a document was sealed with key {key_id!r}, which is not configured")
        return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key))

    def put(self, reference: str, name: str, data: bytes) -> tuple[DocumentRef, bool]:
        """Seal `data` for the case; returns its reference and whether a new file was written."""
        if not self._keys:
            raise DocumentError(
                "no encryption key is configured (CONDUCT_ENCRYPTION_KEYS): documents are never kept in clear"
            )
        name = clean_name(name)
        kind = sniff(data[:4096], name)
        if kind is None:
            raise DocumentError(f"{name} is not a PDF, PNG, JPEG, Word (.docx) or plain text file")
        digest = hashlib.sha256(data).hexdigest()
        document_id = hashlib.sha256(f"{name}\0{digest}".encode()).hexdigest()[:32]
        ref = DocumentRef(id=document_id, name=name, kind=kind, size=len(data), sha256=digest)
        target = self.path(reference, document_id)
        if target.exists():
            return ref, False
        private_dir(target.parent)
        key_id = next(iter(self._keys))
        nonce = os.urandom(12)
        sealed = self._cipher(key_id).encrypt(nonce, data, f"{reference}/{document_id}".encode())
        encoded = key_id.encode()
        write_private(target, MAGIC + bytes([len(encoded)]) + encoded + nonce + sealed)
        return ref, True

    def get(self, reference: str, ref: DocumentRef) -> bytes:
        """The document's bytes, checked against its digest."""
        try:
            blob = self.path(reference, ref.id).read_bytes()
        except OSError as err:
            raise DocumentError(f"document {ref.name} of {reference} is missing: {err.strerror or err}") from None
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 14:
            raise DocumentError(f"document {ref.name} of {reference} is not a sealed document")
        at = len(MAGIC)
        length = blob[at]
        key_id = blob[at + 1 : at + 1 + length].decode()
        nonce = blob[at + 1 + length : at + 13 + length]
        try:
            data = self._cipher(key_id).decrypt(nonce, blob[at + 13 + length :], f"{reference}/{ref.id}".encode())
        except InvalidTag:
            raise DocumentError(
                f"document {ref.name} of {reference} does not open: altered or another case's"
            ) from None
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise DocumentError(f"document {ref.name} of {reference} does not match its digest")
        return data

    def remove(self, reference: str, ref: DocumentRef) -> None:
        self.path(reference, ref.id).unlink(missing_ok=True)


def read_bounded(file: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file; DocumentError if it is larger or not a file."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        raise DocumentError(f"cannot read {file}: {err.strerror or err}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DocumentError(f"{file} is not a regular file")
        if info.st_size > limit:
            raise DocumentError(f"{file} is larger than {limit // 1024} KiB")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise DocumentError(f"{file} is larger than {limit // 1024} KiB")
    return data
