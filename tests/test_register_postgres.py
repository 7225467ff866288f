"""The case register on a real PostgreSQL server, and its schema migrations on both backends.

A throwaway cluster (Debian's `initdb` / `pg_ctl`) is started in a temporary folder on a free
port on 127.0.0.1 for this module and stopped at its end; every test gets a database of its own.
As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root). Without the
server binaries, or as root without a `postgres` user, the PostgreSQL tests are skipped with the
reason; the SQLite half of the migration tests still runs.

The register tests of tests/test_register.py that take an `engine` are reused as they are: they
are collected here again and get this module's PostgreSQL `engine`.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.orm import Session
from temporalio.testing import ActivityEnvironment

from activities.notifications import LetterActivities
from conduct import intake_keys, migrations, register, roster_store
from conduct.letters import LetterRequest, LetterTemplate
from conduct.register import Base, ComplaintRow, PublishNotice, ReferenceRequest
from conduct.settings import PROJECT_ROOT, Settings
from conduct.vocabulary import RecipientRole
from tests import factories
from tests import test_register as sqlite_tests
from tests.postgres_cluster import TIMEOUT, Cluster, throwaway_cluster  # TIMEOUT: also for every thread

MODEL_TABLES = set(Base.metadata.tables)

# ----------------------------------------------------------------------------- the register tests, reused

REUSED = (
    "test_sync_case_writes_the_case",
    "test_sync_case_twice_is_idempotent",
    "test_sync_case_follows_the_case_and_ignores_stale_states",
    "test_sync_case_mirrors_removed_children",
    "test_sync_case_keeps_publication",
    "test_withdrawal_and_informal_decisions_are_recorded",
    "test_an_older_revision_never_overwrites_a_newer_one_even_with_equal_timestamps",
    "test_concurrent_syncs_keep_the_highest_revision",
    "test_record_notification_is_idempotent",
    "test_record_notification_under_concurrency",
    "test_allocate_reference_sequences_per_council_and_year",
    "test_register_functions_accept_an_engine",
    "test_allocate_reference_rejects_bad_codes",
    "test_publish_notice_is_idempotent",
)
globals().update({name: getattr(sqlite_tests, name) for name in REUSED})


# ----------------------------------------------------------------------------- a throwaway cluster


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def pg_admin(pg_cluster: Cluster) -> Iterator[Engine]:
    engine = create_engine(
        pg_cluster.url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10}, pool_pre_ping=True
    )
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin: Engine) -> Iterator[str]:
    """An empty database of this test's own."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield pg_admin.url.set(database=name).render_as_string(hide_password=False)
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Bound every statement and lock wait, so a bug shows as an error instead of a hung suite.
PG_CONNECT_ARGS = {"connect_timeout": 10, "options": f"-c statement_timeout={TIMEOUT}s -c lock_timeout={TIMEOUT}s"}


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql"):
        return register.make_engine(url, connect_args=PG_CONNECT_ARGS)
    return register.make_engine(url)


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    """What the reused register tests get: a migrated PostgreSQL database."""
    engine = make_engine(pg_url)
    register.create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'register.db'}"
    return request.getfixturevalue("pg_url")


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) in `count` threads released together; results in thread order; errors raised."""
    barrier = threading.Barrier(count, timeout=TIMEOUT)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=TIMEOUT)
    assert not any(t.is_alive() for t in threads), f"threads still running after {TIMEOUT}s"
    if errors:
        raise errors[0]
    return results


# ----------------------------------------------------------------------------- migrations, both backends


def _alembic_cli_config(url: str) -> Config:
    """What `alembic -x url=... <command>` runs with: the repository's alembic.ini and env.py."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"), stdout=io.StringIO(), output_buffer=io.StringIO())
    config.cmd_opts = type("Options", (), {"x": [f"url={url}"]})()  # type: ignore[assignment]
    config.attributes["configure_logger"] = False  # leave pytest's logging alone
    return config


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def test_alembic_upgrade_head_creates_exactly_the_model_tables(db_url: str):
    command.upgrade(_alembic_cli_config(db_url), "head")
    engine = make_engine(db_url)
    try:
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) == MODEL_TABLES | {migrations.VERSION_TABLE}
        for name, table in Base.metadata.tables.items():
            assert {c["name"] for c in inspector.get_columns(name)} == {c.name for c in table.columns}, name
            indexes = {i["name"] for i in inspector.get_indexes(name) if not i.get("duplicates_constraint")}
            assert indexes == {i.name for i in table.indexes}, name
        with engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.head_revision()
        assert _differences(engine) == []  # autogenerate finds nothing to do
    finally:
        engine.dispose()


