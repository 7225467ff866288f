"""R14's activities between a lead case and its followers (workflows/lead.py). Referred to by name
only; never imported into a workflow.

`join_lead` runs for a follower: it sends the lead the small `follower_joined` update, so that the
lead's history holds one update per follower and no command of its own (a signal or activity per
link, and the register sync after it, made a lead of 1,000 too long to replay within a workflow
task: docs/performance.md). `tell_followers` runs for the lead: it tells every follower, so that
the lead's history holds one activity per step however many follow it. A retried activity sends
again; the lead takes a follower once (the update's id), each follower a step once (its update id)."""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.linking import ENDED, update_case
from conduct.lead_notices import FollowerJob, JoinNotice, LeadStanding

IN_FLIGHT = 32  # followers taking a step side by side: well under the worker's cache of cases
HEARTBEAT_S = 2.0  # the workflow's heartbeat timeout is 10 s (workflows/post.py ALIVE)


class LeadActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="join_lead")
    async def join_lead(self, notice: JoinNotice) -> LeadStanding:
        """Ask the lead to count this follower in; its answer is where the lead stands. A refusal
        (the lead closed, follows another, or another member's) is final, with the lead's reason."""
        lead = notice.link.other_reference
        signed = notice.link.attestation
        update_id = f"join-{notice.reference}-{signed.update_id if signed else activity.info().workflow_run_id}"
        standing = await update_case(self.client, lead, "follower_joined", notice, update_id, LeadStanding)
        if standing is ENDED:
            raise ApplicationError(f"{lead} is closed", type="Refused", non_retryable=True)
        return standing

    @activity.defn(name="tell_followers")
    async def tell_followers(self, job: FollowerJob) -> list[str]:
        """Tell every follower (the `lead_step` update), IN_FLIGHT at a time, each done before the
        next is told: however many follow, only a few are in the worker's cache at once. Returns
        those not told: closed, or no longer following it."""
        gate = asyncio.Semaphore(IN_FLIGHT)
        missed: list[str] = []

        info = activity.info()
        step = str((job.notice.payload.get("attestation") or {}).get("update_id", ""))
        update_id = f"lead-step-{job.notice.reference}-{step or f'{info.workflow_run_id}-{info.activity_id}'}"

        async def one(reference: str) -> None:
            async with gate:
                try:
                    answer = await update_case(self.client, reference, "lead_step", job.notice, update_id)
                except ApplicationError:  # refused: it no longer follows this lead (unlinked meanwhile)
                    answer = ENDED
                if answer is ENDED:  # or completed (its complainant withdrew): nothing to tell
                    missed.append(reference)

        async def alive() -> None:
            """Heartbeat while followers take the step: a few slow ones (replayed under load) are
            not a dead worker, and the step is not sent again for them."""
            while True:
                activity.heartbeat()
                await asyncio.sleep(HEARTBEAT_S)

        beating = asyncio.create_task(alive())
        try:
            await asyncio.gather(*(one(r) for r in job.followers))
        finally:
            beating.cancel()
        return sorted(missed)

    def activities(self) -> list:
        return [self.join_lead, self.tell_followers]
