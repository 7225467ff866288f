"""Retention, per-case data keys and subject access (issue 13, "Retention, shredding and subject access").

- Each case's payloads are sealed under its own data key (metadata `data-key-id`), wrapped by the
  ring; what was sealed with the ring alone still reads.
- A time-skipping run of the `Retention` workflow over a closed case past its six years shreds the
  key, deletes its uploads and letters, leaves anonymous statistics that still add up, writes one
  line per case to the retention log; afterwards its history cannot be decoded, ring in hand.
- `conduct retention --dry-run` is the MO's or deputy's; `conduct show`/`history` of a shredded
  case say "personal data removed on DATE under the retention policy".
- `conduct subject-access --email` writes a zip with an index, read back here.
"""

from __future__ import annotations

import base64
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowQueryFailedError
from typer.testing import CliRunner, Result

from conduct import case_keys, retention_register
from conduct.case_keys import CaseShredded, KeyStore
from conduct.codec import DATA_KEY_ID, KEY_ID, EncryptionCodec, new_key_spec, parse_keys
from conduct.evidence_seal import EvidenceSeal
from conduct.register import ComplaintRow, DecisionRow, NotificationRow, PartyRow, create_schema, make_engine
from conduct.reports import load_cases
from conduct.retention import RetentionRequest, RetentionRun, years_after
from conduct.roster_store import save_roster
from conduct.settings import Settings, get_settings
from starter.cli import app
from starter.client import DATA_CONVERTER, data_converter, workflow_id
from starter.web import uploads
from tests import factories
from tests.encrypted import encrypted_env
from tests.harness import CaseDriver
from tests.history_paths import no_action
from tests.steps import DEM, MO
from worker import build_worker
from workflows.complaint import ComplaintWorkflow
from workflows.retention import RetentionWorkflow

RING = new_key_spec("ring-2029")


# ----------------------------------------------------------------------------- the codec


async def test_each_case_is_sealed_under_its_own_key_and_ring_payloads_still_read(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    create_schema(engine)
    ring = parse_keys(RING)
    store = KeyStore(engine, ring)
    codec = EncryptionCodec(ring, case_keys=store)
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"name": "Harriet Lomax"}')

    one = codec.with_context(_context("complaint-WBC-2029-0001"))
    two = codec.with_context(_context("complaint-WBC-2029-0002"))
    [a], [b] = await one.encode([plain]), await two.encode([plain])
    assert a.metadata[DATA_KEY_ID] == b"WBC-2029-0001" and b.metadata[DATA_KEY_ID] == b"WBC-2029-0002"
    assert a.metadata[KEY_ID] == b"ring-2029"  # the ring key that wraps the data key
    with pytest.raises(InvalidTag):  # the ring alone does not open a case's payload
        AESGCM(ring["ring-2029"]).decrypt(a.data[:12], a.data[12:], None)
    # decoding needs no context: the metadata names the case; another store (process) reads it too
    # (another process: its cache keeps a key at most `cache_seconds`, so a shred elsewhere takes hold then)
    fresh = EncryptionCodec(ring, case_keys=KeyStore(engine, ring, cache_seconds=0))
    assert await fresh.decode([a, b]) == [plain, plain]

    # written before per-case keys (ring only, no data-key-id) and other workflows' payloads
    [old] = await EncryptionCodec(ring).encode([plain])
    assert DATA_KEY_ID not in old.metadata
    assert await fresh.decode([old]) == [plain]
    [report] = await codec.with_context(_context("conduct-reports-2030")).encode([plain])
    assert DATA_KEY_ID not in report.metadata

    # the unwrapped key is cached (bounded): the second payload of a case costs no query
    lookups = store.lookups
    await one.encode([plain])
    assert store.lookups == lookups
    small = KeyStore(engine, ring, cache_size=1)
    small.cipher("WBC-2029-0001")
    small.cipher("WBC-2029-0002")
    assert small.cached("WBC-2029-0001") is None and small.cached("WBC-2029-0002") is not None

    assert store.shred("WBC-2029-0001", date(2036, 1, 1))
    for reader in (fresh, EncryptionCodec(ring, case_keys=KeyStore(engine, ring))):
        with pytest.raises(CaseShredded, match="personal data removed on 1 January 2036 under the retention policy"):
            await reader.decode([a])
        assert await reader.decode([b]) == [plain]  # the other case is untouched
    with pytest.raises(CaseShredded):  # and no new key is ever made for it
        await one.encode([plain])


