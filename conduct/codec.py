"""Encryption of Temporal payloads: complainant data in workflow history is ciphertext.

AES-256-GCM with a fresh 96-bit nonce per payload; the key id travels in the payload's metadata
so keys can rotate: the first configured key encrypts, every configured key decrypts. Search
attributes and workflow ids are not payloads: keep personal data out of them.

Payloads in clear: the servers' codec (`PlaintextPolicy`, CONDUCT_REFUSE_PLAINTEXT) refuses them,
because anything sent in clear came from outside the servers (say a bare `temporal workflow
update execute --input '{...}'`). Only the workflows listed as recorded before encryption
(CONDUCT_PLAINTEXT_CASES) may still hold them. The codec learns the workflow from the SDK's
serialization context. A refused payload is not raised as an error: that would fail the workflow
task and leave the case stuck retrying it. It is swapped for a payload of an encoding no converter
reads (`REFUSED_ENCODING`), so the SDK turns it down where it would turn down any undecodable
input: an update is rejected before it enters history, a signal is dropped, a query fails, and a
workflow started that way fails at once. The SDK's own plaintext (patch markers) never reaches a
codec. The codec endpoint for the UI shows payloads in clear as they are (no policy).

Per-case data keys (conduct.case_keys): given a key store, a complaint's payloads are encrypted
with that case's own data key, found from the serialization context's workflow id, and carry
`data-key-id: <reference>` beside `encryption-key-id` (the ring key that wraps the data key), so
decoding needs no context: the metadata names the case. Payloads without `data-key-id` (written
before per-case keys, or of other workflows such as the reports) are read with the ring as before.
A shredded case's payloads raise CaseShredded. A key the process holds costs a dictionary lookup;
a miss is one query, run in a thread so the event loop does not wait on the register.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import os
import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Self

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import (
    ActivitySerializationContext,
    EncodingPayloadConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.exceptions import ApplicationError

if TYPE_CHECKING:
    from conduct.case_keys import KeyStore

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
DATA_KEY_ID = "data-key-id"
REFUSED_ENCODING = b"refused/plaintext-payload-on-an-encrypted-case"
# Payloads over COMPRESS_FROM bytes are zlib-compressed before they are sealed, where that makes
# them smaller: letters and register projections are JSON that shrinks to about a third, and a
# full hearing case's history is kept within its budget. The marker is also the cipher's
# associated data, so it cannot be removed or added without the payload failing to open.
COMPRESSION = "compression"
ZLIB = b"zlib"
COMPRESS_FROM = 256


def _compressed(raw: bytes) -> tuple[bytes, bytes | None]:
    if len(raw) < COMPRESS_FROM:
        return raw, None
    packed = zlib.compress(raw, 6)
    return (packed, ZLIB) if len(packed) < len(raw) else (raw, None)


def _opened(cipher: AESGCM, payload: Payload) -> Payload:
    """Decrypt (and decompress) one sealed payload; payloads sealed before compression have no marker."""
    compression = payload.metadata.get(COMPRESSION) or None
    if compression not in (None, ZLIB):
        raise KeyError_(f"payload is compressed with {compression!r}, which this codec does not read")
    data = payload.data
    raw = cipher.decrypt(data[:12], data[12:], compression)
    return Payload.FromString(zlib.decompress(raw) if compression else raw)


COMPLAINT_PREFIX = "complaint-"


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


@dataclasses.dataclass(frozen=True)
class PlaintextPolicy:
    """Whether payloads in clear are refused, and the workflows recorded before encryption whose
    payloads may be in clear (workflow ids, or case references such as WBC-2026-0001)."""

    refuse: bool = True
    recorded_before_encryption: frozenset[str] = frozenset()

    def allows(self, workflow_id: str | None) -> bool:
        if not self.refuse:
            return True
        if not workflow_id:
            return False  # no case known: refuse
        allowed = self.recorded_before_encryption
        return workflow_id in allowed or workflow_id.removeprefix(COMPLAINT_PREFIX) in allowed

    @classmethod
    def of(cls, refuse: bool, cases: Iterable[str] = ()) -> PlaintextPolicy:
        return cls(refuse, frozenset(c.strip() for c in cases if c.strip()))


def _workflow_of(context: SerializationContext | None) -> str | None:
    if isinstance(context, WorkflowSerializationContext):
        return context.workflow_id
    if isinstance(context, ActivitySerializationContext):
        return context.workflow_id
    return None


def refused_payload() -> Payload:
    """What a refused payload in clear becomes: no converter reads it, so the SDK refuses the input."""
    return Payload(metadata={"encoding": REFUSED_ENCODING})


PLAINTEXT_REFUSED = (
    "refused: this input arrived in clear, not encrypted with the council's keys; officers act through "
    "`conduct`, whose servers encrypt"
)


class _RefusedPlaintextConverter(EncodingPayloadConverter):
    """Reads a refused payload as an ApplicationError of its own type, which the SDK does not wrap:
    an update is rejected with it (the type stays readable in history, the text is encrypted)."""

    @property
    def encoding(self) -> str:
        return REFUSED_ENCODING.decode()

    def to_payload(self, value: Any) -> Payload | None:
        return None

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        raise ApplicationError(PLAINTEXT_REFUSED, type="PlaintextRefused", non_retryable=True)


class PayloadConverter(PydanticPayloadConverter):
    """The project's pydantic converter, which also names a refused payload in clear for what it is."""

    def __init__(self) -> None:
        super().__init__()
        self._set_converters(*self.converters.values(), _RefusedPlaintextConverter())


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    def __init__(
        self,
        keys: dict[str, bytes],
        plaintext: PlaintextPolicy | None = None,
        *,
        workflow_id: str | None = None,
        case_keys: KeyStore | None = None,
    ) -> None:
        """`plaintext`: the servers pass their policy (refuse payloads in clear); the default,
        None, lets them through (the codec endpoint, which shows old histories as they are).
        `case_keys`: encrypt each complaint's payloads under its own data key (None: the ring only)."""
        if not keys:
            raise KeyError_("no encryption key configured")
        self._keys = keys
        self._active = next(iter(keys))
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._plaintext = plaintext or PlaintextPolicy(refuse=False)
        self._workflow_id = workflow_id
        self._plaintext_allowed = self._plaintext.allows(workflow_id)
        self._case_keys = case_keys

    def with_context(self, context: SerializationContext) -> Self:
        """A copy that knows the workflow whose payloads it decodes (the SDK calls this per operation)."""
        if not self._plaintext.refuse and self._case_keys is None:
            return self
        workflow_id = _workflow_of(context)
        if workflow_id == self._workflow_id:
            return self
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._workflow_id = workflow_id
        copy._plaintext_allowed = self._plaintext.allows(workflow_id)
        return copy

    @property
    def case(self) -> str | None:
        """The case whose payloads this copy encodes under its data key (None: the ring's key)."""
        if self._case_keys is None or not self._workflow_id or not self._workflow_id.startswith(COMPLAINT_PREFIX):
            return None
        # A case's own workflows (a sanction's follow-up, `complaint-REF/sanction-NAME`) share its key.
        return self._workflow_id.removeprefix(COMPLAINT_PREFIX).partition("/")[0]

    async def _case_cipher(self, reference: str, create: bool) -> AESGCM:
        assert self._case_keys is not None
        found = self._case_keys.cached(reference)
        if found is not None:
            return found
        return await asyncio.to_thread(self._case_keys.cipher, reference, create=create)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        metadata = {"encoding": ENCODING, KEY_ID: self._active.encode()}
        cipher = self._ciphers[self._active]
        reference = self.case
        if reference is not None and payloads:
            cipher = await self._case_cipher(reference, create=True)
            metadata[DATA_KEY_ID] = reference.encode()
        out = []
        for payload in payloads:
            raw, compression = _compressed(payload.SerializeToString())
            nonce = os.urandom(12)
            sealed = cipher.encrypt(nonce, raw, compression)
            extra = {COMPRESSION: compression} if compression else {}
            out.append(Payload(metadata={**metadata, **extra}, data=nonce + sealed))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            reference = payload.metadata.get(DATA_KEY_ID, b"").decode()
            if reference and payload.metadata.get("encoding") == ENCODING:
                if self._case_keys is None:
                    raise KeyError_(f"payload was encrypted with the data key of {reference}; no key store here")
                cipher = await self._case_cipher(reference, create=False)
                out.append(_opened(cipher, payload))
            else:
                out.append(self._decode_one(payload))
        return out

    def _decode_one(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            # In clear: written before encryption was on, or sent by someone without the keys.
            return payload if self._plaintext_allowed else refused_payload()
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise KeyError_(f"payload was encrypted with key {key_id!r}, which is not configured")
        return _opened(cipher, payload)

    @property
    def key_ids(self) -> Iterable[str]:
        return self._ciphers.keys()
