"""The roster in and out of files (TOML, CSV, JSON) and the case register.

Councils, members, Group Leaders, Independent Persons and officers usually live in a council's
spreadsheet, so besides the TOML of examples/roster.toml the CLI takes one CSV file with a `kind`
column (CSV_LAYOUT). Each import is saved as a new roster in the register; the newest is in force.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from conduct.roster import Roster
from conduct.roster_file import ENTRIES, roster_from_data
from starter.output import Exit, esc, fail, out
from starter.roster_layout import CSV_LAYOUT  # noqa: F401  (re-exported: the CSV layout is this module's)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from conduct.settings import Settings

COLUMNS = [
    "kind", "id", "name", "email", "council", "group", "roles", "member", "co_opted",
    "code", "nation", "type", "principal", "sub_committee",
    "chair_name", "chair_email", "clerk_name", "clerk_email", "login",
    "vice_chair_name", "vice_chair_email", "elected_on", "committees", "required_training", "memberships",
    "retention_years", "notice_retention_years", "report_levels",
]  # fmt: skip

_KINDS = {
    "council": "councils",
    "member": "members",
    "group_leader": "group_leaders",
    "independent_person": "independent_persons",
    "officer": "officers",
    "committee": "committees",
}
_MODELS: dict[str, type[BaseModel]] = dict(ENTRIES)  # strict: a misplaced key or a bad address is an error


# ----------------------------------------------------------------------------- files


class RosterFileError(ValueError):
    """A roster file that cannot be read as a roster; the message names the line at fault."""


def read_roster_file(path: Path) -> Roster:
    """A roster from a .toml, .csv or .json file; any problem is a usage error (exit 2)."""
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".csv", ".json"):
        fail(Exit.USAGE, f"{path}: give a .toml, .csv or .json roster file")
    try:
        raw = path.read_bytes()
    except OSError as error:
        fail(Exit.USAGE, f"cannot read {path}: {error.strerror or error}")
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(raw.decode("utf-8"))
        elif suffix == ".json":
            data = json.loads(raw)
        else:
            data = roster_data_from_csv(raw.decode("utf-8-sig"))
        return roster_from_data(data)
    except UnicodeDecodeError:
        fail(Exit.USAGE, f"{path}: not UTF-8 text")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, RosterFileError, csv.Error) as error:
        fail(Exit.USAGE, f"{path}: {error}")
    except ValidationError as error:
        fail(Exit.USAGE, f"{path}: {_roster_problem(error)}")


def _roster_problem(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{loc}: {message}" if loc else message)
    return "; ".join(parts)


def _words(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def _list(cell: str) -> list[str]:
    """A list in one cell, separated by semicolons."""
    return [item.strip() for item in cell.split(";") if item.strip()]


def _csv_entry(kind: str, row: dict[str, str]) -> dict[str, Any]:
    cell = {k: (v or "").strip() for k, v in row.items() if k}
    given = {k: v for k, v in cell.items() if v}
    if kind == "councils":
        kept = ("id", "name", "code", "principal", "sub_committee", "retention_years", "notice_retention_years")
        entry: dict[str, Any] = {k: given[k] for k in kept if k in given}
        if "nation" in given:
            entry["nation"] = _words(given["nation"])
        if "report_levels" in given:  # "No action=no_action;Investigation=investigation+hearing"
            levels = [item.partition("=") for item in _list(given["report_levels"])]
            entry["report_levels"] = [
                {"title": title.strip(), "points": [_words(x) for x in points.split("+") if x.strip()]}
                for title, _, points in levels
            ]
        if "type" in given:
            entry["kind"] = _words(given["type"])
        for contact, key in (("chair", "committee_chair"), ("vice_chair", "vice_chair"), ("clerk", "clerk")):
            if given.get(f"{contact}_name") or given.get(f"{contact}_email"):
                entry[key] = {"name": cell.get(f"{contact}_name", ""), "email": cell.get(f"{contact}_email", "")}
        return entry
    if kind == "members":
        entry = {k: given[k] for k in ("id", "name", "email", "council", "group", "elected_on") if k in given}
        if "co_opted" in given:
            entry["co_opted"] = given["co_opted"].lower() in ("true", "yes", "y", "1")
        if "committees" in given:
            entry["committees"] = _list(given["committees"])
        if "memberships" in given:  # dual-hatted: "council:group;council:group", e.g. "lancing:Independent"
            pairs = [[x.strip() for x in item.split(":", 1)] for item in _list(given["memberships"])]
            entry["memberships"] = [dict(zip(("council", "group"), pair, strict=False)) for pair in pairs]
        return entry
    if kind == "committees":
        entry = {k: given[k] for k in ("name", "council") if k in given}
        if "required_training" in given:
            entry["required_training"] = _list(given["required_training"])
        return entry
    if kind == "group_leaders":
        return {k: given[k] for k in ("council", "group", "member") if k in given}
    if kind == "independent_persons":
        return {k: given[k] for k in ("id", "name", "email") if k in given}
    entry = {k: given[k] for k in ("id", "name", "email", "login") if k in given}
    roles = given.get("roles", "").replace("|", ";").replace(",", ";")
    entry["roles"] = [_words(r) for r in roles.split(";") if r.strip()]
    return entry


def roster_data_from_csv(text: str) -> dict[str, list[dict[str, Any]]]:
    """The roster's data from CSV_LAYOUT; each row is checked on its own so a mistake is reported
    with its line number."""
    reader = csv.DictReader(io.StringIO(text))
    header = [_words(f) for f in reader.fieldnames or []]
    if "kind" not in header:
        raise RosterFileError(
            "the first line must be a header with a `kind` column (see `conduct roster import --help`)"
        )
    reader.fieldnames = header
    data: dict[str, list[dict[str, Any]]] = {key: [] for key in _MODELS}
    for row in reader:
        kind_cell = (row.get("kind") or "").strip()
        if not kind_cell or kind_cell.startswith("#"):
            continue
        kind = _KINDS.get(_words(kind_cell))
        if kind is None:
            raise RosterFileError(f"line {reader.line_num}: unknown kind {kind_cell!r} (one of {', '.join(_KINDS)})")
        entry = _csv_entry(kind, row)
        try:
            _MODELS[kind].model_validate(entry)
        except ValidationError as error:
            raise RosterFileError(f"line {reader.line_num} ({kind_cell}): {_roster_problem(error)}") from None
        data[kind].append(entry)
    return data


def roster_to_csv(roster: Roster) -> str:
    """The roster in CSV_LAYOUT: what `roster import` reads back to the same roster."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for c in roster.councils:
        writer.writerow(
            {
                "kind": "council", "id": c.id, "name": c.name, "code": c.code,
                "nation": c.nation.value.replace("_", "-"), "type": c.kind.value, "principal": c.principal or "",
                "sub_committee": c.sub_committee,
                "chair_name": c.committee_chair.name if c.committee_chair else "",
                "chair_email": c.committee_chair.email if c.committee_chair else "",
                "clerk_name": c.clerk.name if c.clerk else "",
                "clerk_email": c.clerk.email if c.clerk else "",
                "vice_chair_name": c.vice_chair.name if c.vice_chair else "",
                "vice_chair_email": c.vice_chair.email if c.vice_chair else "",
                "retention_years": c.retention_years, "notice_retention_years": c.notice_retention_years,
                "report_levels": ";".join(f"{x.title}={'+'.join(x.points)}" for x in c.report_levels),
            }
        )  # fmt: skip
    for m in roster.members:
        writer.writerow(
            {
                "kind": "member", "id": m.id, "name": m.name, "email": m.email, "council": m.council,
                "group": m.group, "co_opted": "true" if m.co_opted else "",
                "elected_on": m.elected_on.isoformat() if m.elected_on else "", "committees": ";".join(m.committees),
                "memberships": ";".join(f"{x.council}:{x.group}" for x in m.memberships),
            }
        )  # fmt: skip
    for k in roster.committees:
        writer.writerow(
            {
                "kind": "committee",
                "name": k.name,
                "council": k.council,
                "required_training": ";".join(k.required_training),
            }
        )
    for g in roster.group_leaders:
        writer.writerow({"kind": "group_leader", "council": g.council, "group": g.group, "member": g.member})
    for p in roster.independent_persons:
        writer.writerow({"kind": "independent_person", "id": p.id, "name": p.name, "email": p.email})
    for o in roster.officers:
        roles = ";".join(r.value.replace("_", "-") for r in o.roles)
        row = {"kind": "officer", "id": o.id, "name": o.name, "email": o.email, "roles": roles, "login": o.login or ""}
        writer.writerow(row)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- the register


