"""Issue 16, "Rough edges, each seen": what the CLI does with what an officer types, checked where
it is parsed, before Temporal is asked. Each test names the rough edge it holds. These need no
Temporal server: the CLI runs in-process against a data directory of its own (and a Temporal
address nothing listens on, so a command that wrongly went on to Temporal would say so); the
rough edges that need a running case are in tests/test_cli.py (`test_rough_edges_on_cases`)."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conduct import actions as a
from conduct import rules
from conduct.register import create_schema, make_engine
from conduct.roster_store import save_roster
from conduct.settings import get_settings
from conduct.vocabulary import Finding, Stage
from starter import cli_values, text_input
from starter.act import text_from
from starter.cases import known_council, visibility_query
from starter.cli import app
from starter.officer import known_officer
from starter.output import CliError, Exit
from tests import factories

KEY_SPEC = "dev-20261129:" + base64.b64encode(bytes(range(32))).decode()  # the layout of encryption.keys


@dataclass
class Cli:
    data_dir: Path
    environ: dict[str, str]

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args), env={**self.environ, **(env or {})}, input=input)
        finally:
            get_settings.cache_clear()


def _closed_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"  # bound a moment, never listening


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """The CLI with a data directory holding the demo roster (no Temporal)."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    environ = {
        "CONDUCT_DATA_DIR": str(data_dir),
        "CONDUCT_DATABASE_URL": f"sqlite:///{data_dir / 'conduct.db'}",
        "CONDUCT_TEMPORAL_ADDRESS": _closed_address(),
        "CONDUCT_OFFICER": "mo",
        "CONDUCT_OIDC_ISSUER": "",
        "CONDUCT_CLOSURES": "",
        "CONDUCT_ENCRYPTION_KEYS": "",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "COLUMNS": "200",
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(environ["CONDUCT_DATABASE_URL"])
    create_schema(engine)
    save_roster(engine, factories.roster())
    engine.dispose()
    get_settings.cache_clear()
    yield Cli(data_dir, environ)
    get_settings.cache_clear()


def _usage(result: Result, *phrases: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output)
    flat = " ".join(result.output.replace("│", " ").split())  # Typer's usage box wraps and frames lines
    for phrase in phrases:
        assert phrase in flat, (phrase, result.output)
    assert "Traceback" not in result.output


# ----------------------------------------------------------------------------- listing and naming


def test_references_are_case_insensitive_and_never_blank() -> None:
    """`show wbc-2026-0001` gave "no case": references are upper case, whatever was typed."""
    assert cli_values.reference(" wbc-2026-0001 ") == "WBC-2026-0001"
    with pytest.raises(Exception, match="the case reference is empty"):
        cli_values.reference("  ")


def test_a_blank_reference_is_a_usage_error(cli: Cli) -> None:
    """`show ""` exited 1."""
    _usage(cli("show", ""), "the case reference is empty", "WBC-2026-0001")
    _usage(cli("link", "WBC-2026-0001", " "), "the case reference is empty")


