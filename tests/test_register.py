"""The case register: idempotent sync, notifications, references, publication."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from temporalio.testing import ActivityEnvironment

from activities.notifications import LetterActivities
from conduct import register
from conduct.case import TimelineEntry, Withdrawal
from conduct.letters import LetterReceipt, LetterTemplate
from conduct.projection import CaseSync, case_sync
from conduct.register import (
    ClockRow,
    ComplaintRow,
    DecisionRow,
    NotificationRow,
    PartyRow,
    PublishedNoticeRow,
    PublishNotice,
    ReferenceCounterRow,
    ReferenceRequest,
)
from conduct.settings import PROJECT_ROOT, Settings
from conduct.vocabulary import ClockName, ClockState, Outcome, RecipientRole, Stage
from tests import factories

REFERENCE = factories.REFERENCE
TABLES = (ComplaintRow, PartyRow, DecisionRow, ClockRow, NotificationRow, ReferenceCounterRow, PublishedNoticeRow)


@pytest.fixture
def engine(tmp_path: Path):
    engine = register.make_engine(f"sqlite:///{tmp_path / 'register.db'}")
    register.create_schema(engine)
    yield engine
    engine.dispose()


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of the case tables, as plain tuples (ids excluded)."""
    out: dict[str, list[tuple]] = {}
    with Session(engine) as session:
        for table in (ComplaintRow, PartyRow, DecisionRow, ClockRow):
            columns = [c for c in table.__table__.columns if c.name != "id"]
            rows = session.execute(select(*columns).order_by(*columns[:3])).all()
            out[table.__tablename__] = [tuple(r) for r in rows]
    return out


def early_state():
    """The same case on the day it arrived: triage only, one clock running."""
    full = factories.case_state()
    return factories.case_state(
        stage=Stage.ASSESSMENT,
        outcome=None,
        closed_at=None,
        assessment=None,
        subject_ip=None,
        investigator=None,
        final_report=None,
        hearing=None,
        hearing_outcome=None,
        notice_issued_at=None,
        consultations=[],
        clocks={
            ClockName.ASSESSMENT: full.clocks[ClockName.ASSESSMENT].model_copy(
                update={"state": ClockState.PENDING, "met_on": None}
            )
        },
        timeline=full.timeline[:2],
    )


# ----------------------------------------------------------------------------- engine


def test_sqlite_engine_uses_wal_and_foreign_keys(engine: Engine):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_in_memory_engine_works_across_threads():
    engine = register.make_engine("sqlite://")
    register.create_schema(engine)
    results: list[str] = []

    def allocate() -> None:
        with Session(engine) as session:
            results.append(register.allocate_reference(session, "WBC", 2026))

    thread = threading.Thread(target=allocate)
    thread.start()
    thread.join()
    allocate()
    assert sorted(results) == ["WBC-2026-0001", "WBC-2026-0002"]


def test_make_engine_creates_the_database_folder(tmp_path: Path):
    engine = register.make_engine(f"sqlite:///{tmp_path / 'nested' / 'deeper' / 'conduct.db'}")
    register.create_schema(engine)
    assert (tmp_path / "nested" / "deeper" / "conduct.db").exists()
    engine.dispose()


# ----------------------------------------------------------------------------- sync_case


def test_sync_case_writes_the_case(engine: Engine):
    state = factories.case_state()
    with Session(engine) as session:
        assert register.sync_case(session, state, factories.roster()) is True
        row = session.get(ComplaintRow, REFERENCE)
        assert row is not None
        assert row.stage == "closed" and row.outcome == "breach"
        assert row.council == "worthing" and row.subject_members == ["wbc-04"]
        assert row.subject_groups == {"wbc-04": "Labour"}
        assert row.complainant_type == "public" and row.confidential is False
        assert row.received_at == factories.RECEIVED_AT
        assert row.received_at.tzinfo is not None
        assert row.updated_at == state.closed_at

        parties = {(p.role, p.party_id): p for p in session.scalars(select(PartyRow))}
        assert set(parties) == {
            ("complainant", "complainant"),
            ("subject_member", "wbc-04"),
            ("investigating_officer", "io-1"),
            ("independent_person", "ip-1"),
            ("independent_person", "ip-2"),
            ("independent_person", "ip-3"),
        }
        assert parties[("complainant", "complainant")].name == factories.COMPLAINANT_NAME
        assert parties[("subject_member", "wbc-04")].name == "Desmond Achterberg"
        assert parties[("investigating_officer", "io-1")].email == "fiona.blackwood@adur-worthing.example"

        kinds = sorted(d.kind for d in session.scalars(select(DecisionRow)))
        assert kinds == ["assessment", "final_report", "hearing_outcome", "triage"]
        outcome = session.scalar(select(DecisionRow).where(DecisionRow.kind == "hearing_outcome"))
        assert "a formal letter from the Monitoring Officer" in outcome.summary
        assert outcome.officer == "dem"

        clocks = {c.name: c for c in session.scalars(select(ClockRow))}
        assert set(clocks) == {c.value for c in state.clocks}
        assert clocks["assessment"].state == "met"
        assert clocks["assessment"].due == state.clocks[ClockName.ASSESSMENT].due