def test_create_schema_migrates_once_and_is_idempotent(db_url: str):
    engine = make_engine(db_url)
    try:
        register.create_schema(engine)
        register.create_schema(engine)
        assert set(inspect(engine).get_table_names()) == MODEL_TABLES | {migrations.VERSION_TABLE}
        assert _differences(engine) == []
        with engine.connect() as conn:
            versions = conn.execute(text(f"SELECT version_num FROM {migrations.VERSION_TABLE}")).scalars().all()
        assert versions == [migrations.head_revision()]
    finally:
        engine.dispose()


def test_create_schema_from_several_processes_at_once(db_url: str):
    """Each thread has its own engine, like worker, web app and CLI starting together."""

    def migrate(_: int) -> str | None:
        engine = make_engine(db_url)
        try:
            register.create_schema(engine)
            with engine.connect() as conn:
                return migrations.current_revision(conn)
        finally:
            engine.dispose()

    assert in_threads(6, migrate) == [migrations.head_revision()] * 6


def test_downgrade_to_base_and_back(db_url: str):
    config = _alembic_cli_config(db_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) == {migrations.VERSION_TABLE}
        register.create_schema(engine)
        assert set(inspect(engine).get_table_names()) == MODEL_TABLES | {migrations.VERSION_TABLE}
    finally:
        engine.dispose()


