"""R14's links travel between cases. Each carries the officer's action (`link` or `unlink`) as the
officers' API signed it, and the case that receives it checks that signature, the case it was
meant for and its age: anyone who can reach Temporal could otherwise link or unlink cases.

Since the patch `links-by-update` they travel as updates (`link_arrived`, `unlink_arrived`, sent
from the `tell_linked_case` activity), judged in their validators, which replay never runs. Before
it they were signals (`linked_with`, `unlinked_from`), checked in their handlers and so again on
every replay, against the keys the replaying worker trusts: a key dropped since makes such a case
fail to replay. Those signals are still taken, for the histories that hold them. Links sent before
signing (a bare reference) are still taken on replay; the patch `signed-links` marks from when
they are not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct import attestation
    from workflows.post import DURABLE_RETRY

T = TypeVar("T")
PATCH = "signed-links"
BY_UPDATE = "links-by-update"
TELL_TIMEOUT = timedelta(minutes=1)


class LinkMessage(BaseModel):
    """The `tell_linked_case` activity's input: an update for the other case of a link."""

    to: str  # the other case's reference
    update: str  # link_arrived or unlink_arrived
    update_id: str
    notice: dict[str, Any]


async def tell(here: str, to: str, update: str, notice: BaseModel, signed: a.OfficerAction) -> bool:
    """Send the other case `update` with `notice`; False when it has ended (nothing to tell). A
    refusal by its validator is raised, with its reason, as a non-retryable ApplicationError."""
    step = signed.attestation.update_id if signed.attestation else workflow.info().run_id
    notice_json = notice.model_dump(mode="json")
    message = LinkMessage(to=to, update=update, update_id=f"{update}-{here}-{step}", notice=notice_json)
    return await ask_another_case("tell_linked_case", message, bool, TELL_TIMEOUT, f"{update} to {to}", str)


async def ask_another_case(
    activity: str, arg: Any, result_type: type[T], timeout: timedelta, summary: str, refused: Callable[[str], str]
) -> T:
    """Run `activity`, which updates another case; its refusal (the other case's validator, given
    as a final ApplicationError) is raised as this action's refusal, worded by `refused`."""
    try:
        return await workflow.execute_activity(
            activity, arg, result_type=result_type, start_to_close_timeout=timeout, retry_policy=DURABLE_RETRY,
            summary=summary,
        )  # fmt: skip
    except ActivityError as err:
        why = err.cause.message if isinstance(err.cause, ApplicationError) else str(err.cause or err)
        raise ApplicationError(refused(why), type="Refused", non_retryable=True) from None


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
