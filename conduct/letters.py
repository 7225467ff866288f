"""The letters the procedure sends, and what a letter activity is asked to send.

Each template name is a file pair under templates/letters/ (NAME.txt.j2 and NAME.html.j2).
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from conduct.documents import DocumentRef
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
    FINAL_REPORT = "final_report"  # R7, the final report with its documents: MO, complainant, subject
    INFORMATION_CHASER = "information_chaser"  # R2, to the complainant: the information is still awaited
    FINAL_REPORT_NO_BREACH = "final_report_no_breach"  # R8
    REFERRED_TO_HEARING = "referred_to_hearing"  # R8/R9: subject asked for response and evidence
    HEARING_NOTICE = "hearing_notice"  # R9, all parties, panel, IP
    HEARING_ADJOURNED = "hearing_adjourned"  # R9
    HEARING_CHANGED = "hearing_changed"  # R9: panel, IP or adviser changed after scheduling, to all
    HEARING_PAPERS = "hearing_papers"  # R9: papers recorded after the notice, to the panel and parties
    SUBJECT_RESPONSE_REMINDER = "subject_response_reminder"  # R9, to the subject member
    SUBJECT_RESPONSE_MISSED = "subject_response_missed"  # R9, to the subject member and the MO
    INVESTIGATOR_REPLACED = "investigator_replaced"  # R6/R7: new IO, old IO, complainant, subject
    DECISION_NOTICE = "decision_notice"  # R11, all parties (and parish clerk)
    SANCTION_COMMITTEE_REMOVAL = "sanction_committee_removal"  # R10, to the Group Leader
    SANCTION_REMINDER = "sanction_reminder"  # R17: a sanction's due date approaches (subject, who acts)
    SANCTION_ESCALATION = "sanction_escalation"  # R17: a sanction missed, to the MO and deputy
    SANCTION_CENSURE = "sanction_censure"  # R10/R17: public apology not made: censure at Full Council follows
    SANCTION_CHAIR_REPORT = "sanction_chair_report"  # R17: how a sanction ended, to the committee chair
    WITHDRAWAL_RECEIVED = "withdrawal_received"  # R13, to the complainant
    WITHDRAWAL_DECISION = "withdrawal_decision"  # R13, complainant and subject
    CLOCK_REMINDER = "clock_reminder"  # before any clock lapses
    CLOCK_ESCALATION = "clock_escalation"  # at lapse: MO, deputy (and IO for R7)
    DELIVERY_FAILED = "delivery_failed"  # a letter refused for good by the mail provider: MO, deputy
    CORRESPONDENCE = "correspondence"  # a one-off letter an officer wrote to a party (conduct letter)
    CONFIDENTIALITY_GRANTED = "confidentiality_granted"  # R18, to the complainant
    CONFIDENTIALITY_REFUSED = "confidentiality_refused"  # R18, to the complainant: may withdraw by a date
    DECISION_POLICE = "decision_police"  # R3: a possible criminal offence referred to the police: parties, MO
    POLICE_ANSWER = "police_answer"  # R3: the police's answer and what follows: parties, MO
    ASSOCIATION_ANSWER = "association_answer"  # R3: the county association returned or settled it: parties


class Recipient(BaseModel):
    """Travels in history (letter activities' input): lenient, and the address is the roster's or
    the complainant's as checked on entry, not checked again."""

    model_config = ConfigDict(extra="ignore")

    name: str
    email: str = Field(description="empty for a party with only a postal address: the letter is printed")
    role: RecipientRole
    id: str = Field(default="", description="roster id, or 'complainant'")
    address: str = Field(default="", description="postal address, used only when there is no e-mail")

    @property
    def by_post(self) -> bool:
        return not self.email.strip()

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """No empty address: a recipient is written into history once per letter."""
        data = handler(self)
        if not data.get("address"):
            data.pop("address", None)
        return data


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
    signed_by: str = Field(default="", description="R16: who signs; empty: the Monitoring Officer")
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
    document_names: list[str] = Field(default=[], description="R7: the statements and documents sent with it")
    hearing_time: str = Field(default="", description="R9: e.g. '10:00'")
    hearing_venue: str = ""
    hearing_private_reason: str = Field(default="", description="R9: set when the hearing is held in private")
    hearing_late: bool = Field(default=False, description="R9: the hearing is after its 3-month due date")
    response_due: date | None = Field(default=None, description="R9: the subject member's response is due by")
    released: bool = Field(default=False, description="R9: this recipient no longer sits at or attends the hearing")
    sanction: str = Field(default="", description="R10/R17: the sanction followed up, in words")
    sanction_terms: str = Field(default="", description="R10: its parameters in words, e.g. 'the course “...”'")
    sanction_due: date | None = Field(default=None, description="R17: the day it is to be complied with by")
    complied_on: date | None = Field(default=None, description="R17: the day it was complied with")
    tests: list[str] = Field(default=[], description="sections 3-4: the initial tests and the public interest test")
    returned: bool = Field(default=False, description="R3: the police or the association sent the case back")
    answer: str = Field(default="", description="R3: the police's or the association's answer, in words")
    attendance: str = Field(default="", description="R9: whether the subject member attended the hearing")

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
    attachment_name: str = Field(default="", description="the text attachment's file name; empty: the mail default")
    documents: list[DocumentRef] = Field(default=[], description="sealed documents sent with the letter")


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
    by_post: bool = Field(default=False, description="put in the print queue (a party without e-mail), not mailed")
