"""Attestations: proof that an officer action was let through by the service that judged the
person (DESIGN.md, "Trust": the workflow judges the procedure, the API the person).

The service that signs in officers signs every action it sends: an Ed25519 signature over the
case, the action, a digest of the payload, the officer, the update id and the time. The
workflow's validators refuse an action whose attestation is missing, wrong or stale, before it
enters history, so raw access to Temporal is not a way round sign-in. Workers hold only the
public keys, by key id, so a key can be rotated while cases stay open.

Pure: no files, no clock (the validator passes `workflow.now()`); keys are loaded by
conduct/attestation_keys.py and handed to `trust` when a worker starts. Validators never run on
replay, so what they trust may change between deploys without touching determinism.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict

MAX_AGE = timedelta(minutes=10)
MAX_AHEAD = timedelta(minutes=2)  # clocks differ a little between machines

_trusted: dict[str, Ed25519PublicKey] = {}


class Attestation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    key_id: str
    officer: str
    reference: str
    action: str
    digest: str
    update_id: str
    issued_at: datetime
    signature: str = ""

    def message(self) -> bytes:
        fields = self.model_dump(mode="json", exclude={"signature"})
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def payload_digest(payload: BaseModel) -> str:
    """sha256 of the payload's canonical JSON, without its attestation."""
    data = payload.model_dump(mode="json", exclude={"attestation"})
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def sign(
    key: Ed25519PrivateKey,
    key_id: str,
    reference: str,
    action: str,
    payload: BaseModel,
    update_id: str,
    now: datetime,
) -> Attestation:
    attestation = Attestation(
        key_id=key_id,
        officer=str(getattr(payload, "officer", "")),
        reference=reference,
        action=action,
        digest=payload_digest(payload),
        update_id=update_id,
        issued_at=now,
    )
    attestation.signature = base64.urlsafe_b64encode(key.sign(attestation.message())).decode()
    return attestation


def trust(public_keys: dict[str, Ed25519PublicKey]) -> None:
    """The keys this worker accepts (added to those already trusted: old keys keep working until
    the worker restarts without them). Called outside the workflow sandbox, when a worker starts."""
    _trusted.update(public_keys)
    _load_invalid_signature()


def _load_invalid_signature() -> None:
    """cryptography's Rust core imports `InvalidSignature` the first time it raises it. Inside the
    workflow sandbox (a validator) that import fails and the process aborts, so make the first
    failed verification happen here, outside it; the Rust side keeps the class from then on."""
    key = Ed25519PrivateKey.generate()
    with contextlib.suppress(InvalidSignature):
        key.public_key().verify(bytes(64), b"")


def trusted() -> dict[str, Ed25519PublicKey]:
    return dict(_trusted)


def refusal(
    attestation: Attestation | None,
    reference: str,
    action: str,
    payload: BaseModel,
    update_id: str | None,
    now: datetime,
    max_age: timedelta | None = MAX_AGE,
) -> str | None:
    """Why the action is not attested; None when it is. `max_age` None: any age (a follower's
    signed `follow` reaching its lead, which takes a case it already has once)."""
    if attestation is None:
        return "the action carries no attestation: officer actions go through the officers' service"
    key = _trusted.get(attestation.key_id)
    if key is None:
        return f"the action's attestation is signed with an unknown key ({attestation.key_id})"
    try:
        key.verify(base64.urlsafe_b64decode(attestation.signature.encode()), attestation.message())
    except (InvalidSignature, ValueError):
        return "the action's attestation does not verify"
    expected = {
        "case": (attestation.reference, reference),
        "action": (attestation.action, action),
        "officer": (attestation.officer, str(getattr(payload, "officer", ""))),
        "payload": (attestation.digest, payload_digest(payload)),
    }
    if update_id is not None:
        expected["update id"] = (attestation.update_id, update_id)
    wrong = [what for what, (signed, sent) in expected.items() if signed != sent]
    if wrong:
        return f"the action's attestation was given for another {' and '.join(wrong)}"
    if max_age is not None and not now - max_age <= attestation.issued_at <= now + MAX_AHEAD:
        return f"the action's attestation is stale (issued {attestation.issued_at.isoformat()})"
    return None
