"""The roster in and out: TOML, the one-file CSV layout (with line numbers in its errors), JSON,
and `conduct roster import/show` against the case register (no Temporal needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conduct.report_levels import LevelPoint, ReportLevel
from conduct.settings import PROJECT_ROOT, get_settings
from conduct.vocabulary import CouncilKind, Nation, Role
from starter.cli import app
from starter.output import CliError, Exit
from starter.roster_io import CSV_LAYOUT, read_roster_file, roster_to_csv
from tests import factories

EXAMPLE_TOML = PROJECT_ROOT / "examples" / "roster.toml"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> str:
    with pytest.raises(CliError) as caught:
        read_roster_file(path)
    assert caught.value.code is Exit.USAGE
    return caught.value.message


def test_toml_csv_and_json_read_to_the_same_roster(tmp_path: Path) -> None:
    roster = factories.roster()
    if EXAMPLE_TOML.exists():
        assert read_roster_file(EXAMPLE_TOML) == roster
    csv_text = roster_to_csv(roster)
    assert csv_text.splitlines()[0].startswith("kind,id,name,email")
    assert read_roster_file(write(tmp_path, "roster.csv", csv_text)) == roster
    assert read_roster_file(write(tmp_path, "roster.json", roster.model_dump_json())) == roster


def test_a_councils_retention_periods_and_report_columns_survive_the_csv(tmp_path: Path) -> None:
    """Reproduction: the CSV had no column for a council's retention periods (nor its report's
    columns), so exporting a roster and importing it again set them back to the defaults (personal
    data kept for the wrong time, or shredded early)."""
    roster = factories.roster()
    levels = [ReportLevel(title="No action", points=[LevelPoint.OPEN, LevelPoint.NO_ACTION]),
              ReportLevel(title="Taken further", points=[LevelPoint.INVESTIGATION, LevelPoint.HEARING])]  # fmt: skip
    worthing = roster.councils[0].model_copy(
        update={"retention_years": 8, "notice_retention_years": 3, "report_levels": levels}
    )
    roster = roster.model_copy(update={"councils": [worthing, *roster.councils[1:]]})
    back = read_roster_file(write(tmp_path, "roster.csv", roster_to_csv(roster)))
    assert (back.councils[0].retention_years, back.councils[0].notice_retention_years) == (8, 3)
    assert back.councils[0].report_levels == levels
    assert back == roster


def test_the_documented_csv_example_is_a_valid_roster(tmp_path: Path) -> None:
    example = CSV_LAYOUT.split("Example:", 1)[1]
    lines = [line.strip() for line in example.strip().splitlines()]
    roster = read_roster_file(write(tmp_path, "example.csv", "\n".join(lines) + "\n"))
    assert [c.id for c in roster.councils] == ["worthing"]
    assert roster.group_leader("worthing", "Labour").id == "wbc-03"  # type: ignore[union-attr]
    assert roster.officer("mo").roles == [Role.MONITORING_OFFICER]  # type: ignore[union-attr]
    assert roster.independent_person("ip-1") is not None


def test_csv_takes_hyphens_spaces_comments_and_any_column_order(tmp_path: Path) -> None:
    text = (
        "Kind , email,id,code,name,council,group,roles,nation,type,principal,co_opted,member\n"
        "# councils first,,,,,,,,,,,,\n"
        "council,,nw,NWC,Northwood Council,,,,northern-ireland,,,,\n"
        "council,,np,NWP,Northwood Parish,,,,,parish,nw,,\n"
        "member,a@nw.example,nw-1,,Ann Bell,nw,Alliance,,,,,,\n"
        "member,c@nw.example,nw-2,,Cal Dunn,nw,,,,,,yes,\n"
        "group-leader,,,,,nw,Alliance,,,,,,nw-1\n"
        "Independent Person,ip@x.example,ip-9,,Ida Penn,,,,,,,,\n"
        "officer,mo@nw.example,mo,,Mo Officer,,,monitoring-officer; Deputy Monitoring Officer,,,,,\n"
        ",,,,,,,,,,,,\n"
    )
    roster = read_roster_file(write(tmp_path, "nw.csv", text))
    northwood = roster.council("nw")
    assert northwood is not None and northwood.nation is Nation.NORTHERN_IRELAND
    assert roster.council("np").kind is CouncilKind.PARISH and roster.hearing_council("np") == "nw"  # type: ignore[union-attr]
    assert roster.member("nw-2").co_opted and roster.member("nw-2").group == "Independent"  # type: ignore[union-attr]
    assert roster.group_leader("nw", "Alliance").id == "nw-1"  # type: ignore[union-attr]
    assert roster.officer("mo").roles == [Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name\nx,y\n", "header with a `kind` column"),
        ("kind,id\nwizard,gandalf\n", "line 2: unknown kind 'wizard'"),
        ("kind,id,name\n#,,\ncouncil,x,X\n", "line 3 (council): code"),
        ("kind,id,name,email,council\nmember,m1,Ann,not-an-email,c\n", "line 2 (member): email"),
        ("kind,id,name,email,roles\nofficer,o1,Ann,a@x.example,mayor\n", "line 2 (officer): roles.0"),
        ("kind,id,name,email,council\nmember,m1,Ann,a@x.example,nowhere\n", "unknown council 'nowhere'"),
    ],
)
def test_csv_mistakes_are_reported_plainly(tmp_path: Path, text: str, message: str) -> None:
    assert message in refused(write(tmp_path, "bad.csv", text))


def test_a_misplaced_key_or_an_unsendable_address_is_still_refused_on_import(tmp_path: Path) -> None:
    """The roster models in history are lenient (issue 11); a roster file is still read strictly."""
    data = factories.roster().model_dump(mode="json")
    data["members"][0]["colour"] = "red"
    assert "members.0.colour: Extra inputs are not permitted" in refused(write(tmp_path, "a.json", json.dumps(data)))
    data = factories.roster().model_dump(mode="json")
    data["councils"][0]["committee_chair"] = {"name": "Chair", "email": "chair@x.example", "phone": "01"}
    assert "councils.0.committee_chair.phone" in refused(write(tmp_path, "b.json", json.dumps(data)))
    data = factories.roster().model_dump(mode="json")
    data["officers"][0]["email"] = "josé@adur-worthing.example"
    assert "officers.0.email" in refused(write(tmp_path, "c.json", json.dumps(data)))
    text = "kind,id,name,email,council\nmember,m1,Ann,josé@x.example,c\n"
    assert "line 2 (member): email" in refused(write(tmp_path, "d.csv", text))
    toml = '[[councils]]\nid = "c"\nname = "C"\ncode = "CC"\nprincipal_council = "x"\n'
    assert "councils.0.principal_council" in refused(write(tmp_path, "e.toml", toml))


def test_other_file_problems_are_usage_errors(tmp_path: Path) -> None:
    assert "give a .toml, .csv or .json" in refused(write(tmp_path, "roster.yaml", "councils: []"))
    assert "cannot read" in refused(tmp_path / "missing.toml")
    assert "roster.toml" in refused(write(tmp_path, "roster.toml", "[[councils]\n"))
    assert "councils.0.code" in refused(write(tmp_path, "roster.toml", '[[councils]]\nid = "x"\nname = "X"\n'))


# ----------------------------------------------------------------------------- the commands


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[callable]:  # type: ignore[valid-type]
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CONDUCT_DATABASE_URL", f"sqlite:///{tmp_path / 'conduct.db'}")
    monkeypatch.delenv("CONDUCT_OFFICER", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # a terminal's width, whatever ran before in this process
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        get_settings.cache_clear()
        try:
            return runner.invoke(app, list(args))
        finally:
            get_settings.cache_clear()

    yield invoke


def test_roster_import_and_show_from_toml_and_csv(cli, tmp_path: Path) -> None:  # noqa: ANN001
    roster = factories.roster()
    first = write(tmp_path, "first.json", roster.model_dump_json()) if not EXAMPLE_TOML.exists() else EXAMPLE_TOML

    result = cli("roster", "show", "--as", "mo")
    assert result.exit_code == 3 and "no roster has been imported yet" in result.output
    result = cli("roster", "import", str(first))  # the first import needs nobody on a roster
    assert result.exit_code == 0 and "3 councils, 24 members" in result.output, result.output

    shown = json.loads(cli("roster", "show", "--json", "--as", "mo").stdout)
    assert set(shown) >= {"councils", "members", "independent_persons", "officers"}
    assert {"id": "wbc-04", "council": "worthing", "group": "Labour"}.items() <= next(
        m for m in shown["members"] if m["id"] == "wbc-04"
    ).items()
    assert {o["id"]: o["roles"] for o in shown["officers"]}["io-1"] == ["investigating_officer"]
    assert [p["id"] for p in shown["independent_persons"]] == ["ip-1", "ip-2", "ip-3"]

    # A CSV import by the MO replaces it; the CSV printed by `show --csv` reads back the same.
    smaller = roster.model_copy(update={"members": [m for m in roster.members if m.council != "lancing-parish"]})
    csv_path = write(tmp_path, "roster.csv", roster_to_csv(smaller))
    result = cli("roster", "import", str(csv_path), "--as", "deputy")
    assert result.exit_code == 0 and "21 members" in result.output, result.output
    shown = json.loads(cli("roster", "show", "--json", "--as", "mo").stdout)
    assert len(shown["members"]) == 21
    exported = cli("roster", "show", "--csv", "--as", "mo").stdout
    assert read_roster_file(write(tmp_path, "again.csv", exported)) == smaller

    table = cli("roster", "show", "--as", "mo").stdout
    assert "Worthing Borough Council" in table and "Group Leader" in table

    assert cli("roster", "import", str(csv_path), "--as", "nobody").exit_code == 3
    assert cli("roster", "import", str(csv_path)).exit_code == 2  # who is importing?
    result = cli("roster", "import", str(write(tmp_path, "bad.csv", "kind,id\nwizard,x\n")), "--as", "mo")
    assert result.exit_code == 2 and "unknown kind 'wizard'" in result.output
    assert len(json.loads(cli("roster", "show", "--json", "--as", "mo").stdout)["members"]) == 21


def test_import_while_temporal_is_down_stores_the_roster_and_says_open_cases_were_not_updated(
    cli,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.ports import free_port

    monkeypatch.setenv("CONDUCT_TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")  # nothing listens there
    roster = factories.roster()
    assert cli("roster", "import", str(write(tmp_path, "first.json", roster.model_dump_json()))).exit_code == 0

    smaller = roster.model_copy(update={"members": roster.members[:-1]})
    result = cli("roster", "import", str(write(tmp_path, "second.json", smaller.model_dump_json())), "--as", "mo")
    assert result.exit_code == 0, result.output
    assert "roster 2 imported" in result.output
    assert "open cases were NOT updated" in result.output and "conduct roster push" in result.output
    assert len(json.loads(cli("roster", "show", "--json", "--as", "mo").stdout)["members"]) == len(smaller.members)

    # The officer sending a roster to the cases must be the MO or a deputy on it: else nothing is stored.
    demoted = smaller.model_copy(update={"officers": [o for o in smaller.officers if o.id != "deputy"]})
    result = cli("roster", "import", str(write(tmp_path, "third.json", demoted.model_dump_json())), "--as", "deputy")
    assert result.exit_code == 3 and "not the monitoring officer or a deputy on this roster" in result.output
    assert len(json.loads(cli("roster", "show", "--json", "--as", "mo").stdout)["officers"]) == len(smaller.officers)
