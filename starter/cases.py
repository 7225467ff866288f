"""`conduct cases`: the list of complaints through Temporal visibility, filtered by the custom
search attributes the workflow keeps up to date (conduct/search.py). Nothing is queried case by
case, so the list stays quick with thousands of cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from rich.table import Table
from temporalio.client import Client, WorkflowExecution

from conduct import search
from conduct.calendar import london_date
from conduct.vocabulary import Stage
from starter.output import Exit, esc, fail, out

WORKFLOW_TYPE = "Complaint"


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


def _quoted(value: str, flag: str) -> str:
    """A visibility-query string literal; a value with both kinds of quote cannot be one."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    fail(Exit.USAGE, f"{flag}: a value cannot contain both ' and \"")


def visibility_query(
    stage: Stage | None = None,
    council: str | None = None,
    member: str | None = None,
    group: str | None = None,
    overdue: bool = False,
) -> str:
    clauses = [f"WorkflowType = '{WORKFLOW_TYPE}'"]
    if stage is not None:
        clauses.append(f"{search.STAGE.name} = '{stage.value}'")
    if council:
        clauses.append(f"{search.COUNCIL.name} = {_quoted(council, '--council')}")
    if member:
        clauses.append(f"{search.SUBJECT_MEMBERS.name} = {_quoted(member, '--member')}")
    if group:
        clauses.append(f"{search.GROUPS.name} = {_quoted(group, '--group')}")
    if overdue:
        clauses.append(f"{search.OVERDUE.name} = true")
    return " AND ".join(clauses)


def due_date(lapses_at: datetime) -> date:
    """The search attribute holds the lapse instant (start of the next London day); the due date
    is the day before it."""
    return london_date(lapses_at) - timedelta(days=1)


def case_line(wf: WorkflowExecution, today: date) -> CaseLine:
    attrs = wf.typed_search_attributes
    lapses_at = attrs.get(search.NEXT_DEADLINE)
    due = due_date(lapses_at) if lapses_at else None
    status = wf.status.name.lower() if wf.status else "unknown"
    return CaseLine(
        reference=attrs.get(search.REFERENCE) or wf.id.removeprefix("complaint-"),
        council=attrs.get(search.COUNCIL),
        stage=attrs.get(search.STAGE),
        subject_members=list(attrs.get(search.SUBJECT_MEMBERS) or []),
        groups=list(attrs.get(search.GROUPS) or []),
        next_deadline=due,
        days_left=(due - today).days if due else None,
        overdue=bool(attrs.get(search.OVERDUE)),
        status=status,
    )


async def list_cases(client: Client, query: str, today: date | None = None) -> list[CaseLine]:
    """Cases matching `query`, soonest deadline first, then by reference."""
    today = today or london_date(datetime.now(UTC))
    lines = [case_line(wf, today) async for wf in client.list_workflows(query)]
    return sorted(lines, key=lambda c: (c.next_deadline is None, c.next_deadline or date.max, c.reference))


def cases_json(lines: list[CaseLine]) -> list[dict[str, Any]]:
    return [line.model_dump(mode="json") for line in lines]


def render_cases(lines: list[CaseLine]) -> None:
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
