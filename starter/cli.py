"""`conduct`: the command line. This module wires commands; each command's work lives in its
own module (officer actions in starter/actions_cli.py, the rest named after what they show).

Every officer command takes `--as OFFICER_ID` (or CONDUCT_OFFICER) and every read command `--json`.
Exit codes: 0 done, 1 anything else (e.g. Temporal unreachable), 2 bad usage, 3 refused, 4 no such case.

Every command, and `--help`, pays for what this module imports, so it imports only what the
commands' signatures need (Typer, the vocabulary): each command imports the settings, Temporal,
the register and the rest of what it uses when it runs.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from conduct.vocabulary import Nation, Stage
from starter import (
    actions_cli,
    assessment_cli,
    cli_values,
    group_reports_cli,
    output,
    record_cli,
    reports_cli,
    retention_cli,
    sanction_cli,
    signin_cli,
    training_cli,
)
from starter.actions_cli import AsOfficer, Ref
from starter.output import handled
from starter.roster_layout import CSV_LAYOUT
from starter.words import NationWord, StageWord, domain

app = typer.Typer(
    help=(
        "Code of Conduct complaints: officers' commands. Exit codes: 0 done, 1 error (e.g. Temporal "
        "unreachable), 2 bad usage, 3 refused, 4 no such case."
    ),
    no_args_is_help=True,
    # `--stage hearing_pending` as the output spells it, and `--stage hearing-pending` as the flags do
    context_settings={"token_normalize_func": cli_values.vocabulary_token},
)
app.add_typer(actions_cli.app)
app.add_typer(record_cli.app)  # note, letter, unlink, conflict
app.add_typer(sanction_cli.app)  # sanction-complied (R17)
app.add_typer(assessment_cli.app)  # police-answer, association-answer (R3)
roster_app = typer.Typer(help="The roster: councils, members and groups, Independent Persons, officers.")
app.add_typer(roster_app, name="roster")
app.command("review")(reports_cli.review)
app.add_typer(reports_cli.report_app, name="report")
app.add_typer(reports_cli.export_app, name="export")
app.add_typer(reports_cli.schedules_app, name="schedules")
app.add_typer(training_cli.training_app, name="training")
app.add_typer(group_reports_cli.group_reports_app, name="group-reports")
app.add_typer(group_reports_cli.referral_app, name="referral")
app.command("login")(signin_cli.login)
app.command("logout")(signin_cli.logout)
app.command("whoami")(signin_cli.whoami)
app.command("retention")(retention_cli.retention)
app.command("subject-access")(retention_cli.subject_access_command)

Json = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


@app.command()
def worker() -> None:
    """Run the worker (the complaint workflow and its activities)."""
    import worker as worker_module

    worker_module.main()


@app.command()
def dev(
    data_dir: Annotated[Path, typer.Option(help="where the SQLite files and the outbox live")] = Path("var"),
    temporal_port: Annotated[int, typer.Option(min=1, max=65535)] = 7233,
    ui_port: Annotated[int, typer.Option(min=1, max=65535)] = 8233,
    web_port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    codec_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="codec endpoint for the UI [default: CONDUCT_CODEC_PORT]")
    ] = None,
    api_port: Annotated[int, typer.Option(min=1, max=65535, help="the officers' API")] = 8082,
) -> None:
    """Run the whole system locally: Temporal dev server (SQLite), worker, web app, officers' API,
    codec endpoint, outbox. Ctrl-C stops it."""
    import asyncio

    from starter.local import run_local

    asyncio.run(run_local(data_dir, temporal_port, ui_port, web_port, codec_port, api_port))


@app.command()
def demo(
    json_: Annotated[bool, typer.Option("--json", help="print the new case's state as JSON")] = False,
) -> None:
    """Open a sample complaint from examples/ on the running system and say what to do next."""
    import asyncio

    from conduct.settings import get_settings
    from starter.local import demo_next_steps, open_demo_case

    state = asyncio.run(open_demo_case(get_settings()))
    if json_:
        typer.echo(json.dumps(state, indent=2, default=str))
    else:
        typer.echo(demo_next_steps(state))


@app.command()
@handled
def status(reference: Ref, as_officer: AsOfficer = None) -> None:
    """Print a case's state (stage, clocks, letters, timeline) as JSON, as far as your role may
    read it (what is withheld is named in `withheld`)."""
    from conduct.settings import get_settings
    from starter import access_cli, officer, session

    settings = get_settings()
    who = officer.identify(settings, as_officer)
    state = session.run(settings, lambda client: session.status(client, reference), reference)
    access = access_cli.readable(settings, who, state, "status")
    typer.echo(json.dumps(access_cli.status_json(state, access), indent=2, default=str))


@app.command()
def web(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """Run the public web app (complaint form, webhook, published decision notices)."""
    try:
        from starter.web.app import serve
    except ModuleNotFoundError as error:
        if error.name in ("starter.web", "starter.web.app"):
            typer.echo("conduct web: the web app (starter/web/app.py) is not in this installation", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"conduct web: a package the web app needs is missing: {error.name}", err=True)
        raise typer.Exit(1) from None
    from conduct.settings import get_settings

    serve(get_settings(), host, port)


@app.command()
def api(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8082,
) -> None:
    """Run the officers' API: every officer command over HTTP as JSON, for the `conduct` CLI on
    officers' machines (CONDUCT_API_URL). It alone holds the Temporal client, the keys and the register."""
    from conduct.settings import get_settings
    from starter.api.app import serve

    serve(get_settings(), host, port)


