"""A complaint as it arrives, from the web form or the webhook.

These models are the workflow's input and stay in its history for as long as the case is open
(a year or more), so they only describe: unknown fields are ignored, addresses are plain text,
and the rules a complaint must meet are checked where it enters (starter/web/forms.py
`check_answers`, for the form and the webhook alike). A rule tightened later must not make an
open case's history unreadable.
"""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from conduct.channels import Channel
from conduct.documents import DocumentRef
from conduct.procedure import ProcedureSettings
from conduct.roster import Roster
from conduct.vocabulary import ComplainantType, Provision


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Complainant(_Lenient):
    name: str = Field(default="", description="empty for an anonymous complaint")
    email: str | None = Field(default=None, description="checked on entry (conduct.email_address)")
    address: str = ""
    phone: str = ""
    type: ComplainantType = ComplainantType.PUBLIC
    member_id: str | None = Field(default=None, description="roster id when the complainant is a councillor")

    @property
    def anonymous(self) -> bool:
        return not self.name.strip()


class ComplaintIntake(_Lenient):
    complainant: Complainant
    council: str = Field(
        description="the council the members acted for: their capacity, one of their councils when a member sits "
        "on several (a district and a parish, or a district and a county); that council hears the complaint"
    )
    subject_members: list[str] = Field(description="at least one, all sitting on `council` (checked on entry)")
    conduct_dates: list[date] = Field(description="at least one, none in the future (checked on entry)")
    provisions: list[Provision]
    description: str
    confidential: bool = False
    confidentiality_reason: str = Field(default="", description="given whenever `confidential` (checked on entry)")
    evidence: list[str] = Field(default=[], description="stored file names of uploaded evidence")
    channel: Channel = Field(default=Channel.ONLINE, description="how it arrived (conduct receive: post, e-mail…)")
    original: DocumentRef | None = Field(
        default=None, description="the letter or e-mail it came in (conduct receive --original), sealed on disk"
    )


class StartComplaint(_Lenient):
    """The workflow's single input: the complaint plus the snapshots it is judged against."""

    reference: str = Field(description="e.g. WBC-2026-0007 (made by conduct.intake_keys)")
    received_at: datetime
    intake: ComplaintIntake
    roster: Roster
    procedure: ProcedureSettings = ProcedureSettings()
