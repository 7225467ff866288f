"""The training register: sessions (Code of Conduct, equalities, committee-specific; seed 002's
programme of group sessions, induction and committee training) and who attended them.

"Trained on the Code" is computed, never typed: a Code of Conduct session attended on or after
the member's last election (`Member.elected_on`; unknown: any Code session counts), and on or
before the day the question is asked about. Committee training is checked against the
`required_training` of each committee on the roster.

The tables share the case register's `Base` (same database, same migrations: revision 0003).
The functions below split into register access (a `Bind`: a Session or an Engine) and pure
functions over `TrainingRecord`s, which the reports, the GroupReport activities, the CLI and the
sanction follow-up (`training_met`) share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from conduct.register import Base, Bind, _transaction, _with_session
from conduct.roster import Member, Roster

SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


class TrainingKind(StrEnum):
    CODE_OF_CONDUCT = "code-of-conduct"
    EQUALITIES = "equalities"
    COMMITTEE = "committee"


# ----------------------------------------------------------------------------- tables


class TrainingSessionRow(Base):
    __tablename__ = "training_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    committee: Mapped[str | None] = mapped_column(String(100))
    provider: Mapped[str] = mapped_column(String(200), default="")
    group: Mapped[str | None] = mapped_column(String(100), comment="the political group it was held for, if any")
    created_at: Mapped[datetime]


class TrainingAttendanceRow(Base):
    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "member", name="uq_training_attendance_session_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    member: Mapped[str] = mapped_column(String(64), index=True)
    recorded_at: Mapped[datetime]


# ----------------------------------------------------------------------------- models


class TrainingSession(BaseModel):
    id: str = Field(pattern=SESSION_ID.pattern)
    title: str = Field(min_length=1, max_length=200)
    held_on: date
    kind: TrainingKind
    committee: str | None = Field(default=None, max_length=100)
    provider: str = Field(default="", max_length=200)
    group: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _committee_named(self) -> TrainingSession:
        if self.kind is TrainingKind.COMMITTEE and not self.committee:
            raise ValueError("a committee session needs the committee's name")
        return self


class TrainingRecord(BaseModel):
    """One member's attendance at one session (what the pure functions work on)."""

    member: str
    session: str
    kind: TrainingKind
    held_on: date
    committee: str | None = None


class CommitteeGap(BaseModel):
    """A member sitting on a committee without a kind of training it requires."""

    council: str
    committee: str
    member: str
    name: str
    group: str
    missing: list[str]
    since: date | None = Field(description="training counts from this day (the member's last election)")


# ----------------------------------------------------------------------------- pure functions


def training_met(
    member: str, kind: TrainingKind | str, since: date | None, records: Iterable[TrainingRecord], **where: object
) -> bool:
    """Whether `member` attended a session of `kind` on or after `since` (None: ever).

    For the sanction follow-up (R10 training, R17): a training sanction imposed on day D is met
    by `training_met(member, kind, D, records)`. `where` narrows further, e.g. committee="Planning",
    until=date (sessions on or before it)."""
    kind = TrainingKind(kind)
    until = where.get("until")
    committee = where.get("committee")
    for r in records:
        if r.member != member or r.kind is not kind:
            continue
        if since is not None and r.held_on < since:
            continue
        if isinstance(until, date) and r.held_on > until:
            continue
        if committee is not None and r.committee != committee:
            continue
        return True
    return False


def trained_on_code(member: Member, records: Iterable[TrainingRecord], as_of: date | None = None) -> bool:
    """A Code of Conduct session attended since the member's last election (and by `as_of`)."""
    return training_met(member.id, TrainingKind.CODE_OF_CONDUCT, member.elected_on, records, until=as_of)


def committee_requirement_met(
    member: Member, requirement: str, committee: str, records: Iterable[TrainingRecord], as_of: date | None = None
) -> bool:
    """One `required_training` entry: a kind; "committee" means a session held for that committee.
    A requirement that names no kind of session can never be met (it shows in the check)."""
    try:
        kind = TrainingKind(requirement)
    except ValueError:
        return False
    narrow: dict[str, object] = {"until": as_of}
    if kind is TrainingKind.COMMITTEE:
        narrow["committee"] = committee
    return training_met(member.id, kind, member.elected_on, records, **narrow)