_KEPT_ENGINES: dict[tuple[str, str], Engine] | None = None  # the officers' API: one engine per process


def keep_engines() -> None:
    """Called by a long-running server (the officers' API): `register` then keeps one engine (its
    connection pool, its schema checked once) instead of making and disposing one per command."""
    global _KEPT_ENGINES
    if _KEPT_ENGINES is None:
        _KEPT_ENGINES = {}


@contextmanager
def register(settings: Settings) -> Iterator[Engine]:
    from conduct.register import create_schema, make_engine

    key = (settings.resolved_database_url, settings.resolved_encryption_keys)
    if _KEPT_ENGINES is not None:
        kept = _KEPT_ENGINES.get(key)
        if kept is None:
            kept = make_engine(key[0], keys=key[1])
            create_schema(kept)
            kept = _KEPT_ENGINES.setdefault(key, kept)
        yield kept
        return
    engine = make_engine(key[0], keys=key[1])
    try:
        create_schema(engine)
        yield engine
    finally:
        engine.dispose()


def roster_in_force(settings: Settings) -> Roster | None:
    """The newest roster imported (every officer command checks `--as` against it)."""
    body = _newest_roster_body_from_sqlite_file(settings.resolved_database_url)
    if body is not None:
        return _parsed(body)
    from conduct.roster_store import current_roster

    with register(settings) as engine:
        return current_roster(engine)


