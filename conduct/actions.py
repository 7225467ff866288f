"""Payloads of every officer action. Each is one Temporal update on the complaint workflow.

Every payload names the acting officer; the workflow's validators check that officer's roles
against the roster snapshot the case was opened with.
"""

from datetime import date, time
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from conduct.assessment import AssessmentTests, AssociationAnswer, PoliceAnswer
from conduct.attestation import Attestation
from conduct.documents import MAX_DOCUMENTS, DocumentRef
from conduct.roster import Roster
from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    Finding,
    InformalAction,
    NoActionGround,
    Party,
    Provision,
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
    LEAD = "lead"
    FOLLOW = "follow"
    UPDATE_ROSTER = "update_roster"
    EXTEND = "extend"
    FURTHER_BREACH = "further_breach"
    SUBJECT_RESPONSE = "subject_response"
    HEARING_SUMMARY = "hearing_summary"
    CHANGE_HEARING = "change_hearing"
    REPLACE_INVESTIGATOR = "replace_investigator"
    NOTE = "note"
    LETTER = "letter"
    CONFLICT = "conflict"
    UNLINK = "unlink"
    CONFIDENTIALITY = "confidentiality"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    LETTER_POSTED = "letter_posted"
    POLICE_ANSWER = "police_answer"
    ASSOCIATION_ANSWER = "association_answer"

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
    Action.LEAD: "a lead case's link",
    Action.FOLLOW: "a link to a lead case",
    Action.UPDATE_ROSTER: "a roster change",
    Action.EXTEND: "a clock extension",
    Action.FURTHER_BREACH: "a further breach",
    Action.SUBJECT_RESPONSE: "the subject member's response",
    Action.HEARING_SUMMARY: "the Monitoring Officer's summary",
    Action.CHANGE_HEARING: "a change to the hearing",
    Action.REPLACE_INVESTIGATOR: "a replacement Investigating Officer",
    Action.NOTE: "a note",
    Action.LETTER: "a letter",
    Action.CONFLICT: "a conflict of interest",
    Action.UNLINK: "an unlink",
    Action.CONFIDENTIALITY: "a confidentiality decision",
    Action.PUBLISH: "a publication of the decision notice",
    Action.UNPUBLISH: "a withdrawal of the decision notice",
    Action.LETTER_POSTED: "the posting of a letter",
    Action.POLICE_ANSWER: "the police's answer",
    Action.ASSOCIATION_ANSWER: "the association's answer",
}

# Actions that move the procedure (stage, clocks, decisions): one at a time per case. The rest
# (an IP's view, a link) only wait their turn.
MOVING: frozenset[Action] = frozenset(Action) - {Action.CONSULT_IP, Action.LINK, Action.LEAD}
# The record (notes, one-off letters, unlinks) and conflicts (R16) only wait their turn too.
MOVING -= {Action.NOTE, Action.LETTER, Action.CONFLICT, Action.UNLINK}
# The posting of a letter by post (conduct.postal) waits its turn; it only restarts the clock that waited for it.
MOVING -= {Action.LETTER_POSTED}


