"""The reporting workflow's inputs and results: plain models and date arithmetic, importable
inside the workflow sandbox (no SQL, no clock; conduct/reports.py reads the register)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from conduct.vocabulary import RecipientRole


class ReportPeriod(BaseModel):
    label: str  # "2029-Q4" or "2029"
    kind: str  # "quarter" or "year"
    start: date
    end: date


def quarter(year: int, number: int) -> ReportPeriod:
    start = date(year, 3 * number - 2, 1)
    end = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return ReportPeriod(
        label=f"{year}-Q{number}", kind="quarter", start=start, end=date.fromordinal(end.toordinal() - 1)
    )


def calendar_year(year: int) -> ReportPeriod:
    return ReportPeriod(label=str(year), kind="year", start=date(year, 1, 1), end=date(year, 12, 31))


def periods_before(day: date) -> list[ReportPeriod]:
    """What a scheduled run on `day` reports: the last complete quarter, and after the fourth
    quarter also the whole calendar year (the year-end report)."""
    number = (day.month - 1) // 3  # the quarter before the one `day` is in (0: last year's Q4)
    if number == 0:
        return [quarter(day.year - 1, 4), calendar_year(day.year - 1)]
    return [quarter(day.year, number)]


class ReportRequest(BaseModel):
    """Input of the reporting workflow. No period: the one(s) just ended, from the run's own date."""

    council: str | None = None
    period: ReportPeriod | None = None


class RecipientsRequest(BaseModel):
    council: str | None = None


class ReportRecipient(BaseModel):
    role: RecipientRole  # committee_chair, monitoring_officer or group_leader
    id: str
    name: str
    email: str
    council: str | None = None  # a chair's or Group Leader's council
    group: str | None = None  # a Group Leader's group


class SendReport(BaseModel):
    period: ReportPeriod
    recipient: ReportRecipient
    council: str | None = None
    as_of: date

    @property
    def key(self) -> str:
        r = self.recipient
        return f"report:{self.period.label}:{self.council or 'all'}:{r.role.value}:{r.council or '-'}:{r.id}"


class ReportReceipt(BaseModel):
    key: str
    to: str
    role: RecipientRole
    period: str
    duplicate: bool = False


class ReportRun(BaseModel):
    periods: list[str]
    receipts: list[ReportReceipt]
