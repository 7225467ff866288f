"""The one vocabulary used everywhere: workflow, search attributes, CLI, JSON and reports.

Values are the spellings of DESIGN.md; the CLI accepts the same words with hyphens.
"""

from enum import StrEnum


class Stage(StrEnum):
    TRIAGE = "triage"
    AWAITING_INFORMATION = "awaiting_information"
    ASSESSMENT = "assessment"
    INFORMAL_RESOLUTION = "informal_resolution"
    INVESTIGATOR_APPOINTMENT = "investigator_appointment"
    INVESTIGATION = "investigation"
    COMMENTS = "comments"
    HEARING_PENDING = "hearing_pending"
    DECISION_NOTICE = "decision_notice"
    WITHDRAWAL_REQUESTED = "withdrawal_requested"
    CLOSED = "closed"


class Outcome(StrEnum):
    NO_ACTION = "no_action"
    REFERRED = "referred"
    RESOLVED_INFORMALLY = "resolved_informally"
    NO_BREACH = "no_breach"
    BREACH = "breach"
    WITHDRAWN = "withdrawn"


class ClockName(StrEnum):
    ASSESSMENT = "assessment"
    INVESTIGATOR_APPOINTMENT = "investigator_appointment"
    COMMENT_PERIOD = "comment_period"
    INVESTIGATION = "investigation"
    HEARING = "hearing"
    DECISION_NOTICE = "decision_notice"


class ClockState(StrEnum):
    PENDING = "pending"
    STOPPED = "stopped"
    MET = "met"
    LAPSED = "lapsed"
    MET_LATE = "met_late"


class Role(StrEnum):
    MONITORING_OFFICER = "monitoring_officer"
    DEPUTY_MONITORING_OFFICER = "deputy_monitoring_officer"
    INVESTIGATING_OFFICER = "investigating_officer"
    DEMOCRATIC_SERVICES = "democratic_services"


class ComplainantType(StrEnum):
    PUBLIC = "public"
    OFFICER = "officer"
    COUNCILLOR = "councillor"
    PARISH_CLERK = "parish_clerk"


class Provision(StrEnum):
    """Paragraphs 1-10 of the Model Code, in order."""

    RESPECT = "respect"
    BULLYING_HARASSMENT_DISCRIMINATION = "bullying_harassment_discrimination"
    IMPARTIALITY = "impartiality"
    CONFIDENTIALITY = "confidentiality"
    DISREPUTE = "disrepute"
    USE_OF_POSITION = "use_of_position"
    RESOURCES = "resources"
    COMPLYING_WITH_CODE = "complying_with_code"
    INTERESTS = "interests"
    GIFTS_HOSPITALITY = "gifts_hospitality"


PROVISION_TITLES: dict[Provision, str] = {
    Provision.RESPECT: "1. Respect",
    Provision.BULLYING_HARASSMENT_DISCRIMINATION: "2. Bullying, harassment and discrimination",
    Provision.IMPARTIALITY: "3. Impartiality of officers of the council",
    Provision.CONFIDENTIALITY: "4. Confidentiality and access to information",
    Provision.DISREPUTE: "5. Disrepute",
    Provision.USE_OF_POSITION: "6. Use of position",
    Provision.RESOURCES: "7. Use of local authority resources and facilities",
    Provision.COMPLYING_WITH_CODE: "8. Complying with the Code of Conduct",
    Provision.INTERESTS: "9. Interests",
    Provision.GIFTS_HOSPITALITY: "10. Gifts and hospitality",
}


class NoActionGround(StrEnum):
    """R4: grounds on which the MO may decide to take no action."""

    NOT_AS_MEMBER = "not_as_member"
    TIME_BARRED = "time_barred"
    ANONYMOUS = "anonymous"
    VEXATIOUS = "vexatious"
    TRIVIAL = "trivial"
    DEBATE_OR_DECISION = "debate_or_decision"
    OTHER = "other"


GROUND_TITLES: dict[NoActionGround, str] = {
    NoActionGround.NOT_AS_MEMBER: "the member was not acting as a member at the time",
    NoActionGround.TIME_BARRED: "the conduct took place more than six months ago",
    NoActionGround.ANONYMOUS: "the complaint is anonymous",
    NoActionGround.VEXATIOUS: "the complaint appears malicious, vexatious, politically motivated or tit-for-tat",
    NoActionGround.TRIVIAL: "the matter is so minor that there is no overriding public benefit in investigating",
    NoActionGround.DEBATE_OR_DECISION: "it challenges debate at a meeting or the merits of a council decision",
    NoActionGround.OTHER: "another reason the Monitoring Officer and Independent Person consider relevant",
}


class InformalAction(StrEnum):
    """R5: courses of action for informal resolution."""

    TRAINING = "training"
    MEDIATION = "mediation"
    APOLOGY = "apology"
    ADVISORY_LETTER = "advisory_letter"
    OTHER = "other"


class Sanction(StrEnum):
    """R10: sanctions the Hearings Sub-Committee may impose (none, or any of these)."""

    FORMAL_LETTER = "formal_letter"
    PUBLIC_APOLOGY = "public_apology"
    TRAINING = "training"
    PERSONAL_APOLOGY = "personal_apology"
    COMMITTEE_REMOVAL = "committee_removal"


SANCTION_TITLES: dict[Sanction, str] = {
    Sanction.FORMAL_LETTER: "a formal letter from the Monitoring Officer",
    Sanction.PUBLIC_APOLOGY: "a public apology at Full Council (censure if it is not made)",
    Sanction.TRAINING: "further training and guidance",
    Sanction.PERSONAL_APOLOGY: "a personal apology to the complainant",
    Sanction.COMMITTEE_REMOVAL: (
        "a recommendation to the Group Leader to remove the member from a committee for a period"
    ),
}


class AssessmentOutcome(StrEnum):
    """R3."""

    NO_ACTION = "no_action"
    INFORMAL = "informal"
    INVESTIGATE = "investigate"
    REFER = "refer"


class Finding(StrEnum):
    BREACH = "breach"
    NO_BREACH = "no_breach"


class Party(StrEnum):
    COMPLAINANT = "complainant"
    SUBJECT = "subject"


class Nation(StrEnum):
    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"


class CouncilKind(StrEnum):
    PRINCIPAL = "principal"
    PARISH = "parish"


class DayUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    CALENDAR_MONTHS = "calendar_months"


class RecipientRole(StrEnum):
    COMPLAINANT = "complainant"
    SUBJECT_MEMBER = "subject_member"
    GROUP_LEADER = "group_leader"
    INDEPENDENT_PERSON = "independent_person"
    MONITORING_OFFICER = "monitoring_officer"
    DEPUTY_MONITORING_OFFICER = "deputy_monitoring_officer"
    INVESTIGATING_OFFICER = "investigating_officer"
    DEMOCRATIC_SERVICES = "democratic_services"
    COMMITTEE_CHAIR = "committee_chair"
    PANEL_MEMBER = "panel_member"
    PARISH_CLERK = "parish_clerk"
    PARISH_ADVISER = "parish_adviser"
