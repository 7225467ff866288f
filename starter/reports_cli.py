"""Reports from the case register (what the workflows recorded): `conduct review`,
`conduct report groups|patterns`, `conduct export decisions` and `conduct schedules apply`.
The figures are computed in conduct/reports.py; this module reads the register and prints."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from starter import cli_values, output
from starter.actions_cli import AsOfficer
from starter.output import esc, handled

if TYPE_CHECKING:  # the register, the reports and Temporal are imported by the command that runs
    from conduct import reports

report_app = typer.Typer(help="Yearly statistics and patterns for the Standards Committee and Group Leaders.")
export_app = typer.Typer(help="Export published records.")
schedules_app = typer.Typer(help="The Temporal Schedule that sends the periodic reports.")

Json = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]
Council = Annotated[str | None, typer.Option(help="only this council's cases (council id)", show_default=False)]
Day = datetime | None


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _cases(from_: date | None, to: date | None, council: str | None) -> list[reports.CaseRecord]:
    from sqlalchemy.orm import Session

    from conduct import reports
    from conduct.settings import get_settings
    from starter import roster_io

    with roster_io.register(get_settings()) as engine, Session(engine) as s:
        return reports.load_cases(s, from_, to, council)


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- review


@handled
def review(
    from_: Annotated[Day, cli_values.day_option("--from", "received on or after, YYYY-MM-DD")] = None,
    to: Annotated[Day, cli_values.day_option("--to", "received on or before, YYYY-MM-DD")] = None,
    council: Council = None,
    as_of: Annotated[
        Day, cli_values.day_option("--as-of", "count overdue days to (today); a later day projects pending clocks")
    ] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """How well complaints were handled: for every clock of the cases received in the period, met,
    met late (days late = met on - due), lapsed and still open (days overdue); median and worst
    days per stage (clock started -> met); cases closed per outcome. With a later --as-of, a
    pending clock due before it counts as lapsed: what will go overdue unless met first."""
    from rich.table import Table

    from conduct import reports
    from conduct.calendar import london_date
    from conduct.settings import get_settings
    from starter import access_cli, officer, review_lines

    start, end = _day(from_), _day(to)
    cli_values.period(start, end)
    settings = get_settings()
    access_cli.may_run(settings, officer.identify(settings, as_officer), "review")
    today = _day(as_of) or london_date(datetime.now(UTC))
    result = reports.review(_cases(start, end, council), today, start, end, council)
    if json_:
        output.emit_json(result.model_dump(mode="json"))
        return
    console = output.out()
    console.print(
        f"{result.cases} case(s) received {start or 'ever'} to {end or 'now'}"
        f"{' in ' + esc(council) if council else ''}; {result.open_cases} open; overdue days as of {today}"
    )
    table = Table(title="Clocks", title_justify="left")
    for column in ("clock", "total", "met", "met late", "days late", "lapsed", "days overdue", "pending", "stopped"):
        table.add_column(column)
    table.add_column("median days")
    table.add_column("worst days")
    for s in [*result.clocks, result.totals]:
        name = "all clocks" if s is result.totals else s.clock.value
        worst = f"{s.worst_days} ({s.worst_reference})" if s.worst_days is not None and s is not result.totals else ""
        median = "" if s.median_days is None or s is result.totals else f"{s.median_days:g}"
        table.add_row(
            name,
            *(str(n) for n in (s.total, s.met, s.met_late)),
            ", ".join(map(str, s.late_days)),
            str(s.lapsed),
            ", ".join(map(str, s.overdue_days)),
            str(s.pending),
            str(s.stopped),
            median,
            worst,
        )
    console.print(table)
    _delays(result.lines)
    review_lines.print_lapses_and_extensions(result.lines)
    projected = [line for line in result.lines if line.projected]
    if projected:
        console.print(f"Pending now, lapsed by {today} unless met first ({len(projected)}):")
        for line in projected:
            console.print(f"  {esc(line.reference)} {line.clock.value} due {line.due} ({line.days_late} days by then)")
    closed = "; ".join(f"{o.replace('_', ' ')} {n}" for o, n in result.closed.items()) or "none"
    console.print(f"Cases closed: {closed}")


def _delays(lines: list[Any]) -> None:
    """Each clock that lapsed (still lapsed, or met late) with the reason for its delay, if recorded."""
    late = [line for line in lines if line.state.value in ("lapsed", "met_late") and not line.projected]
    if not late:
        return
    console = output.out()
    console.print(f"Lapsed or met late ({len(late)}), with the reason for the delay:")
    for line in late:
        state = "lapsed" if line.state.value == "lapsed" else f"met late on {line.met_on}"
        reason = esc(line.delay_reason) if line.delay_reason else "no reason recorded (conduct note REF --delay-reason)"
        console.print(
            f"  {esc(line.reference)} {line.clock.value} due {line.due}, {state} ({line.days_late} days): {reason}",
            soft_wrap=True,
        )


# ----------------------------------------------------------------------------- group statistics


@report_app.command("groups")
@handled
def groups(
    year: Annotated[int, typer.Option(help="the calendar year of receipt", min=2000, max=9999)],
    council: Council = None,
    format_: Annotated[Format, typer.Option("--format", help="table, csv or json")] = Format.TABLE,
    as_officer: AsOfficer = None,
) -> None:
    """The Group Leader form: per political group (the subject's group on receipt), complaints by
    source (public; officers, parish clerks included; councillors) and by level reached (no
    action or not yet assessed; informal resolution = the Welsh form's Informal; investigation and
    hearing = its Local Resolution; breach found). The yearly reports by council and group are
    `conduct group-reports`."""
    from rich.table import Table

    from conduct import reports
    from conduct.settings import get_settings
    from starter import access_cli, officer

    settings = get_settings()
    access_cli.may_run(settings, officer.identify(settings, as_officer), "report groups")
    start, end = date(year, 1, 1), date(year, 12, 31)
    stats = reports.group_statistics(_cases(start, end, council), year, start, end)
    if format_ is Format.JSON:
        output.emit_json([g.model_dump(mode="json") for g in stats])
    elif format_ is Format.CSV:
        typer.echo(_csv(reports.group_rows(stats), list(reports.GROUP_CSV_COLUMNS)), nl=False)
    else:
        console = output.out()
        if not stats:
            console.print(f"No complaints received in {year}.")
        for g in stats:
            table = Table(
                title=f"{esc(g.group)} ({esc(g.council)}), {year}: {g.complaints} complaint(s)", title_justify="left"
            )
            table.add_column("source")
            for level in (*reports.LEVELS, "breach_found"):
                table.add_column(reports.LEVEL_TITLES[level])
            table.add_column("total")
            for row in g.rows:
                values = [getattr(row, level) for level in (*reports.LEVELS, "breach_found")]
                table.add_row(row.source.capitalize(), *map(str, values), str(row.total))
            console.print(table)


# ----------------------------------------------------------------------------- patterns


@report_app.command("patterns")
@handled
def patterns(
    minimum: Annotated[int, typer.Option("--min", min=2, help="complaints within 12 months")] = 2,
    council: Council = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """Subject members and complainants (e-mail, case-insensitive) with several complaints inside
    any rolling 12 months, dismissed ones included. A complainant with a confidential complaint
    is shown masked (h***@e***.org)."""
    from rich.table import Table

    from conduct import reports
    from conduct.settings import get_settings
    from starter import access_cli, officer, roster_io

    settings = get_settings()
    access_cli.may_run(settings, officer.identify(settings, as_officer), "report patterns")
    found = reports.patterns(_cases(None, None, council), minimum)
    roster = roster_io.roster_in_force(settings)
    names = {m.id: m.name for m in roster.members} if roster else {}
    if json_:
        output.emit_json(
            [
                {**p.model_dump(mode="json"), "name": names.get(p.who) if p.kind == "subject_member" else None}
                for p in found
            ]
        )
        return
    table = Table(title="Several complaints within 12 months", title_justify="left")
    for column in ("who", "kind", "complaints", "from", "to", "outcomes", "references"):
        table.add_column(column)
    for p in found:
        who = f"{names[p.who]} ({p.who})" if p.who in names else p.who
        outcomes = ", ".join(f"{o.replace('_', ' ')} {n}" for o, n in p.outcomes.items())
        table.add_row(
            esc(who),
            p.kind.replace("_", " "),
            str(p.complaints),
            str(p.window_from),
            str(p.window_to),
            outcomes,
            ", ".join(p.references),
        )
    output.out().print(table if found else "No patterns: nobody has several complaints within 12 months.")


# ----------------------------------------------------------------------------- export


@export_app.command("decisions")
@handled
def decisions(
    format_: Annotated[ExportFormat, typer.Option("--format", help="csv or json")] = ExportFormat.CSV,
    council: Council = None,
    as_officer: AsOfficer = None,
) -> None:
    """The published decision notices (R12), newest first."""
    from sqlalchemy.orm import Session

    from conduct.register import published_notices
    from conduct.settings import get_settings
    from starter import access_cli, officer, roster_io

    settings = get_settings()
    access_cli.may_run(settings, officer.identify(settings, as_officer), "export decisions")
    with roster_io.register(settings) as engine, Session(engine) as s:
        rows = [
            {"reference": n.reference, "council": n.council, "published_at": n.published_at.isoformat(), "text": n.text}
            for n in published_notices(s, council)
        ]
    if format_ is ExportFormat.JSON:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        typer.echo(_csv(rows, ["reference", "council", "published_at", "text"]), nl=False)


# ----------------------------------------------------------------------------- schedules


@schedules_app.command("apply")
@handled
def schedules_apply(council: Council = None, json_: Json = False, as_officer: AsOfficer = None) -> None:
    """Create or update (idempotent) the Schedule that sends the reports on 1 April, 1 July,
    1 October and 1 January (year end), 07:00 Europe/London; without --council, also the monthly
    retention Schedule (the 1st, 03:00 Europe/London)."""
    from conduct.settings import get_settings
    from starter import access_cli, officer, session
    from starter.schedules import apply_retention_schedule, apply_schedule

    settings = get_settings()
    access_cli.may_run(settings, officer.identify(settings, as_officer), "schedules apply")

    async def both(client: Any) -> tuple[Any, Any]:
        reports = await apply_schedule(client, settings, council)
        return reports, (await apply_retention_schedule(client, settings)) if council is None else None

    (handle, what), retention = session.run(settings, both)
    if json_:
        extra = {"retention": {"schedule": retention[0].id, "result": retention[1]}} if retention else {}
        output.emit_json({"schedule": handle.id, "result": what, **extra})
    else:
        output.done(f"schedule {handle.id} {what}")
        if retention:
            output.done(f"schedule {retention[0].id} {retention[1]}")