def test_vocabulary_words_are_accepted_as_the_output_spells_them(cli: Cli) -> None:
    """`--stage hearing_pending` and `--clock comment_period` exited 2. Refused here for want of
    Temporal (exit 1) or a case, never as bad usage: the words were taken."""
    for word in ("hearing_pending", "hearing-pending"):  # read from the register: no Temporal needed
        listed = cli("cases", "--stage", word)
        assert listed.exit_code == 0 and "no cases match" in listed.output, (word, listed.output)
    for args in (
        ("stop-clock", "WBC-2026-0001", "--reason", "x", "--clock", "comment_period"),
        ("assess", "WBC-2026-0001", "--outcome", "no_action", "--ground", "not_as_member", "--text", "x",
         "--test-failed", "code_engaged", "--public-interest", "not_met", "--public-interest-reason", "x"),
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 1 and "cannot reach Temporal" in result.output, (args, result.output)
    nations = cli("deadlines", "--from", "2026-12-21", "--nation", "northern_ireland", "--json")
    assert nations.exit_code == 0, nations.output
    _usage(cli("cases", "--stage", "lunch_time"), "lunch_time")  # a word that is none is still refused


def test_cases_lists_open_cases_unless_asked(cli: Cli) -> None:
    """`conduct cases` listed closed cases: open by default, --closed and --all."""
    assert "ExecutionStatus = 'Running'" in visibility_query(which="open")
    assert "ExecutionStatus != 'Running'" in visibility_query(which="closed")
    assert "ExecutionStatus" not in visibility_query(which="all")
    _usage(cli("cases", "--closed", "--all"), "give --closed or --all, not both")


def test_a_council_nobody_has_is_named_as_such(cli: Cli) -> None:
    """`cases --council nowhere` said "no cases match"."""
    with pytest.raises(CliError) as refused:
        known_council(factories.roster(), "nowhere")
    assert refused.value.code is Exit.USAGE
    assert refused.value.message.startswith("no such council: nowhere (councils: worthing, adur")
    _usage(cli("cases", "--council", "nowhere"), "no such council: nowhere (councils: worthing")


def test_visibility_query_values_cannot_break_out_of_their_literal() -> None:
    """`cases --council 'x\\'` gave "malformed SQL query": the value ended the query's literal."""
    query = visibility_query(group="x\\", member="o'brien' OR WorkflowType != '")
    assert "ComplaintGroups = 'x\\\\'" in query
    assert "ComplaintSubjectMembers = 'o\\'brien\\' OR WorkflowType != \\''" in query
    with pytest.raises(CliError, match="control character"):
        visibility_query(group="x\n")
    with pytest.raises(CliError, match="cannot contain a double quote"):
        visibility_query(member='x"')


# ----------------------------------------------------------------------------- unclear errors


def test_an_independent_person_is_told_they_are_not_an_officer() -> None:
    """`show --as ip-1` said "not on the current roster", though ip-1 is on it."""
    roster = factories.roster()
    with pytest.raises(CliError) as refused:
        known_officer(roster, "ip-1")
    assert refused.value.code is Exit.REFUSED
    assert refused.value.message.startswith("ip-1 is an Independent Person, not an officer: officers act and read")
    with pytest.raises(CliError, match="wbc-01 is a member, not an officer"):
        known_officer(roster, "wbc-01")
    with pytest.raises(CliError, match="'mallory' is not on the current roster"):
        known_officer(roster, "mallory")


def test_show_as_an_independent_person_says_so(cli: Cli) -> None:
    result = cli("show", "WBC-2026-0001", "--as", "ip-1")
    assert result.exit_code == 3 and "ip-1 is an Independent Person, not an officer" in result.output


def test_withdrawal_decision_without_an_ip_says_what_to_type(cli: Cli) -> None:
    """`withdrawal-decision` without `--ip` said "String should have at least 1 character"."""
    result = cli("withdrawal-decision", "WBC-2026-0001", "--stop", "--text", "Stop.")
    _usage(result, "say which Independent Person was consulted: --ip ID")
    assert "at least 1 character" not in result.output


def test_an_impossible_date_names_the_flag_and_a_real_day(cli: Cli) -> None:
    """`--from 2026-02-30` said "does not match the formats '%Y-%m-%d'"."""
    result = cli("deadlines", "--from", "2026-02-30")
    _usage(result, "2026-02-30 is not a date: give --from as YYYY-MM-DD, e.g. 2026-02-28")
    assert "does not match the formats" not in result.output
    _usage(cli("review", "--to", "2026-13-01"), "2026-13-01 is not a date: give --to as YYYY-MM-DD")
    _usage(cli("schedule-hearing", "WBC-2026-0001", "--date", "tomorrow", "--panel", "a,b,c", "--ip", "ip-3"),
           "tomorrow is not a date: give --date as YYYY-MM-DD")  # fmt: skip


def test_a_review_period_that_ends_before_it_starts_is_a_usage_error(cli: Cli) -> None:
    """`review --from 2026-12-01 --to 2026-01-01` silently returned 0."""
    _usage(
        cli("review", "--from", "2026-12-01", "--to", "2026-01-01"),
        "--from 2026-12-01 is after --to 2026-01-01: give the earlier day with --from",
    )
    assert cli("review", "--from", "2026-01-01", "--to", "2026-12-01", "--json").exit_code == 0


def test_deadlines_far_in_the_future_is_a_usage_error_naming_the_range(cli: Cli) -> None:
    """`deadlines --from 9999-12-31` exited 1 with OverflowError."""
    result = cli("deadlines", "--from", "9999-12-31")
    _usage(result, "9999-12-31 is out of range: give --from from 2000-01-01 to 2999-12-31")
    assert "OverflowError" not in result.output


# ----------------------------------------------------------------------------- the deadlines calculator


def test_deadlines_works_anywhere_with_the_nation_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The calculator asked who you are and needed a roster and a data directory."""
    nowhere = tmp_path / "no-such-dir"
    monkeypatch.chdir(tmp_path)
    for name in ("CONDUCT_OFFICER", "CONDUCT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(nowhere))
    monkeypatch.setenv("CONDUCT_CLOSURES", "")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["deadlines", "--from", "2026-12-21", "--nation", "scotland", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert '"assessment": "2027-01-22"' in result.stdout
    assert not nowhere.exists()


def test_the_last_working_day_for_a_walk_through_on_any_day(cli: Cli) -> None:
    """The README fixes its hearing for the day it is run; a hearing is never on a weekend or bank
    holiday, so on those days it uses the working day before, which this prints alone."""
    for day, nation, expected in (
        ("2026-11-30", "england", "2026-11-30"),  # a Monday
        ("2026-11-29", "england", "2026-11-27"),  # a Sunday: the Friday before
        ("2026-12-28", "england", "2026-12-24"),  # the Boxing Day substitute, Christmas, the weekend
        ("2027-01-04", "scotland", "2026-12-31"),  # 2 and 1 January (and the 3rd, a Sunday) in Scotland
        ("2027-03-17", "northern_ireland", "2027-03-16"),  # St Patrick's Day
    ):
        result = cli("deadlines", "--from", day, "--nation", nation, "--last-working-day")
        assert result.exit_code == 0 and result.stdout.strip() == expected, (day, nation, result.output)


# ----------------------------------------------------------------------------- --file


def _refused(file: Path | str, *phrases: str) -> None:
    with pytest.raises(CliError) as refused:
        text_from(None, Path(file))
    assert refused.value.code is Exit.USAGE
    for phrase in phrases:
        assert phrase in refused.value.message, refused.value.message


def test_a_device_is_refused_at_once(cli: Cli) -> None:
    """`--file /dev/urandom` hung (read to an end that never comes). Run as a separate process,
    so that code that reads it whole fails this test by its timeout instead of hanging the suite."""
    if not Path("/dev/urandom").exists():
        pytest.skip("no /dev/urandom on this system")
    _refused("/dev/urandom", "/dev/urandom is not a regular file", "--file -")
    environ = {**os.environ, **cli.environ}
    try:
        command = ["request-info", "WBC-2026-0001", "--file", "/dev/urandom"]
        run = subprocess.run(
            [sys.executable, "-c", "from starter.cli import main; main()", *command],
            env=environ, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("conduct request-info --file /dev/urandom did not answer within 30 s")
    assert run.returncode == 2 and "not a regular file" in run.stderr, (run.returncode, run.stderr)


def test_a_fifo_is_refused_without_waiting_for_a_writer(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: outcome.append(pytest.raises(CliError, text_from, None, fifo).value))
    reader.start()
    reader.join(5)
    if reader.is_alive():  # unblock it before failing: open the FIFO for writing
        with open(fifo, "wb"):
            pass
        reader.join(5)
        pytest.fail("reading --file FIFO waited for a writer")
    assert "is not a regular file" in str(outcome[0])


def test_a_file_too_long_for_a_case_is_refused_before_sending(cli: Cli, tmp_path: Path) -> None:
    """A 3 MB file failed the workflow task after 21 s."""
    big = tmp_path / "report.txt"
    big.write_text("The councillor said things. " * 120_000)  # about 3.3 MB of text
    _refused(big, "is larger than 256 KiB", "CONDUCT_TEXT_MAX_KIB")
    fits = tmp_path / "fits.txt"
    fits.write_text("x" * (256 * 1024 - 10) + " words")
    assert text_from(None, fits).endswith("words")


def test_standard_input_is_read_with_a_bounded_read(cli: Cli) -> None:
    """`--file -` with an endless stream reads the limit and one byte more, never to the end."""

    class Endless:
        def __init__(self) -> None:
            self.asked: list[int] = []

        def read(self, size: int = -1) -> bytes:
            assert size > 0, "an unbounded read of standard input"
            self.asked.append(size)
            return b"y" * size

    class Stdin:
        buffer = Endless()

    with pytest.raises(CliError, match="standard input is larger than 256 KiB"):
        text_input.read_text_file(Path("-"), 256 * 1024, [], Stdin())  # type: ignore[arg-type]
    assert Stdin.buffer.asked == [256 * 1024 + 1]


def test_not_text_is_refused(cli: Cli, tmp_path: Path) -> None:
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)))
    _refused(binary, "is not UTF-8 text")
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"text\x00with a NUL")
    _refused(nul, "holds control characters")
    _refused(tmp_path, "is not a regular file")


def test_keys_and_secrets_are_refused(cli: Cli, tmp_path: Path) -> None:
    """`--file var/encryption.keys` was accepted as a draft report."""
    keys = cli.data_dir / "encryption.keys"
    keys.write_text(KEY_SPEC + "\n")
    _refused(keys, "one of the service's keys or secrets")
    copied = tmp_path / "draft.txt"  # the same key elsewhere: known by what it is
    copied.write_text(KEY_SPEC + "," + KEY_SPEC.replace("dev-", "old-") + "\n")
    _refused(copied, "looks like an encryption key")
    pem = tmp_path / "id.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIG\n-----END PRIVATE KEY-----\n")
    _refused(pem, "looks like a private key")
    secret = tmp_path / "notes.txt"
    secret.write_text("Zq3v_8rJkP1xW0bT9mN2cL7yH4dF6gA5sE-uYiOoRtU\n")  # what web.secret holds
    _refused(secret, "looks like a secret or key")
    tokens = tmp_path / "tokens.json"
    tokens.write_text('{"refresh_token": "abc", "expires_at": 1}')
    _refused(tokens, "looks like a sign-in token")
    ordinary = tmp_path / "report.txt"
    ordinary.write_text("The member's remarks at the 3 March meeting breached paragraph 1 (respect).\n")
    assert text_from(None, ordinary).startswith("The member's remarks")


def test_file_limits_reach_the_command_line(cli: Cli, tmp_path: Path) -> None:
    big = tmp_path / "draft.txt"
    big.write_text("word " * 60_000)
    _usage(cli("draft-report", "WBC-2026-0001", "--file", str(big)), "is larger than 256 KiB")
    _usage(cli("draft-report", "WBC-2026-0001", "--file", "-", input="word " * 60_000), "standard input is larger")
    raised = cli("draft-report", "WBC-2026-0001", "--file", str(big), env={"CONDUCT_TEXT_MAX_KIB": "512"})
    assert raised.exit_code == 1 and "cannot reach Temporal" in raised.output  # taken, and on its way


# ----------------------------------------------------------------------------- demo, codec-token


def test_demo_prints_the_reference_and_what_to_do_next() -> None:
    """`conduct demo` printed about 100 lines of JSON (kept behind --json)."""
    from starter.local import demo_next_steps

    text = demo_next_steps(
        {
            "reference": "WBC-2026-0042",
            "stage": "triage",
            "letters": [{}],
            "clocks": {"assessment": {"due": "2027-01-21"}},
        }
    )
    assert text.splitlines()[0] == (
        "Opened WBC-2026-0042 (stage triage); the assessment is due by 2027-01-21; "
        "the acknowledgement letter is in the outbox."
    )
    assert "conduct show WBC-2026-0042" in text and "conduct triage WBC-2026-0042 --notify" in text
    assert len(text.splitlines()) <= 6


def test_codec_token_names_the_port_the_codec_runs_on(cli: Cli) -> None:
    """`codec-token` said to paste at :8081 when the codec ran on another port."""
    from starter.codec_server.run import record_url

    (cli.data_dir / "codec.secret").write_text("s" * 43)
    default = cli("codec-token", "--as", "mo")
    assert default.exit_code == 0, default.output
    assert "http://127.0.0.1:8081/signin" in default.stderr
    get_settings.cache_clear()
    record_url(get_settings(), "0.0.0.0", 9181)  # as `conduct codec --port 9181` (or `conduct dev --codec-port`)
    moved = cli("codec-token", "--as", "mo")
    assert moved.exit_code == 0, moved.output
    assert "http://127.0.0.1:9181/signin" in moved.stderr and ":8081" not in moved.stderr
    assert "--codec-endpoint http://127.0.0.1:9181 " in moved.stderr


# ----------------------------------------------------------------------------- "Allowed now"


def test_allowed_now_lists_a_hearing_outcome_only_from_the_hearing_day() -> None:
    """The README walk-through: `hearing-outcome` was refused before the hearing date, yet
    "Allowed now" listed it."""
    case = factories.case_state(
        stage=Stage.HEARING_PENDING, outcome=None, closed_at=None, hearing_outcome=None, notice_issued_at=None
    )
    hearing_day = case.hearing.date  # type: ignore[union-attr]
    before = [entry.split(" ")[0] for entry in rules.allowed_now(case, date.fromordinal(hearing_day.toordinal() - 1))]
    on_the_day = [entry.split(" ")[0] for entry in rules.allowed_now(case, hearing_day)]
    assert "hearing-outcome" not in before and "adjourn-hearing" in before
    assert "hearing-outcome" in on_the_day
    payload = a.RecordHearingOutcome(attended=True, officer="dem", finding=Finding.NO_BREACH, reasons="x")
    day_before = date.fromordinal(hearing_day.toordinal() - 1)
    refused = rules.refusal(case, factories.roster(), "hearing_outcome", payload, day_before)
    assert refused is not None and "its outcome can be recorded from that day" in refused
    assert "hearing-outcome" not in refused.split("Allowed now:")[1]


# ----------------------------------------------------------------------------- reading a case: `conduct show`


def test_show_says_what_the_complaint_says_as_the_role_allows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 16, "Reading a case": the description, dates, provisions, evidence (name, type, size),
    the confidentiality request, names as well as ids, and on a closed case the decisions."""
    import json

    from conduct.access import read_access
    from starter.case_view import case_json, render_case

    stored = "0123456789abcdef0123456789abcdef.pdf"
    (tmp_path / f"{stored}.json").write_text(json.dumps({"original_name": "minutes.pdf", "kind": "pdf", "size": 2048}))
    intake = factories.intake(evidence=[stored], confidential=True, confidentiality_reason="I work for the council.")
    state = factories.case_state(intake=intake)
    roster = factories.roster()

    mo = read_access(roster.officer("mo"), state)  # type: ignore[arg-type]
    case = case_json(state, roster, access=mo, upload_dir=tmp_path)
    said = case["complaint"]
    assert said["description"] == intake.description and said["provisions"] == ["respect", "disrepute"]
    assert said["conduct_dates"] == ["2026-02-20"] and said["confidentiality_reason"] == "I work for the council."
    assert said["evidence"] == [{"file": stored, "name": "minutes.pdf", "type": "PDF", "size": 2048}]
    assert case["names"]["wbc-04"] == "Desmond Achterberg" and case["names"]["io-1"]
    assert case["names"]["ip-3"] and all(m in case["names"] for m in state.hearing.panel)  # type: ignore[union-attr]
    kinds = {d["decision"]: d for d in case["decisions"]}
    assert kinds["assessment"]["outcome"] == "investigate" and kinds["assessment"]["reasons"]
    assert kinds["hearing"]["outcome"] == "breach" and kinds["hearing"]["sanctions"] == ["formal_letter", "training"]
    render_case(state, roster, access=mo, uploads=tmp_path)
    text = " ".join(capsys.readouterr().out.split())
    for shown in ("called me a liar", "minutes.pdf (PDF, 2,048 bytes", "1. Respect", "Desmond Achterberg",
                  "Decision (hearing): breach", "I work for the council."):  # fmt: skip
        assert shown in text, shown

    # Democratic services, before a hearing: neither the allegation nor who complained.
    early = factories.case_state(intake=intake, stage=Stage.INVESTIGATION, hearing=None, hearing_outcome=None,
                                 outcome=None, closed_at=None, notice_issued_at=None)  # fmt: skip
    dem = read_access(roster.officer("dem"), early)  # type: ignore[arg-type]
    hidden = case_json(early, roster, access=dem, upload_dir=tmp_path)
    assert set(hidden["complaint"]) == {"withheld"}
    assert "liar" not in json.dumps(hidden) and "minutes.pdf" not in json.dumps(hidden)
    assert "I work for the council" not in json.dumps(hidden)


def test_review_as_of_a_later_day_projects_the_pending_clocks() -> None:
    """Issue 16, "Reading a case": `review --as-of DATE` shows what will go overdue by then."""
    from datetime import UTC, datetime

    from conduct import reports
    from conduct.vocabulary import ClockName, ClockState

    pending = reports.ClockRecord(
        name=ClockName.ASSESSMENT, started=datetime(2026, 12, 1, 10, tzinfo=UTC), due=date(2027, 1, 10),
        state=ClockState.PENDING,
    )  # fmt: skip
    later = reports.clock_line("WBC-2026-0001", pending, date(2027, 1, 20))
    assert (later.state, later.projected, later.days_late) == (ClockState.LAPSED, True, 10)
    sooner = reports.clock_line("WBC-2026-0001", pending, date(2027, 1, 10))  # the due day itself: not late
    assert (sooner.state, sooner.projected, sooner.days_late) == (ClockState.PENDING, False, None)
    case = reports.CaseRecord(reference="WBC-2026-0001", council="worthing", stage=Stage.ASSESSMENT,
                              received_at=pending.started, complainant_type="public", clocks=[pending])  # fmt: skip
    summary = reports.review([case], date(2027, 1, 20))
    assert (summary.totals.lapsed, summary.totals.pending, summary.totals.overdue_days) == (1, 0, [10])
