"""Working-day calendar and deadline arithmetic, with expected dates counted by hand."""

import hashlib
from datetime import UTC, date, datetime

import holidays
import pytest
from temporalio.testing import ActivityEnvironment

from activities.deadlines import compute_deadline as compute_deadline_activity
from conduct.calendar import (
    WorkingCalendar,
    calendar_version,
    compute_deadline,
    lapse_instant,
    london_date,
    start_of_day_utc,
)
from conduct.deadline import DeadlineRequest, Pause
from conduct.settings import get_settings
from conduct.vocabulary import ClockName, DayUnit, Nation

WD, CD, CM = DayUnit.WORKING_DAYS, DayUnit.CALENDAR_DAYS, DayUnit.CALENDAR_MONTHS
ENG, WAL, SCO, NIR = Nation.ENGLAND, Nation.WALES, Nation.SCOTLAND, Nation.NORTHERN_IRELAND


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- working days and bank holidays -------------------------------------------------------------


def test_twenty_working_days_from_a_plain_monday():
    # Mon 2 Nov 2026: 3-6 Nov (4), 9-13 (9), 16-20 (14), 23-27 (19), Mon 30 Nov (20).
    assert WorkingCalendar(ENG).add_working_days(date(2026, 11, 2), 20) == date(2026, 11, 30)


def test_st_andrews_day_in_scotland_only():
    # As above, but Mon 30 Nov 2026 is St Andrew's Day in Scotland, so the 20th is Tue 1 Dec.
    assert WorkingCalendar(SCO).add_working_days(date(2026, 11, 2), 20) == date(2026, 12, 1)


def test_day_zero_is_the_start_and_a_weekend_start_counts_from_monday():
    cal = WorkingCalendar(ENG)
    assert cal.add_working_days(date(2026, 11, 2), 0) == date(2026, 11, 2)
    assert cal.add_working_days(date(2026, 11, 2), 1) == date(2026, 11, 3)
    # Received Sat 7 Nov: Mon 9 is day 1.
    assert cal.add_working_days(date(2026, 11, 7), 1) == date(2026, 11, 9)


@pytest.mark.parametrize(
    ("nation", "due"),
    [
        # From Mon 14 Dec 2026: 15-18 Dec (4), 21-24 (8); Fri 25 Christmas, Mon 28 Boxing Day
        # (observed, 26th is a Saturday); 29-31 (11); Fri 1 Jan New Year; 4-8 Jan (16);
        # 11-14 Jan (20) -> Thu 14 Jan 2027.
        (ENG, date(2027, 1, 14)),
        (WAL, date(2027, 1, 14)),
        (NIR, date(2027, 1, 14)),
        # Scotland also has 2 January; Sat 2 Jan 2027 is observed on Mon 4 Jan, one day later.
        (SCO, date(2027, 1, 15)),
    ],
)
def test_twenty_working_days_across_christmas_and_new_year(nation: Nation, due: date):
    assert WorkingCalendar(nation).add_working_days(date(2026, 12, 14), 20) == due


@pytest.mark.parametrize(
    ("nation", "due"),
    [
        # From Mon 1 Mar 2027: 2-5 Mar (4), 8-12 (9), 15-19 (14), 22-25 (18); Fri 26 Good Friday,
        # Mon 29 Easter Monday; Tue 30 (19), Wed 31 Mar (20).
        (ENG, date(2027, 3, 31)),
        (WAL, date(2027, 3, 31)),
        # No Easter Monday in Scotland: Mon 29 (19), Tue 30 (20).
        (SCO, date(2027, 3, 30)),
        # St Patrick's Day Wed 17 Mar 2027 costs Northern Ireland one more day: Thu 1 Apr.
        (NIR, date(2027, 4, 1)),
    ],
)
def test_twenty_working_days_across_st_patricks_and_easter_2027(nation: Nation, due: date):
    assert WorkingCalendar(nation).add_working_days(date(2027, 3, 1), 20) == due


def test_battle_of_the_boyne_in_northern_ireland():
    # From Mon 5 Jul 2027, 5 working days: 6, 7, 8, 9, Mon 12 Jul; 12 Jul is a NI holiday -> Tue 13.
    assert WorkingCalendar(ENG).add_working_days(date(2027, 7, 5), 5) == date(2027, 7, 12)
    assert WorkingCalendar(NIR).add_working_days(date(2027, 7, 5), 5) == date(2027, 7, 13)
    # 12 Jul 2026 is a Sunday, observed on Mon 13 Jul.
    assert not WorkingCalendar(NIR).is_working_day(date(2026, 7, 13))
    assert WorkingCalendar(ENG).is_working_day(date(2026, 7, 13))


