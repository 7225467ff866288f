"""The letters the procedure sends, and what a letter activity is asked to send.

Each template name is a file pair under templates/letters/ (NAME.txt.j2 and NAME.html.j2).
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from conduct.vocabulary import AssessmentOutcome, ClockName, InformalAction, RecipientRole


class LetterTemplate(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"  # R1, to the complainant
    SUBJECT_NOTIFIED = "subject_notified"  # R1, to the subject member(s)
    GROUP_LEADER_INFORMED = "group_leader_informed"  # R2
    INFORMATION_REQUEST = "information_request"  # R2, to the complainant
    DECISION_NO_ACTION = "decision_no_action"  # R4, complainant and subject
    DECISION_INFORMAL = "decision_informal"  # R5, complainant and subject
    INFORMAL_REVIEW_REMINDER = "informal_review_reminder"  # R5, to the MO
    INFORMAL_OUTCOME = "informal_outcome"  # R5, complainant and subject
    DECISION_REFERRED = "decision_referred"  # R3 parish: referral to the county association
    DECISION_INVESTIGATE = "decision_investigate"  # R6, complainant and subject
    CHAIR_ADVISED = "chair_advised"  # R6, committee chair
    SUBJECT_IP_DETAILS = "subject_ip_details"  # R6, a different IP's details to the subject
    INVESTIGATOR_APPOINTED = "investigator_appointed"  # R6, IO, complainant, subject
    DRAFT_REPORT = "draft_report"  # R7, MO, complainant, subject
    FURTHER_BREACH = "further_breach"  # R7, to the MO
    FINAL_REPORT_NO_BREACH = "final_report_no_breach"  # R8
    REFERRED_TO_HEARING = "referred_to_hearing"  # R8/R9: subject asked for response and evidence
    HEARING_NOTICE = "hearing_notice"  # R9, all parties, panel, IP
    HEARING_ADJOURNED = "hearing_adjourned"  # R9
    DECISION_NOTICE = "decision_notice"  # R11, all parties (and parish clerk)
    SANCTION_COMMITTEE_REMOVAL = "sanction_committee_removal"  # R10, to the Group Leader
    WITHDRAWAL_RECEIVED = "withdrawal_received"  # R13, to the complainant
    WITHDRAWAL_DECISION = "withdrawal_decision"  # R13, complainant and subject
    CLOCK_REMINDER = "clock_reminder"  # before any clock lapses
    CLOCK_ESCALATION = "clock_escalation"  # at lapse: MO, deputy (and IO for R7)
    DELIVERY_FAILED = "delivery_failed"  # a letter refused for good by the mail provider: MO, deputy


class Recipient(BaseModel):
    """Travels in history (letter activities' input): lenient, and the address is the roster's or
    the complainant's as checked on entry, not checked again."""

    model_config = ConfigDict(extra="ignore")

    name: str
    email: str
    role: RecipientRole
    id: str = Field(default="", description="roster id, or 'complainant'")


class LetterContext(BaseModel):
    """What templates may print. Complainant fields are blanked before a letter reaches a
    recipient who must not learn the complainant's identity (confidentiality granted)."""

    reference: str
    council_name: str
    subject_names: list[str]
    complainant_name: str = ""
    complainant_identity_withheld: bool = False
    provisions: list[str] = []
    received_on: date | None = None
    text: str = Field(default="", description="the decision's reasons or the letter's main text")
    items: list[str] = Field(default=[], description="grounds, actions, sanctions, in words")
    person_name: str = Field(default="", description="an IP or IO named in the letter")
    person_email: str = ""
    hearing_date: date | None = None
    clock: ClockName | None = None
    clock_due: date | None = None
    clock_rule: str = ""
    assessment_due: date | None = None
    conduct_dates: list[date] = Field(default=[], description="when the conduct complained of took place")
    confidentiality_requested: bool = Field(
        default=False, description="the complainant asked for their identity to be kept confidential"
    )
    signing_council_name: str = Field(
        default="", description="whose Monitoring Officer signs: a parish's principal council; empty: council_name"
    )
    resolved: bool | None = Field(default=None, description="R5: whether informal resolution resolved the complaint")
    group_leader_informed_for: list[str] = Field(
        default=[], description="R2: ids of the subject members whose Group Leader is (or will be) informed"
    )
    assessment_outcome: AssessmentOutcome | None = Field(
        default=None, description="the initial assessment decision, once made"
    )

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Fields left at their default are left out: a letter request is written into history
        once per recipient, and the defaults come back on reading (so `resolved=False` stays)."""
        fields = type(self).model_fields
        return {k: v for k, v in handler(self).items() if fields[k].is_required() or v != fields[k].get_default()}


# R5 (section 5): the courses of action for informal resolution, in the procedure's words, as
# what the Monitoring Officer will do ("The Monitoring Officer will: ...").
INFORMAL_ACTION_WORDS: dict[InformalAction, str] = {
    InformalAction.TRAINING: "provide further training and guidance to the Subject Member",
    InformalAction.MEDIATION: "mediate between the Complainant and the Subject Member",
    InformalAction.APOLOGY: "require the Subject Member to write a personal apology to the Complainant",
    InformalAction.ADVISORY_LETTER: "write an advisory letter to the Subject Member",
    InformalAction.OTHER: "take such other action as the Monitoring Officer and the Independent Person have agreed",
}


class LetterRequest(BaseModel):
    key: str = Field(description="deterministic idempotency key; one per letter per recipient")
    template: LetterTemplate
    reference: str
    recipient: Recipient
    context: LetterContext
    attachment_text: str | None = Field(default=None, description="e.g. the published decision notice")


class LetterBatch(BaseModel):
    """One letter to all its recipients: one activity, one key per recipient, so a retry after a
    partial failure sends only what is still unsent."""

    requests: list[LetterRequest] = Field(min_length=1)


class LetterReceipt(BaseModel):
    key: str
    template: LetterTemplate
    to: str
    role: RecipientRole
    subject: str
    sent_at: datetime
    duplicate: bool = Field(description="True when the key had already been sent: nothing was sent again")