class OfficerAction(BaseModel):
    officer: str = Field(min_length=1)
    attestation: Attestation | None = Field(
        default=None, description="the officers' service's signature over this action (conduct/attestation.py)"
    )
    note: Text = Field(default="", description="an internal note recorded on the case; never in a letter")
    reviewed: bool = Field(
        default=False, description="the officer checked a text naming a confidential complainant (R18)"
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
    on: date | None = Field(default=None, description="the day the information arrived; default: today")


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
    tests: AssessmentTests | None = Field(
        default=None,
        description="sections 3-4: the initial tests and the public interest test; required of every new decision "
        "(rules.PAYLOAD_CHECKS), absent from decisions recorded before",
    )

    @property
    def public_interest_reason(self) -> str:
        """The public interest test's reason, which the decision letters print (conduct/destinations.py)."""
        return self.tests.public_interest_reason if self.tests else ""

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


class RecordPoliceAnswer(OfficerAction):
    """R3: the police's answer to a referral of a possible criminal offence (conduct/assessment.py)."""

    outcome: PoliceAnswer
    text: Text = Field(min_length=1, description="what the police said, and what follows")


class RecordAssociationAnswer(OfficerAction):
    """R3: the county association's answer to a parish referral: returned to the procedure, or settled."""

    outcome: AssociationAnswer
    text: Text = Field(min_length=1, description="what the association decided, and why")


class InformalOutcome(OfficerAction):
    resolved: bool
    text: Text = Field(min_length=1)


class AppointInvestigator(OfficerAction):
    investigator: str = Field(min_length=1)


class DraftReport(OfficerAction):
    text: Text = Field(min_length=1)
    documents: list[DocumentRef] = Field(default=[], max_length=MAX_DOCUMENTS, description="R7: sealed documents")


class FinalReport(OfficerAction):
    finding: Finding
    text: Text = Field(min_length=1)
    further_breach: Text = ""
    documents: list[DocumentRef] = Field(default=[], max_length=MAX_DOCUMENTS, description="R7: sealed documents")
    considered: list[Party] | None = Field(
        default=None, description="R7: whose comments were taken into consideration; default: every comment made"
    )


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
    starts_at: time | None = Field(default=None, description="R9: the time the hearing starts")
    venue: Text = Field(default="", description="R9: where it is held; printed in every notice")
    private: bool = Field(default=False, description="held in private: Schedule 12A exempt information")
    private_reason: Text = Field(default="", description="why in private; printed in every notice")
    short_notice: bool = Field(default=False, description="the parties agree to less notice than R9 asks")
    reason: Text = Field(default="", description="why late, at short notice or with the assessment IP; on record")

    @model_validator(mode="after")
    def _private_needs_reason(self) -> "ScheduleHearing":
        if self.private != bool(self.private_reason.strip()):
            raise ValueError("a private hearing needs the reason (Schedule 12A), and the reason needs --private")
        if self.short_notice and not self.reason.strip():
            raise ValueError("short notice needs the reason the parties agreed to it")
        return self


class AdjournHearing(OfficerAction):
    date: date
    reason: Text = Field(min_length=1)


class RecordHearingOutcome(OfficerAction):
    """Outcomes recorded before `breached` and `ip_view` decode with their defaults; the rules
    require the IP's view, and the provisions with a breach, of every new one."""

    finding: Finding
    sanctions: list[Sanction] = []
    reasons: Text = Field(min_length=1)
    breached: list[Provision] = Field(default=[], description="provisions of the Code found breached")
    ip_view: Text = Field(default="", description="the Independent Person's view on breach and sanction")
    attended: bool | None = Field(
        default=None, description="R9: the subject member attended; required of new outcomes (rules.PAYLOAD_CHECKS)"
    )
    proceeded_in_absence: bool = Field(default=False, description="R9: the panel went on without the subject member")
    absence_reason: Text = Field(default="", description="why the panel proceeded in the subject member's absence")
    # R10: each sanction's parameters (conduct/sanctions.py checks them; older outcomes decode empty).
    committee: Text = Field(default="", description="removal from a committee: the committee, from the roster's")
    committee_until: date | None = Field(default=None, description="removal from a committee: the day it ends")
    apology_meeting: date | None = Field(default=None, description="public apology: the Full Council meeting's date")
    course: Text = Field(default="", description="training: the course, as the training register titles it")

    @model_validator(mode="after")
    def _sanctions_only_for_breach(self) -> "RecordHearingOutcome":
        if self.finding is Finding.NO_BREACH and self.sanctions:
            raise ValueError("sanctions can only follow a finding of breach")
        if self.proceeded_in_absence and (self.attended is not False or not self.absence_reason.strip()):
            raise ValueError("proceeding in the subject member's absence needs --attended no and the reason")
        return self


class IssueNotice(OfficerAction):
    pass


class Publish(OfficerAction):
    """R12: approve and publish the drafted decision notice, or (`correct`) republish it changed."""

    statement: Text = Field(default="", description="a brief statement of facts for the public; replaces the draft's")
    redactions: list[Text] = Field(default=[], description="texts replaced by [redacted] wherever they occur")
    correct: bool = Field(default=False, description="republish a published or withdrawn notice, marked corrected")

    @model_validator(mode="after")
    def _redactions_are_words(self) -> "Publish":
        if any(len(r.strip()) < 2 for r in self.redactions):
            raise ValueError("each text to redact needs at least two characters")
        if self.correct and not (self.statement.strip() or self.redactions):
            raise ValueError("a correction needs a new statement of facts or a text to redact")
        return self


class Unpublish(OfficerAction):
    """R12: take a published decision notice down; the page then says it was withdrawn."""

    reason: Text = Field(min_length=1, description="why, for the case's history (never shown to the public)")


class Withdraw(OfficerAction):
    text: Text = Field(min_length=1, description="the complainant's request, as received")


class WithdrawalDecision(OfficerAction):
    stop: bool
    ip: str = Field(min_length=1)
    view: Text = Field(min_length=1, description="the Independent Person's view on stopping")


class Link(OfficerAction):
    other_reference: str = Field(pattern=r"^[A-Z]{2,6}-\d{4}-\d{4,}$")
    reason: Text = Field(default="", description="R14: why cases about different members go together")
    other_subjects: list[str] | None = Field(
        default=None, description="the other case's subject members, as the client read them"
    )


class Confidentiality(OfficerAction):
    """R18: grant or refuse the complainant's request for confidentiality, with reasons (to them)."""

    grant: bool
    reason: Text = Field(min_length=1)


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


class ExtendClock(OfficerAction):
    """More time on a clock the arrangements do not stop (every clock but the assessment's), with
    a reason shown wherever the clock is reviewed."""

    clock: ClockName
    until: date
    reason: Text = Field(min_length=1)


class ReportFurtherBreach(OfficerAction):
    """R7: the IO reports other possible breaches to the MO at any time during the investigation."""

    text: Text = Field(min_length=1)
