"""R14: a lead case tells its followers of a step (workflows/lead.py). One activity signals every
follower, so that the lead's history holds one activity per step however many follow it (a signal
command each would add some five events per follower and step: a thousand followers through a
hearing would approach Temporal's history limit). A retried activity signals again; each follower
applies a step once (its update id). Referred to by name only; never imported into a workflow."""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from conduct.lead_notices import FollowerJob

IN_FLIGHT = 50  # signals sent side by side


class LeadActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="tell_followers")
    async def tell_followers(self, job: FollowerJob) -> list[str]:
        """Signal `lead_moved` to every follower; returns those that have closed (not told)."""
        gate = asyncio.Semaphore(IN_FLIGHT)
        missed: list[str] = []

        async def one(reference: str) -> None:
            async with gate:
                try:
                    await self.client.get_workflow_handle(f"complaint-{reference}").signal("lead_moved", job.notice)
                except RPCError as err:
                    if err.status is not RPCStatusCode.NOT_FOUND:
                        raise
                    missed.append(reference)  # completed (its complainant withdrew): nothing to tell
                activity.heartbeat()

        await asyncio.gather(*(one(r) for r in job.followers))
        return sorted(missed)

    def activities(self) -> list:
        return [self.tell_followers]
