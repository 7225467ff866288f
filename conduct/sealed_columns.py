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
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, Text, TypeDecorator

from conduct.codec import parse_keys

PREFIX = "enc1:"
_DIALECT_ATTRIBUTE = "conduct_column_cipher"
_INFO = b"conduct register column v1:"


class SealedColumnError(ValueError):
    """A sealed value that cannot be opened here: no key, a key not configured, or altered."""


class ColumnCipher:
    """The key ring, for columns: `seal(value, column)` and `unseal(stored, column)`."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise SealedColumnError("no encryption key configured")
        self._active = next(iter(keys))
        self._keys = keys
        self._ciphers: dict[tuple[str, str], AESGCM] = {}

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
        nonce = os.urandom(12)
        sealed = self._cipher(self._active, column).encrypt(nonce, value.encode(), column.encode())
        return f"{PREFIX}{self._active}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def unseal(self, stored: str, column: str) -> str:
        if not is_sealed(stored):
            return stored  # written before encryption was switched on
        key_id, _, encoded = stored[len(PREFIX) :].partition(":")
        cipher = self._cipher(key_id, column)
        try:
            raw = base64.urlsafe_b64decode(encoded)
            return cipher.decrypt(raw[:12], raw[12:], column.encode()).decode()
        except (InvalidTag, ValueError):
            raise SealedColumnError(f"a sealed value in {column} could not be opened: altered, or not ours") from None


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def attach(engine: Engine, keys: str) -> Engine:
    """Give `engine` the key ring its EncryptedText columns seal and open with ("" = none)."""
    setattr(engine.dialect, _DIALECT_ATTRIBUTE, ColumnCipher.from_spec(keys))
    return engine


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
