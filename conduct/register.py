"""The case register: a SQL mirror of every complaint, its parties, decisions, clocks and letters.

SQLAlchemy 2 with portable SQL (SQLite by default, PostgreSQL in production). The workflow is
the source of truth; `sync_case` upserts the register from a `conduct.projection.CaseSync` (the
small projection the workflow sends) and can be repeated any number of times. Writes are ordered
by the case's revision, never by timestamps: a lower revision never overwrites a higher one (the
check and the write are one conditional UPDATE, so two concurrent syncs cannot both win).
Each public function is one transaction and commits it; pass a session with no pending work, or
an Engine (a session is then opened and closed for the call).

Letters are claimed before they are sent (`claim_letter`: a `sending` row, committed on its own),
then marked sent with their receipt (`mark_letter_sent`); see activities/notifications.py.

`ReferenceRequest` is the input of a register activity; `PublishNotice` lives in
conduct.notice so that the workflow never imports SQLAlchemy. `PublishNotice` is re-exported here.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    false,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

from conduct.case import CaseState
from conduct.letters import LetterReceipt
from conduct.notice import PublishNotice  # noqa: F401  (re-exported for the register's callers)
from conduct.private_files import ensure_private_file
from conduct.projection import CaseSync, case_sync
from conduct.roster import Roster
from conduct.sealed_columns import CaseText, EncryptedText, attach, ensure_case_key
from conduct.vocabulary import RecipientRole

T = TypeVar("T")


# ----------------------------------------------------------------------------- activity inputs


class ReferenceRequest(BaseModel):
    council_code: str = Field(pattern=r"^[A-Z]{2,6}$")
    year: int = Field(ge=2000, le=9999)


# ----------------------------------------------------------------------------- schema


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the register stores aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class ComplaintRow(Base):
    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_closed_at_overdue", "closed_at", "overdue"),)

    reference: Mapped[str] = mapped_column(String(32), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    council: Mapped[str] = mapped_column(String(64), index=True)
    hearing_council: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(40), index=True)
    outcome: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    subject_members: Mapped[list[str]] = mapped_column(JSON)
    subject_groups: Mapped[dict[str, str]] = mapped_column(JSON)
    complainant_type: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(
        String(20), default="online", server_default="online", comment="how it arrived: online, post, email, in_person"
    )
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    subject_notified: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), comment="R1: told of the complaint (group counts need it)"
    )
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    stood_down: Mapped[list[str] | None] = mapped_column(JSON, comment="R16: officers recorded as conflicted (ids)")
    deputy_acting: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), comment="R16: the deputy acts for a conflicted MO"
    )
    updated_at: Mapped[datetime] = mapped_column(comment="time of the latest event of the case")
    revision: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", comment="the workflow's revision of the last sync written"
    )


class PartyRow(Base):
    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("reference", "role", "party_id", name="uq_parties_reference_role_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(ForeignKey("complaints.reference", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    party_id: Mapped[str] = mapped_column(String(64), comment="roster id, or 'complainant'")
    name: Mapped[str] = mapped_column(EncryptedText("parties.name"), default="")
    email: Mapped[str | None] = mapped_column(EncryptedText("parties.email"))


class DecisionRow(Base):
    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("reference", "kind", "at", name="uq_decisions_reference_kind_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(ForeignKey("complaints.reference", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    officer: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]


class ClockRow(Base):
    __tablename__ = "clocks"
    __table_args__ = (
        UniqueConstraint("reference", "name", name="uq_clocks_reference_name"),
        Index("ix_clocks_state_reference", "state", "reference"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(ForeignKey("complaints.reference", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    started: Mapped[datetime]
    due: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))
    met_on: Mapped[date | None] = mapped_column(Date)
    lapsed_before: Mapped[list[str] | None] = mapped_column(JSON, comment="earlier due dates it lapsed on")
    extensions: Mapped[list[str] | None] = mapped_column(JSON, comment="extensions given, with their reasons")


SENDING, SENT, FAILED = "sending", "sent", "failed"


class NotificationRow(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    template: Mapped[str] = mapped_column(String(60))
    to: Mapped[str] = mapped_column(EncryptedText("notifications.to"))
    role: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime]  # when sent; while `sending`, when it was claimed
    status: Mapped[str] = mapped_column(
        String(10), default=SENT, server_default=SENT, comment="sending (claimed), sent, or failed (refused for good)"
    )


class ReferenceCounterRow(Base):
    __tablename__ = "reference_counters"

    council_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class PublishedNoticeRow(Base):
    """R12: a decision notice the MO approved (a draft never reaches the register). A withdrawn
    notice keeps its row, without its text, so that its page can say it was withdrawn."""

    __tablename__ = "published_notices"

    reference: Mapped[str] = mapped_column(String(32), primary_key=True)
    council: Mapped[str] = mapped_column(String(64), index=True)
    published_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(12), default="published", server_default="published", comment="published or withdrawn"
    )
    version: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", comment="the case's notice version; a lower one never overwrites"
    )
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="conduct.publication.NoticeView")
    councillors: Mapped[list[str] | None] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(20))
    decided_on: Mapped[date | None] = mapped_column(Date, index=True, comment="the hearing's date")
    corrected_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]


# ----------------------------------------------------------------------------- engine


def _is_memory(database: str | None) -> bool:
    return not database or database == ":memory:" or database.startswith("file::memory:")


def make_engine(url: str, *, keys: str = "", **kwargs: Any) -> Engine:
    """An engine for `url`. `keys`: the key ring (CONDUCT_ENCRYPTION_KEYS, `settings.resolved_encryption_keys`)
    sealing the personal columns (conduct.sealed_columns); without it they are written in clear.
    SQLite: usable from threads, WAL journal, foreign keys on, deleted content overwritten, waits
    up to 30 s for a lock; the database file (0600) and its folder (0700) are created if needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return attach(create_engine(parsed, **kwargs), keys)

    memory = _is_memory(parsed.database)
    connect_args = {"check_same_thread": False, "timeout": 30, **kwargs.pop("connect_args", {})}
    if memory:
        kwargs.setdefault("poolclass", StaticPool)
    elif parsed.database and not parsed.database.startswith("file:"):
        # Made 0600 (in a 0700 folder) before SQLite opens it: its -wal and -shm files take its mode.
        ensure_private_file(Path(parsed.database).expanduser())
    engine = create_engine(parsed, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                _wal(cursor)
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA secure_delete=ON")  # a value replaced by its sealed form leaves no trace
        finally:
            cursor.close()

    return attach(engine, keys, case_keys=not memory)  # per-case keys need a register other connections share


def _wal(cursor: Any) -> None:
    """Switch a new database to WAL once. The switch needs the only lock on the file, and when
    several processes open a new database at once SQLite refuses it at once ("database is
    locked") rather than wait, to avoid a deadlock: so try again for a while."""
    for attempt in range(100):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.05)


