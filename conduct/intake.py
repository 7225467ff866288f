"""A complaint as it arrives, from the web form or the webhook."""

from datetime import date, datetime

from pydantic import BaseModel, EmailStr, Field, model_validator

from conduct.procedure import ProcedureSettings
from conduct.roster import Roster
from conduct.vocabulary import ComplainantType, Provision


class Complainant(BaseModel):
    name: str = Field(default="", max_length=200, description="empty for an anonymous complaint")
    email: EmailStr | None = None
    address: str = Field(default="", max_length=500)
    phone: str = Field(default="", max_length=40)
    type: ComplainantType = ComplainantType.PUBLIC
    member_id: str | None = Field(default=None, description="roster id when the complainant is a councillor")

    @property
    def anonymous(self) -> bool:
        return not self.name.strip()


class ComplaintIntake(BaseModel):
    complainant: Complainant
    council: str
    subject_members: list[str] = Field(min_length=1)
    conduct_dates: list[date] = Field(min_length=1)
    provisions: list[Provision] = Field(min_length=1)
    description: str = Field(min_length=20, max_length=20_000)
    confidential: bool = False
    confidentiality_reason: str = Field(default="", max_length=2_000)
    evidence: list[str] = Field(default=[], description="stored file names of uploaded evidence")

    @model_validator(mode="after")
    def _reason_with_confidentiality(self) -> "ComplaintIntake":
        if self.confidential and not self.confidentiality_reason.strip():
            raise ValueError("a request for confidentiality needs a reason")
        return self


class StartComplaint(BaseModel):
    """The workflow's single input: the complaint plus the snapshots it is judged against."""

    reference: str = Field(pattern=r"^[A-Z]{2,6}-\d{4}-\d{4,}$")
    received_at: datetime
    intake: ComplaintIntake
    roster: Roster
    procedure: ProcedureSettings = ProcedureSettings()
