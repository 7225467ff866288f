"""Where the attestation keys come from: the signing key for the service that lets officer
actions through (CONDUCT_ATTESTATION_KEY, or DATA_DIR/attestation.key made 0600 on first use),
and the public keys the workers accept (CONDUCT_ATTESTATION_PUBLIC_KEYS, or the one that goes
with the data directory's key). A key's id is a digest of its public half, so ids never clash."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from pydantic import BaseModel

from conduct.attestation import sign
from conduct.private_files import private_secret
from conduct.settings import Settings

KEY_FILE = "attestation.key"
P = TypeVar("P", bound=BaseModel)


def _raw_private(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode()


def raw_public(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_id(key: Ed25519PublicKey) -> str:
    return "att-" + hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def signing_key(settings: Settings) -> tuple[str, Ed25519PrivateKey]:
    """(key id, key) of the service that attests officer actions."""
    text = settings.attestation_key or private_secret(
        settings.data_dir / KEY_FILE, lambda: _raw_private(Ed25519PrivateKey.generate())
    )
    return _parsed_key(text.strip())


@lru_cache(maxsize=4)
def _parsed_key(text: str) -> tuple[str, Ed25519PrivateKey]:
    """The key parsed once per text (the officers' API signs every action with it)."""
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))
    return key_id(key.public_key()), key


def public_keys(settings: Settings) -> dict[str, Ed25519PublicKey]:
    """The keys a worker accepts actions under."""
    if settings.attestation_public_keys.strip():
        keys = {}
        for item in settings.attestation_public_keys.split(","):
            kid, _, raw = item.strip().partition(":")
            keys[kid] = Ed25519PublicKey.from_public_bytes(base64.b64decode(raw))
        return keys
    kid, key = signing_key(settings)
    return {kid: key.public_key()}


def attest(
    settings: Settings, reference: str, action: str, payload: P, update_id: str, now: datetime | None = None
) -> P:
    """`payload` carrying its attestation, signed with this service's key, as of `now` (the
    Temporal server's time; by default this machine's)."""
    kid, key = signing_key(settings)
    signed = sign(key, kid, reference, action, payload, update_id, now or datetime.now(UTC))
    return payload.model_copy(update={"attestation": signed})
