"""Faults: the case register's database is unavailable for a while (hardening issue).

What must hold: an officer action taken during the outage is still accepted by the workflow; the
activities that need the database (`send_letter`, `sync_case`) fail and are retried by Temporal
(DURABLE_RETRY: unlimited attempts) rather than lost; once the database is back the retries
succeed, each letter lands exactly once (one outbox file and one `notifications` row per
idempotency key), the register catches up with the case, and the case carries on with its clocks.

Two outages: one spanning two officer actions (the MO triages the case and records an Independent
Person's view), and one striking between a letter's hand-over to the mail provider and its record,
the worst moment for a retry (that letter is handed over twice under the same idempotency key; it
still lands once). The retries are read from the server: the pending activities' attempt counts and
last failures during the outage, and the attempt of each ActivityTaskStarted in history afterwards.

Each runs on two backends:
- PostgreSQL: a throwaway cluster (tests/postgres_cluster.py) is stopped with `pg_ctl stop -m fast`
  and started again on the same port and data folder. Skipped, with the reason, without PostgreSQL.
- SQLite: chmod cannot take a file away from root (and these tests may run as root), so the outage
  is the folder holding the database disappearing (renamed away, as when the volume it lives on is
  unmounted) together with the worker's open connections (its pool is disposed: connections on a
  lost volume die with it). Every connection attempt then fails with "unable to open database file"
  until the folder is put back. A lock held by another writer is not this fault: SQLite waits
  30 s for it inside the attempt (busy_timeout) instead of failing.

The time-skipping server only skips time while the test waits on it, so retries are pushed along
with `env.sleep`, which fast-forwards the retry backoff (2 s, 4 s, 8 s, ...) in well under a second.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowUpdateHandle, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from activities.mail import OutboxBackend, OutgoingMail
from activities.notifications import LetterActivities
from conduct import actions as a
from conduct import register
from conduct.actions import ActionResult
from conduct.register import ClockRow, ComplaintRow, DecisionRow, NotificationRow, PartyRow
from conduct.settings import PROJECT_ROOT, Settings
from conduct.vocabulary import AssessmentOutcome, ClockName, ClockState, Stage
from tests.harness import Case, CaseDriver
from tests.postgres_cluster import Cluster, throwaway_cluster
from tests.steps import MO, RECEIVED
from worker import build_worker

BACKENDS = ["postgresql", "sqlite"]
TRIAGE = a.Triage(officer=MO, notify=True)
CONSULT = a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Merits a look.")
INVESTIGATE = a.Assess(
    officer=MO,
    outcome=AssessmentOutcome.INVESTIGATE,
    reasons="Serious.",
    tests={"public_interest": True, "public_interest_reason": "x"},
)
OUTAGE_SKIP = timedelta(seconds=30)  # virtual time during the outage: attempts at 0, 2, 6, 14 and 30 s
WAIT = 30.0  # seconds of wall clock for anything the test waits on

# ----------------------------------------------------------------------------- the databases and their outages


class Database(Protocol):
    url: str
    error: str  # what a failed attempt reports while the database is away

    def go_down(self) -> None: ...
    def come_back(self) -> None: ...
    def watch(self, engine: Engine) -> None: ...


class PostgresDatabase:
    error = "Connection refused"

    def __init__(self, cluster: Cluster, url: str) -> None:
        self.cluster, self.url = cluster, url

    def go_down(self) -> None:
        self.cluster.stop()  # pg_ctl stop -m fast: sessions are terminated, the port closes
        assert not (self.cluster.data / "postmaster.pid").exists(), "the PostgreSQL server did not stop"

    def come_back(self) -> None:
        self.cluster.start()  # same port, same data folder

    def watch(self, engine: Engine) -> None:
        pass  # the server itself drops the connections


class SqliteDatabase:
    error = "unable to open database file"

    def __init__(self, folder: Path) -> None:
        self.folder, self.offline = folder, folder.with_name(folder.name + "-offline")
        self.url = f"sqlite:///{folder / 'conduct.db'}"
        self.engines: list[Engine] = []

    def go_down(self) -> None:
        self.folder.rename(self.offline)
        for engine in self.engines:
            engine.dispose()  # the worker's open connections are lost with the volume

    def come_back(self) -> None:
        self.offline.rename(self.folder)

    def watch(self, engine: Engine) -> None:
        self.engines.append(engine)


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield SqliteDatabase(tmp_path / "register")
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10})
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield PostgresDatabase(cluster, cluster.url(name))
        if not (cluster.data / "postmaster.pid").exists():
            cluster.start()  # a failed test must not leave the next one without a server
        admin.dispose()  # its connection died with the restart
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


# ----------------------------------------------------------------------------- the mail provider


class CountingOutbox:
    """The outbox, counting every hand-over per idempotency key; `after_send` runs after each."""

    def __init__(self, directory: Path, after_send: Callable[[OutgoingMail], None] | None = None) -> None:
        self.outbox = OutboxBackend(directory)
        self.calls: Counter[str] = Counter()
        self.after_send = after_send

    def send(self, message: OutgoingMail) -> None:
        self.outbox.send(message)
        self.calls[message.key] += 1
        if self.after_send is not None:
            self.after_send(message)

    def files(self) -> list[Path]:
        return sorted(self.outbox.directory.glob("*.eml"))


# ----------------------------------------------------------------------------- helpers


def settings_for(database: Database, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=database.url,
        outbox_dir=tmp_path / "outbox",
        templates_dir=PROJECT_ROOT / "templates",
        task_queue=f"conduct-db-{uuid.uuid4().hex[:8]}",
    )


def read_register(url: str, work: Callable[[Session], Any]) -> Any:
    """Read the register through an engine of the test's own (never while the database is away)."""
    engine = register.make_engine(url, **({"connect_args": {"connect_timeout": 10}} if "postgres" in url else {}))
    try:
        with Session(engine) as session:
            return work(session)
    finally:
        engine.dispose()


