"""The list of complaints through Temporal visibility, filtered by the custom search attributes
the workflow keeps up to date (conduct/search.py): for operators (`conduct cases` reads the case
register, starter/caseload.py, and shares `CaseLine` from here). Nothing is queried case by
case, so the list stays quick with thousands of cases.

Quick to start as well: the listing needs only Temporal's service client (search attributes
are never encrypted, so no data converter), and each line decodes only the attributes it shows.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import ListWorkflowExecutionsRequest
from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

from conduct import search
from starter.output import Exit, esc, fail, out

if TYPE_CHECKING:
    from collections.abc import Mapping

    from temporalio.api.common.v1 import Payload
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo
    from temporalio.service import ServiceClient

    from conduct.roster import Roster
    from conduct.vocabulary import Stage

WORKFLOW_TYPE = "Complaint"
PAGE_SIZE = 1000  # executions per ListWorkflowExecutions call, as temporalio's Client.list_workflows asks
# conduct.calendar.LONDON: that module is not imported for it, its bank holiday tables take longer than the listing
LONDON = ZoneInfo("Europe/London")


class CaseLine(BaseModel):
    reference: str
    council: str | None
    stage: str | None
    subject_members: list[str]
    groups: list[str]
    next_deadline: date | None
    days_left: int | None
    overdue: bool
    status: str
    late: str = Field(default="", description="R9: a hearing fixed after its due date, e.g. 'hearing 2030-04-10'")


Which = Literal["open", "closed", "all"]
# Running: the workflow of a case ends when the case closes (its last letters sent).
_WHICH_CLAUSE = {"open": "ExecutionStatus = 'Running'", "closed": "ExecutionStatus != 'Running'", "all": None}


def which_cases(closed: bool, all_: bool, stage_given: bool) -> Which:
    """Open cases unless --closed or --all; --stage alone lists every case at that stage."""
    if closed and all_:
        fail(Exit.USAGE, "give --closed or --all, not both (without either: the open cases)")
    if all_:
        return "all"
    if closed:
        return "closed"
    return "all" if stage_given else "open"


def known_council(roster: Roster | None, council: str) -> None:
    """A usage error naming the councils when --council is none of the roster's (a typo would
    otherwise list nothing, as if the council had no cases)."""
    ids = [c.id for c in roster.councils] if roster else []
    if council not in ids:
        fail(Exit.USAGE, f"no such council: {council} (councils: {', '.join(ids) or 'none on the roster'})")


def plain_value(value: str, flag: str) -> None:
    """A filter value typed on the command line: no control characters (the register compares
    values as they are, so quotes and backslashes need nothing)."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        fail(Exit.USAGE, f"{flag}: the value contains a control character")


def _list_value(value: str, flag: str) -> str:
    """A value for a keyword-list attribute (members, groups): Temporal's SQLite visibility (the
    dev server's) matches those with SQLite full-text search, whose query syntax a double quote
    breaks (the listing then fails, retried, for seconds)."""
    if '"' in value:
        fail(Exit.USAGE, f'{flag}: a value cannot contain a double quote (")')
    return _quoted(value, flag)


def _quoted(value: str, flag: str) -> str:
    """A visibility-query string literal holding `value` whatever it contains: each backslash and
    single quote escaped with a backslash, as the query language reads them; control characters
    refused. A value typed on the command line can never end the literal and add a clause."""
    plain_value(value, flag)
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def visibility_query(
    stage: Stage | None = None,
    council: str | None = None,
    member: str | None = None,
    group: str | None = None,
    overdue: bool = False,
    which: Which = "all",
) -> str:
    clauses = [f"WorkflowType = '{WORKFLOW_TYPE}'"]
    if _WHICH_CLAUSE[which]:
        clauses.append(str(_WHICH_CLAUSE[which]))
    if stage is not None:
        clauses.append(f"{search.STAGE.name} = '{stage.value}'")
    if council:
        clauses.append(f"{search.COUNCIL.name} = {_quoted(council, '--council')}")
    if member:
        clauses.append(f"{search.SUBJECT_MEMBERS.name} = {_list_value(member, '--member')}")
    if group:
        clauses.append(f"{search.GROUPS.name} = {_list_value(group, '--group')}")
    if overdue:
        clauses.append(f"{search.OVERDUE.name} = true")
    return " AND ".join(clauses)


