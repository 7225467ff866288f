"""`conduct training ...`: the training register (sessions, attendance, CSV import, committee
check). The figures are computed in conduct/training.py; this module reads and prints.

Sessions and attendance are recorded by the Monitoring Officer, the deputy or democratic
services; any officer on the roster may read them."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from starter import cli_values, output
from starter.actions_cli import AsOfficer
from starter.output import Exit, esc, fail, handled

if TYPE_CHECKING:
    from conduct.roster import Roster
    from conduct.settings import Settings
    from conduct.training import TrainingRecord, TrainingSession

training_app = typer.Typer(help="The training register: Code of Conduct, equalities and committee training.")
session_app = typer.Typer(help="Training sessions.")
training_app.add_typer(session_app, name="session")

Json = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]
KINDS = ("code-of-conduct", "equalities", "committee")
RECORDERS = ("monitoring_officer", "deputy_monitoring_officer", "democratic_services")

CSV_HELP = """\
CSV: one file, one row per entry, in the style of the roster CSV; a `kind`
column says what each row is (extra columns are ignored):

  session      session, title, date, type, committee, provider, group
  attendance   session, member

type: code-of-conduct, equalities or committee (committee needs the
committee's name). Rows whose kind starts with # are comments. A session
already in the register is updated; attendance already recorded is kept.
Example:

  kind,session,title,date,type,committee,provider,group,member
  session,LGA-2029-LAB,Code of Conduct: Labour group,2029-09-10,code-of-conduct,,LGA,Labour,
  attendance,LGA-2029-LAB,,,,,,,wbc-03"""


def _recorder(settings: Settings, as_officer: str | None) -> Roster:
    from starter import officer, roster_io

    who = officer.identify(settings, as_officer)
    if not {r.value for r in who.roles} & set(RECORDERS):
        fail(
            Exit.REFUSED,
            (f"{who.id} cannot record training: it needs monitoring_officer, deputy or democratic_services"),
        )
    roster = roster_io.roster_in_force(settings)
    assert roster is not None  # identify() refuses when there is none
    return roster


def _reader(settings: Settings, as_officer: str | None) -> Roster:
    from starter import officer, roster_io

    officer.identify(settings, as_officer)
    roster = roster_io.roster_in_force(settings)
    assert roster is not None
    return roster


def _unknown_members(roster: Roster, members: list[str]) -> list[str]:
    return [m for m in members if roster.member(m) is None]


def _session(**values: Any) -> TrainingSession:
    from pydantic import ValidationError

    from conduct.training import TrainingSession

    try:
        return TrainingSession.model_validate(values)
    except ValidationError as error:
        fail(Exit.USAGE, output.plain_validation(error, {"held_on": "--date", "kind": "--kind", "id": "--id"}))


# ----------------------------------------------------------------------------- writing


@session_app.command("add")
@handled
def session_add(
    title: Annotated[str, typer.Option(help="what the session was called", show_default=False)],
    day: Annotated[datetime, cli_values.day_option("--date", "when it was held, YYYY-MM-DD")],
    kind: Annotated[str, typer.Option(help="code-of-conduct, equalities or committee", show_default=False)],
    provider: Annotated[str, typer.Option(help="who ran it, e.g. LGA", show_default=False)] = "",
    committee: Annotated[
        str | None, typer.Option(help="the committee it was for (needed for --kind committee)", show_default=False)
    ] = None,
    group: Annotated[str | None, typer.Option(help="the political group it was held for", show_default=False)] = None,
    session_id: Annotated[
        str | None, typer.Option("--id", help="its id (default: TS-YEAR-NNN)", show_default=False)
    ] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """Add a training session; prints its id, for `conduct training attend`."""
    from conduct import training
    from conduct.settings import get_settings
    from starter import roster_io

    settings = get_settings()
    roster = _recorder(settings, as_officer)
    if committee and committee not in {c.name for c in roster.committees}:
        output.err().print(f"[yellow]! warning:[/yellow] no committee {esc(committee)!r} is configured on the roster")
    with roster_io.register(settings) as engine:
        ident = session_id or training.next_session_id(engine, day.date())
        session = _session(
            id=ident, title=title, held_on=day.date(), kind=kind, committee=committee, provider=provider, group=group
        )
        new = training.save_session(engine, session)
    if json_:
        output.emit_json({"session": session.model_dump(mode="json"), "new": new})
    else:
        output.done(f"session {session.id} {'added' if new else 'updated'}: {session.title} ({session.held_on})")


@training_app.command("attend")
@handled
def attend(
    session_id: Annotated[str, typer.Argument(metavar="SESSION", help="the session's id", show_default=False)],
    members: Annotated[list[str], typer.Option("--member", help="a member id; repeat for each", show_default=False)],
    as_officer: AsOfficer = None,
) -> None:
    """Record that members attended a session."""
    from conduct import training
    from conduct.settings import get_settings
    from starter import roster_io

    settings = get_settings()
    roster = _recorder(settings, as_officer)
    unknown = _unknown_members(roster, members)
    if unknown:
        fail(Exit.USAGE, f"not on the roster: {', '.join(unknown)}")
    with roster_io.register(settings) as engine:
        try:
            added = training.record_attendance(engine, session_id, members)
        except training.UnknownSession:
            fail(Exit.NOT_FOUND, f"no training session {session_id!r}: see `conduct training show`")
    already = [m for m in members if m not in added]
    output.done(
        f"{len(added)} attendance(s) recorded for {session_id}",
        [f"already recorded: {', '.join(already)}"] if already else None,
    )
    _sanctions_met(settings, as_officer, added)


def _sanctions_met(settings: Settings, as_officer: str | None, members: list[str]) -> None:
    """R17: a training sanction whose course these members have now attended is complied with."""
    from starter import sanction_cli

    for line in sanction_cli.complete_from_register(settings, as_officer, members) if members else []:
        output.out().print(esc(line), soft_wrap=True)


class TrainingFileError(ValueError):
    pass


def read_training_csv(text: str, roster: Roster) -> tuple[list[TrainingSession], list[tuple[str, str]]]:
    """Sessions and (session, member) attendances from CSV_HELP's layout; a problem names its line."""
    reader = csv.DictReader(io.StringIO(text))
    header = [(f or "").strip().lower().replace(" ", "_").replace("-", "_") for f in reader.fieldnames or []]
    if "kind" not in header:
        raise TrainingFileError("the first line must be a header with a `kind` column (see --help)")
    reader.fieldnames = header
    sessions: list[TrainingSession] = []
    attended: list[tuple[str, str]] = []
    from pydantic import ValidationError

    from conduct.training import TrainingSession

    for row in reader:
        cell = {k: (v or "").strip() for k, v in row.items() if k}
        kind = cell.get("kind", "").lower()
        if not kind or kind.startswith("#"):
            continue
        line = reader.line_num
        if kind == "session":
            try:
                held_on = date.fromisoformat(cell.get("date", ""))
            except ValueError:
                raise TrainingFileError(f"line {line} (session): date must be YYYY-MM-DD") from None
            try:
                sessions.append(
                    TrainingSession(
                        id=cell.get("session", ""),
                        title=cell.get("title", ""),
                        held_on=held_on,
                        kind=cell.get("type", "").lower(),
                        committee=cell.get("committee") or None,
                        provider=cell.get("provider", ""),
                        group=cell.get("group") or None,
                    )
                )
            except ValidationError as error:
                raise TrainingFileError(f"line {line} (session): {output.plain_validation(error)}") from None
        elif kind == "attendance":
            session, member = cell.get("session", ""), cell.get("member", "")
            if not session or not member:
                raise TrainingFileError(f"line {line} (attendance): needs a session and a member")
            if roster.member(member) is None:
                raise TrainingFileError(f"line {line} (attendance): member {member!r} is not on the roster")
            attended.append((session, member))
        else:
            raise TrainingFileError(f"line {line}: unknown kind {kind!r} (session or attendance)")
    return sessions, attended


@training_app.command("import", help=f"Import sessions and attendance from a CSV file.\n\n{CSV_HELP}")
@handled
def import_csv(
    path: Annotated[Path, typer.Argument(metavar="FILE.csv", help="the CSV file", show_default=False)],
    as_officer: AsOfficer = None,
) -> None:
    from conduct import training
    from conduct.settings import get_settings
    from starter import roster_io

    settings = get_settings()
    roster = _recorder(settings, as_officer)
    if path.suffix.lower() != ".csv":
        fail(Exit.USAGE, f"{path}: give a .csv file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        fail(Exit.USAGE, f"cannot read {path}: {error.strerror or error}")
    except UnicodeDecodeError:
        fail(Exit.USAGE, f"{path}: not UTF-8 text")
    try:
        sessions, attended = read_training_csv(text, roster)
    except (TrainingFileError, csv.Error) as error:
        fail(Exit.USAGE, f"{path}: {error}")
    with roster_io.register(settings) as engine:
        known = {s.id for s in training.sessions(engine)} | {s.id for s in sessions}
        missing = sorted({s for s, _ in attended if s not in known})
        if missing:
            fail(Exit.USAGE, f"{path}: attendance at unknown session(s): {', '.join(missing)}")
        new_sessions = sum(training.save_session(engine, s) for s in sessions)
        added = 0
        by_session: dict[str, list[str]] = {}
        for session, member in attended:
            by_session.setdefault(session, []).append(member)
        for session, people in by_session.items():
            added += len(training.record_attendance(engine, session, people))
    output.done(
        f"{path}: {len(sessions)} session(s) ({new_sessions} new), {added} attendance(s) recorded "
        f"({len(attended) - added} already there)"
    )
    _sanctions_met(settings, as_officer, sorted({member for _, member in attended}))


# ----------------------------------------------------------------------------- reading


def _member_line(member: Any, records: list[TrainingRecord]) -> dict[str, Any]:
    from conduct import training

    mine = [r for r in records if r.member == member.id]
    return {
        "member": member.id,
        "name": member.name,
        "council": member.council,
        "group": member.group,
        "elected_on": member.elected_on.isoformat() if member.elected_on else None,
        "trained_on_code": training.trained_on_code(member, records),
        "committees": list(member.committees),
        "sessions": [{"session": r.session, "kind": r.kind.value, "held_on": r.held_on.isoformat()} for r in mine],
    }


@training_app.command("show")
@handled
def show(
    member: Annotated[str | None, typer.Option(help="one member's training", show_default=False)] = None,
    group: Annotated[str | None, typer.Option(help="a political group's members", show_default=False)] = None,
    committee: Annotated[str | None, typer.Option(help="a committee's members", show_default=False)] = None,
    council: Annotated[str | None, typer.Option(help="only this council's members", show_default=False)] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """Sessions and attendance; with --member, --group or --committee, each member and whether they
    are trained on the Code (a Code of Conduct session since their last election)."""
    from conduct import training
    from conduct.settings import get_settings
    from starter import roster_io

    settings = get_settings()
    roster = _reader(settings, as_officer)
    if sum(x is not None for x in (member, group, committee)) > 1:
        fail(Exit.USAGE, "give one of --member, --group, --committee")
    with roster_io.register(settings) as engine:
        sessions = training.sessions(engine)
        records = training.attendance(engine)
    if member is None and group is None and committee is None:
        counts: dict[str, int] = {}
        for r in records:
            counts[r.session] = counts.get(r.session, 0) + 1
        rows = [{**s.model_dump(mode="json"), "attended": counts.get(s.id, 0)} for s in sessions]
        if json_:
            output.emit_json(rows)
            return
        _table(
            "Training sessions",
            ["id", "date", "kind", "title", "committee", "group", "provider", "attended"],
            [
                [
                    r["id"],
                    r["held_on"],
                    r["kind"],
                    r["title"],
                    r["committee"] or "",
                    r["group"] or "",
                    r["provider"],
                    str(r["attended"]),
                ]
                for r in rows
            ],  # fmt: skip
            "No training sessions recorded yet.",
        )
        return
    if member is not None:
        chosen = [m for m in roster.members if m.id == member]
        if not chosen:
            fail(Exit.NOT_FOUND, f"member {member!r} is not on the roster")
        title = f"Training of {chosen[0].name} ({member})"
    elif group is not None:
        chosen = [m for m in roster.members if m.group == group and council in (None, m.council) and not m.co_opted]
        title = f"{group} group" + (f" ({council})" if council else "")
    else:
        chosen = [m for m in roster.members if committee in m.committees and council in (None, m.council)]
        title = f"{committee} committee" + (f" ({council})" if council else "")
    lines = [_member_line(m, records) for m in chosen]
    if json_:
        output.emit_json(lines)
        return
    trained = sum(1 for line in lines if line["trained_on_code"])
    _table(
        f"{title}: {trained} of {len(lines)} trained on the Code",
        ["member", "name", "group", "elected", "trained on Code", "sessions"],
        [
            [
                x["member"],
                x["name"],
                x["group"],
                x["elected_on"] or "",
                "yes" if x["trained_on_code"] else "no",
                ", ".join(f"{s['session']} ({s['kind']}, {s['held_on']})" for s in x["sessions"]),
            ]
            for x in lines
        ],  # fmt: skip
        "No members match.",
    )


def _table(title: str, columns: list[str], rows: list[list[str]], empty: str) -> None:
    from rich.table import Table

    if not rows:
        output.out().print(esc(empty))
        return
    table = Table(title=esc(title), title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(esc(cell) for cell in row))
    output.out().print(table)


@training_app.command("check")
@handled
def check(
    council: Annotated[str | None, typer.Option(help="only this council's committees", show_default=False)] = None,
    json_: Json = False,
    as_officer: AsOfficer = None,
) -> None:
    """Members sitting on a committee without the training that committee requires (the roster's
    `committees`, each with `required_training`), counted since the member's last election."""
    from conduct import training
    from conduct.settings import get_settings
    from starter import roster_io

    settings = get_settings()
    roster = _reader(settings, as_officer)
    with roster_io.register(settings) as engine:
        records = training.attendance(engine)
    gaps = training.committee_gaps(roster, records, council)
    if json_:
        output.emit_json([g.model_dump(mode="json") for g in gaps])
        return
    if not roster.committees:
        output.out().print("No committees are configured on the roster (`committees` with `required_training`).")
        return
    _table(
        "Members on a committee without the training it requires",
        ["council", "committee", "member", "name", "group", "missing", "since"],
        [[g.council, g.committee, g.member, g.name, g.group, ", ".join(g.missing), str(g.since or "")] for g in gaps],
        "Every committee member has the training their committee requires.",
    )