def register_view(url: str, reference: str) -> dict[str, Any]:
    """What the register holds on the case: stage, letters, decisions, parties and clocks."""
    parties = select(PartyRow.role, PartyRow.party_id)

    def work(s: Session) -> dict[str, Any]:
        row = s.get(ComplaintRow, reference)
        return {
            "stage": row.stage if row else None,
            "notifications": s.scalars(select(NotificationRow.key).where(NotificationRow.reference == reference)).all(),
            "decisions": sorted(s.scalars(select(DecisionRow.kind).where(DecisionRow.reference == reference))),
            "parties": sorted(
                (role, party) for role, party in s.execute(parties.where(PartyRow.reference == reference))
            ),
            "clocks": {
                c.name: (c.state, c.due, c.met_on)
                for c in s.scalars(select(ClockRow).where(ClockRow.reference == reference))
            },
        }

    return read_register(url, work)


async def pending_attempts(case: Case) -> dict[str, tuple[int, str]]:
    """Activity type -> (attempt, last failure) of the activities the server is retrying."""
    raw = (await case.handle.describe()).raw_description
    return {p.activity_type.name: (p.attempt, p.last_failure.message) for p in raw.pending_activities}


async def until_retried(case: Case, activities: set[str], attempts: int = 3) -> dict[str, tuple[int, str]]:
    """Wait until each of `activities` has failed and been retried up to `attempts` attempts."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    seen: dict[str, tuple[int, str]] = {}
    while loop.time() < deadline:
        seen = await pending_attempts(case)
        if all(seen.get(name, (0, ""))[0] >= attempts for name in activities):
            return seen
        await asyncio.sleep(0.1)
    raise AssertionError(f"{sorted(activities)} not retried {attempts} times within {WAIT}s: {seen}")


async def accepted(case: Case, update: str, payload: a.OfficerAction) -> WorkflowUpdateHandle[ActionResult]:
    """Hand the workflow an officer action; returns once it is accepted (validated, in history),
    before it is carried out."""
    update_id = f"{update}-{uuid.uuid4().hex[:8]}"
    return await case.handle.start_update(
        update,
        await case.attested(update, payload, update_id),
        id=update_id,
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        result_type=ActionResult,
    )


async def skip_until_the_retries_succeed(env: WorkflowEnvironment, case: Case) -> None:
    """Fast-forward a minute at a time until no activity is still being retried (the backoff
    doubles from 2 s and is capped at 10 minutes)."""
    for _ in range(15):
        await env.sleep(timedelta(minutes=1))
        if not any(attempt > 1 for attempt, _ in (await pending_attempts(case)).values()):
            return
    raise AssertionError(f"still retrying after 15 minutes back: {await pending_attempts(case)}")


async def accepted_updates(case: Case) -> list[str]:
    """The officer actions the workflow has accepted, in order, from history."""
    return [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for e in await case.history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]


async def activity_attempts(case: Case) -> list[tuple[str, int]]:
    """(activity type, the attempt that succeeded) for every activity the case ran, from history.
    (The time-skipping server leaves the started event's last_failure empty; the failures are
    checked on the pending activities during the outage instead.)"""
    events: list[HistoryEvent] = await case.history_events()
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    failed = {
        EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    }
    assert not [e for e in events if e.event_type in failed], "an attempt's failure reached the workflow"
    completed = [e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]
    assert len(completed) == len(scheduled), "an activity never completed"
    return [
        (scheduled[s.scheduled_event_id], s.attempt)
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        for s in [e.activity_task_started_event_attributes]
    ]


def retried(attempts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return [x for x in attempts if x[1] > 1]


def letter_activities(database: Database, tmp_path: Path, backend: CountingOutbox) -> tuple[LetterActivities, Settings]:
    """The worker's letter and register activities on `database`, sending to `backend`."""
    settings = settings_for(database, tmp_path)
    letters = LetterActivities(settings, backend=backend)
    database.watch(letters.engine)
    return letters, settings