def test_sync_case_twice_is_idempotent(engine: Engine):
    state = factories.case_state()
    roster = factories.roster()
    with Session(engine) as session:
        register.sync_case(session, state, roster)
    before_counts, before = counts(engine), snapshot(engine)
    with Session(engine) as session:
        register.sync_case(session, state, roster)
        register.sync_case(session, state.model_copy(deep=True), roster)
    assert counts(engine) == before_counts
    assert snapshot(engine) == before
    # without a roster the names learnt earlier are kept
    with Session(engine) as session:
        register.sync_case(session, state)
    assert snapshot(engine) == before


def test_sync_case_follows_the_case_and_ignores_stale_states(engine: Engine):
    early, full = early_state(), factories.case_state()
    with Session(engine) as session:
        register.sync_case(session, early)
        assert session.get(ComplaintRow, REFERENCE).stage == "assessment"
        assert session.scalar(select(func.count()).select_from(ClockRow)) == 1
        assert [d.kind for d in session.scalars(select(DecisionRow))] == ["triage"]

    with Session(engine) as session:
        assert register.sync_case(session, full) is True
        row = session.get(ComplaintRow, REFERENCE)
        assert row.stage == "closed" and row.outcome == Outcome.BREACH.value
    after = snapshot(engine)
    assert counts(engine)["clocks"] == 5

    with Session(engine) as session:  # a late retry of an older sync changes nothing
        assert register.sync_case(session, early) is False
    assert snapshot(engine) == after


def test_sync_case_mirrors_removed_children(engine: Engine):
    state = factories.case_state()
    with Session(engine) as session:
        register.sync_case(session, state)
    later = state.model_copy(
        update={
            "investigator": "io-2",
            "clocks": {k: v for k, v in state.clocks.items() if k is not ClockName.DECISION_NOTICE},
            "timeline": [
                *state.timeline,
                TimelineEntry(
                    at=state.closed_at + timedelta(days=1),
                    event="note",
                    summary="Investigator record corrected.",
                    stage=Stage.CLOSED,
                ),
            ],
        }
    )
    with Session(engine) as session:
        register.sync_case(session, later)
        officers = session.scalars(select(PartyRow.party_id).where(PartyRow.role == "investigating_officer")).all()
        assert officers == ["io-2"]
        assert "decision_notice" not in session.scalars(select(ClockRow.name)).all()


def test_sync_case_keeps_publication(engine: Engine):
    state = factories.case_state()
    with Session(engine) as session:
        register.sync_case(session, state)
        register.publish_notice(session, REFERENCE, "worthing", "Decision notice", state.closed_at)
        register.sync_case(session, state)  # state.published is still False
        assert session.get(ComplaintRow, REFERENCE).published is True


def test_withdrawal_and_informal_decisions_are_recorded(engine: Engine):
    base = early_state()
    at = base.received_at + timedelta(days=30)
    state = base.model_copy(
        update={
            "informal_resolved": True,
            "informal_outcome_text": "The councillor apologised in writing.",
            "withdrawal": Withdrawal(
                requested_at=at,
                text="I no longer wish to pursue this.",
                previous_stage=Stage.INFORMAL_RESOLUTION,
                decision="stop",
                ip="ip-2",
                ip_view="No sign of intimidation.",
            ),
            "stage": Stage.CLOSED,
            "outcome": Outcome.WITHDRAWN,
            "closed_at": at + timedelta(days=2),
        }
    )
    with Session(engine) as session:
        register.sync_case(session, state)
        decisions = {d.kind: d for d in session.scalars(select(DecisionRow))}
        assert "Resolved informally." in decisions["informal_outcome"].summary
        assert "stop" in decisions["withdrawal"].summary
        assert decisions["withdrawal"].at == at + timedelta(days=2)
    with Session(engine) as session:
        register.sync_case(session, state)
    assert counts(engine)["decisions"] == 3


# ----------------------------------------------------------------------------- revisions


def _stage(engine: Engine) -> tuple[str, int]:
    with Session(engine) as session:
        row = session.get(ComplaintRow, REFERENCE)
        return row.stage, row.revision


