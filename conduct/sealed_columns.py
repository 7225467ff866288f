"""Personal data in the register is encrypted column by column, with the payload codec's key ring.

The complainant's name and e-mail (and every other party's), and each letter's recipient, are
stored as `enc1:<key id>:<base64url(nonce | AES-256-GCM ciphertext)>`. The first configured key
seals, every configured key opens, as for Temporal payloads (conduct.codec). Each column gets a
key of its own, derived from the ring's key with HKDF-SHA256, and the column's name is bound in
as associated data, so a value copied into another column does not open.

The key ring belongs to the engine (`make_engine(url, keys=...)`): the type reads it from the
engine's dialect, so two engines in one process (a test, a migration) can hold different rings.
Without keys (development without encryption) values are written as they are. A value in clear
(written before encryption was on) is read as it is, and revision 0005 seals the ones it finds.
A sealed value read without its key is an error, never a silent ciphertext.

The nonce is random, so two seals of the same e-mail differ: no query may compare these columns
with a value (none does; a lookup would need a keyed hash column beside it).

Per-case keys (conduct.case_keys): a value the register writes as `CaseText(value, reference)`
is sealed under that case's data key instead, as `enc2:<reference>:<base64url(nonce | ciphertext)>`
(the column and the reference bound in as associated data), so shredding the case's key makes it
unreadable wherever it was copied (a backup). The case key is used only when this process already
holds it (the register calls `ensure_case_key` before its transaction), never fetched or made
inside a flush; otherwise the value is sealed with the ring as before. Values sealed with the ring
(`enc1:`) keep reading. In-memory SQLite engines (tests) use the ring only.
"""

from __future__ import annotations

import base64
import contextlib
import os
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, Text, TypeDecorator

from conduct.codec import parse_keys

if TYPE_CHECKING:
    from conduct.case_keys import KeyStore

PREFIX = "enc1:"
CASE_PREFIX = "enc2:"
_DIALECT_ATTRIBUTE = "conduct_column_cipher"
_INFO = b"conduct register column v1:"


class SealedColumnError(ValueError):
    """A sealed value that cannot be opened here: no key, a key not configured, or altered."""


class CaseText(str):
    """A personal value of one case: sealed under the case's data key (see the module's docstring)."""

    reference: str

    def __new__(cls, value: str, reference: str) -> CaseText:
        made = super().__new__(cls, value)
        made.reference = reference
        return made


class ColumnCipher:
    """The key ring, for columns: `seal(value, column)` and `unseal(stored, column)`."""

    def __init__(self, keys: dict[str, bytes], case_keys: KeyStore | None = None) -> None:
        if not keys:
            raise SealedColumnError("no encryption key configured")
        self._active = next(iter(keys))
        self._keys = keys
        self._ciphers: dict[tuple[str, str], AESGCM] = {}
        self.case_keys = case_keys

    @classmethod
    def from_spec(cls, spec: str) -> ColumnCipher | None:
        """`CONDUCT_ENCRYPTION_KEYS` (id:base64,...) as a cipher; None when no key is configured."""
        keys = parse_keys(spec) if spec else {}
        return cls(keys) if keys else None

    def _cipher(self, key_id: str, column: str) -> AESGCM:
        found = self._ciphers.get((key_id, column))
        if found is None:
            key = self._keys.get(key_id)
            if key is None:
                raise SealedColumnError(f"a register value was sealed with key {key_id!r}, which is not configured")
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + column.encode()).derive(key)
            found = self._ciphers[(key_id, column)] = AESGCM(derived)
        return found

    def seal(self, value: str, column: str) -> str:
        if is_sealed(value):
            return value  # already sealed (a migration run twice)
        if isinstance(value, CaseText) and self.case_keys is not None:
            case = self.case_keys.cached(value.reference)
            if case is not None:
                nonce = os.urandom(12)
                sealed = case.encrypt(nonce, str(value).encode(), _case_aad(column, value.reference))
                return f"{CASE_PREFIX}{value.reference}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"
        nonce = os.urandom(12)
        sealed = self._cipher(self._active, column).encrypt(nonce, value.encode(), column.encode())
        return f"{PREFIX}{self._active}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def unseal(self, stored: str, column: str) -> str:
        if not is_sealed(stored):
            return stored  # written before encryption was switched on
        if stored.startswith(CASE_PREFIX):
            return self._unseal_case(stored, column)
        key_id, _, encoded = stored[len(PREFIX) :].partition(":")
        cipher = self._cipher(key_id, column)
        try:
            raw = base64.urlsafe_b64decode(encoded)
            return cipher.decrypt(raw[:12], raw[12:], column.encode()).decode()
        except (InvalidTag, ValueError):
            raise SealedColumnError(f"a sealed value in {column} could not be opened: altered, or not ours") from None

    def _unseal_case(self, stored: str, column: str) -> str:
        reference, _, encoded = stored[len(CASE_PREFIX) :].partition(":")
        if self.case_keys is None:
            raise SealedColumnError(f"a value in {column} is sealed under the data key of {reference}; no key store")
        case = self.case_keys.cipher(reference)  # CaseShredded once the case's data was removed
        try:
            raw = base64.urlsafe_b64decode(encoded)
            return case.decrypt(raw[:12], raw[12:], _case_aad(column, reference)).decode()
        except (InvalidTag, ValueError):
            raise SealedColumnError(f"a sealed value in {column} could not be opened: altered, or not ours") from None


