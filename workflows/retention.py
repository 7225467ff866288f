"""The monthly retention run: for each closed case past its council's retention period, its
personal data is removed (data key shredded, uploads and stored letters deleted, register rows
made anonymous statistics, one line in the retention log); each published notice past its own
period is taken off the public pages.

Deterministic: the day comes from the input or `workflow.now()` (London date); the register, the
files and the keys are touched only in activities ("due_for_retention", "shred_case",
"remove_notice", see activities/retention.py). Started by the Temporal Schedule of
starter/schedules.py on the 1st of each month. Cases one after the other: each is its own
activity, retried on its own, and a failure leaves the others done.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from conduct.calendar import london_date
    from conduct.retention import (
        DueForRetention,
        RemoveNotice,
        RetentionRequest,
        RetentionRun,
        ShredCase,
        ShredReceipt,
    )

RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=10))
TIMEOUT = timedelta(minutes=5)


@workflow.defn(name="Retention")
class RetentionWorkflow:
    @workflow.run
    async def run(self, request: RetentionRequest) -> RetentionRun:
        on = request.on or london_date(workflow.now())
        due: DueForRetention = await workflow.execute_activity(
            "due_for_retention",
            RetentionRequest(on=on),
            result_type=DueForRetention,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        run = RetentionRun(on=on, still_running=due.still_running, more=due.more)
        if request.dry_run:
            return run
        for case in due.cases:
            receipt: ShredReceipt = await workflow.execute_activity(
                "shred_case",
                ShredCase(case=case, on=on),
                result_type=ShredReceipt,
                start_to_close_timeout=TIMEOUT,
                retry_policy=RETRY,
                summary=f"retention: {case.reference}",
            )
            run.cases.append(receipt)
        for notice in due.notices:
            await workflow.execute_activity(
                "remove_notice",
                RemoveNotice(notice=notice, on=on),
                result_type=bool,
                start_to_close_timeout=TIMEOUT,
                retry_policy=RETRY,
                summary=f"retention: notice {notice.reference}",
            )
            run.notices.append(notice.reference)
        return run
