"""Encryption of Temporal payloads: complainant data in workflow history is ciphertext.

AES-256-GCM with a fresh 96-bit nonce per payload; the key id travels in the payload's metadata
so keys can rotate: the first configured key encrypts, every configured key decrypts. Payloads
written before encryption was switched on (no key id) pass through unchanged, so old histories
still replay. Search attributes and workflow ids are not payloads: keep personal data out of
them.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


class KeyError_(ValueError):
    """A configured key is malformed, or a payload names a key we do not hold."""


def parse_keys(spec: str) -> dict[str, bytes]:
    """`id:base64,id:base64` (first = active) into an ordered mapping of 32-byte keys."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id:
            raise KeyError_("each encryption key is written id:base64 (e.g. key-2026:...)")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as err:
            raise KeyError_(f"encryption key {key_id!r} is not valid base64") from err
        if len(raw) != 32:
            raise KeyError_(f"encryption key {key_id!r} must be 32 bytes (AES-256), not {len(raw)}")
        keys[key_id] = raw
    return keys


def new_key_spec(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise KeyError_("no encryption key configured")
        self._active = next(iter(keys))
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._active]
        out = []
        for payload in payloads:
            nonce = os.urandom(12)
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self._active.encode()},
                    data=nonce + cipher.encrypt(nonce, payload.SerializeToString(), None),
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decode_one(p) for p in payloads]

    def _decode_one(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise KeyError_(f"payload was encrypted with key {key_id!r}, which is not configured")
        data = payload.data
        return Payload.FromString(cipher.decrypt(data[:12], data[12:], None))

    @property
    def key_ids(self) -> Iterable[str]:
        return self._ciphers.keys()