@app.command("codec")
def codec(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="default CONDUCT_CODEC_PORT (8081)")] = None,
) -> None:
    """Run the codec endpoint for the Temporal UI: decodes case data for authorised officers only."""
    from starter.codec_server.run import serve_command

    serve_command(host, port)


@app.command("codec-token")
def codec_token(
    as_officer: Annotated[
        str | None, typer.Option("--as", envvar="CONDUCT_OFFICER", help="your officer id on the roster")
    ] = None,
    hours: Annotated[float, typer.Option(min=0.1, max=744, help="how long the token is valid")] = 12,
) -> None:
    """Print your personal token for the codec endpoint (MO and deputy); sign in with it once."""
    from starter.codec_server.run import token_command

    token_command(as_officer, hours)


# ----------------------------------------------------------------------------- roster


RosterReason = Annotated[str, typer.Option("--reason", help="why the roster changed (recorded in each open case)")]


@roster_app.command("import", help=f"Import a roster from a TOML, CSV or JSON file; it is in force from now on, "
                    f"and is sent to every open case (as --as, the MO or a deputy on it).\n\n"
                    f"TOML: the layout of examples/roster.toml.\n\n{CSV_LAYOUT}")  # fmt: skip
@handled
def roster_import(
    path: Annotated[Path, typer.Argument(metavar="PATH", help=".toml, .csv or .json", show_default=False)],
    reason: RosterReason = "roster import",
    as_officer: AsOfficer = None,
) -> None:
    from conduct.settings import get_settings
    from starter import roster_push

    roster_push.import_command(get_settings(), path, as_officer, reason)


@roster_app.command("push")
@handled
def roster_push_command(reason: RosterReason = "roster import", as_officer: AsOfficer = None) -> None:
    """Send the roster in force again to every open case (after Temporal was unreachable during an
    import, or a case refused it). One line per case; exit 1 or 3 if any case did not take it."""
    from conduct.settings import get_settings
    from starter import roster_push

    roster_push.push_command(get_settings(), as_officer, reason)


@roster_app.command("show")
@handled
def roster_show(
    json_: Json = False,
    csv: Annotated[bool, typer.Option("--csv", help="print the roster as CSV (the import layout)")] = False,
    as_officer: AsOfficer = None,
) -> None:
    """Show the roster in force."""
    from conduct.settings import get_settings
    from starter import officer, roster_io

    settings = get_settings()
    officer.identify(settings, as_officer)
    roster = roster_io.roster_in_force(settings)
    assert roster is not None  # identify() refuses when there is none
    if json_:
        output.emit_json(roster_io.roster_json(roster))
    elif csv:
        typer.echo(roster_io.roster_to_csv(roster), nl=False)
    else:
        roster_io.render_roster(roster)


# ----------------------------------------------------------------------------- reading cases


