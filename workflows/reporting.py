"""The periodic reports: the Standards Committee's timeliness review and the Group Leaders'
statistics, rendered from the case register and e-mailed (HTML + CSV attachment) to the committee
chair(s), the Monitoring Officer(s) and each Group Leader (their own group only).

Deterministic: the period comes from the input or from `workflow.now()` (London date); the
roster, the register and the mail are touched only in activities ("report_recipients",
"send_report", see activities/reports.py). Run by the Temporal Schedule of starter/schedules.py
each quarter (1 Apr, 1 Jul, 1 Oct) and at year end (1 Jan: the fourth quarter and the year).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from conduct.calendar import london_date
    from conduct.report_models import (
        RecipientsRequest,
        ReportReceipt,
        ReportRecipient,
        ReportRequest,
        ReportRun,
        SendReport,
        periods_before,
    )

RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=10))
TIMEOUT = timedelta(minutes=2)


@workflow.defn(name="ConductReports")
class ReportingWorkflow:
    @workflow.run
    async def run(self, request: ReportRequest) -> ReportRun:
        today = london_date(workflow.now())
        periods = [request.period] if request.period else periods_before(today)
        recipients: list[ReportRecipient] = await workflow.execute_activity(
            "report_recipients",
            RecipientsRequest(council=request.council),
            result_type=list[ReportRecipient],
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        sends = [
            workflow.execute_activity(
                "send_report",
                SendReport(period=period, recipient=recipient, council=request.council, as_of=today),
                result_type=ReportReceipt,
                start_to_close_timeout=TIMEOUT,
                retry_policy=RETRY,
                summary=f"{period.label} report to {recipient.role.value} {recipient.id}",
            )
            for period in periods
            for recipient in recipients
        ]
        receipts = list(await asyncio.gather(*sends))
        return ReportRun(periods=[p.label for p in periods], receipts=receipts)