# ----------------------------------------------------------------------------- the tests


async def test_actions_during_a_database_outage_are_kept_and_carried_out_once_it_is_back(
    env: WorkflowEnvironment, database: Database, tmp_path: Path
) -> None:
    backend = CountingOutbox(tmp_path / "outbox")
    letters, settings = letter_activities(database, tmp_path, backend)
    try:
        async with build_worker(env.client, settings, letters, fail_fast=True):
            driver = CaseDriver(env, settings)
            await driver.travel_to_day(RECEIVED)
            case = await driver.open()
            before = register_view(database.url, case.reference)
            assert before["stage"] == Stage.TRIAGE and len(before["notifications"]) == 1  # acknowledgement

            await asyncio.to_thread(database.go_down)
            triage = await accepted(case, "triage", TRIAGE)
            consult = await accepted(case, "consult_ip", CONSULT)
            await env.sleep(OUTAGE_SKIP)
            pending = await until_retried(case, {"send_letter"})
            assert all(database.error in failure for _, failure in pending.values()), pending
            # Nothing went out and nothing moved on while the register was away: the subject
            # member's letter waits for its idempotency check, the case waits for its letters,
            # and the IP's view, accepted, waits its turn behind the triage (one step at a time).
            state = await case.status()
            assert [r.template.value for r in state.letters] == ["acknowledgement"]
            assert (state.stage, state.subject_notified, len(state.consultations)) == (Stage.TRIAGE, True, 0)
            assert len(backend.files()) == 1 and sum(backend.calls.values()) == 1
            assert await accepted_updates(case) == ["triage", "consult_ip"]  # in history, not lost

            await asyncio.to_thread(database.come_back)
            await skip_until_the_retries_succeed(env, case)
            assert (await asyncio.wait_for(triage.result(), WAIT)).stage == Stage.ASSESSMENT
            assert (await asyncio.wait_for(consult.result(), WAIT)).message == "view of ip-1 recorded"
            await case.settle()
            attempts = await activity_attempts(case)
            assert sorted({name for name, _ in retried(attempts)}) == ["send_letter"], attempts
            assert all(n >= 3 for _, n in retried(attempts)), attempts
            after = register_view(database.url, case.reference)
            assert after["stage"] == Stage.ASSESSMENT
            assert after["decisions"] == ["triage"]
            assert ("independent_person", "ip-1") in after["parties"]

            # The case goes on: its assessment clock reminds the MO, and the next decision is made.
            await driver.travel_to_day(date(2029, 11, 26))
            assert await case.letters("clock_reminder") == [("clock_reminder", "monitoring_officer")]
            result = await case.act("assess", INVESTIGATE)
            assert result.stage == Stage.INVESTIGATOR_APPOINTMENT
            await case.settle()
            state = await case.status()
        assert sorted((r.template.value, r.role.value) for r in state.letters) == [
            ("acknowledgement", "complainant"),
            ("chair_advised", "committee_chair"),
            ("clock_reminder", "monitoring_officer"),
            ("decision_investigate", "complainant"),
            ("decision_investigate", "subject_member"),
            ("group_leader_informed", "group_leader"),
            ("subject_ip_details", "subject_member"),
            ("subject_notified", "subject_member"),
        ]
        keys = [r.key for r in state.letters]
        final = register_view(database.url, case.reference)
        assert len(set(keys)) == len(keys) == len(backend.files()) == 8
        assert sorted(final["notifications"]) == sorted(keys)
        assert backend.calls == Counter(dict.fromkeys(keys, 1))  # each letter handed over exactly once
        assert final["stage"] == Stage.INVESTIGATOR_APPOINTMENT
        assert final["decisions"] == ["assessment", "triage"]
        # Mon 26 Nov 2029: assessment met on time (due Mon 3 Dec); appointment due 14 days on.
        assert final["clocks"] == {
            ClockName.ASSESSMENT: (ClockState.MET, date(2029, 12, 3), date(2029, 11, 26)),
            ClockName.INVESTIGATOR_APPOINTMENT: (ClockState.PENDING, date(2029, 12, 10), None),
        }
    finally:
        letters.close()