def test_is_working_day():
    eng = WorkingCalendar(ENG)
    assert eng.is_working_day(date(2026, 12, 24))  # Thursday
    assert not eng.is_working_day(date(2026, 12, 25))  # Christmas Day
    assert not eng.is_working_day(date(2026, 12, 28))  # Boxing Day observed
    assert not eng.is_working_day(date(2026, 12, 19))  # Saturday
    assert not eng.is_working_day(date(2027, 3, 29))  # Easter Monday
    assert WorkingCalendar(SCO).is_working_day(date(2027, 3, 29))
    assert not WorkingCalendar(SCO).is_working_day(date(2027, 1, 4))


def test_closure_days_are_skipped():
    closures = [date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]
    cal = WorkingCalendar(ENG, closures)
    assert not cal.is_working_day(date(2026, 12, 30))
    # From Mon 14 Dec 2026: 15-24 Dec (8); 25, 28 holidays; 29-31 closed; 1 Jan holiday;
    # 4-8 Jan (13), 11-15 (18), Mon 18 (19), Tue 19 Jan 2027 (20).
    assert cal.add_working_days(date(2026, 12, 14), 20) == date(2027, 1, 19)


# --- calendar days and months --------------------------------------------------------------------


def test_calendar_days_are_not_rolled_forward():
    cal = WorkingCalendar(ENG)
    # Fri 11 Dec 2026 + 14 days = Fri 25 Dec (Christmas Day), left as it is.
    assert cal.due_date(date(2026, 12, 11), 14, CD) == date(2026, 12, 25)
    # Sat 5 Dec + 14 = Sat 19 Dec.
    assert cal.due_date(date(2026, 12, 5), 14, CD) == date(2026, 12, 19)


def test_calendar_months_are_not_rolled_forward():
    # 25 Oct 2026 + 2 months = Fri 25 Dec 2026; 27 Nov 2027 + 1 month = Mon 27 Dec 2027 (observed).
    assert WorkingCalendar(ENG).due_date(date(2026, 10, 25), 2, CM) == date(2026, 12, 25)
    assert WorkingCalendar(ENG).due_date(date(2027, 11, 27), 1, CM) == date(2027, 12, 27)


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2027, 3, 31), 1, date(2027, 4, 30)),
        (date(2027, 1, 31), 12, date(2028, 1, 31)),
    ],
)
def test_month_clamping(start: date, months: int, due: date):
    assert WorkingCalendar.add_months(start, months) == due
    assert WorkingCalendar(ENG).due_date(start, months, CM) == due


# --- pauses ---------------------------------------------------------------------------------------


def test_pause_extends_a_working_day_clock():
    cal = WorkingCalendar(ENG)
    # Paused Mon 9 - Fri 13 Nov (end Mon 16 excluded): 5 working days lost, so Mon 30 Nov
    # becomes 1, 2, 3, 4, Mon 7 Dec.
    pause = Pause(start=date(2026, 11, 9), end=date(2026, 11, 16))
    assert cal.due_date(date(2026, 11, 2), 20, WD, [pause]) == date(2026, 12, 7)
    # A pause over a weekend only costs nothing.
    weekend = Pause(start=date(2026, 11, 7), end=date(2026, 11, 9))
    assert cal.due_date(date(2026, 11, 2), 20, WD, [weekend]) == date(2026, 11, 30)


def test_pause_over_bank_holidays_counts_only_working_days():
    # From Mon 14 Dec 2026, paused 24 Dec - 3 Jan (end Mon 4 Jan excluded): working days lost are
    # 24, 29, 30, 31 Dec (25, 28 Dec and 1 Jan are holidays anyway). Counting: 15-23 Dec (7),
    # 4-8 Jan (12), 11-15 (17), 18, 19, Wed 20 Jan 2027 (20).
    pause = Pause(start=date(2026, 12, 24), end=date(2027, 1, 4))
    assert WorkingCalendar(ENG).due_date(date(2026, 12, 14), 20, WD, [pause]) == date(2027, 1, 20)