def _context(workflow: str):  # noqa: ANN202
    from temporalio.converter import WorkflowSerializationContext

    return WorkflowSerializationContext(namespace="default", workflow_id=workflow)


def test_retention_periods_count_whole_years() -> None:
    assert years_after(date(2029, 11, 20), 6) == date(2035, 11, 20)
    assert years_after(date(2028, 2, 29), 1) == date(2029, 2, 28)
    council = factories.roster().councils[0]
    assert (council.retention_years, council.notice_retention_years) == (6, 6)


def test_the_retention_schedule_runs_monthly(settings: Settings) -> None:
    from starter.schedules import RETENTION_SCHEDULE_ID, TIME_ZONE, build_retention_schedule

    schedule = build_retention_schedule(settings)
    [calendar] = schedule.spec.calendars
    assert [(r.start, r.end) for r in calendar.month] == [(1, 12)]
    assert [r.start for r in calendar.day_of_month] == [1] and [r.start for r in calendar.hour] == [3]
    assert schedule.spec.time_zone_name == TIME_ZONE
    assert schedule.action.workflow == "Retention" and schedule.action.id == RETENTION_SCHEDULE_ID


# ----------------------------------------------------------------------------- the Retention workflow


async def test_retention_run_shreds_a_closed_case_past_its_period(settings: Settings) -> None:
    settings = settings.model_copy(update={"encryption_keys": RING})
    ring = parse_keys(RING)
    intake = factories.intake()
    async with encrypted_env(settings) as env:
        async with build_worker(env.client, settings, fail_fast=True):
            driver = CaseDriver(env, settings)
            case = await no_action(driver)
            await case.settle()
            reference = case.reference
            upload_dir, seal = settings.data_dir / "uploads", EvidenceSeal.from_settings(settings)
            stored = uploads.store(upload_dir, b"%PDF-1.4 my evidence", "pdf", "photo.pdf", "key-1", seal)
            uploads.claim(upload_dir, [stored], reference, seal)  # sealed under the case's key
            letters = sorted(settings.resolved_outbox_dir.glob(f"{reference}-*.eml"))
            assert letters, "the case's letters are in the outbox"
            engine = make_engine(settings.resolved_database_url, keys=RING)
            with Session(engine) as db:
                before = _statistics(db)
                closed_at = db.get(ComplaintRow, reference).closed_at
            history = await case.handle.fetch_history()
            raw = await Client(env.client.service_client, namespace="default", data_converter=DATA_CONVERTER)\
                .get_workflow_handle(case.handle.id).fetch_history()  # fmt: skip
            sealed = [p for p in _payloads(raw) if p.metadata.get("encoding") == b"binary/encrypted"]
            assert sealed and all(p.metadata[DATA_KEY_ID] == reference.encode() for p in sealed)

            # a run before the six years are up removes nothing (the server's clock moves only when told)
            with env.auto_time_skipping_disabled():
                early = await _run_retention(env, settings, "retention-early")
                assert early.on == date(2029, 11, 20) and early.cases == []
                await driver.travel_to_day(date(2035, 12, 1))
                run = await _run_retention(env, settings, "retention-2035-12")
                assert run.on == date(2035, 12, 1)
                [receipt] = run.cases
                assert (receipt.reference, receipt.key_shredded) == (reference, True)
                assert (receipt.uploads_deleted, receipt.letters_deleted) == (1, len(letters))
                again = await _run_retention(env, settings, "retention-again")
                assert again.cases == []  # once only

            # nobody can read the history any more: the worker's own converter, the ring in hand
            with pytest.raises(WorkflowQueryFailedError, match="personal data removed on 1 December 2035"):
                await case.handle.query(ComplaintWorkflow.status)
        with pytest.raises(Exception, match="personal data removed on 1 December 2035"):
            await data_converter(settings).decode([sealed[0]])
        for p in sealed:
            for key in ring.values():
                with pytest.raises(InvalidTag):
                    AESGCM(key).decrypt(p.data[:12], p.data[12:], None)
        from temporalio.worker import Replayer

        replayed = await Replayer(workflows=[ComplaintWorkflow], data_converter=data_converter(settings))\
            .replay_workflow(history, raise_on_replay_failure=False)  # fmt: skip
        assert replayed.replay_failure is not None

    assert not (upload_dir / stored.stored).exists() and not (upload_dir / f"{stored.stored}.json").exists()
    assert not list(settings.resolved_outbox_dir.glob(f"{reference}-*.eml"))
    with Session(engine) as db:
        key_row = db.get(case_keys.CaseKeyRow, reference)
        assert key_row.wrapped is None and key_row.shredded_on == date(2035, 12, 1)
        assert db.scalars(select(PartyRow).where(PartyRow.reference == reference)).all() == []
        for decision in db.scalars(select(DecisionRow).where(DecisionRow.reference == reference)):
            assert decision.summary.endswith("[removed under the retention policy]") and decision.officer is None
        for letter in db.scalars(select(NotificationRow).where(NotificationRow.reference == reference)):
            assert (letter.to, letter.subject) == ("", "")
        row = db.get(ComplaintRow, reference)
        assert (row.council, row.closed_at, row.outcome) == ("worthing", closed_at, "no_action")
        assert _statistics(db) == before  # every report still adds up
        record = retention_register.record_of(db, reference)
        assert (record.removed_on, record.retention_years) == (date(2035, 12, 1), 6)
    log = (settings.data_dir / "retention.log").read_text()
    [line] = [json.loads(x) for x in log.splitlines() if reference in x]
    assert line["reference"] == reference and line["data_key"] == "shredded"
    for secret in (intake.complainant.name, str(intake.complainant.email), intake.description[:20], "photo.pdf"):
        assert secret not in log
    assert oct((settings.data_dir / "retention.log").stat().st_mode & 0o777) == "0o600"
    engine.dispose()