async def test_outage_between_sending_a_letter_and_recording_it(
    env: WorkflowEnvironment, database: Database, tmp_path: Path
) -> None:
    """The worst moment: the provider has accepted the subject member's letter and the database
    goes before the letter is recorded. The retry cannot know the letter went, so it hands the
    same message over again (the documented at-least-once window of activities/notifications.py:
    same idempotency key, same Message-ID, and the outbox replaces its file); everything else is
    sent and recorded exactly once and the case carries on."""
    gone = threading.Event()

    def outage_after_the_subject_letter(message: OutgoingMail) -> None:
        if "subject_notified" in message.key and not gone.is_set():
            gone.set()
            database.go_down()  # runs in the activity's thread, between send and record

    backend = CountingOutbox(tmp_path / "outbox", after_send=outage_after_the_subject_letter)
    letters, settings = letter_activities(database, tmp_path, backend)
    try:
        async with build_worker(env.client, settings, letters, fail_fast=True):
            driver = CaseDriver(env, settings)
            await driver.travel_to_day(RECEIVED)
            case = await driver.open()
            triage = await accepted(case, "triage", TRIAGE)
            assert await asyncio.to_thread(gone.wait, WAIT), "the subject member's letter was never sent"
            await env.sleep(OUTAGE_SKIP)
            pending = await until_retried(case, {"send_letter"})
            assert database.error in pending["send_letter"][1], pending
            assert len(backend.files()) == 2  # acknowledgement and the subject member's letter
            assert [r.template.value for r in (await case.status()).letters] == ["acknowledgement"]
            assert await accepted_updates(case) == ["triage"]

            await asyncio.to_thread(database.come_back)
            await skip_until_the_retries_succeed(env, case)
            assert (await asyncio.wait_for(triage.result(), WAIT)).stage == Stage.ASSESSMENT
            await case.settle()
            state = await case.status()
            attempts = await activity_attempts(case)
        [(name, attempt)] = retried(attempts)
        assert name == "send_letter" and attempt >= 3, attempts
        keys = [r.key for r in state.letters]
        subject_key = next(k for k in keys if "subject_notified" in k)
        assert len(set(keys)) == len(keys) == 3  # acknowledgement, subject notified, Group Leader informed
        assert backend.calls == Counter({**dict.fromkeys(keys, 1), subject_key: 2})
        assert len(backend.files()) == 3  # the second hand-over replaced the first file
        view = register_view(database.url, case.reference)
        assert sorted(view["notifications"]) == sorted(keys)
        assert view["stage"] == Stage.ASSESSMENT
    finally:
        letters.close()