def create_schema(engine: Engine) -> None:
    """Migrate the database to the newest schema (`alembic upgrade head`, in-process). Idempotent
    and safe to call from several processes at once; see conduct/migrations."""
    from conduct.migrations import upgrade

    upgrade(engine)


# ----------------------------------------------------------------------------- transactions

_ATTEMPTS = 10


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True  # a concurrent insert of the same key: the next attempt sees it
    message = str(getattr(exc, "orig", exc)).lower()
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)  # psycopg 3, psycopg2
    return "locked" in message or "busy" in message or code in ("40001", "40P01")


Bind = Session | Engine


def _with_session(bind: Bind, work: Callable[[Session], T]) -> T:
    if isinstance(bind, Session):
        return work(bind)
    with Session(bind) as session:
        return work(session)


def _transaction(bind: Bind, work: Callable[[Session], T]) -> T:
    """Run `work` and commit; on a lock timeout or a lost insert race, roll back and retry."""
    if not isinstance(bind, Session):
        return _with_session(bind, lambda session: _transaction(session, work))
    session = bind
    for attempt in range(_ATTEMPTS):
        try:
            result = work(session)
            session.commit()
            return result
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            if attempt == _ATTEMPTS - 1 or not _retryable(exc):
                raise
            time.sleep(min(0.005 * 2**attempt, 0.5))
    raise AssertionError("unreachable")  # pragma: no cover


