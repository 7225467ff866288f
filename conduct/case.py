"""The one state object of a complaint workflow: what the `status` query returns and what the
case register mirrors."""

from datetime import date, datetime, time

from pydantic import BaseModel, Field, computed_field

from conduct.assessment import AssessmentTests, ReferralAnswer
from conduct.deadline import Deadline, Pause
from conduct.documents import ClockExtension, DocumentRef, FurtherBreach
from conduct.intake import ComplaintIntake
from conduct.letters import LetterTemplate
from conduct.publication import PublicNotice
from conduct.record import CaseNote, Conflict, SentLetter
from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    ClockState,
    Finding,
    InformalAction,
    NoActionGround,
    Outcome,
    Party,
    Provision,
    RecipientRole,
    Sanction,
    Stage,
)

# A clock still counting: not yet met or stopped, whether or not it has lapsed.
RUNNING_STATES = frozenset({ClockState.PENDING, ClockState.LAPSED})


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
    lapsed_before: list[date] = Field(
        default=[], description="due dates this clock lapsed on before it started afresh or was extended"
    )
    extensions: list[ClockExtension] = Field(default=[], description="more time given by the MO, with reasons")
    awaiting_post: list[str] = Field(
        default=[], description="keys of letters in the print queue it counts from (conduct.postal): it waits for them"
    )

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES


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
    by_post: bool = Field(default=False, description="in the print queue: a party without e-mail (conduct.postal)")
    posted_on: date | None = Field(default=None, description="the day a letter by post was posted")


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
    tests: AssessmentTests | None = Field(default=None, description="sections 3-4; none on decisions recorded before")


class Comment(BaseModel):
    party: Party
    text: str = ""
    declined: bool = False
    at: datetime
    late: bool = Field(default=False, description="R7: arrived after the comment period closed; still recorded")


class Report(BaseModel):
    text: str
    officer: str
    at: datetime
    finding: Finding | None = None
    further_breach: str = ""
    documents: list[DocumentRef] = Field(default=[], description="R7: statements and documents, sealed")
    considered: list[Party] | None = Field(
        default=None, description="R7: the parties whose comments the final report took into consideration"
    )


class Hearing(BaseModel):
    date: date
    panel: list[str]
    ip: str
    parish_adviser: str | None = None
    adjournments: list[str] = Field(default=[], description="reasons, in order")
    warnings: list[str] = []
    starts_at: time | None = Field(default=None, description="R9: the time the hearing starts (London)")
    venue: str = ""
    private: bool = Field(default=False, description="held in private (Schedule 12A exempt information)")
    private_reason: str = ""
    reason: str = Field(default="", description="why it is late, at short notice, or with the assessment IP")
    late: bool = Field(default=False, description="after the hearing clock's due date (R9: within 3 months)")
    short_notice: bool = Field(default=False, description="less notice than R9 asks, the parties agreeing")
    changes: list[str] = Field(default=[], description="changes of panel, IP or adviser after scheduling, in words")


class SubjectResponse(BaseModel):
    """R9: the subject member's written response to the report, before the hearing."""

    agreed: str = ""
    disputed: str = ""
    evidence: str = ""
    officer: str
    at: datetime
    late: bool = False


class HearingSummary(BaseModel):
    """R9: the MO's report for the panel: the allegation, agreed facts, disputed issues."""

    text: str
    officer: str
    at: datetime


class HearingOutcome(BaseModel):
    finding: Finding
    sanctions: list[Sanction] = []
    reasons: str
    hearing_date: date
    officer: str
    at: datetime
    breached: list[Provision] = Field(default=[], description="provisions found breached (best practice 9)")
    ip_view: str = Field(default="", description="the Independent Person's view at the hearing")
    attended: bool | None = Field(default=None, description="R9: the subject member attended; None: not recorded")
    proceeded_in_absence: bool = Field(default=False, description="R9: the panel went on without the subject member")
    absence_reason: str = ""
    committee: str = Field(default="", description="R10: the committee the member is to stand down from")
    committee_until: date | None = Field(default=None, description="R10: the end of that period")
    apology_meeting: date | None = Field(default=None, description="R10: the Full Council meeting for the apology")
    course: str = Field(default="", description="R10: the training course")


class Withdrawal(BaseModel):
    requested_at: datetime
    text: str
    previous_stage: Stage
    decision: str | None = Field(default=None, description="'stop' or 'continue'")
    ip: str | None = None
    ip_view: str = ""


class ConfidentialityDecision(BaseModel):
    """R18: the MO's decision on the complainant's request for confidentiality."""

    granted: bool
    reason: str
    officer: str
    at: datetime
    withdraw_by: date | None = Field(default=None, description="refused: the last day the complainant may withdraw")
    window_closed: bool = Field(default=False, description="refused: that day has passed")
    withdrew_in_window: bool = Field(default=False, description="refused: the complainant asked to withdraw by then")


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
    notice_held: bool = Field(default=False, description="R18: notice decided, sent once the complainant's window ends")
    confidentiality: ConfidentialityDecision | None = Field(default=None, description="R18: the MO's decision")
    information_requests: list[str] = []
    consultations: list[IPConsultation] = []
    assessment: Decision | None = None
    earlier_assessments: list[Decision] = Field(
        default=[], description="R3: decisions that referred the case out before it came back to be assessed again"
    )
    referral_answers: list[ReferralAnswer] = Field(default=[], description="R3: the association's or police's answers")
    informal_resolved: bool | None = None
    informal_outcome_text: str = ""
    subject_ip: str | None = Field(default=None, description="R6: a different IP for the subject member")
    investigator: str | None = None
    draft_report: Report | None = None
    comments: list[Comment] = []
    final_report: Report | None = None
    hearing: Hearing | None = None
    hearing_notice_days: int = Field(default=5, description="R9: clear working days' notice (ProcedureSettings)")
    subject_response: SubjectResponse | None = None
    hearing_summary: HearingSummary | None = None
    hearing_outcome: HearingOutcome | None = None
    notice_issued_at: datetime | None = None
    published: bool = False
    notice: PublicNotice | None = Field(default=None, description="R12: the public notice, drafted at issue-notice")
    withdrawal: Withdrawal | None = None
    linked: list[str] = Field(default=[], description="R14: references considered together")
    lead: str | None = Field(default=None, description="R14: the lead case this one follows (its decisions apply here)")
    followers: list[str] = Field(default=[], description="R14: cases that follow this one (it is their lead)")
    followed_from: Stage | None = Field(default=None, description="R14: the stage a follower resumes at if unlinked")
    lead_steps: list[str] = Field(default=[], description="R14: the lead's steps applied here (update ids), each once")
    further_breaches: list[FurtherBreach] = Field(default=[], description="R7: reported to the MO by the IO")
    clocks: dict[ClockName, Clock] = {}
    timeline: list[TimelineEntry] = []
    letters: list[LetterRecord] = []
    delivery_failures: list[DeliveryFailure] = []
    notes: list[CaseNote] = Field(default=[], description="internal notes and delay reasons, never sent")
    correspondence: list[SentLetter] = Field(default=[], description="one-off letters written to a party")
    conflicts: list[Conflict] = Field(default=[], description="R16: officers who take no part in the case")
    deputy_acting: bool = Field(default=False, description="R16: the deputy acts for a conflicted MO")
    allowed: list[str] = Field(default=[], description="officer actions allowed now, with who may take them")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overdue(self) -> bool:
        """Derived, never stored: a clock that lapsed and is still waiting (a stopped or met
        clock is not overdue)."""
        return any(c.state is ClockState.LAPSED for c in self.clocks.values())