def test_pause_extends_a_calendar_day_clock():
    cal = WorkingCalendar(ENG)
    start = date(2026, 12, 1)  # + 14 days = Tue 15 Dec
    assert cal.due_date(start, 14, CD) == date(2026, 12, 15)
    # 3, 4, 5 Dec paused: 3 days -> Fri 18 Dec.
    assert cal.due_date(start, 14, CD, [Pause(start=date(2026, 12, 3), end=date(2026, 12, 6))]) == date(2026, 12, 18)
    # Pause from 28 Nov to 2 Dec inclusive: only 2 Dec is after the start -> Wed 16 Dec.
    assert cal.due_date(start, 14, CD, [Pause(start=date(2026, 11, 28), end=date(2026, 12, 3))]) == date(2026, 12, 16)
    # Overlapping pauses 3-5 and 5-7 Dec cover 5 distinct days -> Sun 20 Dec.
    overlapping = [
        Pause(start=date(2026, 12, 3), end=date(2026, 12, 6)),
        Pause(start=date(2026, 12, 5), end=date(2026, 12, 8)),
    ]
    assert cal.due_date(start, 14, CD, overlapping) == date(2026, 12, 20)
    # A pause that begins after the clock fell due does not move it.
    late = Pause(start=date(2026, 12, 16), end=date(2026, 12, 20))
    assert cal.due_date(start, 14, CD, [late]) == date(2026, 12, 15)
    # A pause starting on the due date itself does extend it: 15-16 Dec paused -> Thu 17 Dec.
    on_due = Pause(start=date(2026, 12, 15), end=date(2026, 12, 17))
    assert cal.due_date(start, 14, CD, [on_due]) == date(2026, 12, 17)


def test_pause_extends_a_month_clock():
    # 31 Jan 2027 + 1 month = 28 Feb 2027; paused 10-19 Feb (10 days) -> 10 Mar 2027.
    pause = Pause(start=date(2027, 2, 10), end=date(2027, 2, 20))
    assert WorkingCalendar(ENG).due_date(date(2027, 1, 31), 1, CM, [pause]) == date(2027, 3, 10)


# --- reminders ------------------------------------------------------------------------------------


def test_subtract_working_days():
    cal = WorkingCalendar(ENG)
    # 5 working days before Mon 30 Nov 2026: 27, 26, 25, 24, Mon 23 Nov.
    assert cal.subtract_working_days(date(2026, 11, 30), 5) == date(2026, 11, 23)
    # Before Tue 5 Jan 2027: 4 Jan (1), [1 Jan], 31 (2), 30 (3), 29 (4), [28, 25], Thu 24 Dec (5).
    assert cal.subtract_working_days(date(2027, 1, 5), 5) == date(2026, 12, 24)
    # Before Sat 19 Dec 2026: 18, 17, 16, 15, Mon 14 Dec.
    assert cal.subtract_working_days(date(2026, 12, 19), 5) == date(2026, 12, 14)


# --- time zone --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "lapses"),
    [
        (date(2027, 6, 30), utc(2027, 6, 30, 23)),  # BST
        (date(2026, 12, 1), utc(2026, 12, 2, 0)),  # GMT
        # Clocks go forward at 01:00 UTC on Sun 28 Mar 2027: midnight starting it is still GMT.
        (date(2027, 3, 27), utc(2027, 3, 28, 0)),
        (date(2027, 3, 28), utc(2027, 3, 28, 23)),
        # Clocks go back at 01:00 UTC on Sun 31 Oct 2027: midnight starting it is still BST.
        (date(2027, 10, 30), utc(2027, 10, 30, 23)),
        (date(2027, 10, 31), utc(2027, 11, 1, 0)),
    ],
)
def test_lapse_instant(due: date, lapses: datetime):
    assert lapse_instant(due) == lapses
    assert lapse_instant(due).utcoffset().total_seconds() == 0


def test_start_of_day_utc():
    assert start_of_day_utc(date(2027, 6, 23)) == utc(2027, 6, 22, 23)
    assert start_of_day_utc(date(2026, 11, 23)) == utc(2026, 11, 23, 0)


def test_london_date():
    assert london_date(utc(2026, 6, 30, 23, 30)) == date(2026, 7, 1)
    assert london_date(utc(2026, 6, 30, 22, 59)) == date(2026, 6, 30)
    assert london_date(utc(2026, 12, 31, 23, 30)) == date(2026, 12, 31)
    with pytest.raises(ValueError):
        london_date(datetime(2026, 6, 30, 12))


# --- compute_deadline ---------------------------------------------------------------------------