@app.command()
@handled
def cases(
    stage: Annotated[StageWord | None, typer.Option(help="only cases at this stage", show_default=False)] = None,  # type: ignore[valid-type]
    council: Annotated[str | None, typer.Option(help="council id", show_default=False)] = None,
    member: Annotated[str | None, typer.Option(help="subject member id", show_default=False)] = None,
    group: Annotated[str | None, typer.Option(help="the subject's group on receipt", show_default=False)] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only cases with a lapsed clock")] = False,
    closed: Annotated[bool, typer.Option("--closed", help="closed cases instead of open ones")] = False,
    all_: Annotated[bool, typer.Option("--all", help="open and closed cases")] = False,
    sanctions_due: Annotated[
        bool, typer.Option("--sanctions-due", help="R17: the sanctions being followed up, soonest due first")
    ] = False,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """List the open cases (from the case register), soonest deadline first, with days left;
    --closed the closed ones, --all both (with --stage, every case at that stage); --sanctions-due
    the sanctions still being followed up (with --council and --member)."""
    from datetime import UTC

    from sqlalchemy.orm import Session

    from conduct.access import sees_every_case
    from conduct.calendar import london_date
    from conduct.settings import get_settings
    from starter import access_cli, caseload, officer, roster_io
    from starter import cases as listing

    which = listing.which_cases(closed, all_, stage is not None)
    settings = get_settings()
    who = officer.identify(settings, as_officer)
    if council is not None:
        listing.known_council(roster_io.roster_in_force(settings), council)
    for value, flag in ((council, "--council"), (member, "--member"), (group, "--group")):
        if value is not None:
            listing.plain_value(value, flag)
    if sanctions_due:
        sanction_cli.sanctions_due(settings, who, stage, group, overdue, closed or all_, council, member, json_)
        return
    with roster_io.register(settings) as engine, Session(engine) as db:
        lines = caseload.list_cases(
            db, london_date(datetime.now(UTC)), domain(stage, Stage) if stage else None, council, member, group,
            overdue, which,
        )  # fmt: skip
    if not sees_every_case(who):  # an IO reads only the cases they were appointed to (conduct/access.py)
        mine = access_cli.appointed_references(settings, who.id)
        lines = [line for line in lines if line.reference in mine]
        typer.echo(f"only the cases {who.id} is appointed to as Investigating Officer", err=True)
    if json_:
        output.emit_json(listing.cases_json(lines))
    else:
        listing.render_cases(lines)


@app.command()
@handled
def show(reference: Ref, json_: Json = False, as_officer: AsOfficer = None) -> None:
    """One case now: parties (with names), what the complaint says, stage, every clock (with its
    next reminder), decisions and their reasons, the actions allowed and to whom, letters sent,
    what it is carrying out now and letters not delivered; each as your role may read it."""
    from conduct.settings import get_settings
    from starter import access_cli, case_view, officer, roster_io, session

    settings = get_settings()
    who = officer.identify(settings, as_officer)
    if retention_cli.show_removed(settings, who, reference, json_, "show"):
        return  # personal data removed under the retention policy: only its statistics are left
    state, now = session.run(settings, lambda client: session.status_and_progress(client, reference), reference)
    access = access_cli.readable(settings, who, state, "show")
    roster = roster_io.roster_in_force(settings)
    uploads = case_view.upload_dir(settings)
    if json_:
        output.emit_json(case_view.case_json(state, roster, now, access, uploads))
    else:
        case_view.render_case(state, roster, now, access, uploads)


@app.command()
@handled
def evidence(
    reference: Ref,
    save: Annotated[
        int | None, typer.Option("--save", metavar="N", help="save file N of the list", show_default=False)
    ] = None,
    to: Annotated[
        Path | None, typer.Option("--to", metavar="DIR", help="the folder to save it in", show_default=False)
    ] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """The complaint's evidence files, with the names the complainant gave them; --save N --to DIR
    saves one under that name (as your role may read the allegation)."""
    from conduct.settings import get_settings
    from starter import evidence_cli, officer

    settings = get_settings()
    who = officer.identify(settings, as_officer)
    evidence_cli.command(settings, who, reference, save, to, json_)


class ChannelWord(StrEnum):
    POST = "post"
    EMAIL = "email"
    IN_PERSON = "in-person"


@app.command()
@handled
def receive(
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            metavar="F.json",
            help="the complaint, as the webhook's JSON "
            "(the complainant may give a postal address instead of an e-mail)",
            show_default=False,
        ),
    ],
    received_on: Annotated[
        datetime,
        cli_values.day_option(
            "--received-on", "the day it reached the council: the assessment clock runs from it (today at latest)"
        ),
    ],
    channel: Annotated[ChannelWord, typer.Option("--channel", help="how it came", show_default=False)],
    original: Annotated[
        Path | None,
        typer.Option(
            "--original",
            metavar="FILE",
            help="the scanned letter or the .eml (required for post and email); sealed, listed as evidence",
            show_default=False,
        ),
    ] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """Record a complaint that came by post, by e-mail or in person (MO or deputy), from its
    original: the webhook's checks, the assessment clock from --received-on; prints the reference."""
    from conduct.channels import Channel
    from conduct.settings import get_settings
    from starter import receive_cli

    receive_cli.command(get_settings(), as_officer, file, received_on.date(), domain(channel, Channel), original,
                        json_)  # fmt: skip


@app.command("print-queue")
@handled
def print_queue(
    posted: Annotated[bool, typer.Option("--posted", help="letters already posted instead")] = False,
    all_: Annotated[bool, typer.Option("--all", help="waiting and posted")] = False,
    case: Annotated[
        str | None,
        typer.Option(
            "--case", metavar="REF", help="one case's letters", callback=cli_values.reference, show_default=False
        ),
    ] = None,
    mark_posted: Annotated[
        int | None,
        typer.Option(
            "--mark-posted",
            metavar="ID",
            help="record that letter ID was posted (a clock counting from it starts)",
            show_default=False,
        ),
    ] = None,
    on: Annotated[
        datetime | None, cli_values.day_option("--on", "with --mark-posted: the day posted (default today)")
    ] = None,
    save: Annotated[
        int | None, typer.Option("--save", metavar="ID", help="write letter ID's PDF", show_default=False)
    ] = None,
    to: Annotated[
        Path | None, typer.Option("--to", metavar="DIR", help="the folder to write it in", show_default=False)
    ] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """Letters to parties without e-mail, as PDFs to print and post (MO, deputy, democratic
    services): listed, saved (--save ID --to DIR), marked posted (--mark-posted ID [--on DATE])."""
    from conduct.settings import get_settings
    from starter import print_queue_cli

    print_queue_cli.command(get_settings(), as_officer, posted, all_, case, mark_posted, on.date() if on else None,
                            save, to, json_)  # fmt: skip


@app.command()
@handled
def history(reference: Ref, json_: Json = False, as_officer: AsOfficer = None) -> None:
    """The case's audit trail, read from its Temporal event history: actions, clocks, letters."""
    from conduct.settings import get_settings
    from starter import access_cli, officer, session, timeline

    settings = get_settings()
    who = officer.identify(settings, as_officer)
    if retention_cli.show_removed(settings, who, reference, json_, "history"):
        return  # its history's personal payloads can no longer be decoded by anyone
    state, entries = session.run(settings, lambda client: _case_and_timeline(client, reference), reference)
    access = access_cli.readable(settings, who, state, "history")
    entries = access_cli.redact_history(entries, access)
    if json_:
        output.emit_json({**timeline.timeline_json(reference, entries), "withheld": access_cli.withheld_json(access)})
    else:
        timeline.render_timeline(reference, entries)
        for withheld in access.withheld:
            output.out().print(output.esc(withheld.line()), soft_wrap=True)


@app.command()
@handled
def letters(
    reference: Ref,
    show: Annotated[
        int | None, typer.Option("--show", metavar="N", help="letter N of the list, in full", show_default=False)
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="ROLE", help="as this recipient read it, e.g. subject_member", show_default=False),
    ] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """The letters the case sent (which, when, to whom); --show N one of them as its recipient read
    it, rendered again from the case's history (only to those who may read the complainant's
    identity and the complaint: the MO, the deputy and the appointed IO, and democratic services
    once a case that is not confidential goes to a hearing)."""
    import asyncio

    from conduct.access import ALLEGATION, IDENTITY
    from conduct.settings import get_settings
    from starter import access_cli, letters_cli, officer, session

    settings = get_settings()
    who = officer.identify(settings, as_officer)
    if retention_cli.show_removed(settings, who, reference, json_, "letters"):
        return

    async def work(client: Any) -> tuple[Any, Any]:
        return await asyncio.gather(session.status(client, reference), letters_cli.letters_of(client, reference))

    state, found = session.run(settings, work, reference)
    access = access_cli.readable(settings, who, state, "letters")
    if show is None:
        listed = [sent for sent, _ in found]
        if json_:
            output.emit_json({"reference": reference, "letters": [s.model_dump(mode="json") for s in listed]})
        else:
            letters_cli.render_list(reference, listed)
        return
    withheld = access.withholds(IDENTITY) or access.withholds(ALLEGATION)
    if withheld is not None:
        access_cli.refuse(
            settings, access_cli.READ, who.id, f"{reference}: a letter in full is withheld from {who.id}: "
            f"{withheld.line()}", case=reference, action="letters",
        )  # fmt: skip
    letter = letters_cli.shown(found, show, to)
    if json_:
        output.emit_json(letter.model_dump(mode="json"))
    else:
        typer.echo(f"Letter {letter.n} ({letter.template}) to the {letter.to.replace('_', ' ')}")
        typer.echo(f"Subject: {output.printable(letter.subject)}\n")
        typer.echo(output.printable(letter.text))


async def _case_and_timeline(client: Any, reference: str) -> tuple[Any, Any]:
    """The case (whose roles decide what may be read) and its history, asked for together."""
    import asyncio

    from starter import session, timeline

    return await asyncio.gather(session.status(client, reference), timeline.fetch_timeline(client, reference))


DEADLINE_DAYS = (date(2000, 1, 1), date(2999, 12, 31))  # the calculator's range: any real case, no overflow


@app.command()
@handled
def deadlines(
    from_: Annotated[
        datetime,
        cli_values.day_option("--from", "the day of the starting event, YYYY-MM-DD", *DEADLINE_DAYS),
    ],
    nation: Annotated[NationWord, typer.Option(help="whose bank holidays")] = "england",  # type: ignore[valid-type,assignment]
    json_: Json = False,
    as_officer: Annotated[str | None, typer.Option("--as", hidden=True, help="not needed: anyone may ask")] = None,
    last_working_day: Annotated[
        bool,
        typer.Option("--last-working-day", help="print only the last working day on or before --from (YYYY-MM-DD)"),
    ] = False,
) -> None:
    """When each clock falls due if its starting event happens on --from (bank holidays of the
    nation and CONDUCT_CLOSURES counted, as the workflow counts them). A calculator: it needs no
    sign-in, roster or data directory."""
    from conduct.settings import get_settings
    from starter import deadlines_cli

    start, where = from_.date(), domain(nation, Nation)
    if last_working_day:  # e.g. a hearing date for the walk-through on a weekend
        typer.echo(deadlines_cli.last_working_day(start, where, list(get_settings().closures)).isoformat())
        return
    due = deadlines_cli.deadlines_from(start, where, list(get_settings().closures))
    if json_:
        output.emit_json(deadlines_cli.deadlines_json(due))
    else:
        deadlines_cli.render_deadlines(start, where, due)


@app.command("replay-check")
@handled
def replay_check(json_: Json = False, as_officer: AsOfficer = None) -> None:
    """Before a deploy (MO/deputy): replay every running case's history against this checkout's
    workflow code; one line per case, exit 1 if any would not carry on."""
    from starter import replay_check as check

    check.command(as_officer, json_)


def main() -> None:
    """The `conduct` console script. Leaves with os._exit after flushing: a normal interpreter
    teardown can race the Temporal client's native threads and abort the process (seen as
    'PyGILState_Release' under load) after the work is done and printed."""
    from starter import remote

    code = 0
    argv = sys.argv[1:]
    try:
        if remote.api_url() and not remote.wants_help(argv) and argv[0] not in remote.LOCAL_COMMANDS:
            # the officers' API's client: the command runs there, as the officer it signs in
            code = remote.login(argv) if argv[0] in remote.SIGN_IN_COMMANDS else remote.forward(argv)
        else:
            app()
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
            code = 1
        else:
            code = stop.code or 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