async def _run_retention(env, settings: Settings, ident: str) -> RetentionRun:  # noqa: ANN001
    return await env.client.execute_workflow(
        RetentionWorkflow.run, RetentionRequest(), id=ident, task_queue=settings.task_queue, result_type=RetentionRun
    )


def _payloads(history) -> list[Payload]:  # noqa: ANN001
    """Every payload in a history's events (inputs, results, update arguments...), from its JSON."""
    found: list[Payload] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            metadata = node.get("metadata")
            if isinstance(metadata, dict) and "encoding" in metadata:
                found.append(
                    Payload(
                        metadata={k: base64.b64decode(v) for k, v in metadata.items()},
                        data=base64.b64decode(node.get("data", "")),
                    )
                )
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(history.to_json()))
    return found


def _statistics(db: Session) -> list[tuple]:
    """What the reports count: council, stage, outcome, dates, groups, source, clocks."""
    return [
        (c.council, c.stage, c.outcome, c.received_at, c.closed_at, sorted(c.subject_groups.values()),
         len(c.subject_members), c.complainant_type, c.assessment_outcome, [(k.name, k.due, k.state) for k in c.clocks])
        for c in load_cases(db)
    ]  # fmt: skip


# ----------------------------------------------------------------------------- the commands


@dataclass
class Cli:
    environ: dict[str, str]

    def __call__(self, *args: str) -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args), env=self.environ)
        finally:
            get_settings.cache_clear()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """The CLI over a register holding one closed case, sealed with the ring (no Temporal)."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    environ = {
        "CONDUCT_DATA_DIR": str(data_dir),
        "CONDUCT_DATABASE_URL": f"sqlite:///{data_dir / 'conduct.db'}",
        "CONDUCT_TEMPORAL_ADDRESS": "127.0.0.1:1",
        "CONDUCT_OIDC_ISSUER": "",
        "CONDUCT_CLOSURES": "",
        "CONDUCT_ENCRYPTION_KEYS": RING,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "COLUMNS": "200",
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(environ["CONDUCT_DATABASE_URL"], keys=RING)
    create_schema(engine)
    save_roster(engine, factories.roster())
    _closed_case(engine, "WBC-2029-0001", datetime(2029, 11, 20, 12, tzinfo=UTC))
    engine.dispose()
    get_settings.cache_clear()
    yield Cli(environ)
    get_settings.cache_clear()


def _closed_case(engine, reference: str, closed_at: datetime) -> None:  # noqa: ANN001
    with Session(engine) as db:
        db.add(
            ComplaintRow(
                reference=reference, workflow_id=workflow_id(reference), council="worthing", hearing_council="worthing",
                stage="closed", outcome="no_action", received_at=closed_at, closed_at=closed_at,
                subject_members=["wbc-04"], subject_groups={"wbc-04": "Labour"}, complainant_type="public",
                updated_at=closed_at,
            )
        )  # fmt: skip
        db.add(PartyRow(reference=reference, role="complainant", party_id="complainant", name="Harriet Lomax",
                        email="harriet@example.org"))  # fmt: skip
        db.commit()


def test_retention_dry_run_lists_what_the_next_run_removes_for_the_mo_only(cli: Cli) -> None:
    listed = cli("retention", "--dry-run", "--on", "2035-12-01", "--json", "--as", MO)
    assert listed.exit_code == 0, listed.output
    [case] = json.loads(listed.output)["cases"]
    assert (case["reference"], case["closed_on"], case["due_on"]) == ("WBC-2029-0001", "2029-11-20", "2035-11-20")
    assert json.loads(cli("retention", "--dry-run", "--on", "2035-11-19", "--json", "--as", MO).output)["cases"] == []
    for officer in (DEM, "io-1"):
        refused = cli("retention", "--dry-run", "--as", officer)
        assert refused.exit_code == 3, refused.output
        assert "cannot run `conduct retention`" in refused.output
    usage = cli("retention", "--as", MO)
    assert usage.exit_code == 2 and "--dry-run" in usage.output


def test_a_shredded_case_shows_when_its_personal_data_was_removed(cli: Cli) -> None:
    engine = make_engine(cli.environ["CONDUCT_DATABASE_URL"], keys=RING)
    due = retention_register.due_cases(engine, factories.roster(), date(2036, 1, 1))
    retention_register.anonymise(engine, due[0], date(2036, 1, 1), 0, 0)
    engine.dispose()
    for command in ("show", "history"):
        shown = cli(command, "WBC-2029-0001", "--as", MO)
        assert shown.exit_code == 0, shown.output
        assert "WBC-2029-0001: personal data removed on 1 January 2036 under the retention policy" in shown.output
        assert "Harriet" not in shown.output
    refused = cli("show", "WBC-2029-0001", "--as", "io-1")
    assert refused.exit_code == 3


def test_subject_access_is_the_mo_s_and_checks_its_flags(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "sar.zip"
    refused = cli("subject-access", "--email", "harriet@example.org", "--out", str(target), "--as", DEM)
    assert refused.exit_code == 3 and not target.exists()
    assert cli("subject-access", "--email", "not an address", "--as", MO).exit_code == 2
    # nothing held about this address: an index that says so, and Temporal is not needed
    made = cli("subject-access", "--email", "nobody@example.org", "--out", str(target), "--as", MO)
    assert made.exit_code == 0, made.output
    with zipfile.ZipFile(target) as archive:
        assert "We hold nothing about this address." in archive.read("index.txt").decode()
    again = cli("subject-access", "--email", "nobody@example.org", "--out", str(target), "--as", MO)
    assert again.exit_code == 2  # an existing file is never overwritten


async def test_subject_access_zip_holds_their_complaint_letters_and_evidence(settings: Settings) -> None:
    from starter.retention_cli import subject_access

    settings = settings.model_copy(update={"encryption_keys": RING})
    intake = factories.intake()
    email = str(intake.complainant.email)
    async with encrypted_env(settings) as env, build_worker(env.client, settings, fail_fast=True):
        case = await no_action(CaseDriver(env, settings))
        await case.settle()
        upload_dir, seal = settings.data_dir / "uploads", EvidenceSeal.from_settings(settings)
        stored = uploads.store(upload_dir, b"%PDF-1.4 my evidence", "pdf", "photo.pdf", "key-1", seal)
        uploads.claim(upload_dir, [stored], case.reference, seal)  # sealed at rest: the zip holds it in clear
        assert b"my evidence" not in (upload_dir / stored.stored).read_bytes()
        target = settings.data_dir / "sar.zip"
        index = await subject_access(settings, MO, email.upper(), target, env.client)
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert json.loads(archive.read("index.json")) == index
        own = json.loads(archive.read(f"cases/{case.reference}/your-complaint.json"))
        assert own["you"]["name"] == intake.complainant.name
        assert own["your_complaint"]["description"] == intake.description
        assert archive.read(f"cases/{case.reference}/evidence/01-photo.pdf") == b"%PDF-1.4 my evidence"
        letters = [n for n in names if n.startswith("letters/")]
        assert letters and all(f"{case.reference}-" in n for n in letters)
        for name in letters:
            assert email.lower() in archive.read(name).decode().lower()  # only letters to them
        text = archive.read("index.txt").decode()
    assert index["cases_as_complainant"] == [case.reference]
    withheld = [w["withheld"] for w in index["withheld"]]
    assert any("councillor" in w for w in withheld) and any("letters to other people" in w for w in withheld)
    subject = factories.roster().member(intake.subject_members[0])
    assert subject is not None
    assert subject.name not in json.dumps(index) and subject.name not in text
