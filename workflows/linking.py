"""R14's links travel between cases as signals, which have no validator: each carries the officer's
action (`link` or `unlink`) as the officers' API signed it, and the case that receives it checks
that signature, the case it was meant for and its age, as a validator checks an update. Anyone who
can reach Temporal could otherwise link or unlink cases.

Links sent before signing (a bare reference, in recorded histories) are still taken on replay;
the patch `signed-links` marks from when they are not.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct import attestation

PATCH = "signed-links"


class LinkNotice(BaseModel):
    """The `linked_with` signal: the case that linked this one, and the signed action that did it."""

    reference: str
    link: a.Link


def notice(reference: str, link: a.Link) -> LinkNotice | str:
    """What `linked_with` carries (a bare reference in histories recorded before the patch)."""
    return LinkNotice(reference=reference, link=link) if workflow.patched(PATCH) else reference


def unsigned(action: Any, sender: str, name: str, here: str) -> str | None:
    """Why a link action from case `sender` may not change case `here`; None when it may."""
    if action is None:
        return "it carries no signed action"
    if getattr(action, "other_reference", None) != here:
        return "the signed action names another case"
    return attestation.refusal(getattr(action, "attestation", None), sender, name, action, None, workflow.now())


def received(notice: Any, name: str, here: str) -> tuple[str, str | None]:
    """The sending case's reference, and why the link is ignored (None: it is taken)."""
    if isinstance(notice, str):  # a bare reference: before links were signed
        return notice, ("it carries no signed action" if workflow.patched(PATCH) else None)
    try:
        parsed = LinkNotice.model_validate(notice)
    except ValueError:
        return "an unknown case", "it is not a link"
    return parsed.reference, unsigned(parsed.link, parsed.reference, name, here)