def test_an_older_revision_never_overwrites_a_newer_one_even_with_equal_timestamps(engine: Engine):
    """Two checkpoints in one workflow task share `workflow.now()`: their syncs have equal
    timestamps, and a late retry of the first must not undo the second."""
    first = case_sync(early_state(), revision=1)
    second = first.model_copy(update={"revision": 2, "stage": Stage.INFORMAL_RESOLUTION})
    assert first.updated_at == second.updated_at
    assert register.sync_case(engine, first) is True
    assert register.sync_case(engine, second) is True
    assert _stage(engine) == ("informal_resolution", 2)
    before = snapshot(engine)
    assert register.sync_case(engine, first) is False  # the retry of revision 1 arrives late
    assert snapshot(engine) == before
    assert register.sync_case(engine, second) is True  # a retry of the same revision is harmless
    assert snapshot(engine) == before
    # the revision orders the writes, not the clock: a newer revision with an older timestamp wins
    third = second.model_copy(update={"revision": 3, "stage": Stage.ASSESSMENT, "updated_at": factories.RECEIVED_AT})
    assert register.sync_case(engine, third) is True
    assert _stage(engine) == ("assessment", 3)


def test_concurrent_syncs_keep_the_highest_revision(engine: Engine):
    """Syncs of one case racing each other in any order: the highest revision is what stays."""
    base = case_sync(early_state(), revision=0)
    stages = [Stage.ASSESSMENT, Stage.INFORMAL_RESOLUTION, Stage.INVESTIGATOR_APPOINTMENT, Stage.INVESTIGATION]
    syncs = [base.model_copy(update={"revision": n, "stage": stages[n % len(stages)]}) for n in range(1, 13)]
    order = syncs[::-1] + syncs  # the newest first, then every older one again
    barrier = threading.Barrier(len(order))
    errors: list[BaseException] = []

    def write(sync: CaseSync) -> None:
        try:
            barrier.wait()
            register.sync_case(engine, sync)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(sync,)) for sync in order]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _stage(engine) == (syncs[-1].stage.value, 12)


def test_case_sync_carries_what_the_register_stores_and_no_more():
    """The projection is what goes into history at every checkpoint: no timeline, no letters, no
    allegation, no address or phone of the complainant; and it writes the same register rows as
    the whole state did."""
    state = factories.case_state()
    sync = case_sync(state, revision=7)
    text = sync.model_dump_json()
    intake = state.intake
    for absent in (intake.description[:40], intake.complainant.address, intake.complainant.phone):
        assert absent not in text
    assert "timeline" not in sync.model_dump() and "letters" not in sync.model_dump()
    assert len(text) < len(state.model_dump_json()) / 2
    assert {(p.role.value, p.id) for p in sync.parties} == {
        ("subject_member", "wbc-04"),
        ("investigating_officer", "io-1"),
        ("independent_person", "ip-1"),
        ("independent_person", "ip-2"),
        ("independent_person", "ip-3"),
    }
    assert sync.updated_at == state.closed_at and sync.revision == 7
    assert CaseSync.model_validate_json(text) == sync  # round-trips as the activity's input


# ----------------------------------------------------------------------------- notifications


def _receipt(key: str = "WBC-2026-0001:acknowledgement:complainant") -> LetterReceipt:
    return LetterReceipt(
        key=key,
        template=LetterTemplate.ACKNOWLEDGEMENT,
        to="harriet.lomax@example.org",
        role=RecipientRole.COMPLAINANT,
        subject="WBC-2026-0001: we have received your complaint",
        sent_at=datetime(2026, 3, 2, 9, 31, tzinfo=UTC),
        duplicate=False,
    )


def test_record_notification_is_idempotent(engine: Engine):
    receipt = _receipt()
    with Session(engine) as session:
        assert register.notification_sent(session, receipt.key) is False
        assert register.record_notification(session, receipt, REFERENCE) is True
        assert register.record_notification(session, receipt, REFERENCE) is False
        assert register.notification_sent(session, receipt.key) is True
        stored = register.get_notification(session, receipt.key)
    assert stored == receipt.model_copy(update={"duplicate": True})
    assert counts(engine)["notifications"] == 1


def test_record_notification_under_concurrency(engine: Engine):
    receipt = _receipt("race")
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def record() -> None:
        barrier.wait()
        with Session(engine) as session:
            results.append(register.record_notification(session, receipt, REFERENCE))

    threads = [threading.Thread(target=record) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]
    assert counts(engine)["notifications"] == 1


# ----------------------------------------------------------------------------- references


