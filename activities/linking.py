"""R14: a link or unlink reaches the other case as an update (workflows/linking.py), sent from an
activity because a workflow cannot send another an update. Referred to by name only; never
imported into a workflow."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from workflows.linking import LinkMessage


class LinkActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="tell_linked_case")
    async def tell_linked_case(self, message: LinkMessage) -> bool:
        """The update, once (its id: a retried activity attaches to the same); False when the other
        case has ended. Its validator's refusal is final."""
        return (
            await update_case(self.client, message.to, message.update, message.notice, message.update_id) is not ENDED
        )

    def activities(self) -> list:
        return [self.tell_linked_case]


ENDED = object()  # what `update_case` answers for a case whose workflow has ended


async def update_case(
    client: Client, reference: str, update: str, arg: Any, update_id: str, result_type: Any = None
) -> Any:
    """Run `update` on case `reference` (once: a retry with the same id attaches to it) and give its
    answer, or ENDED when the case's workflow has ended. Its validator's refusal is final: raised as
    a non-retryable ApplicationError with the case's reason."""
    handle = client.get_workflow_handle(f"complaint-{reference}")
    try:
        return await handle.execute_update(update, arg, id=update_id, result_type=result_type)
    except WorkflowUpdateFailedError as err:
        why = getattr(err.cause, "message", None) or str(err.cause)
        raise ApplicationError(why, type="Refused", non_retryable=True) from None
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise
        return ENDED
