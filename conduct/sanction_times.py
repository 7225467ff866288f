"""How long each sanction's follow-up runs (R17): part of the procedure's settings snapshot
(conduct/procedure.py), apart from conduct/sanctions.py so the settings import nothing else."""

from pydantic import BaseModel, ConfigDict, Field


class SanctionTimes(BaseModel):
    """How long each sanction has, from the day the decision notice is issued (a public apology:
    the Full Council meeting named at the hearing), the reminder before, and the time after the due
    date in which compliance may still be recorded before the chair is told it was not."""

    model_config = ConfigDict(extra="ignore")

    formal_letter_days: int = Field(default=14, gt=0)
    personal_apology_days: int = Field(default=28, gt=0)
    training_months: int = Field(default=3, gt=0)
    committee_removal_days: int = Field(default=28, gt=0, description="for the Group Leader to act")
    reminder_days: int = Field(default=7, ge=0, description="a reminder this many days before the due date")
    grace_days: int = Field(default=14, gt=0, description="after the escalation, before the chair is told")