def request(**overrides: object) -> DeadlineRequest:
    values: dict[str, object] = {
        "clock": ClockName.ASSESSMENT,
        "started_at": utc(2026, 11, 2, 10),
        "amount": 20,
        "unit": WD,
        "nation": ENG,
    }
    return DeadlineRequest(**(values | overrides))


def test_compute_deadline_records_everything():
    closures = [date(2026, 11, 20)]
    d = compute_deadline(request(), closures)
    assert d.clock is ClockName.ASSESSMENT
    assert d.start == date(2026, 11, 2)
    # Mon 30 Nov would be the 20th; closure on Fri 20 Nov pushes it to Tue 1 Dec.
    assert d.due == date(2026, 12, 1)
    assert d.lapses_at == utc(2026, 12, 2, 0)
    # 5 working days before Tue 1 Dec: 30, 27, 26, 25, Tue 24 Nov.
    assert d.remind_on == date(2026, 11, 24)
    assert d.remind_at == utc(2026, 11, 24, 0)
    assert d.rule == "20 working days"
    assert d.nation is ENG
    assert d.closures == closures
    assert d.pauses == []
    assert d.calendar_version == calendar_version(closures)


def test_compute_deadline_uses_the_london_date_of_the_start():
    # 23:30 UTC on 30 Jun 2027 is 00:30 BST on Thu 1 Jul; + 14 days = Thu 15 Jul.
    d = compute_deadline(request(started_at=utc(2027, 6, 30, 23, 30), amount=14, unit=CD), [])
    assert d.start == date(2027, 7, 1)
    assert d.due == date(2027, 7, 15)
    assert d.lapses_at == utc(2027, 7, 15, 23)
    assert d.rule == "14 calendar days"


def test_compute_deadline_rule_text_and_pauses():
    pause = Pause(start=date(2027, 2, 10), end=date(2027, 2, 20), reason="member ill")
    d = compute_deadline(request(started_at=utc(2027, 1, 31, 12), amount=2, unit=CM, pauses=[pause]), [])
    # 31 Jan + 2 months = 31 Mar 2027, + 10 paused days = Sat 10 Apr 2027.
    assert d.due == date(2027, 4, 10)
    assert d.pauses == [pause]
    assert d.rule == "2 calendar months"
    assert compute_deadline(request(amount=1), []).rule == "1 working day"


def test_no_reminder_when_it_would_not_fall_after_the_start():
    # 3 working days from Mon 2 Nov 2026 = Thu 5 Nov; 5 working days before is in October.
    d = compute_deadline(request(amount=3), [])
    assert d.due == date(2026, 11, 5)
    assert d.remind_on is None and d.remind_at is None
    # 5 working days before Mon 9 Nov is Mon 2 Nov, the start itself: no reminder either.
    assert compute_deadline(request(amount=5), []).remind_on is None
    # 6 working days: due Tue 10 Nov, reminder Tue 3 Nov.
    assert compute_deadline(request(amount=6), []).remind_on == date(2026, 11, 3)
    assert compute_deadline(request(reminder_working_days=0), []).remind_on is None


def test_calendar_version():
    a, b = date(2026, 12, 29), date(2026, 12, 30)
    digest = hashlib.sha256(b"2026-12-29,2026-12-30").hexdigest()[:12]
    assert calendar_version([b, a]) == f"holidays-{holidays.__version__}+closures-{digest}"
    assert calendar_version([a, b]) == calendar_version([b, a])
    assert calendar_version([]) != calendar_version([a])


# --- the activity ---------------------------------------------------------------------------------


@pytest.fixture
def fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_activity_reads_closures_from_settings(monkeypatch: pytest.MonkeyPatch, fresh_settings: None):
    monkeypatch.setenv("CONDUCT_CLOSURES", "2026-12-31, 2026-12-29,2026-12-30")
    d = await ActivityEnvironment().run(compute_deadline_activity, request(started_at=utc(2026, 12, 14, 9)))
    # As in test_closure_days_are_skipped: Tue 19 Jan 2027.
    assert d.due == date(2027, 1, 19)
    assert d.closures == [date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]
    assert d.calendar_version == calendar_version(d.closures)


async def test_activity_without_closures(monkeypatch: pytest.MonkeyPatch, fresh_settings: None):
    monkeypatch.setenv("CONDUCT_CLOSURES", "")
    d = await ActivityEnvironment().run(compute_deadline_activity, request(started_at=utc(2026, 12, 14, 9)))
    assert d.due == date(2027, 1, 14)
    assert d.closures == []