def committee_gaps(
    roster: Roster, records: list[TrainingRecord], council: str | None = None, as_of: date | None = None
) -> list[CommitteeGap]:
    """Members on a committee without the training that committee requires, by committee then member.
    A committee a member sits on that is not configured on the roster requires nothing."""
    gaps: list[CommitteeGap] = []
    for committee in roster.committees:
        if council not in (None, committee.council):
            continue
        for m in roster.members:
            if m.council != committee.council or committee.name not in m.committees:
                continue
            missing = [
                r
                for r in committee.required_training
                if not committee_requirement_met(m, r, committee.name, records, as_of)
            ]
            if missing:
                gaps.append(
                    CommitteeGap(
                        council=committee.council,
                        committee=committee.name,
                        member=m.id,
                        name=m.name,
                        group=m.group,
                        missing=missing,
                        since=m.elected_on,
                    )
                )
    return gaps


# ----------------------------------------------------------------------------- the register


class UnknownSession(LookupError):
    pass


def save_session(bind: Bind, session: TrainingSession) -> bool:
    """Add a session, or update the one with the same id (an import run twice). True when new."""

    def work(s: Session) -> bool:
        row = s.get(TrainingSessionRow, session.id)
        values = session.model_dump(exclude={"id"})
        values["kind"] = session.kind.value
        if row is None:
            s.add(TrainingSessionRow(id=session.id, created_at=datetime.now(UTC), **values))
            s.flush()
            return True
        for field, value in values.items():
            if getattr(row, field) != value:
                setattr(row, field, value)
        return False

    return _transaction(bind, work)


def next_session_id(bind: Bind, held_on: date) -> str:
    """TS-2029-001, TS-2029-002, ...: the first number of that year not taken."""
    prefix = f"TS-{held_on.year}-"

    def work(s: Session) -> str:
        taken = set(s.scalars(select(TrainingSessionRow.id).where(TrainingSessionRow.id.like(f"{prefix}%"))))
        number = 1
        while f"{prefix}{number:03d}" in taken:
            number += 1
        return f"{prefix}{number:03d}"

    return _with_session(bind, work)


def record_attendance(bind: Bind, session_id: str, members: Iterable[str]) -> list[str]:
    """Record that `members` attended; already recorded ones are left as they are. Returns the
    members recorded now. UnknownSession when there is no such session."""
    wanted = list(dict.fromkeys(members))

    def work(s: Session) -> list[str]:
        if s.get(TrainingSessionRow, session_id) is None:
            raise UnknownSession(session_id)
        present = set(
            s.scalars(select(TrainingAttendanceRow.member).where(TrainingAttendanceRow.session_id == session_id))
        )
        added = [m for m in wanted if m not in present]
        now = datetime.now(UTC)
        for m in added:
            s.add(TrainingAttendanceRow(session_id=session_id, member=m, recorded_at=now))
        s.flush()
        return added

    return _transaction(bind, work)


def sessions(bind: Bind) -> list[TrainingSession]:
    query = select(TrainingSessionRow).order_by(TrainingSessionRow.held_on, TrainingSessionRow.id)
    return _with_session(
        bind,
        lambda s: [
            TrainingSession(
                id=r.id,
                title=r.title,
                held_on=r.held_on,
                kind=r.kind,
                committee=r.committee,
                provider=r.provider,
                group=r.group,
            )
            for r in s.scalars(query)
        ],
    )


def attendance(bind: Bind, members: Iterable[str] | None = None) -> list[TrainingRecord]:
    """Every attendance (of `members` only, when given), oldest session first."""
    query = (
        select(TrainingAttendanceRow.member, TrainingSessionRow)
        .join(TrainingSessionRow, TrainingSessionRow.id == TrainingAttendanceRow.session_id)
        .order_by(TrainingSessionRow.held_on, TrainingSessionRow.id, TrainingAttendanceRow.member)
    )
    if members is not None:
        query = query.where(TrainingAttendanceRow.member.in_(list(members)))

    def work(s: Session) -> list[TrainingRecord]:
        return [
            TrainingRecord(member=m, session=r.id, kind=r.kind, held_on=r.held_on, committee=r.committee)
            for m, r in s.execute(query)
        ]

    return _with_session(bind, work)


def training_met_in_register(bind: Bind, member: str, kind: TrainingKind | str, since: date | None) -> bool:
    """`training_met` over the register: what a training sanction's follow-up asks (R17)."""
    return training_met(member, kind, since, attendance(bind, [member]))
