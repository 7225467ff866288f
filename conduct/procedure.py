"""The procedure's clocks and their lengths, in one place.

A snapshot of these settings travels in the workflow's start input, so a later change of
configuration never alters a case that is already open.
"""

from pydantic import BaseModel, Field, field_validator

from conduct.sanction_times import SanctionTimes
from conduct.vocabulary import ClockName, DayUnit, Role


class ClockRule(BaseModel):
    amount: int = Field(gt=0)
    unit: DayUnit
    rule: str = Field(description="where the clock comes from, e.g. 'R2'")
    starts_on: str = Field(description="the event that starts it, in words")

    def describe(self) -> str:
        unit = self.unit.value.replace("_", " ")
        if self.amount == 1:
            unit = unit.rstrip("s")
        return f"{self.amount} {unit}"


def default_clocks() -> dict[ClockName, ClockRule]:
    return {
        ClockName.ASSESSMENT: ClockRule(
            amount=20,
            unit=DayUnit.WORKING_DAYS,
            rule="R2",
            starts_on="receipt of all relevant information",
        ),
        ClockName.INVESTIGATOR_APPOINTMENT: ClockRule(
            amount=14,
            unit=DayUnit.CALENDAR_DAYS,
            rule="R6",
            starts_on="the decision to refer for investigation",
        ),
        ClockName.COMMENT_PERIOD: ClockRule(
            amount=14,
            unit=DayUnit.CALENDAR_DAYS,
            rule="R7",
            starts_on="the draft report",
        ),
        ClockName.INVESTIGATION: ClockRule(
            amount=2,
            unit=DayUnit.CALENDAR_MONTHS,
            rule="R7",
            starts_on="the appointment of the Investigating Officer",
        ),
        ClockName.HEARING: ClockRule(
            amount=3,
            unit=DayUnit.CALENDAR_MONTHS,
            rule="R9",
            starts_on="receipt of the final report",
        ),
        ClockName.DECISION_NOTICE: ClockRule(
            amount=14,
            unit=DayUnit.CALENDAR_DAYS,
            rule="R11",
            starts_on="the hearing",
        ),
        ClockName.CONFIDENTIALITY: ClockRule(
            amount=10,
            unit=DayUnit.WORKING_DAYS,
            rule="R18",
            starts_on="the refusal of the complainant's request for confidentiality",
        ),
        ClockName.SUBJECT_RESPONSE: ClockRule(
            amount=10,
            unit=DayUnit.WORKING_DAYS,
            rule="R9",
            starts_on="the referral of the final report to the Hearings Sub-Committee",
        ),
    }


# Who is reminded before a clock lapses; escalation always goes to the MO and deputy too.
RESPONSIBLE_ROLE: dict[ClockName, Role] = {
    ClockName.ASSESSMENT: Role.MONITORING_OFFICER,
    ClockName.INVESTIGATOR_APPOINTMENT: Role.MONITORING_OFFICER,
    ClockName.COMMENT_PERIOD: Role.INVESTIGATING_OFFICER,
    ClockName.INVESTIGATION: Role.INVESTIGATING_OFFICER,
    ClockName.HEARING: Role.DEMOCRATIC_SERVICES,
    ClockName.DECISION_NOTICE: Role.MONITORING_OFFICER,
    ClockName.CONFIDENTIALITY: Role.MONITORING_OFFICER,
    ClockName.SUBJECT_RESPONSE: Role.MONITORING_OFFICER,  # the subject is reminded too (workflows/hearing.py)
}


class ProcedureSettings(BaseModel):
    clocks: dict[ClockName, ClockRule] = Field(default_factory=default_clocks)
    reminder_working_days: int = Field(default=5, ge=0, description="reminder this many working days before a due date")
    escalation_repeat_days: int = Field(default=7, gt=0, description="a lapsed clock escalates again this often")
    informal_review_days: int = Field(default=28, gt=0, description="R5: days between review reminders to the MO")
    hearing_notice_working_days: int = Field(
        default=10, ge=0, description="superseded by hearing_notice_clear_working_days; kept so snapshots decode"
    )
    hearing_notice_clear_working_days: int = Field(
        default=5, ge=0, description="R9: clear working days' notice of a hearing (s.100B LGA 1972); less if agreed"
    )
    time_bar_months: int = Field(default=6, gt=0, description="R4: conduct older than this is flagged")
    information_chase_days: int = Field(
        default=14, gt=0, description="R2: days after a request for information that the complainant is chased"
    )
    publication_window_days: int = Field(
        default=365, gt=0, description="R12: a decided case stays open this long after its notice last changed"
    )
    sanctions: SanctionTimes = Field(
        default_factory=SanctionTimes, description="R17: due dates, reminders and grace of the sanctions' follow-ups"
    )

    @field_validator("clocks", mode="after")
    @classmethod
    def _every_clock(cls, clocks: dict[ClockName, ClockRule]) -> dict[ClockName, ClockRule]:
        """A snapshot taken before a clock existed (a case opened earlier) gets its default."""
        return {**default_clocks(), **clocks}
