"""Payloads of every officer action. Each is one Temporal update on the complaint workflow.

Every payload names the acting officer; the workflow's validators check that officer's roles
against the roster snapshot the case was opened with.
"""

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from conduct.attestation import Attestation
from conduct.roster import Roster
from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    Finding,
    InformalAction,
    NoActionGround,
    Party,
    Sanction,
)

Text = str


class Action(StrEnum):
    """Every officer action, by the name of its workflow update (the CLI spells it with hyphens)."""

    TRIAGE = "triage"
    REQUEST_INFO = "request_info"
    INFO_RECEIVED = "info_received"
    CONSULT_IP = "consult_ip"
    ASSESS = "assess"
    INFORMAL_OUTCOME = "informal_outcome"
    APPOINT_INVESTIGATOR = "appoint_investigator"
    DRAFT_REPORT = "draft_report"
    COMMENT = "comment"
    FINAL_REPORT = "final_report"
    SCHEDULE_HEARING = "schedule_hearing"
    ADJOURN_HEARING = "adjourn_hearing"
    HEARING_OUTCOME = "hearing_outcome"
    ISSUE_NOTICE = "issue_notice"
    WITHDRAW = "withdraw"
    WITHDRAWAL_DECISION = "withdrawal_decision"
    STOP_CLOCK = "stop_clock"
    RESTART_CLOCK = "restart_clock"
    LINK = "link"
    UPDATE_ROSTER = "update_roster"

    @property
    def command(self) -> str:
        return self.value.replace("_", "-")


# What each action records, for "an assessment is already being recorded".
RECORDS: dict[Action, str] = {
    Action.TRIAGE: "a triage decision",
    Action.REQUEST_INFO: "a request for information",
    Action.INFO_RECEIVED: "the receipt of information",
    Action.CONSULT_IP: "an Independent Person's view",
    Action.ASSESS: "an assessment",
    Action.INFORMAL_OUTCOME: "an informal resolution outcome",
    Action.APPOINT_INVESTIGATOR: "an appointment",
    Action.DRAFT_REPORT: "a draft report",
    Action.COMMENT: "a comment",
    Action.FINAL_REPORT: "a final report",
    Action.SCHEDULE_HEARING: "a hearing date",
    Action.ADJOURN_HEARING: "an adjournment",
    Action.HEARING_OUTCOME: "a hearing outcome",
    Action.ISSUE_NOTICE: "a decision notice",
    Action.WITHDRAW: "a withdrawal",
    Action.WITHDRAWAL_DECISION: "a withdrawal decision",
    Action.STOP_CLOCK: "a clock stop",
    Action.RESTART_CLOCK: "a clock restart",
    Action.LINK: "a link",
    Action.UPDATE_ROSTER: "a roster change",
}

# Actions that move the procedure (stage, clocks, decisions): one at a time per case. The rest
# (an IP's view, a link) only wait their turn.
MOVING: frozenset[Action] = frozenset(Action) - {Action.CONSULT_IP, Action.LINK}


class OfficerAction(BaseModel):
    officer: str = Field(min_length=1)
    attestation: Attestation | None = Field(
        default=None, description="the officers' service's signature over this action (conduct/attestation.py)"
    )


class Triage(OfficerAction):
    """R1: notify the subject member, or withhold notice with a reason."""

    notify: bool
    reason: Text = ""

    @model_validator(mode="after")
    def _withholding_needs_reason(self) -> "Triage":
        if not self.notify and not self.reason.strip():
            raise ValueError("withholding notice from the subject member needs a reason")
        return self


class RequestInformation(OfficerAction):
    text: Text = Field(min_length=1)


class InformationReceived(OfficerAction):
    text: Text = ""


class StopClock(OfficerAction):
    reason: Text = Field(min_length=1)
    clock: ClockName | None = Field(default=None, description="default: the clock the stage waits on")


class RestartClock(OfficerAction):
    clock: ClockName | None = None


class ConsultIndependentPerson(OfficerAction):
    ip: str = Field(min_length=1)
    view: Text = Field(min_length=1, description="the Independent Person's view")


class Assess(OfficerAction):
    outcome: AssessmentOutcome
    grounds: list[NoActionGround] = []
    actions: list[InformalAction] = []
    reasons: Text = Field(min_length=1)

    @model_validator(mode="after")
    def _grounds_and_actions_fit(self) -> "Assess":
        if self.outcome is AssessmentOutcome.NO_ACTION and not self.grounds:
            raise ValueError("a decision to take no action needs at least one ground")
        if self.outcome is AssessmentOutcome.INFORMAL and not self.actions:
            raise ValueError("informal resolution needs at least one action")
        if self.outcome is not AssessmentOutcome.NO_ACTION and self.grounds:
            raise ValueError("grounds belong to a decision to take no action")
        if self.outcome is not AssessmentOutcome.INFORMAL and self.actions:
            raise ValueError("informal actions belong to a decision to resolve informally")
        return self


class InformalOutcome(OfficerAction):
    resolved: bool
    text: Text = Field(min_length=1)


class AppointInvestigator(OfficerAction):
    investigator: str = Field(min_length=1)


class DraftReport(OfficerAction):
    text: Text = Field(min_length=1)


class FinalReport(OfficerAction):
    finding: Finding
    text: Text = Field(min_length=1)
    further_breach: Text = ""


class RecordComment(OfficerAction):
    party: Party
    text: Text = ""
    declined: bool = False

    @model_validator(mode="after")
    def _text_or_declined(self) -> "RecordComment":
        if self.declined == bool(self.text.strip()):
            raise ValueError("give either the comment's text or that the party declined, not both")
        return self


class ScheduleHearing(OfficerAction):
    date: date
    panel: list[str] = Field(min_length=3, max_length=3)
    ip: str = Field(min_length=1)
    parish_adviser: str | None = Field(default=None, description="parish co-optee advising (parish cases)")


class AdjournHearing(OfficerAction):
    date: date
    reason: Text = Field(min_length=1)


class RecordHearingOutcome(OfficerAction):
    finding: Finding
    sanctions: list[Sanction] = []
    reasons: Text = Field(min_length=1)

    @model_validator(mode="after")
    def _sanctions_only_for_breach(self) -> "RecordHearingOutcome":
        if self.finding is Finding.NO_BREACH and self.sanctions:
            raise ValueError("sanctions can only follow a finding of breach")
        return self


class IssueNotice(OfficerAction):
    pass


class Withdraw(OfficerAction):
    text: Text = Field(min_length=1, description="the complainant's request, as received")


class WithdrawalDecision(OfficerAction):
    stop: bool
    ip: str = Field(min_length=1)
    view: Text = Field(min_length=1, description="the Independent Person's view on stopping")


class Link(OfficerAction):
    other_reference: str = Field(pattern=r"^[A-Z]{2,6}-\d{4}-\d{4,}$")


class UpdateRoster(OfficerAction):
    """Gives an open case the roster in force (new officers, IPs, members); the facts fixed at
    receipt (the subject's group and council) stay as they were."""

    roster: Roster
    reason: Text = Field(min_length=1)


class ActionResult(BaseModel):
    """What an officer action returns: where the case is now, and any warnings to show."""

    reference: str
    stage: str
    message: str
    warnings: list[str] = []
