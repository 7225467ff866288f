"""Update ids for officer actions: the same action with the same payload on the same case always
gets the same id, so Temporal (which dedupes updates by id within a run) answers a retry with the
first result instead of acting twice. A re-run command after a timeout is then safe.

Clients other than the CLI (tests, scripts, the web app) use `action_id` too, so that the same
action sent from two of them is one action. The id is a hash: it carries no case text in clear.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel

DIGEST_CHARS = 24  # 96 bits of sha256: no accidental collision among one case's actions


def canonical_json(payload: BaseModel) -> str:
    """The payload as JSON with sorted keys and no spacing: equal payloads, equal text."""
    return json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def action_id(reference: str, action: str, payload: BaseModel) -> str:
    """`{action}-{digest}`, the digest over the case reference, the action name and the payload."""
    material = json.dumps([reference, action, canonical_json(payload)], separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()
    return f"{action}-{digest[:DIGEST_CHARS]}"
