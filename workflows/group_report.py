"""GroupReport: one political group's yearly report "Promoting Compliance With the Code of
Conduct" (seed 001), from the figures to the leader's submission.

In order: the group's figures are computed from the register (activity); the Group Leader is
sent a personal, signed, expiring link to the report's page; reminders go at the configured
instants until the report is returned; if nothing is submitted by the due date the Monitoring
Officer is told; the link works until the end of the grace period, after which the report is
closed as not returned. Every draft the leader saves and the submission are updates, so each is
in this workflow's history with its text; the register keeps a mirror for status and compile.

Deterministic: no I/O here, time only from workflow.now(); the instants come in the input.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from conduct.group_report import (
        FiguresRequest,
        GroupFigures,
        GroupReportStart,
        GroupReportState,
        LeaderMail,
        Notice,
        OverdueMail,
        ReportStatus,
        SavedDraft,
        SaveReport,
        SaveResult,
    )

RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=10))
TIMEOUT = timedelta(minutes=2)
MAX_SAVES = 200  # every save stays in history: a link cannot be used to grow it without bound


@workflow.defn(name="GroupReport")
class GroupReportWorkflow:
    @workflow.init
    def __init__(self, start: GroupReportStart) -> None:
        self.state = GroupReportState(workflow_id=workflow.info().workflow_id, start=start)
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: GroupReportStart) -> GroupReportState:
        figures = await workflow.execute_activity(
            "group_report_figures",
            FiguresRequest(
                council=start.council, group=start.group, period_from=start.period_from, period_to=start.period_to
            ),
            result_type=GroupFigures,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
            summary=f"figures of {start.group}",
        )
        async with self._lock:
            self.state.figures = figures
        await self._mail(
            LeaderMail(workflow_id=self.state.workflow_id, start=start, figures=figures, notice=Notice.INVITE)
        )
        async with self._lock:
            self.state.invited_at = workflow.now()
            await self._record()

        reminders = sorted(r for r in start.reminders_at if workflow.now() < r < start.due_at)
        for number, when in enumerate(reminders, start=1):
            if await self._returned_by(when, f"reminder {number}"):
                break
            await self._mail(
                LeaderMail(
                    workflow_id=self.state.workflow_id,
                    start=start,
                    figures=figures,
                    notice=Notice.REMINDER,
                    number=number,
                )
            )
            async with self._lock:
                self.state.reminders_sent.append(workflow.now())
                await self._record()

        if not await self._returned_by(start.due_at, "due date"):
            await workflow.execute_activity(
                "group_report_overdue",
                OverdueMail(
                    workflow_id=self.state.workflow_id,
                    start=start,
                    figures=figures,
                    drafting=self.state.status is ReportStatus.DRAFTING,
                ),
                start_to_close_timeout=TIMEOUT,
                retry_policy=RETRY,
                summary="tell the Monitoring Officer: not returned by the due date",
            )
            async with self._lock:
                self.state.mo_told_at = workflow.now()
                await self._record()

        if not await self._returned_by(start.expires_at, "link expires"):
            async with self._lock:
                if self.state.status is not ReportStatus.SUBMITTED:
                    self.state.status = ReportStatus.NOT_RETURNED
                    self.state.closed_at = workflow.now()
                    await self._record()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    async def _returned_by(self, when: datetime, what: str) -> bool:
        """Wait until `when` or the submission, whichever comes first; True when submitted."""
        delay = when - workflow.now()
        if delay > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(self._submitted, timeout=delay, timeout_summary=what)
        return self._submitted()

    def _submitted(self) -> bool:
        return self.state.status is ReportStatus.SUBMITTED

    async def _mail(self, mail: LeaderMail) -> None:
        await workflow.execute_activity(
            "group_report_mail_leader",
            mail,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
            summary=f"{mail.notice.value} {mail.number or ''}".strip(),
        )

    async def _record(self) -> None:
        """Mirror the state to the register (call holding the lock: revisions stay in order)."""
        self.state.revision += 1
        await workflow.execute_activity(
            "group_report_record",
            self.state,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
            summary="register",
        )

    # ------------------------------------------------------------------ the leader's page

    @workflow.update
    async def save(self, request: SaveReport) -> SaveResult:
        async with self._lock:
            now = workflow.now()
            self.state.narrative = request.narrative
            self.state.drafts.append(SavedDraft(at=now, narrative=request.narrative))
            if request.submit:
                self.state.status = ReportStatus.SUBMITTED
                self.state.submitted_at = now
            elif self.state.status is ReportStatus.INVITED:
                self.state.status = ReportStatus.DRAFTING
            await self._record()
            return SaveResult(status=self.state.status, saved_at=now, drafts=len(self.state.drafts))

    @save.validator
    def _may_save(self, request: SaveReport) -> None:
        if self.state.figures is None:
            raise ValueError("the report is not ready yet: try again in a minute")
        if self.state.status is ReportStatus.SUBMITTED:
            raise ValueError("this report has already been submitted")
        if self.state.status is ReportStatus.NOT_RETURNED or workflow.now() >= self.state.start.expires_at:
            raise ValueError("this link has expired: ask the Monitoring Officer for help")
        if len(self.state.drafts) >= MAX_SAVES:
            raise ValueError("this report has been saved too many times: ask the Monitoring Officer for help")
        if request.submit and request.narrative.empty_headings():
            raise ValueError("write something under every heading before you submit")

    @workflow.query
    def status(self) -> GroupReportState:
        return self.state
