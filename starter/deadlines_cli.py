"""`conduct deadlines --from DAY`: when each clock would fall due if its starting event happened
on DAY. The same pure code as the workflow's deadline activity (conduct.calendar.compute_deadline),
the same ProcedureSettings, and the council closure days of CONDUCT_CLOSURES."""

from __future__ import annotations

from datetime import date, datetime, time

from rich.table import Table

from conduct.calendar import LONDON, compute_deadline
from conduct.deadline import Deadline, DeadlineRequest
from conduct.procedure import ProcedureSettings
from conduct.vocabulary import ClockName, Nation
from starter.output import esc, out


def deadlines_from(
    start: date, nation: Nation, closures: list[date], procedure: ProcedureSettings | None = None
) -> dict[ClockName, Deadline]:
    procedure = procedure or ProcedureSettings()
    started_at = datetime.combine(start, time(12), tzinfo=LONDON)  # day 0 is `start` in London
    return {
        name: compute_deadline(
            DeadlineRequest(
                clock=name,
                started_at=started_at,
                amount=rule.amount,
                unit=rule.unit,
                nation=nation,
                reminder_working_days=procedure.reminder_working_days,
            ),
            closures,
        )
        for name, rule in procedure.clocks.items()
    }


def last_working_day(day: date, nation: Nation, closures: list[date]) -> date:
    """`day`, or the working day before it when it is a weekend, bank holiday or closure day."""
    from datetime import timedelta

    from conduct.calendar import WorkingCalendar

    calendar = WorkingCalendar(nation, closures)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def deadlines_json(deadlines: dict[ClockName, Deadline]) -> dict[str, str]:
    return {name.value: d.due.isoformat() for name, d in deadlines.items()}


def render_deadlines(start: date, nation: Nation, deadlines: dict[ClockName, Deadline]) -> None:
    procedure = ProcedureSettings()
    table = Table(
        title=f"If the starting event happened on {start.isoformat()} ({nation.value.replace('_', ' ').title()})",
        title_justify="left",
    )
    for column in ("clock", "length", "starts on", "due", "reminder"):
        table.add_column(column)
    for name, d in deadlines.items():
        rule = procedure.clocks[name]
        table.add_row(
            esc(name.value),
            esc(f"{d.rule} ({rule.rule})"),
            esc(rule.starts_on),
            f"[bold]{esc(d.due.strftime('%a %d %b %Y'))}[/bold]",
            esc(d.remind_on.isoformat() if d.remind_on else "—"),
        )
    console = out()
    console.print(table)
    if deadlines:
        first = next(iter(deadlines.values()))
        if first.closures:
            console.print(f"council closure days counted: {esc(', '.join(c.isoformat() for c in first.closures))}")