# ----------------------------------------------------------------------------- sync_case


def _parties(sync: CaseSync, roster: Roster | None) -> dict[tuple[str, str], dict[str, Any]]:
    parties: dict[tuple[str, str], dict[str, Any]] = {
        (RecipientRole.COMPLAINANT.value, "complainant"): {
            "name": sync.complainant.name,
            "email": sync.complainant.email or None,
        }
    }
    lookup: dict[RecipientRole, Callable[[str], Any]] = {}
    if roster is not None:
        lookup = {
            RecipientRole.SUBJECT_MEMBER: roster.member,
            RecipientRole.INVESTIGATING_OFFICER: roster.officer,
            RecipientRole.INDEPENDENT_PERSON: roster.independent_person,
        }
    for party in sync.parties:
        find = lookup.get(party.role)
        person = find(party.id) if find else None
        parties[(party.role.value, party.id)] = {
            "name": getattr(person, "name", None),
            "email": str(person.email) if person is not None and getattr(person, "email", None) else None,
        }
    return parties


def _mirror(
    session: Session,
    model: type[Base],
    reference: str,
    key: Callable[[Any], tuple[Any, ...]],
    desired: dict[tuple[Any, ...], dict[str, Any]],
    make: Callable[[tuple[Any, ...], dict[str, Any]], Any],
    keep_existing: tuple[str, ...] = (),
) -> None:
    """Make the child rows of `reference` equal `desired` (insert, update, delete)."""
    existing = {key(row): row for row in session.scalars(select(model).where(model.reference == reference))}
    for k, values in desired.items():
        row = existing.pop(k, None)
        if row is None:
            session.add(make(k, values))
            continue
        for field, value in values.items():
            if value in (None, "") and field in keep_existing and getattr(row, field):
                continue  # keep what an earlier sync (with a roster) learnt
            if getattr(row, field) != value:
                setattr(row, field, value)
    for row in existing.values():
        session.delete(row)


def _claim_row(session: Session, sync: CaseSync, values: dict[str, Any]) -> bool | None:
    """Write the complaint row if `sync` is not older than the one on record, in one conditional
    UPDATE (it takes the row's write lock before it compares, so concurrent syncs queue and the
    loser compares against the winner's revision). Older: a lower revision, or (for inputs from
    before revisions, all at 0) the same revision with an earlier latest event. True: updated;
    False: stale, nothing written; None: no row yet."""
    table = ComplaintRow.__table__
    newer = (table.c.revision < sync.revision) | (
        (table.c.revision == sync.revision) & (table.c.updated_at <= sync.updated_at)
    )
    result = session.execute(
        update(table).where(table.c.reference == sync.reference, newer).values(revision=sync.revision, **values)
    )
    if result.rowcount:
        if sync.published:  # publication is never undone by a sync
            session.execute(update(table).where(table.c.reference == sync.reference).values(published=True))
        return True
    exists = session.scalar(select(table.c.reference).where(table.c.reference == sync.reference))
    return False if exists is not None else None


NOTIFIED_SUMMARY = "The subject member is notified"  # how conduct.projection words a notifying triage


def _notified(sync: CaseSync) -> bool:
    """R1: whether the subject member has been told; a sync from before the field, by its triage."""
    if sync.subject_notified is not None:
        return sync.subject_notified
    return any(d.kind == "triage" and d.summary.startswith(NOTIFIED_SUMMARY) for d in sync.decisions)