@lru_cache(maxsize=4)
def _parsed(body: str) -> Roster:
    """A roster body parsed once (the officers' API reads the roster in force on every request;
    Roster is frozen, so sharing the parsed one is safe)."""
    return Roster.model_validate_json(body)


_SQLITE_FILE_URL = "sqlite:///"


def _newest_roster_body_from_sqlite_file(url: str) -> str | None:
    """The body of the newest row of conduct.roster_store's `rosters` table (what `current_roster`
    selects), read with the standard library's sqlite3 when the register is a SQLite file that
    already holds a roster.

    The quick way for the common case: SQLAlchemy, the register's models and Alembic take about
    half a second to import, more than the rest of `conduct cases`. None whenever this cannot
    answer (another database, no file yet, no `rosters` table or no row, any SQLite error): the
    caller then goes through the register, which creates or migrates the database as before and
    reports its errors in its own words. Opened read-write but never created (`mode=rw`), with the
    register's 30 s wait for a lock."""
    database = url.removeprefix(_SQLITE_FILE_URL)
    if database == url or not database or database == ":memory:" or any(c in database for c in "?#%~"):
        return None  # not a plain file URL (query options, escapes, a home directory): the register knows
    path = Path(database)
    if not path.is_file():
        return None
    import sqlite3

    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=30)) as connection:
            row = connection.execute("SELECT body FROM rosters ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row and isinstance(row[0], str) else None


def newest_roster(settings: Settings) -> tuple[int, Roster] | None:
    """The roster in force and its number in the register (what `conduct roster push` sends)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from conduct.roster_store import RosterRow

    with register(settings) as engine, Session(engine) as session:
        row = session.execute(select(RosterRow.id, RosterRow.body).order_by(RosterRow.id.desc()).limit(1)).first()
    return (row.id, Roster.model_validate_json(row.body)) if row else None


def import_roster(settings: Settings, roster: Roster) -> int:
    from conduct.roster_store import save_roster

    with register(settings) as engine:
        return save_roster(engine, roster)


# ----------------------------------------------------------------------------- showing it


def roster_json(roster: Roster) -> dict[str, Any]:
    return roster.model_dump(mode="json")


def summary(roster: Roster) -> str:
    return (
        f"{len(roster.councils)} councils, {len(roster.members)} members, {len(roster.group_leaders)} Group Leaders, "
        f"{len(roster.independent_persons)} Independent Persons, {len(roster.officers)} officers"
    )


def render_roster(roster: Roster) -> None:
    from rich.table import Table

    console = out()
    councils = Table(title="Councils", title_justify="left")
    for column in ("id", "name", "code", "nation", "kind", "heard by"):
        councils.add_column(column)
    for c in roster.councils:
        councils.add_row(*map(esc, (c.id, c.name, c.code, c.nation.value, c.kind.value, roster.hearing_council(c.id))))
    console.print(councils)

    members = Table(title="Members", title_justify="left")
    for column in ("id", "name", "council", "group", ""):
        members.add_column(column)
    leaders = {g.member for g in roster.group_leaders}
    for m in roster.members:
        note = ", ".join(n for n, on in (("Group Leader", m.id in leaders), ("co-opted", m.co_opted)) if on)
        members.add_row(*map(esc, (m.id, m.name, m.council, m.group, note)))
    console.print(members)

    people = Table(title="Independent Persons and officers", title_justify="left")
    for column in ("id", "name", "email", "roles"):
        people.add_column(column)
    for p in roster.independent_persons:
        people.add_row(*map(esc, (p.id, p.name, p.email, "independent person")))
    for o in roster.officers:
        people.add_row(*map(esc, (o.id, o.name, o.email, ", ".join(r.value.replace("_", " ") for r in o.roles))))
    console.print(people)
