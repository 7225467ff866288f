"""Evidence uploads sealed at rest, first under the council's key ring, then under the case's own key.

The web app receives evidence before the complaint has a reference, so a file is written sealed
with the ring (AES-256-GCM under a key derived with HKDF-SHA256 from the ring's first key, as
conduct/document_store.py seals report documents) and never in clear. Once the complaint is
opened and its reference known (the web app's `uploads.claim`, right after `open_complaint`),
the file is sealed again under the case's data key (conduct.case_keys): from then on shredding
that key under the retention policy leaves the file unreadable, even where a copy survived (a
backup), the ring in hand or not.

Layout: ``CEVD1`` | mode (``R`` ring, ``C`` case) | id length (1 byte) | id (ring key id, or the
case reference) | nonce (12) | ciphertext. The stored file name is bound in as associated data
(and, under a case key, the reference too), so a file renamed or copied onto another case does not
open. A file without the header was stored before sealing (or without keys configured) and is
read as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from conduct.codec import parse_keys
from conduct.private_files import write_private

if TYPE_CHECKING:
    from conduct.case_keys import KeyStore
    from conduct.settings import Settings

MAGIC = b"CEVD1"
RING, CASE = b"R", b"C"
_INFO = b"conduct evidence upload v1"
_AAD = b"conduct evidence upload v1:"


class EvidenceSealError(ValueError):
    """A sealed evidence file that cannot be opened here: no key, a key not configured, altered, shredded."""


def is_sealed(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def _parts(blob: bytes, name: str) -> tuple[bytes, str, bytes, bytes]:
    at = len(MAGIC)
    if len(blob) < at + 2 + 12 + 16:
        raise EvidenceSealError(f"evidence file {name} is cut short")
    mode, length = blob[at : at + 1], blob[at + 1]
    ident = blob[at + 2 : at + 2 + length].decode("ascii", "replace")
    nonce = blob[at + 2 + length : at + 14 + length]
    return mode, ident, nonce, blob[at + 14 + length :]


class EvidenceSeal:
    """Seals and opens evidence files: `ring` is the council's key ring (first key seals), `case_keys`
    the store of the cases' data keys (needed to seal under, and open, a case's key)."""

    def __init__(self, ring: dict[str, bytes], case_keys: KeyStore | None = None) -> None:
        if not ring:
            raise EvidenceSealError("no encryption key configured")
        self._ring = ring
        self._active = next(iter(ring))
        self.case_keys = case_keys

    @classmethod
    def from_settings(cls, settings: Settings) -> EvidenceSeal | None:
        """The servers' seal (CONDUCT_ENCRYPTION_KEYS and the register's case keys); None without keys,
        when evidence is kept as it comes (development without encryption)."""
        from conduct.case_keys import store_for

        spec = settings.resolved_encryption_keys
        if not spec:
            return None
        return cls(parse_keys(spec), store_for(settings.resolved_database_url, spec))

    def _ring_cipher(self, key_id: str) -> AESGCM:
        key = self._ring.get(key_id)
        if key is None:
            raise EvidenceSealError(f"an evidence file was sealed with key {key_id!r}, which is not configured")
        return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key))

    def _case_cipher(self, reference: str, *, create: bool = False) -> AESGCM:
        if self.case_keys is None:
            raise EvidenceSealError(f"evidence of {reference} is sealed under the case's data key, not held here")
        try:
            return self.case_keys.cipher(reference, create=create)
        except ValueError as err:  # CaseKeyError, CaseShredded
            raise EvidenceSealError(str(err)) from None

    @staticmethod
    def _pack(mode: bytes, ident: str, nonce: bytes, sealed: bytes) -> bytes:
        encoded = ident.encode("ascii")
        return MAGIC + mode + bytes([len(encoded)]) + encoded + nonce + sealed

    def seal(self, name: str, data: bytes) -> bytes:
        """`data` sealed with the ring, for a file stored as `name` (the case not known yet)."""
        nonce = os.urandom(12)
        sealed = self._ring_cipher(self._active).encrypt(nonce, data, _AAD + name.encode())
        return self._pack(RING, self._active, nonce, sealed)

    def seal_for_case(self, name: str, data: bytes, reference: str) -> bytes:
        """`data` sealed under the case's data key (made now if the case has none)."""
        nonce = os.urandom(12)
        sealed = self._case_cipher(reference, create=True).encrypt(nonce, data, _case_aad(reference, name))
        return self._pack(CASE, reference, nonce, sealed)

    def open(self, name: str, blob: bytes) -> bytes:
        """The evidence in clear: a file without the header is returned as it is."""
        if not is_sealed(blob):
            return blob
        mode, ident, nonce, sealed = _parts(blob, name)
        try:
            if mode == RING:
                return self._ring_cipher(ident).decrypt(nonce, sealed, _AAD + name.encode())
            if mode == CASE:
                return self._case_cipher(ident).decrypt(nonce, sealed, _case_aad(ident, name))
        except InvalidTag:
            raise EvidenceSealError(f"evidence file {name} does not open: altered, renamed or not ours") from None
        raise EvidenceSealError(f"evidence file {name} is sealed in a way this version does not read")

    def reseal_for_case(self, path: Path, reference: str) -> bool:
        """Seal the file at `path` under the case's key in place (atomically); True when rewritten,
        False when it already was. A file in clear (stored before sealing) is sealed too."""
        blob = path.read_bytes()
        if is_sealed(blob):
            mode, ident, _, _ = _parts(blob, path.name)
            if mode == CASE:
                if ident != reference:
                    raise EvidenceSealError(f"evidence file {path.name} belongs to {ident}, not {reference}")
                return False
        data = self.open(path.name, blob)
        write_private(path, self.seal_for_case(path.name, data, reference))
        return True


def _case_aad(reference: str, name: str) -> bytes:
    return _AAD + f"{reference}/{name}".encode()


def read_evidence(path: Path, seal: EvidenceSeal | None) -> bytes:
    """The evidence file at `path` in clear. Raises EvidenceSealError when it is sealed and cannot be
    opened here (no keys, another ring, the case's key shredded), OSError when it cannot be read."""
    blob = path.read_bytes()
    if not is_sealed(blob):
        return blob
    if seal is None:
        raise EvidenceSealError(
            f"evidence file {path.name} is encrypted and this process holds no key: set CONDUCT_ENCRYPTION_KEYS"
        )
    return seal.open(path.name, blob)