def test_a_database_from_before_migrations_is_adopted(db_url: str):
    engine = make_engine(db_url)
    try:
        # What create_schema did before Alembic: the tables of revision 0001, and no version table.
        command.upgrade(_alembic_cli_config(db_url), migrations.INITIAL_REVISION)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {migrations.VERSION_TABLE}")
        assert register.allocate_reference(engine, "WBC", 2026) == "WBC-2026-0001"
        register.create_schema(engine)
        with engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.head_revision()
        assert register.allocate_reference(engine, "WBC", 2026) == "WBC-2026-0002"  # data kept

        Base.metadata.tables["rosters"].drop(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {migrations.VERSION_TABLE}")
        with pytest.raises(RuntimeError, match="predates migrations"):
            register.create_schema(engine)
    finally:
        engine.dispose()


def test_offline_sql_for_a_dba(db_url: str):
    config = _alembic_cli_config(db_url)
    command.upgrade(config, "head", sql=True)
    sql = config.output_buffer.getvalue()  # type: ignore[union-attr]
    for table in MODEL_TABLES:
        assert f"CREATE TABLE {table}" in sql or f'CREATE TABLE "{table}"' in sql, table
    assert "INSERT INTO alembic_version" in sql


# ----------------------------------------------------------------------------- concurrency, both backends


def test_allocate_reference_from_eight_processes(db_url: str):
    setup = make_engine(db_url)
    register.create_schema(setup)
    setup.dispose()
    per_thread = 5

    def allocate(_: int) -> list[str]:
        engine = make_engine(db_url)  # like separate worker processes
        try:
            return [register.allocate_reference(engine, "WBC", 2026) for _ in range(per_thread)]
        finally:
            engine.dispose()

    results = [ref for refs in in_threads(8, allocate) for ref in refs]
    assert sorted(results) == [f"WBC-2026-{n:04d}" for n in range(1, 8 * per_thread + 1)]


def test_first_allocation_of_a_year_from_eight_threads(db_url: str):
    engine = make_engine(db_url)
    try:
        register.create_schema(engine)
        results = in_threads(8, lambda _: register.allocate_reference(engine, "ADC", 2030))
        assert sorted(results) == [f"ADC-2030-{n:04d}" for n in range(1, 9)]
    finally:
        engine.dispose()


def test_intake_key_gets_one_reference_however_often_it_is_posted(db_url: str):
    engine = make_engine(db_url)
    try:
        register.create_schema(engine)
        same = in_threads(8, lambda _: intake_keys.reference_for(engine, "form-123", "WBC", 2026))
        assert len({reference for reference, _ in same}) == 1
        assert sorted(new for _, new in same) == [False] * 7 + [True]
        assert intake_keys.reference_for(engine, "form-123", "WBC", 2026) == (same[0][0], False)

        distinct = in_threads(8, lambda i: intake_keys.reference_for(engine, f"form-{i}", "WBC", 2026))
        assert all(new for _, new in distinct)
        references = {reference for reference, _ in distinct} | {same[0][0]}
        assert len(references) == 9  # no reference given to two submissions
    finally:
        engine.dispose()


def test_roster_store_keeps_every_import_and_serves_the_newest(db_url: str):
    engine = make_engine(db_url)
    try:
        register.create_schema(engine)
        assert roster_store.current_roster(engine) is None
        first = factories.roster()
        first_id = roster_store.save_roster(engine, first)
        assert roster_store.current_roster(engine) == first
        second = first.model_copy(update={"independent_persons": first.independent_persons[:2]})
        with Session(engine) as session:
            assert roster_store.save_roster(session, second) > first_id
            assert roster_store.current_roster(session) == second
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- PostgreSQL only


def test_aware_datetimes_are_stored_as_timestamptz(engine: Engine):
    register.sync_case(engine, factories.case_state())
    with engine.connect() as conn:
        kind = conn.execute(
            text(
                "SELECT data_type FROM information_schema.columns"
                " WHERE table_name = 'complaints' AND column_name = 'received_at'"
            )
        ).scalar_one()
    assert kind == "timestamp with time zone"
    with Session(engine) as session:
        assert session.get(ComplaintRow, factories.REFERENCE).received_at == factories.RECEIVED_AT


async def test_register_and_letter_activities_on_postgresql(pg_url: str, tmp_path: Path):
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=pg_url,
        outbox_dir=tmp_path / "outbox",
        templates_dir=PROJECT_ROOT / "templates",
    )
    activities = LetterActivities(settings, roster=factories.roster())
    env = ActivityEnvironment()
    try:
        state = factories.case_state()
        await env.run(activities.sync_case, state)
        await env.run(activities.sync_case, state)
        refs = [
            await env.run(activities.allocate_reference, ReferenceRequest(council_code="ADC", year=2026)) for _ in "ab"
        ]
        assert refs == ["ADC-2026-0001", "ADC-2026-0002"]
        notice = PublishNotice(reference=state.reference, council="worthing", text="Notice", at=state.closed_at)
        await env.run(activities.publish_notice, notice)
        request = LetterRequest(
            key=f"{state.reference}:acknowledgement:complainant",
            template=LetterTemplate.ACKNOWLEDGEMENT,
            reference=state.reference,
            recipient=factories.recipient(RecipientRole.COMPLAINANT),
            context=factories.letter_context(),
        )
        first = await env.run(activities.send_letter, request)
        second = await env.run(activities.send_letter, request)
        assert (first.duplicate, second.duplicate) == (False, True)
        counts = sqlite_tests.counts(activities.engine)
        assert counts["complaints"] == 1 and counts["published_notices"] == 1 and counts["notifications"] == 1
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    finally:
        activities.close()
