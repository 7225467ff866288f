"""The one state object of a complaint workflow: what the `status` query returns and what the
case register mirrors."""

from datetime import date, datetime

from pydantic import BaseModel, Field, computed_field

from conduct.deadline import Deadline, Pause
from conduct.intake import ComplaintIntake
from conduct.letters import LetterTemplate
from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    ClockState,
    Finding,
    InformalAction,
    NoActionGround,
    Outcome,
    Party,
    RecipientRole,
    Sanction,
    Stage,
)


class Clock(BaseModel):
    name: ClockName
    rule: str
    started: datetime
    due: date
    lapses_at: datetime
    remind_at: datetime | None = None
    state: ClockState = ClockState.PENDING
    met_on: date | None = None
    reminded: bool = False
    lapsed: bool = False
    paused_since: datetime | None = None
    escalated_at: datetime | None = Field(default=None, description="the last escalation while lapsed")
    pauses: list[Pause] = []
    note: str = ""
    deadline: Deadline = Field(description="the activity's computation, with its inputs")

    @property
    def running(self) -> bool:
        return self.state in (ClockState.PENDING, ClockState.LAPSED)


class TimelineEntry(BaseModel):
    at: datetime
    event: str = Field(description="short machine word, e.g. 'triage', 'clock_lapsed'")
    summary: str
    officer: str | None = None
    stage: Stage


class LetterRecord(BaseModel):
    template: LetterTemplate
    to: str
    role: RecipientRole
    key: str
    sent_at: datetime


class DeliveryFailure(BaseModel):
    """A letter the mail provider refused for good (bad address, rejected sender or key)."""

    template: LetterTemplate
    to: str
    role: RecipientRole
    error: str
    at: datetime


class IPConsultation(BaseModel):
    ip: str
    at: datetime
    stage: Stage
    view: str


class Decision(BaseModel):
    """The MO's assessment (R3)."""

    outcome: AssessmentOutcome
    grounds: list[NoActionGround] = []
    actions: list[InformalAction] = []
    reasons: str
    officer: str
    at: datetime


class Comment(BaseModel):
    party: Party
    text: str = ""
    declined: bool = False
    at: datetime


class Report(BaseModel):
    text: str
    officer: str
    at: datetime
    finding: Finding | None = None
    further_breach: str = ""


class Hearing(BaseModel):
    date: date
    panel: list[str]
    ip: str
    parish_adviser: str | None = None
    adjournments: list[str] = Field(default=[], description="reasons, in order")
    warnings: list[str] = []


class HearingOutcome(BaseModel):
    finding: Finding
    sanctions: list[Sanction] = []
    reasons: str
    hearing_date: date
    officer: str
    at: datetime


class Withdrawal(BaseModel):
    requested_at: datetime
    text: str
    previous_stage: Stage
    decision: str | None = Field(default=None, description="'stop' or 'continue'")
    ip: str | None = None
    ip_view: str = ""


class CaseState(BaseModel):
    reference: str
    workflow_id: str
    council: str
    hearing_council: str
    subject_members: list[str]
    subject_groups: dict[str, str] = Field(description="member id -> group as it stood on receipt")
    received_at: datetime
    intake: ComplaintIntake
    flags: list[str] = Field(default=[], description="intake flags shown to the MO (not refusals)")
    stage: Stage = Stage.TRIAGE
    outcome: Outcome | None = None
    closed_at: datetime | None = None
    subject_notified: bool | None = None
    notice_withheld_reason: str = ""
    information_requests: list[str] = []
    consultations: list[IPConsultation] = []
    assessment: Decision | None = None
    informal_resolved: bool | None = None
    informal_outcome_text: str = ""
    subject_ip: str | None = Field(default=None, description="R6: a different IP for the subject member")
    investigator: str | None = None
    draft_report: Report | None = None
    comments: list[Comment] = []
    final_report: Report | None = None
    hearing: Hearing | None = None
    hearing_outcome: HearingOutcome | None = None
    notice_issued_at: datetime | None = None
    published: bool = False
    withdrawal: Withdrawal | None = None
    linked: list[str] = Field(default=[], description="R14: references considered together")
    clocks: dict[ClockName, Clock] = {}
    timeline: list[TimelineEntry] = []
    letters: list[LetterRecord] = []
    delivery_failures: list[DeliveryFailure] = []
    allowed: list[str] = Field(default=[], description="officer actions allowed now, with who may take them")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overdue(self) -> bool:
        """Derived, never stored: a clock that lapsed and is still waiting (a stopped or met
        clock is not overdue)."""
        return any(c.state is ClockState.LAPSED for c in self.clocks.values())