def _sync(session: Session, sync: CaseSync, roster: Roster | None) -> bool:
    reference = sync.reference
    values: dict[str, Any] = {
        "workflow_id": sync.workflow_id,
        "council": sync.council,
        "hearing_council": sync.hearing_council,
        "stage": sync.stage.value,
        "outcome": sync.outcome.value if sync.outcome else None,
        "received_at": sync.received_at,
        "closed_at": sync.closed_at,
        "overdue": sync.overdue,
        "subject_members": list(sync.subject_members),
        "subject_groups": dict(sync.subject_groups),
        "complainant_type": sync.complainant.type,
        "channel": sync.channel,
        "confidential": sync.confidential,
        "subject_notified": _notified(sync),
        "stood_down": _stood_down(sync) or None,
        "deputy_acting": bool(getattr(sync, "deputy_acting", False)),
        "updated_at": sync.updated_at.astimezone(UTC),
    }
    written = _claim_row(session, sync, values)
    if written is False:
        return False  # an older state than the one on record: ignore it
    if written is None:
        session.add(ComplaintRow(reference=reference, published=sync.published, revision=sync.revision, **values))
        session.flush()  # a concurrent first insert fails here; the transaction is retried

    _mirror(
        session,
        PartyRow,
        reference,
        key=lambda r: (r.role, r.party_id),
        desired={
            k: {"name": CaseText(v["name"] or "", reference), "email": v["email"] and CaseText(v["email"], reference)}
            for k, v in _parties(sync, roster).items()
        },
        make=lambda k, v: PartyRow(reference=reference, role=k[0], party_id=k[1], **v),
        keep_existing=("name", "email"),
    )
    _mirror(
        session,
        DecisionRow,
        reference,
        key=lambda r: (r.kind, r.at),
        desired={(d.kind, d.at.astimezone(UTC)): {"summary": d.summary, "officer": d.officer} for d in sync.decisions},
        make=lambda k, v: DecisionRow(reference=reference, kind=k[0], at=k[1], **v),
    )
    _mirror(
        session,
        ClockRow,
        reference,
        key=lambda r: (r.name,),
        desired={
            (name.value,): {
                "started": c.started.astimezone(UTC),
                "due": c.due,
                "state": c.state.value,
                "met_on": c.met_on,
                "lapsed_before": [d.isoformat() for d in c.lapsed_before] or None,
                "extensions": list(c.extensions) or None,
            }
            for name, c in sync.clocks.items()
        },
        make=lambda k, v: ClockRow(reference=reference, name=k[0], **v),
    )
    return True


def _stood_down(sync: CaseSync | CaseState) -> list[str]:
    """R16's conflicted officers by id (a whole CaseState, from older workflows, holds records)."""
    ids = (getattr(entry, "officer", entry) for entry in getattr(sync, "conflicts", None) or [])
    return [str(officer) for officer in ids if officer]


def sync_case(session: Bind, sync: CaseSync | CaseState, roster: Roster | None = None) -> bool:
    """Upsert the register from a case's projection (idempotent). Names and addresses of parties
    come from `roster` when given. Returns False when `sync` is older than the one on record.

    A whole CaseState (scheduled by a workflow from before projections, or passed by a test) is
    projected here at revision 0, where the time of the latest event breaks ties."""
    if isinstance(sync, CaseState):
        sync = case_sync(sync, revision=0)
    _ensure_key(session, sync.reference)
    return _transaction(session, lambda s: _sync(s, sync, roster))


def _ensure_key(bind: Bind, reference: str) -> None:
    """The case's data key in memory before its transaction seals its values (conduct.sealed_columns)."""
    ensure_case_key(bind.get_bind() if isinstance(bind, Session) else bind, reference)


# ----------------------------------------------------------------------------- notifications


class LetterClaim(BaseModel):
    """What `claim_letter` found: `claimed` (the row is new: send), `sending` (an earlier attempt
    claimed it and may or may not have sent: send again, same key), `failed` (refused for good
    before: try again), or `sent` (with its receipt: do not send)."""

    status: str
    receipt: LetterReceipt | None = None