def _case_aad(column: str, reference: str) -> bytes:
    return f"{column}|{reference}".encode()


def is_sealed(value: str) -> bool:
    return value.startswith((PREFIX, CASE_PREFIX))


def attach(engine: Engine, keys: str, *, case_keys: bool = True) -> Engine:
    """Give `engine` the key ring its EncryptedText columns seal and open with ("" = none), and,
    with `case_keys`, the store of the cases' data keys kept in this engine's register."""
    cipher = ColumnCipher.from_spec(keys)
    if cipher is not None and case_keys:
        from conduct.case_keys import KeyStore

        cipher.case_keys = KeyStore(engine, parse_keys(keys))
    setattr(engine.dialect, _DIALECT_ATTRIBUTE, cipher)
    return engine


def prefetch_case_keys(engine: Engine, references: list[str]) -> None:
    """Before reading the sealed values of many cases: their data keys in one query per 500."""
    cipher = cipher_of(engine.dialect)
    if cipher is not None and cipher.case_keys is not None and references:
        cipher.case_keys.prefetch(references)


def ensure_case_key(engine: Engine, reference: str) -> None:
    """Before a transaction that writes the case's sealed values: have its data key in memory
    (made and stored first if the case has none). A shredded case's values are sealed with the ring."""
    cipher = cipher_of(engine.dialect)
    if cipher is None or cipher.case_keys is None:
        return
    from sqlalchemy.exc import DBAPIError

    from conduct.case_keys import CaseShredded

    # Shredded: its values go under the ring. No `case_keys` table yet (a register not migrated
    # to revision 0007 during a rolling deploy): the same.
    with contextlib.suppress(CaseShredded, DBAPIError):
        cipher.case_keys.ensure(reference)


def cipher_of(dialect: Any) -> ColumnCipher | None:
    return getattr(dialect, _DIALECT_ATTRIBUTE, None)


class EncryptedText(TypeDecorator[str]):
    """A text column sealed at rest when the engine has keys (see the module's docstring)."""

    impl = Text
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        cipher = cipher_of(dialect)
        if value is None or cipher is None:
            return value
        return cipher.seal(value, self.column)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None or not is_sealed(value):
            return value
        cipher = cipher_of(dialect)
        if cipher is None:
            raise SealedColumnError(
                f"the register's {self.column} is encrypted and this process holds no key: "
                "set CONDUCT_ENCRYPTION_KEYS (or CONDUCT_DATA_DIR, for `conduct dev`'s key)"
            )
        return cipher.unseal(value, self.column)
