"""`conduct group-reports start|status|compile` (the Group Leaders' yearly reports) and
`conduct referral record|list` (a complaint referred to an ombudsman or external regulator).

Starting the cycle and recording referrals are for the Monitoring Officer or the deputy; status
and compile for any officer on the roster."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from starter import cli_values, output
from starter.actions_cli import AsOfficer, Ref
from starter.output import Exit, esc, fail, handled

if TYPE_CHECKING:
    from conduct.group_report_register import GroupReportRecord
    from conduct.settings import Settings

group_reports_app = typer.Typer(help="The Group Leaders' yearly reports on promoting compliance with the Code.")
referral_app = typer.Typer(help="Complaints referred to an ombudsman or external regulator (e.g. PSOW).")

Json = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]
Day = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], show_default=False)]
KEEPERS = ("monitoring_officer", "deputy_monitoring_officer")


def _keeper(settings: Settings, as_officer: str | None, what: str) -> None:
    from starter import officer

    who = officer.identify(settings, as_officer)
    if not {r.value for r in who.roles} & set(KEEPERS):
        fail(Exit.REFUSED, f"{who.id} cannot {what}: it needs monitoring_officer or deputy")


def _today() -> date:
    from conduct.calendar import london_date

    return london_date(datetime.now(UTC))


def _period(from_: datetime | None, to: datetime | None) -> tuple[date, date]:
    from conduct.group_report import default_period

    if (from_ is None) != (to is None):
        fail(Exit.USAGE, "give both --from and --to, or neither (June to June)")
    if from_ and to:
        cli_values.period(from_.date(), to.date())
        return from_.date(), to.date()
    return default_period(_today())


@group_reports_app.command("start")
@handled
def start(
    council: Annotated[str, typer.Option(help="council id", show_default=False)],
    due: Annotated[datetime, cli_values.day_option("--due", "the reports are due by, YYYY-MM-DD")],
    from_: Annotated[datetime | None, cli_values.day_option("--from", "period start")] = None,
    to: Annotated[datetime | None, cli_values.day_option("--to", "period end")] = None,
    grace: Annotated[
        int | None,
        typer.Option(min=0, max=366, help="days the link works after --due [CONDUCT_GROUP_REPORT_GRACE_DAYS: 14]"),
    ] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """Start one GroupReport workflow per political group with members on the council (the period
    defaults to the last 1 June to 31 May). Each sends its Group Leader a personal link, reminds
    them (CONDUCT_GROUP_REPORT_REMINDER_DAYS before --due), and tells the MO if nothing is returned
    by --due. Running it again starts nothing twice."""
    from conduct.report_links import GroupReportSettings
    from conduct.settings import get_settings
    from starter import roster_io, session
    from starter.group_report_cycle import plan_cycle, start_cycle

    settings = get_settings()
    _keeper(settings, as_officer, "start the Group Leaders' reports")
    roster = roster_io.roster_in_force(settings)
    assert roster is not None
    period_from, period_to = _period(from_, to)
    config = GroupReportSettings()
    try:
        plan = plan_cycle(
            roster,
            council,
            period_from,
            period_to,
            due.date(),
            config.grace_days if grace is None else grace,
            config.reminder_days,
        )
    except LookupError as error:
        fail(Exit.NOT_FOUND, str(error))
    except ValueError as error:
        fail(Exit.USAGE, str(error))
    started = session.run(settings, lambda client: start_cycle(client, settings.task_queue, plan))
    if json_:
        output.emit_json({"started": [s.model_dump() for s in started], "skipped": plan.skipped})
        return
    for s in started:
        output.done(f"{s.group}: {'started' if s.new else 'already started'} ({s.workflow_id})")
    for group, why in plan.skipped.items():
        output.err().print(f"[yellow]! {esc(group)}:[/yellow] not started: {esc(why)}")


def status_word(r: GroupReportRecord, today: date) -> str:
    """submitted (late), not returned, overdue (derived from the due date), drafting, not started."""
    from conduct.group_report import ReportStatus

    if r.status is ReportStatus.SUBMITTED:
        return "submitted (late)" if r.late() else "submitted"
    if r.status is ReportStatus.NOT_RETURNED:
        return "not returned (link expired)"
    if r.overdue(today):
        return "overdue, draft saved" if r.drafts else "overdue"
    return "drafting" if r.status is ReportStatus.DRAFTING else "not started"


@group_reports_app.command("status")
@handled
def status(
    council: Annotated[str | None, typer.Option(help="council id", show_default=False)] = None,
    to: Annotated[datetime | None, cli_values.day_option("--to", "period end")] = None,
    as_of: Annotated[datetime | None, cli_values.day_option("--as-of", "as of this day")] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """Which Group Leaders have submitted, which are drafting, which are overdue."""
    from conduct import group_report_register
    from conduct.settings import get_settings
    from starter import officer, roster_io

    settings = get_settings()
    officer.identify(settings, as_officer)
    today = as_of.date() if as_of else _today()
    with roster_io.register(settings) as engine:
        records = group_report_register.records(engine, council, period_to=to.date() if to else None)
    lines = [
        {
            "council": r.council,
            "group": r.group,
            "leader": r.figures.leader_name if r.figures else "",
            "period_from": r.period_from.isoformat(),
            "period_to": r.period_to.isoformat(),
            "due": r.due.isoformat(),
            "status": status_word(r, today),
            "drafts": r.drafts,
            "last_saved_at": r.last_saved_at.isoformat() if r.last_saved_at else None,
            "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
            "mo_told_at": r.mo_told_at.isoformat() if r.mo_told_at else None,
        }
        for r in records
    ]
    if json_:
        output.emit_json(lines)
        return
    if not lines:
        output.out().print("No Group Leaders' reports have been started (`conduct group-reports start`).")
        return
    from rich.table import Table

    table = Table(title=f"Group Leaders' reports as of {today}", title_justify="left")
    for column in ("council", "group", "leader", "period", "due", "status", "saves", "submitted"):
        table.add_column(column)
    for x in lines:
        table.add_row(
            esc(x["council"]),
            esc(x["group"]),
            esc(x["leader"]),
            f"{x['period_from']} to {x['period_to']}",
            x["due"],
            x["status"],
            str(x["drafts"]),
            (x["submitted_at"] or "")[:10],
        )
    output.out().print(table)


@group_reports_app.command("compile")
@handled
def compile_paper(
    council: Annotated[str, typer.Option(help="council id", show_default=False)],
    from_: Annotated[datetime | None, cli_values.day_option("--from", "period start")] = None,
    to: Annotated[datetime | None, cli_values.day_option("--to", "period end")] = None,
    format_: Annotated[str, typer.Option("--format", help="pdf, html or json")] = "pdf",
    output_path: Annotated[
        Path | None, typer.Option("--output", help="file to write (pdf default: group-reports-COUNCIL-END.pdf)")
    ] = None,
    as_officer: AsOfficer = None,
) -> None:
    """The Standards Committee's paper: one section per group in the seed's layout, council-wide
    totals, and the groups that did not return their report named."""
    from conduct import group_report_register
    from conduct.group_report_paper import NothingToCompile, build_paper, render_html, render_pdf
    from conduct.settings import get_settings
    from starter import officer, roster_io

    if format_ not in ("pdf", "html", "json"):
        fail(Exit.USAGE, "--format must be pdf, html or json")
    settings = get_settings()
    officer.identify(settings, as_officer)
    period_from, period_to = _period(from_, to)
    with roster_io.register(settings) as engine:
        records = group_report_register.records(engine, council, period_from, period_to)
    try:
        paper = build_paper(records, _today())
    except NothingToCompile as error:
        fail(Exit.NOT_FOUND, f"{council}, {period_from} to {period_to}: {error}")
    if format_ == "json":
        text = paper.model_dump_json(indent=2)
    elif format_ == "html":
        text = render_html(paper, settings.templates_dir)
    else:
        path = output_path or Path(f"group-reports-{council}-{period_to}.pdf")
        path.write_bytes(render_pdf(paper, settings.templates_dir))
        output.done(f"{path}: {len(paper.sections)} group(s); not returned: {', '.join(paper.not_returned) or 'none'}")
        return
    if output_path:
        output_path.write_text(text, encoding="utf-8")
        output.done(f"{output_path} written")
    else:
        typer.echo(text)


# ----------------------------------------------------------------------------- referrals


@referral_app.command("record")
@handled
def referral_record(
    reference: Ref,
    body: Annotated[str, typer.Option("--to", help="the ombudsman or regulator, e.g. PSOW", show_default=False)],
    on: Annotated[datetime, cli_values.day_option("--on", "when it was referred, YYYY-MM-DD")],
    note: Annotated[str, typer.Option(help="anything worth keeping with it")] = "",
    as_officer: AsOfficer = None,
) -> None:
    """Record that a complaint was referred to an ombudsman or external regulator: the Group
    Leaders' reports then count it at the furthest level (Wales: the PSOW column)."""
    from pydantic import ValidationError

    from conduct import referrals
    from conduct.settings import get_settings
    from starter import roster_io

    settings = get_settings()
    _keeper(settings, as_officer, "record a referral")
    try:
        referral = referrals.ExternalReferral(
            reference=reference, body=body, referred_on=on.date(), note=note, officer=as_officer
        )
    except ValidationError as error:
        fail(Exit.USAGE, output.plain_validation(error, {"body": "--to", "referred_on": "--on"}))
    with roster_io.register(settings) as engine:
        try:
            new = referrals.record_referral(engine, referral)
        except referrals.UnknownCase:
            fail(Exit.NOT_FOUND, f"no case {reference} in the register")
    output.done(f"{reference}: referral to {body} on {referral.referred_on} {'recorded' if new else 'updated'}")


@referral_app.command("list")
@handled
def referral_list(json_: Json = False, as_officer: AsOfficer = None) -> None:
    """Every recorded referral to an ombudsman or regulator."""
    from conduct import referrals
    from conduct.settings import get_settings
    from starter import officer, roster_io

    settings = get_settings()
    officer.identify(settings, as_officer)
    with roster_io.register(settings) as engine:
        found = referrals.referrals(engine)
    if json_:
        output.emit_json([r.model_dump(mode="json") for r in found])
        return
    if not found:
        output.out().print("No referrals recorded.")
        return
    for r in found:
        output.out().print(f"{esc(r.reference)}  {esc(r.body)}  {r.referred_on}  {esc(r.note)}", soft_wrap=True)