def _receipt(row: NotificationRow) -> LetterReceipt:
    return LetterReceipt(
        key=row.key,
        template=row.template,
        to=row.to,
        role=row.role,
        subject=row.subject,
        sent_at=row.sent_at,
        duplicate=True,
    )


def notification_sent(session: Bind, key: str) -> bool:
    query = select(NotificationRow.id).where(NotificationRow.key == key, NotificationRow.status == SENT)
    return _with_session(session, lambda s: s.scalar(query) is not None)


def get_notification(session: Bind, key: str) -> LetterReceipt | None:
    """The receipt of a letter already sent under `key` (marked duplicate), if any."""

    def read(s: Session) -> LetterReceipt | None:
        row = s.scalar(select(NotificationRow).where(NotificationRow.key == key, NotificationRow.status == SENT))
        return None if row is None else _receipt(row)

    return _with_session(session, read)


def claim_letter(session: Bind, receipt: LetterReceipt, reference: str) -> LetterClaim:
    """Claim `receipt.key` before sending it, in a transaction of its own: insert the row as
    `sending` (sent_at = the claim time), or report the row already there."""

    def work(s: Session) -> LetterClaim:
        row = s.scalar(select(NotificationRow).where(NotificationRow.key == receipt.key))
        if row is not None:
            return LetterClaim(status=row.status, receipt=_receipt(row) if row.status == SENT else None)
        s.add(_row(receipt, reference, SENDING))
        s.flush()  # a concurrent claim of the same key fails here; the retry then finds it
        return LetterClaim(status="claimed")

    _ensure_key(session, reference)
    return _transaction(session, work)


def mark_letter_sent(session: Bind, receipt: LetterReceipt, reference: str) -> LetterReceipt:
    """Mark a claimed letter sent, with its receipt. Returns the receipt on record (the stored one,
    marked duplicate, if another attempt marked it first)."""

    def work(s: Session) -> LetterReceipt:
        row = s.scalar(select(NotificationRow).where(NotificationRow.key == receipt.key))
        if row is None:
            s.add(_row(receipt, reference, SENT))
            s.flush()
            return receipt
        if row.status == SENT:
            return _receipt(row)
        row.status, row.sent_at, row.subject = SENT, receipt.sent_at, receipt.subject
        row.to = CaseText(receipt.to, reference)
        s.flush()
        return receipt

    _ensure_key(session, reference)
    return _transaction(session, work)


def mark_letter_failed(session: Bind, key: str) -> None:
    """A claimed letter the provider refused for good (the case records why)."""
    table = NotificationRow.__table__
    statement = update(table).where(table.c.key == key, table.c.status != SENT).values(status=FAILED)
    _transaction(session, lambda s: s.execute(statement))


def _row(receipt: LetterReceipt, reference: str, status: str) -> NotificationRow:
    return NotificationRow(
        key=receipt.key,
        reference=reference,
        template=receipt.template.value,
        to=CaseText(receipt.to, reference),
        role=receipt.role.value,
        subject=receipt.subject,
        sent_at=receipt.sent_at,
        status=status,
    )


def record_notification(session: Bind, receipt: LetterReceipt, reference: str) -> bool:
    """Record a sent letter (or mark its claim sent); a second record of the same key is a no-op.
    True when recorded now."""

    def work(s: Session) -> bool:
        row = s.scalar(select(NotificationRow).where(NotificationRow.key == receipt.key))
        if row is not None and row.status == SENT:
            return False
        if row is None:
            s.add(_row(receipt, reference, SENT))
        else:
            row.status, row.sent_at, row.subject = SENT, receipt.sent_at, receipt.subject
            row.to = CaseText(receipt.to, reference)
        s.flush()
        return True

    _ensure_key(session, reference)
    return _transaction(session, work)


# ----------------------------------------------------------------------------- references


