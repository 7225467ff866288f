"""Personal data in the register is encrypted at the column level with the payload codec's key
ring (issue 12), and lists and reports still read it.

Reproduction: `conduct.db` held complainants in clear: their names and e-mails, and the address
on every letter, were in the file's bytes for anyone who could read it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from conduct import actions as a
from conduct import migrations, reports
from conduct.codec import new_key_spec
from conduct.letters import LetterReceipt, LetterTemplate
from conduct.register import NotificationRow, PartyRow, create_schema, make_engine, record_notification, sync_case
from conduct.roster_store import save_roster
from conduct.sealed_columns import SealedColumnError
from conduct.settings import Settings, get_settings
from conduct.vocabulary import RecipientRole
from starter.cli import app
from tests import factories
from tests.encrypted import encrypted_env
from tests.harness import CaseDriver
from tests.steps import MO, RECEIVED
from worker import build_worker

KEYS = new_key_spec("key-2026")
OLDER = new_key_spec("key-2025")
INTAKE = factories.intake()
SECRETS = (
    factories.COMPLAINANT_NAME,
    str(INTAKE.complainant.email),
    INTAKE.complainant.address,
    INTAKE.complainant.phone,
)


def _file_bytes(folder: Path) -> bytes:
    """Everything SQLite keeps on disk for the register: the file and its -wal and -shm."""
    return b"".join(p.read_bytes() for p in sorted(folder.glob("conduct.db*")))


def _in_clear(folder: Path) -> list[str]:
    blob = _file_bytes(folder)
    return [s for s in SECRETS if s and s.encode() in blob]


def _sync_with_letter(engine: Engine) -> None:
    state = factories.case_state()
    sync_case(engine, state, factories.roster())
    receipt = LetterReceipt(
        key=f"{state.reference}:acknowledgement:complainant",
        template=LetterTemplate.ACKNOWLEDGEMENT,
        to=str(INTAKE.complainant.email),
        role=RecipientRole.COMPLAINANT,
        subject="Your complaint",
        sent_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
        duplicate=False,
    )
    record_notification(engine, receipt, state.reference)


def test_register_file_holds_no_complainant_data_in_clear(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'conduct.db'}"
    engine = make_engine(url, keys=KEYS)
    create_schema(engine)
    _sync_with_letter(engine)
    _sync_with_letter(engine)  # a second sync of the same case rewrites nothing
    assert _in_clear(tmp_path) == []
    with Session(engine) as s:  # read back through the register, the officers see them
        complainant = s.scalars(select(PartyRow).where(PartyRow.role == "complainant")).one()
        assert (complainant.name, complainant.email) == (factories.COMPLAINANT_NAME, str(INTAKE.complainant.email))
        assert s.scalars(select(NotificationRow.to)).one() == str(INTAKE.complainant.email)
        officer = s.scalars(select(PartyRow).where(PartyRow.role == "investigating_officer")).one()
        assert officer.email == "fiona.blackwood@adur-worthing.example"
        cases = reports.load_cases(s)
    assert cases[0].complainant_email == str(INTAKE.complainant.email)
    twice = cases + [cases[0].model_copy(update={"reference": "WBC-2026-0099"})]
    assert any(p.kind == "complainant" and p.who == str(INTAKE.complainant.email) for p in reports.patterns(twice))
    with engine.connect() as raw:
        stored = raw.execute(text("SELECT name, email FROM parties WHERE role = 'complainant'")).one()
    reference = cases[0].reference
    assert all(v.startswith(f"enc2:{reference}:") for v in stored)  # under the case's own data key (H6)
    engine.dispose()
    assert _in_clear(tmp_path) == []  # after the last connection closed and checkpointed too
    # the key ring rotates: a new first key seals, the old still opens
    rotated = make_engine(url, keys=f"{OLDER},{KEYS}")
    with Session(rotated) as s:
        assert (
            s.scalars(select(PartyRow.name).where(PartyRow.role == "complainant")).one() == factories.COMPLAINANT_NAME
        )
    rotated.dispose()
    # without the keys a sealed value is an error, never ciphertext passed off as a name
    keyless = make_engine(url)
    with Session(keyless) as s, pytest.raises(SealedColumnError, match="holds no key"):
        s.scalars(select(PartyRow.name).where(PartyRow.role == "complainant")).one()
    keyless.dispose()


def test_a_value_moved_to_another_column_does_not_open(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'conduct.db'}", keys=KEYS)
    create_schema(engine)
    _sync_with_letter(engine)
    with engine.begin() as raw:
        raw.execute(text("UPDATE parties SET name = email WHERE role = 'complainant'"))
    with Session(engine) as s, pytest.raises(SealedColumnError, match="could not be opened"):
        s.scalars(select(PartyRow.name).where(PartyRow.role == "complainant")).one()
    engine.dispose()


def test_without_keys_the_register_is_written_as_before(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'conduct.db'}")
    create_schema(engine)
    _sync_with_letter(engine)
    with Session(engine) as s:
        assert (
            s.scalars(select(PartyRow.name).where(PartyRow.role == "complainant")).one() == factories.COMPLAINANT_NAME
        )
    engine.dispose()


def test_migration_0005_seals_the_rows_already_there(tmp_path: Path) -> None:
    """A register of revision 0004 with complainants in clear: upgrading with the keys seals them,
    and leaves no trace of the clear text in the file (secure_delete)."""
    url = f"sqlite:///{tmp_path / 'conduct.db'}"
    old = make_engine(url)
    with old.connect() as connection:
        from alembic import command

        config = migrations.alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.commit()
    with old.begin() as raw:
        raw.execute(
            text(
                "INSERT INTO complaints (reference, workflow_id, council, hearing_council, stage, received_at, "
                "overdue, subject_members, subject_groups, complainant_type, confidential, published, updated_at, "
                "revision) VALUES ('WBC-2026-0001', 'complaint-WBC-2026-0001', 'worthing', 'worthing', 'closed', "
                "'2026-03-02 10:00:00', 0, '[]', '{}', 'public', 0, 0, '2026-03-02 10:00:00', 1)"
            )
        )
        raw.execute(
            text(
                "INSERT INTO parties (reference, role, party_id, name, email) VALUES "
                "('WBC-2026-0001', 'complainant', 'complainant', :name, :email)"
            ),
            {"name": factories.COMPLAINANT_NAME, "email": str(INTAKE.complainant.email)},
        )
        raw.execute(
            text(
                'INSERT INTO notifications (key, reference, template, "to", role, subject, sent_at, status) '
                "VALUES ('k', 'WBC-2026-0001', 'acknowledgement', :to, 'complainant', 's', "
                "'2026-03-02 10:00:00', 'sent')"
            ),
            {"to": str(INTAKE.complainant.email)},
        )
    old.dispose()
    assert factories.COMPLAINANT_NAME in _in_clear(tmp_path)
    engine = make_engine(url, keys=KEYS)
    create_schema(engine)
    with Session(engine) as s:
        assert s.scalars(select(PartyRow.name)).one() == factories.COMPLAINANT_NAME
        assert s.scalars(select(NotificationRow.to)).one() == str(INTAKE.complainant.email)
    engine.dispose()
    assert _in_clear(tmp_path) == []
    plain = create_engine(url)
    with plain.connect() as raw:
        assert raw.execute(text("SELECT name FROM parties")).scalar_one().startswith("enc1:")
    plain.dispose()


async def test_a_case_run_by_the_worker_leaves_no_complainant_data_in_clear(settings: Settings) -> None:
    """End to end: the worker (with the keys) syncs two cases from one complainant; the register's
    file holds none of their details in clear, and `conduct report patterns` still names them."""
    settings = settings.model_copy(update={"encryption_keys": KEYS})
    async with encrypted_env(settings) as env, build_worker(env.client, settings, fail_fast=True):
        driver = CaseDriver(env, settings)
        await driver.travel_to_day(RECEIVED)
        first = await driver.open("WBC-2029-0001")
        await driver.open("WBC-2029-0002")
        await first.act("triage", a.Triage(officer=MO, notify=True))
        await first.settle()
        assert (await first.status()).intake.complainant.name == factories.COMPLAINANT_NAME
    assert _in_clear(settings.data_dir) == []
    engine = make_engine(settings.resolved_database_url, keys=KEYS)
    save_roster(engine, factories.roster())
    engine.dispose()
    environ = {
        "CONDUCT_DATA_DIR": str(settings.data_dir),
        "CONDUCT_DATABASE_URL": settings.resolved_database_url,
        "CONDUCT_ENCRYPTION_KEYS": KEYS,
        "CONDUCT_OFFICER": "mo",
    }
    get_settings.cache_clear()
    try:
        printed = CliRunner().invoke(app, ["report", "patterns", "--json"], env=environ)
    finally:
        get_settings.cache_clear()
    assert printed.exit_code == 0, printed.output
    assert str(INTAKE.complainant.email) in printed.stdout
