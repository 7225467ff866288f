"""The council's working-day calendar and deadline arithmetic.

Pure and I/O-free so that the same inputs always give the same due date: the deadline activity
calls it once and records the result in workflow history, and anyone can later recompute a due
date from what the record carries (start, rule, nation, closures, pauses, calendar version).
Bank holidays come from the `holidays` package, which ships its data offline.
"""

import calendar as _gregorian
import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from conduct.deadline import Deadline, DeadlineRequest, Pause
from conduct.vocabulary import DayUnit, Nation

LONDON = ZoneInfo("Europe/London")
_ONE_DAY = timedelta(days=1)

_SUBDIVISION: dict[Nation, str] = {
    Nation.ENGLAND: "ENG",
    Nation.WALES: "WLS",
    Nation.SCOTLAND: "SCT",
    Nation.NORTHERN_IRELAND: "NIR",
}


def _paused(d: date, pauses: Iterable[Pause]) -> bool:
    return any(p.start <= d < p.end for p in pauses)


class WorkingCalendar:
    """Monday to Friday, less the nation's bank holidays and the council's closure days."""

    def __init__(self, nation: Nation, closures: Iterable[date] = ()) -> None:
        self.nation = Nation(nation)
        self.closures = frozenset(closures)
        # No years given: the package fills in each year the first time a date in it is asked about.
        self._holidays = holidays.country_holidays("GB", subdiv=_SUBDIVISION[self.nation])

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in self._holidays and d not in self.closures

    def add_working_days(self, start: date, n: int, pauses: Iterable[Pause] = ()) -> date:
        """The n-th working day after `start` (day 0), skipping working days inside pauses."""
        if n < 0:
            raise ValueError("n must not be negative")
        pauses = list(pauses)
        d = start
        while n:
            d += _ONE_DAY
            if self.is_working_day(d) and not _paused(d, pauses):
                n -= 1
        return d

    def subtract_working_days(self, d: date, n: int) -> date:
        """The working day n working days before `d`."""
        if n < 0:
            raise ValueError("n must not be negative")
        while n:
            d -= _ONE_DAY
            if self.is_working_day(d):
                n -= 1
        return d

    @staticmethod
    def add_days(start: date, n: int) -> date:
        return start + timedelta(days=n)

    @staticmethod
    def add_months(start: date, n: int) -> date:
        """Same day of the month n months on, clamped to that month's last day."""
        months = start.year * 12 + start.month - 1 + n
        year, month = divmod(months, 12)
        month += 1
        return date(year, month, min(start.day, _gregorian.monthrange(year, month)[1]))

    def due_date(self, start: date, amount: int, unit: DayUnit, pauses: Iterable[Pause] = ()) -> date:
        """Due date of a clock started on `start`; never rolled forward off a weekend or holiday.

        Working-day clocks do not count working days inside a pause. Calendar-day and month
        clocks are extended by one day for each paused day after `start` and on or before the
        (extended) due date, so a pause after the clock fell due changes nothing and
        overlapping pauses count once.
        """
        pauses = list(pauses)
        unit = DayUnit(unit)
        if unit is DayUnit.WORKING_DAYS:
            return self.add_working_days(start, amount, pauses)
        base = self.add_days(start, amount) if unit is DayUnit.CALENDAR_DAYS else self.add_months(start, amount)
        paused_days = {
            p.start + timedelta(days=i)
            for p in pauses
            for i in range((p.end - p.start).days)
            if p.start + timedelta(days=i) > start
        }
        due = base
        while True:
            extended = base + timedelta(days=sum(1 for d in paused_days if d <= due))
            if extended == due:
                return due
            due = extended


def calendar_version(closures: Iterable[date]) -> str:
    listed = ",".join(d.isoformat() for d in sorted(set(closures)))
    digest = hashlib.sha256(listed.encode()).hexdigest()[:12]
    return f"holidays-{holidays.__version__}+closures-{digest}"


def start_of_day_utc(d: date) -> datetime:
    """Midnight at the start of `d` in Europe/London, as an aware UTC datetime."""
    return datetime.combine(d, time(0), tzinfo=LONDON).astimezone(UTC)


def lapse_instant(due: date) -> datetime:
    """A deadline lapses when its due date ends: the start of the next London day."""
    return start_of_day_utc(due + _ONE_DAY)


def london_date(dt: datetime) -> date:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return dt.astimezone(LONDON).date()


def _describe(amount: int, unit: DayUnit) -> str:
    words = DayUnit(unit).value.replace("_", " ")
    return f"{amount} {words.rstrip('s') if amount == 1 else words}"


def compute_deadline(request: DeadlineRequest, closures: list[date]) -> Deadline:
    cal = WorkingCalendar(request.nation, closures)
    start = london_date(request.started_at)
    due = cal.due_date(start, request.amount, request.unit, request.pauses)
    remind_on: date | None = None
    if request.reminder_working_days > 0:
        candidate = cal.subtract_working_days(due, request.reminder_working_days)
        remind_on = candidate if candidate > start else None
    return Deadline(
        clock=request.clock,
        start=start,
        due=due,
        lapses_at=lapse_instant(due),
        remind_on=remind_on,
        remind_at=start_of_day_utc(remind_on) if remind_on else None,
        rule=_describe(request.amount, request.unit),
        nation=request.nation,
        closures=sorted(set(closures)),
        pauses=list(request.pauses),
        calendar_version=calendar_version(closures),
    )