def format_reference(council_code: str, year: int, number: int) -> str:
    return f"{council_code}-{year:04d}-{number:04d}"


def next_reference(s: Session, council_code: str, year: int) -> str:
    """Take the next number inside the caller's transaction, so a rolled-back caller gives it back.

    The increment is one UPDATE (it takes the write lock first, so concurrent callers queue);
    the first reference of a year inserts the counter, and a lost race for that insert is
    retried by the caller's transaction."""
    request = ReferenceRequest(council_code=council_code, year=year)
    counters = ReferenceCounterRow.__table__
    where = (counters.c.council_code == request.council_code) & (counters.c.year == request.year)
    bumped = s.execute(update(counters).where(where).values(last=counters.c.last + 1))
    if bumped.rowcount == 0:
        s.add(ReferenceCounterRow(council_code=request.council_code, year=request.year, last=1))
        s.flush()
        number = 1
    else:
        number = s.execute(select(counters.c.last).where(where)).scalar_one()
    return format_reference(request.council_code, request.year, number)


def allocate_reference(session: Bind, council_code: str, year: int) -> str:
    """The next case reference for a council and year, e.g. ``WBC-2026-0007``, in its own transaction."""
    return _transaction(session, lambda s: next_reference(s, council_code, year))


# ----------------------------------------------------------------------------- publication


def publish_notice(
    session: Bind, reference: str, council: str, text: str, at: datetime, notice: PublishNotice | None = None
) -> bool:
    """R12: publish, correct or withdraw a decision notice. Idempotent: the first publication time
    is kept, and a `notice` whose version is not above the one on record changes nothing (a retried
    or late write never undoes a later one). Without `notice` (cases that published at issue-notice),
    the text is published or replaced. True when the notice is published for the first time."""
    fields: dict[str, Any] = {}
    if notice is not None:
        fields = notice.model_dump(
            include={"status", "version", "content", "councillors", "outcome", "decided_on", "corrected_at",
                     "withdrawn_at"}
        )  # fmt: skip
        fields["status"] = notice.status.value
    published = fields.get("status", "published") == "published"

    def work(s: Session) -> bool:
        row = s.get(PublishedNoticeRow, reference)
        created = row is None
        if row is None:
            s.add(PublishedNoticeRow(reference=reference, council=council, published_at=at, text=text, **fields))
        elif notice is not None and notice.version <= row.version:
            return False
        else:
            for name, value in {"text": text, "council": council, **fields}.items():
                if getattr(row, name) != value:
                    setattr(row, name, value)
        complaints = ComplaintRow.__table__
        s.execute(
            update(complaints)
            .where(complaints.c.reference == reference, complaints.c.published.is_(not published))
            .values(published=published)
        )
        s.flush()
        return created and published

    return _transaction(session, work)


def published_notices(
    session: Session, council: str | None = None, year: int | None = None
) -> Iterator[PublishedNoticeRow]:
    """Published decision notices, newest first (for the public pages); withdrawn ones are left out.
    `year`: decided that year (the hearing), or published that year where the decision date is not
    on record (notices published before it was)."""
    notices = PublishedNoticeRow.__table__.c
    query = select(PublishedNoticeRow).where(notices.status == "published").order_by(notices.published_at.desc())
    if council:
        query = query.where(notices.council == council)
    if year:
        start, end = date(year, 1, 1), date(year + 1, 1, 1)
        decided = (notices.decided_on >= start) & (notices.decided_on < end)
        legacy = (
            notices.decided_on.is_(None)
            & (notices.published_at >= datetime(year, 1, 1, tzinfo=UTC))
            & (notices.published_at < datetime(year + 1, 1, 1, tzinfo=UTC))
        )
        query = query.where(decided | legacy)
    yield from session.scalars(query)


def notice_years(session: Session) -> list[int]:
    """The years with a published decision notice, newest first (the public list's filter)."""
    years = {(n.decided_on or n.published_at.date()).year for n in published_notices(session)}
    return sorted(years, reverse=True)
