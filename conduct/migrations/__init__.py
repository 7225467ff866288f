"""Schema migrations of the case register (Alembic), run in-process by `create_schema`.

No alembic.ini is needed at run time: `alembic_config()` points Alembic at this folder. The
repository's alembic.ini is only for the `alembic` command line (new revisions, `--sql`).

`upgrade(engine)` is idempotent and safe when several processes call it at once: it returns at
once when the database is already at head; otherwise it takes a lock first (PostgreSQL: a
transaction-scoped advisory lock; SQLite: ``BEGIN IMMEDIATE``, the database write lock), reads
the version again under the lock, and migrates inside that one transaction. The loser of a race
waits, then finds the database at head and does nothing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect, text

from conduct import (
    case_keys,
    group_report_register,
    intake_keys,
    print_queue,
    referrals,
    register,
    retention_register,
    roster_store,
    sanction_register,
    training,
)

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "alembic_version"
# pg_advisory_xact_lock key: int64 of b"conduct\0"; any constant would do, the same in every process.
_PG_LOCK_KEY = 0x636F6E6475637400
# The tables revision 0001 creates: a database made by the pre-Alembic `create_all` holds exactly
# these without a version table, and is adopted (stamped 0001) rather than created again.
INITIAL_REVISION = "0001"
INITIAL_TABLES = frozenset(
    {
        "complaints",
        "parties",
        "decisions",
        "clocks",
        "notifications",
        "reference_counters",
        "published_notices",
        "rosters",
        "intake_keys",
    }
)

# Every table lives on register.Base; the imports above put the side tables on it too.
assert intake_keys.IntakeKeyRow.__table__.metadata is register.Base.metadata
assert print_queue.PrintQueueRow.__table__.metadata is register.Base.metadata  # issue 14: letters by post
assert roster_store.RosterRow.__table__.metadata is register.Base.metadata
assert training.TrainingSessionRow.__table__.metadata is register.Base.metadata  # and the other issue-15 tables
assert group_report_register.GroupReportRow.__table__.metadata is referrals.ExternalReferralRow.metadata
assert case_keys.CaseKeyRow.__table__.metadata is retention_register.RetentionRecordRow.metadata
assert sanction_register.SanctionFollowUpRow.metadata is register.Base.metadata
target_metadata: MetaData = register.Base.metadata


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("path_separator", "os")
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def upgrade_lock(connection: Connection) -> None:
    """Begin the migration transaction holding the database-wide migration lock (released at
    commit or rollback)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    elif dialect == "sqlite":
        # pysqlite opens no transaction before DDL; take the write lock explicitly (waits up to
        # the connection's busy timeout while another process holds it).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _migrate(connection: Connection, head: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    current = current_revision(connection)
    if current == head:
        return
    if current is None:
        existing = set(inspect(connection).get_table_names()) & INITIAL_TABLES
        if existing == INITIAL_TABLES:
            command.stamp(config, INITIAL_REVISION)
        elif existing:
            raise RuntimeError(
                f"the database has some case register tables ({', '.join(sorted(existing))}) but no "
                f"{VERSION_TABLE} table: it predates migrations and is incomplete. Move it aside, or "
                "create the missing tables and run `alembic stamp 0001`."
            )
    command.upgrade(config, "head")


def upgrade(engine: Engine) -> None:
    """Bring the database of `engine` to the newest schema revision (idempotent)."""
    head = head_revision()
    with engine.connect() as connection:
        if current_revision(connection) == head:
            return
    with engine.connect() as connection:
        upgrade_lock(connection)
        _migrate(connection, head)
        connection.commit()
