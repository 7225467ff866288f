"""The case register: a SQL mirror of every complaint, its parties, decisions, clocks and letters.

SQLAlchemy 2 with portable SQL (SQLite by default, PostgreSQL in production). The workflow is
the source of truth; `sync_case` upserts the register from a CaseState and can be repeated
any number of times. Each public function is one transaction and commits it; pass a session
with no pending work, or an Engine (a session is then opened and closed for the call).

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
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
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
from conduct.roster import Roster
from conduct.vocabulary import (
    GROUND_TITLES,
    SANCTION_TITLES,
    RecipientRole,
    Stage,
)

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
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(comment="time of the latest event of the case")


class PartyRow(Base):
    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("reference", "role", "party_id", name="uq_parties_reference_role_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(ForeignKey("complaints.reference", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    party_id: Mapped[str] = mapped_column(String(64), comment="roster id, or 'complainant'")
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))


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
    __table_args__ = (UniqueConstraint("reference", "name", name="uq_clocks_reference_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(ForeignKey("complaints.reference", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    started: Mapped[datetime]
    due: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))
    met_on: Mapped[date | None] = mapped_column(Date)


class NotificationRow(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    template: Mapped[str] = mapped_column(String(60))
    to: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime]


class ReferenceCounterRow(Base):
    __tablename__ = "reference_counters"

    council_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class PublishedNoticeRow(Base):
    __tablename__ = "published_notices"

    reference: Mapped[str] = mapped_column(String(32), primary_key=True)
    council: Mapped[str] = mapped_column(String(64), index=True)
    published_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)


# ----------------------------------------------------------------------------- engine


def _is_memory(database: str | None) -> bool:
    return not database or database == ":memory:" or database.startswith("file::memory:")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`. SQLite: usable from threads, WAL journal, foreign keys on, waits
    up to 30 s for a lock; the database file's folder is created if needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)

    memory = _is_memory(parsed.database)
    connect_args = {"check_same_thread": False, "timeout": 30, **kwargs.pop("connect_args", {})}
    if memory:
        kwargs.setdefault("poolclass", StaticPool)
    elif parsed.database:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
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
        finally:
            cursor.close()

    return engine


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


def _words(value: str) -> str:
    return str(value).replace("_", " ")


def _last_event(state: CaseState, *events: str, stage: Stage | None = None) -> Any:
    """The latest timeline entry with one of `events` (or, failing that, recorded in `stage`)."""
    for entry in reversed(state.timeline):
        if entry.event in events:
            return entry
    if stage is not None:
        for entry in reversed(state.timeline):
            if entry.stage is stage:
                return entry
    return None


def _updated_at(state: CaseState) -> datetime:
    moments = [state.received_at, *(e.at for e in state.timeline)]
    if state.closed_at:
        moments.append(state.closed_at)
    return max(m.astimezone(UTC) for m in moments)


def _parties(state: CaseState, roster: Roster | None) -> dict[tuple[str, str], dict[str, Any]]:
    parties: dict[tuple[str, str], dict[str, Any]] = {}
    complainant = state.intake.complainant
    parties[(RecipientRole.COMPLAINANT.value, "complainant")] = {
        "name": complainant.name,
        "email": str(complainant.email) if complainant.email else None,
    }

    def add(role: RecipientRole, party_id: str | None, person: Any) -> None:
        if party_id:
            parties[(role.value, party_id)] = {
                "name": getattr(person, "name", None),
                "email": str(person.email) if person is not None else None,
            }

    for member_id in state.subject_members:
        add(RecipientRole.SUBJECT_MEMBER, member_id, roster.member(member_id) if roster else None)
    if state.investigator:
        add(
            RecipientRole.INVESTIGATING_OFFICER,
            state.investigator,
            roster.officer(state.investigator) if roster else None,
        )
    ips = [c.ip for c in state.consultations]
    ips += [state.subject_ip] if state.subject_ip else []
    ips += [state.hearing.ip] if state.hearing else []
    ips += [state.withdrawal.ip] if state.withdrawal and state.withdrawal.ip else []
    for ip in ips:
        add(RecipientRole.INDEPENDENT_PERSON, ip, roster.independent_person(ip) if roster else None)
    return parties


def _decisions(state: CaseState) -> dict[tuple[str, datetime], dict[str, Any]]:
    decisions: dict[tuple[str, datetime], dict[str, Any]] = {}

    def add(kind: str, at: datetime, summary: str, officer: str | None) -> None:
        decisions[(kind, at.astimezone(UTC))] = {"summary": summary.strip(), "officer": officer}

    if state.subject_notified is not None:
        entry = _last_event(state, "triage")
        if state.subject_notified:
            summary = "The subject member is notified of the complaint."
        else:
            summary = f"Notice to the subject member withheld: {state.notice_withheld_reason}"
        add("triage", entry.at if entry else state.received_at, summary, entry.officer if entry else None)

    if state.assessment:
        a = state.assessment
        parts = [f"Outcome: {_words(a.outcome)}."]
        if a.grounds:
            parts.append("Grounds: " + "; ".join(GROUND_TITLES[g] for g in a.grounds) + ".")
        if a.actions:
            parts.append("Actions: " + ", ".join(_words(x) for x in a.actions) + ".")
        parts.append(a.reasons)
        add("assessment", a.at, " ".join(parts), a.officer)

    if state.informal_resolved is not None:
        entry = _last_event(
            state,
            "informal_outcome",
            "informal_resolved",
            "informal_failed",
            "informal_resolution",
            stage=Stage.INFORMAL_RESOLUTION,
        )
        at = entry.at if entry else (state.closed_at or state.received_at)
        verdict = "Resolved informally." if state.informal_resolved else "Not resolved informally."
        add("informal_outcome", at, f"{verdict} {state.informal_outcome_text}", entry.officer if entry else None)

    if state.final_report:
        r = state.final_report
        finding = _words(r.finding) if r.finding else "none recorded"
        add("final_report", r.at, f"Finding: {finding}. {r.text}", r.officer)

    if state.hearing_outcome:
        h = state.hearing_outcome
        sanctions = "; ".join(SANCTION_TITLES[s] for s in h.sanctions) or "none"
        add("hearing_outcome", h.at, f"Finding: {_words(h.finding)}. Sanctions: {sanctions}. {h.reasons}", h.officer)

    if state.withdrawal and state.withdrawal.decision:
        w = state.withdrawal
        entry = _last_event(state, "withdrawal_decision", "withdrawal_decided", "withdrawal")
        at = entry.at if entry else (state.closed_at or w.requested_at)
        summary = f"Decision on withdrawal: {w.decision}. Independent Person's view: {w.ip_view or 'not recorded'}"
        add("withdrawal", at, summary, entry.officer if entry else None)
    return decisions


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


def _sync(session: Session, state: CaseState, roster: Roster | None) -> bool:
    reference = state.reference
    updated_at = _updated_at(state)
    row = session.get(ComplaintRow, reference)
    if row is not None and row.updated_at > updated_at:
        return False  # an older state than the one on record: ignore it
    values: dict[str, Any] = {
        "workflow_id": state.workflow_id,
        "council": state.council,
        "hearing_council": state.hearing_council,
        "stage": state.stage.value,
        "outcome": state.outcome.value if state.outcome else None,
        "received_at": state.received_at,
        "closed_at": state.closed_at,
        "overdue": state.overdue,
        "subject_members": list(state.subject_members),
        "subject_groups": dict(state.subject_groups),
        "complainant_type": state.intake.complainant.type.value,
        "confidential": state.intake.confidential,
        "updated_at": updated_at,
    }
    if row is None:
        session.add(ComplaintRow(reference=reference, published=state.published, **values))
        session.flush()
    else:
        for field, value in values.items():
            if getattr(row, field) != value:
                setattr(row, field, value)
        if state.published and not row.published:
            row.published = True  # publication is never undone by a sync

    _mirror(
        session,
        PartyRow,
        reference,
        key=lambda r: (r.role, r.party_id),
        desired={k: {"name": v["name"] or "", "email": v["email"]} for k, v in _parties(state, roster).items()},
        make=lambda k, v: PartyRow(reference=reference, role=k[0], party_id=k[1], **v),
        keep_existing=("name", "email"),
    )
    _mirror(
        session,
        DecisionRow,
        reference,
        key=lambda r: (r.kind, r.at),
        desired=_decisions(state),
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
            }
            for name, c in state.clocks.items()
        },
        make=lambda k, v: ClockRow(reference=reference, name=k[0], **v),
    )
    return True


def sync_case(session: Bind, state: CaseState, roster: Roster | None = None) -> bool:
    """Upsert the register from a case state (idempotent). Names and addresses of parties come
    from `roster` when given. Returns False when the state is older than the one on record."""
    return _transaction(session, lambda s: _sync(s, state, roster))


# ----------------------------------------------------------------------------- notifications


def notification_sent(session: Bind, key: str) -> bool:
    query = select(NotificationRow.id).where(NotificationRow.key == key)
    return _with_session(session, lambda s: s.scalar(query) is not None)


def get_notification(session: Bind, key: str) -> LetterReceipt | None:
    """The receipt of a letter already sent under `key` (marked duplicate), if any."""

    def read(s: Session) -> LetterReceipt | None:
        row = s.scalar(select(NotificationRow).where(NotificationRow.key == key))
        if row is None:
            return None
        return LetterReceipt(
            key=row.key,
            template=row.template,
            to=row.to,
            role=row.role,
            subject=row.subject,
            sent_at=row.sent_at,
            duplicate=True,
        )

    return _with_session(session, read)


def record_notification(session: Bind, receipt: LetterReceipt, reference: str) -> bool:
    """Record a sent letter; a second record of the same key is a no-op. True when recorded now."""

    def work(s: Session) -> bool:
        if notification_sent(s, receipt.key):
            return False
        s.add(
            NotificationRow(
                key=receipt.key,
                reference=reference,
                template=receipt.template.value,
                to=receipt.to,
                role=receipt.role.value,
                subject=receipt.subject,
                sent_at=receipt.sent_at,
            )
        )
        s.flush()
        return True

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


def publish_notice(session: Bind, reference: str, council: str, text: str, at: datetime) -> bool:
    """R12: publish (or re-publish with corrected text) a decision notice. Idempotent: the first
    publication time is kept. True when the notice is published for the first time."""

    def work(s: Session) -> bool:
        row = s.get(PublishedNoticeRow, reference)
        created = row is None
        if row is None:
            s.add(PublishedNoticeRow(reference=reference, council=council, published_at=at, text=text))
        else:
            if row.text != text:
                row.text = text
            if row.council != council:
                row.council = council
        s.execute(
            update(ComplaintRow.__table__)
            .where(ComplaintRow.__table__.c.reference == reference, ComplaintRow.__table__.c.published.is_(False))
            .values(published=True)
        )
        s.flush()
        return created

    return _transaction(session, work)


def published_notices(session: Session, council: str | None = None) -> Iterator[PublishedNoticeRow]:
    """Published decision notices, newest first (for the public pages)."""
    query = select(PublishedNoticeRow).order_by(PublishedNoticeRow.published_at.desc())
    if council:
        query = query.where(PublishedNoticeRow.council == council)
    yield from session.scalars(query)
