"""The roster in force, kept in the case register's database. Each import is a new row, so the
roster a case was opened under can always be found again; the newest row is in force."""

import functools
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from conduct.register import Base, Bind, _transaction, _with_session
from conduct.roster import Roster


class RosterRow(Base):
    __tablename__ = "rosters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[str] = mapped_column(Text)


def save_roster(bind: Bind, roster: Roster) -> int:
    def work(s: Session) -> int:
        row = RosterRow(imported_at=datetime.now(UTC), body=roster.model_dump_json())
        s.add(row)
        s.flush()
        return row.id

    return _transaction(bind, work)


def current_roster(bind: Bind) -> Roster | None:
    """Read on every request (a new import takes effect at once), parsed only when it changed:
    validating a roster's e-mail addresses took ~20 ms, most of an intake request's own time."""

    def work(s: Session) -> Roster | None:
        body = s.execute(select(RosterRow.body).order_by(RosterRow.id.desc()).limit(1)).scalar_one_or_none()
        return _parsed(body) if body else None

    return _with_session(bind, work)


@functools.lru_cache(maxsize=8)
def _parsed(body: str) -> Roster:
    """Shared between callers, so never mutated: nothing assigns to a roster after validation."""
    return Roster.model_validate_json(body)
