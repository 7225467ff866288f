"""Retention: what the monthly `Retention` workflow removes, and when (issue 13).

A closed case is kept `retention_years` (per council, roster; default 6) after the London day it
closed; a published decision notice `notice_retention_years` after it was published. Past that,
the case's personal data goes: its data key is shredded (conduct.case_keys), its uploads and
stored letters are deleted, and its register rows become anonymised statistics
(conduct.retention_register). The notice is taken off the public pages.

The models here travel in the workflow's history: no personal data in them (references, council
ids, dates and counts only), and no SQLAlchemy import (the workflow imports this module).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_RETENTION_YEARS = 6
DEFAULT_NOTICE_RETENTION_YEARS = 6
REMOVED = "personal data removed on {on} under the retention policy"
MAX_CASES_PER_RUN = 500  # the rest wait for the next month's run (the history stays small)


def years_after(day: date, years: int) -> date:
    """`day` plus whole years; 29 February becomes 28 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def removed_line(reference: str, on: date) -> str:
    return f"{reference}: {REMOVED.format(on=f'{on:%-d %B %Y}')}"


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RetentionRequest(_Lenient):
    """`on`: the London day to judge retention by (None: the run's own day)."""

    on: date | None = None
    dry_run: bool = False


class DueCase(_Lenient):
    reference: str
    council: str
    closed_on: date
    retention_years: int
    due_on: date


class DueNotice(_Lenient):
    reference: str
    council: str
    published_on: date
    retention_years: int
    due_on: date


class DueForRetention(_Lenient):
    on: date
    cases: list[DueCase] = []
    notices: list[DueNotice] = []
    still_running: list[str] = Field(default=[], description="closed in the register, workflow still running")
    more: int = Field(default=0, description="cases due beyond this run's limit, left for the next run")


class ShredCase(_Lenient):
    case: DueCase
    on: date


class ShredReceipt(_Lenient):
    reference: str
    on: date
    key_shredded: bool
    uploads_deleted: int = 0
    letters_deleted: int = 0
    rows_anonymised: int = 0


class RemoveNotice(_Lenient):
    notice: DueNotice
    on: date


class RetentionRun(_Lenient):
    on: date
    cases: list[ShredReceipt] = []
    notices: list[str] = []
    still_running: list[str] = []
    more: int = 0