def london_date(dt: datetime) -> date:
    """conduct.calendar.london_date: the day in London of an aware datetime."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return dt.astimezone(LONDON).date()


def due_date(lapses_at: datetime) -> date:
    """The search attribute holds the lapse instant (start of the next London day); the due date
    is the day before it."""
    return london_date(lapses_at) - timedelta(days=1)


# The "type" metadata visibility gives each value: the attribute type's name, or its enum name.
_TYPE_METADATA = {
    SearchAttributeIndexedValueType.KEYWORD: (b"Keyword", b"INDEXED_VALUE_TYPE_KEYWORD"),
    SearchAttributeIndexedValueType.KEYWORD_LIST: (b"KeywordList", b"INDEXED_VALUE_TYPE_KEYWORD_LIST"),
    SearchAttributeIndexedValueType.DATETIME: (b"Datetime", b"INDEXED_VALUE_TYPE_DATETIME"),
    SearchAttributeIndexedValueType.BOOL: (b"Bool", b"INDEXED_VALUE_TYPE_BOOL"),
}


@cache
def _rule(key: SearchAttributeKey[Any]) -> tuple[str, tuple[bytes, bytes], SearchAttributeIndexedValueType, type]:
    return key.name, _TYPE_METADATA[key.indexed_value_type], key.indexed_value_type, key.origin_value_type


def attribute(fields: Mapping[str, Payload], key: SearchAttributeKey[Any]) -> Any:
    """The value of search attribute `key`, or None: what temporalio's
    `decode_typed_search_attributes(...).get(key)` gives, rule for rule, for this one key.
    Decoding every attribute of every execution the SDK's way (Client.list_workflows does it
    twice, typed and untyped) was most of the listing's own time with a thousand cases."""
    name, types, kind, origin = _rule(key)
    payload = fields.get(name)
    if payload is None or payload.metadata.get("type") not in types:
        return None
    if payload.metadata.get("encoding") == b"json/plain":
        value: Any = json.loads(payload.data)
    else:  # never seen from visibility; the SDK's own converter says what it is
        from temporalio.converter import default

        value = default().payload_converter.from_payload(payload)
    if kind is not SearchAttributeIndexedValueType.KEYWORD_LIST and isinstance(value, list):
        if len(value) != 1:
            return None
        value = value[0]
    if kind is SearchAttributeIndexedValueType.DATETIME:
        value = datetime.fromisoformat(value)
    return value if isinstance(value, origin) else None


def execution_status(info: WorkflowExecutionInfo) -> str:
    """`running`, `completed`, ...: the status's name as temporalio's WorkflowExecutionStatus spells it."""
    if not info.status:
        return "unknown"
    return WorkflowExecutionStatus.Name(info.status).removeprefix("WORKFLOW_EXECUTION_STATUS_").lower()


def case_line(info: WorkflowExecutionInfo, today: date) -> CaseLine:
    fields = info.search_attributes.indexed_fields
    lapses_at = attribute(fields, search.NEXT_DEADLINE)
    due = due_date(lapses_at) if lapses_at else None
    return CaseLine(
        reference=attribute(fields, search.REFERENCE) or info.execution.workflow_id.removeprefix("complaint-"),
        council=attribute(fields, search.COUNCIL),
        stage=attribute(fields, search.STAGE),
        subject_members=list(attribute(fields, search.SUBJECT_MEMBERS) or []),
        groups=list(attribute(fields, search.GROUPS) or []),
        next_deadline=due,
        days_left=(due - today).days if due else None,
        overdue=bool(attribute(fields, search.OVERDUE)),
        status=execution_status(info),
    )


async def list_cases(service: ServiceClient, namespace: str, query: str, today: date | None = None) -> list[CaseLine]:
    """Cases matching `query`, soonest deadline first, then by reference. Read page by page the
    way Client.list_workflows reads them (same request, retried the same way)."""
    today = today or london_date(datetime.now(UTC))
    lines: list[CaseLine] = []
    token = b""
    while True:
        page = await service.workflow_service.list_workflow_executions(
            ListWorkflowExecutionsRequest(namespace=namespace, page_size=PAGE_SIZE, next_page_token=token, query=query),
            retry=True,
        )
        lines += [case_line(info, today) for info in page.executions]
        token = page.next_page_token
        if not token:
            break
    return sorted(lines, key=lambda c: (c.next_deadline is None, c.next_deadline or date.max, c.reference))


def cases_json(lines: list[CaseLine]) -> list[dict[str, Any]]:
    return [line.model_dump(mode="json") for line in lines]


def render_cases(lines: list[CaseLine]) -> None:
    from rich.table import Table

    console = out()
    if not lines:
        console.print("no cases match")
        return
    table = Table(title=f"{len(lines)} case{'s' if len(lines) != 1 else ''}", title_justify="left")
    for column in ("reference", "council", "stage", "subject", "group", "next deadline", "days left"):
        table.add_column(column, justify="right" if column == "days left" else "left")
    for c in lines:
        left = "" if c.days_left is None else str(c.days_left)
        if c.overdue:
            left = f"[bold red]{esc(left)} overdue[/bold red]"
        elif c.late:  # R9: the hearing is fixed after the clock's due date: it will be late
            left = f"[bold red]{esc(left)} late: {esc(c.late)}[/bold red]"
        elif c.days_left is not None and c.days_left <= 5:
            left = f"[yellow]{esc(left)}[/yellow]"
        table.add_row(
            esc(c.reference),
            esc(c.council or ""),
            esc(c.stage or ""),
            esc(", ".join(c.subject_members)),
            esc(", ".join(c.groups)),
            esc(c.next_deadline or "—"),
            left,
        )
    console.print(table)