def test_allocate_reference_sequences_per_council_and_year(engine: Engine):
    with Session(engine) as session:
        assert register.allocate_reference(session, "WBC", 2026) == "WBC-2026-0001"
        assert register.allocate_reference(session, "WBC", 2026) == "WBC-2026-0002"
        assert register.allocate_reference(session, "ADC", 2026) == "ADC-2026-0001"
        assert register.allocate_reference(session, "WBC", 2027) == "WBC-2027-0001"
        assert register.allocate_reference(session, "WBC", 2026) == "WBC-2026-0003"
        assert register.allocate_reference(session, "ADC", 2026) == "ADC-2026-0002"


def test_register_functions_accept_an_engine(engine: Engine):
    assert register.allocate_reference(engine, "LPC", 2026) == "LPC-2026-0001"
    assert register.allocate_reference(engine, "LPC", 2026) == "LPC-2026-0002"
    assert register.sync_case(engine, factories.case_state()) is True
    assert register.record_notification(engine, _receipt(), REFERENCE) is True
    assert register.notification_sent(engine, _receipt().key) is True
    assert register.get_notification(engine, "missing") is None
    assert register.publish_notice(engine, REFERENCE, "worthing", "Notice", datetime(2026, 7, 16, tzinfo=UTC))
    assert counts(engine)["complaints"] == 1


def test_allocate_reference_rejects_bad_codes(engine: Engine):
    with Session(engine) as session, pytest.raises(ValueError):
        register.allocate_reference(session, "wbc", 2026)


def test_allocate_reference_is_safe_under_concurrency(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'refs.db'}"
    setup = register.make_engine(url)
    register.create_schema(setup)
    setup.dispose()

    threads_count, per_thread = 8, 5
    barrier = threading.Barrier(threads_count)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        engine = register.make_engine(url)  # like separate worker processes
        try:
            barrier.wait()
            for _ in range(per_thread):
                with Session(engine) as session:
                    reference = register.allocate_reference(session, "WBC", 2026)
                with lock:
                    results.append(reference)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = threads_count * per_thread
    assert len(results) == total
    assert sorted(results) == [f"WBC-2026-{n:04d}" for n in range(1, total + 1)]


def test_first_allocation_race_of_a_year(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'first.db'}"
    engine = register.make_engine(url)
    register.create_schema(engine)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def work() -> None:
        barrier.wait()
        with Session(engine) as session:
            results.append(register.allocate_reference(session, "ADC", 2030))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert sorted(results) == [f"ADC-2030-{n:04d}" for n in range(1, 9)]


# ----------------------------------------------------------------------------- publication


def test_publish_notice_is_idempotent(engine: Engine):
    at = datetime(2026, 7, 16, 12, tzinfo=UTC)
    with Session(engine) as session:
        assert register.publish_notice(session, REFERENCE, "worthing", "Notice v1", at) is True
        assert register.publish_notice(session, REFERENCE, "worthing", "Notice v1", at) is False
        assert register.publish_notice(session, REFERENCE, "worthing", "Notice v2", at + timedelta(hours=1)) is False
        notices = list(register.published_notices(session, "worthing"))
        assert [(n.reference, n.text, n.published_at) for n in notices] == [(REFERENCE, "Notice v2", at)]
        assert list(register.published_notices(session, "adur")) == []
    assert counts(engine)["published_notices"] == 1


# ----------------------------------------------------------------------------- activities


async def test_register_activities(tmp_path: Path):
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        outbox_dir=tmp_path / "outbox",
        templates_dir=PROJECT_ROOT / "templates",
    )
    activities = LetterActivities(settings, roster=factories.roster())
    env = ActivityEnvironment()
    try:
        state = factories.case_state()
        await env.run(activities.sync_case, state)
        await env.run(activities.sync_case, state)
        first = await env.run(activities.allocate_reference, ReferenceRequest(council_code="ADC", year=2026))
        second = await env.run(activities.allocate_reference, ReferenceRequest(council_code="ADC", year=2026))
        assert (first, second) == ("ADC-2026-0001", "ADC-2026-0002")
        notice = PublishNotice(reference=REFERENCE, council="worthing", text="Decision notice", at=state.closed_at)
        await env.run(activities.publish_notice, notice)
        await env.run(activities.publish_notice, notice)
        assert (tmp_path / "conduct.db").exists()
        found = counts(activities.engine)
        assert found["complaints"] == 1 and found["published_notices"] == 1
        with Session(activities.engine) as session:
            assert session.get(ComplaintRow, REFERENCE).published is True
            names = session.scalars(select(PartyRow.name).where(PartyRow.role == "subject_member")).all()
            assert names == ["Desmond Achterberg"]
    finally:
        activities.close()
