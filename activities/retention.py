"""Activities of the retention workflow (workflows/retention.py), by name: "due_for_retention",
"shred_case", "remove_notice". Each step is repeatable: a retried activity finds what the first
attempt did and does the rest.

The retention log (DATA_DIR/retention.log, 0600, one JSON line per case or notice) holds
references, council ids, dates, rules and counts: never a name, an address or any text of a case.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.notifications import LetterActivities
from conduct import case_files, retention_register
from conduct.case_keys import store_for
from conduct.private_files import open_private_append
from conduct.retention import (
    MAX_CASES_PER_RUN,
    DueCase,
    DueForRetention,
    RemoveNotice,
    RetentionRequest,
    ShredCase,
    ShredReceipt,
)
from conduct.roster_store import current_roster
from conduct.settings import Settings
from starter.client import workflow_id


def upload_dir(settings: Settings) -> Path:
    """Where the web app keeps evidence files (CONDUCT_UPLOAD_DIR, default DATA_DIR/uploads)."""
    return Path(os.environ.get("CONDUCT_UPLOAD_DIR") or settings.data_dir / "uploads")


def log_path(settings: Settings) -> Path:
    return settings.data_dir / "retention.log"


def write_log(settings: Settings, line: dict[str, Any]) -> None:
    fd = open_private_append(log_path(settings))
    try:
        os.write(fd, (json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), **line}) + "\n").encode())
    finally:
        os.close(fd)


def find_due(letters: LetterActivities, request: RetentionRequest) -> DueForRetention:
    """What a run on `request.on` would remove (no workflow status checked: see `due_for_retention`)."""
    assert request.on is not None
    roster = current_roster(letters.engine)
    cases = retention_register.due_cases(letters.engine, roster, request.on)
    notices = retention_register.due_notices(letters.engine, roster, request.on)
    return DueForRetention(on=request.on, cases=cases, notices=notices)


class RetentionActivities:
    def __init__(self, letters: LetterActivities) -> None:
        self.letters = letters
        self.settings = letters.settings

    async def _run(self, work: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.letters.executor, work, *args)

    async def _running(self, cases: list[DueCase]) -> set[str]:
        """Cases whose workflow still runs (closed in the register, not finished): left for later,
        since shredding their key would leave a running workflow unable to read its own history."""
        client = activity.client()
        running = set()
        for case in cases:
            # The raw description: its status is all we need, and the search attributes that
            # `describe()` decodes are not (an unset Datetime attribute fails to decode on some servers).
            request = DescribeWorkflowExecutionRequest(
                namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id(case.reference))
            )
            try:
                described = await client.workflow_service.describe_workflow_execution(request)
            except RPCError as error:
                if error.status is RPCStatusCode.NOT_FOUND:
                    continue  # its history is gone from Temporal already (namespace retention)
                raise
            if described.workflow_execution_info.status == WorkflowExecutionStatus.RUNNING.value:
                running.add(case.reference)
        return running

    @activity.defn(name="due_for_retention")
    async def due_for_retention(self, request: RetentionRequest) -> DueForRetention:
        due: DueForRetention = await self._run(find_due, self.letters, request)
        running = await self._running(due.cases)
        ready = [c for c in due.cases if c.reference not in running]
        return DueForRetention(
            on=due.on,
            cases=ready[:MAX_CASES_PER_RUN],
            notices=due.notices,
            still_running=sorted(running),
            more=max(0, len(ready) - MAX_CASES_PER_RUN),
        )

    def _shred(self, request: ShredCase) -> ShredReceipt:
        case, settings = request.case, self.settings
        uploads = case_files.delete_uploads(upload_dir(settings), case.reference)
        letters = case_files.delete_letters(settings.resolved_outbox_dir, case.reference)
        record = retention_register.record_of(self.letters.engine, case.reference)
        if record is not None:  # a retry: keep the first attempt's counts
            uploads, letters = uploads + record.uploads_deleted, letters + record.letters_deleted
        rows = retention_register.anonymise(self.letters.engine, case, request.on, uploads, letters)
        store = store_for(settings.resolved_database_url, settings.resolved_encryption_keys)
        shredded = store.shred(case.reference, request.on) if store is not None else False
        write_log(
            settings,
            {
                "event": "case personal data removed",
                "reference": case.reference,
                "council": case.council,
                "closed_on": case.closed_on.isoformat(),
                "retention_years": case.retention_years,
                "removed_on": request.on.isoformat(),
                "data_key": "shredded" if store is not None else "none (no encryption keys configured)",
                "uploads_deleted": uploads,
                "letters_deleted": letters,
                "register_rows_anonymised": rows,
            },
        )
        return ShredReceipt(
            reference=case.reference,
            on=request.on,
            key_shredded=shredded,
            uploads_deleted=uploads,
            letters_deleted=letters,
            rows_anonymised=rows,
        )

    @activity.defn(name="shred_case")
    async def shred_case(self, request: ShredCase) -> ShredReceipt:
        return await self._run(self._shred, request)

    def _remove(self, request: RemoveNotice) -> bool:
        removed = retention_register.remove_notice(self.letters.engine, request.notice.reference)
        if removed:
            notice = request.notice
            write_log(
                self.settings,
                {
                    "event": "published notice removed",
                    "reference": notice.reference,
                    "council": notice.council,
                    "published_on": notice.published_on.isoformat(),
                    "retention_years": notice.retention_years,
                    "removed_on": request.on.isoformat(),
                },
            )
        return removed

    @activity.defn(name="remove_notice")
    async def remove_notice(self, request: RemoveNotice) -> bool:
        return await self._run(self._remove, request)

    def activities(self) -> list:
        return [self.due_for_retention, self.shred_case, self.remove_notice]
