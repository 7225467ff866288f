"""Deadline requests and results: what the deadline activity is asked and what it records.

The result carries its inputs (start, rule, nation, closures, pauses, calendar data version)
so that any due date in a case's history can be explained and recomputed.
"""

from datetime import date, datetime

from pydantic import BaseModel, Field

from conduct.vocabulary import ClockName, DayUnit, Nation


class Pause(BaseModel):
    """A stop of a running clock: days from `start` up to (not including) `end` do not count."""

    start: date
    end: date
    reason: str = ""


class DeadlineRequest(BaseModel):
    clock: ClockName
    started_at: datetime = Field(description="the starting event, aware; its London date is day 0")
    amount: int = Field(gt=0)
    unit: DayUnit
    nation: Nation
    pauses: list[Pause] = []
    reminder_working_days: int = 5


class Deadline(BaseModel):
    clock: ClockName
    start: date = Field(description="the starting event's date in Europe/London")
    due: date
    lapses_at: datetime = Field(description="start of the day after `due`, Europe/London, as aware UTC")
    remind_on: date | None = Field(description="None when the reminder date is not after the start")
    remind_at: datetime | None
    rule: str = Field(description="e.g. '20 working days'")
    nation: Nation
    closures: list[date] = Field(description="council closure days in force when computed")
    pauses: list[Pause] = []
    calendar_version: str = Field(description="holidays package version and closures digest")
