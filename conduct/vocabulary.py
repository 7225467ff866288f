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
    WITH_ASSOCIATION = "with_association"  # R3: referred to the county association; it may return the case
    WITH_POLICE = "with_police"  # R3: a possible criminal offence; paused until the police answer


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
    CONFIDENTIALITY = "confidentiality"  # R18: the complainant's chance to withdraw after a refusal
    SUBJECT_RESPONSE = "subject_response"  # R9: the subject member's written response before the hearing


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
    MALICIOUS = "malicious"
    # Before the split this word was the one ground "malicious, vexatious, politically motivated or tit-for-tat";
    # such a decision now reads as vexatious alone, which never calls a complaint malicious.
    VEXATIOUS = "vexatious"
    POLITICALLY_MOTIVATED = "politically_motivated"
    TIT_FOR_TAT = "tit_for_tat"
    TRIVIAL = "trivial"
    DEBATE_OR_DECISION = "debate_or_decision"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    OTHER = "other"


GROUND_TITLES: dict[NoActionGround, str] = {
    NoActionGround.NOT_AS_MEMBER: "the member was not acting as a member at the time",
    NoActionGround.TIME_BARRED: "the conduct took place more than six months ago",
    NoActionGround.ANONYMOUS: "the complaint is anonymous",
    NoActionGround.MALICIOUS: "the complaint appears to be malicious",
    NoActionGround.VEXATIOUS: "the complaint appears to be vexatious",
    NoActionGround.POLITICALLY_MOTIVATED: "the complaint appears to be politically motivated",
    NoActionGround.TIT_FOR_TAT: "the complaint appears to be tit-for-tat",
    NoActionGround.TRIVIAL: "the matter is so minor that there is no overriding public benefit in investigating",
    NoActionGround.DEBATE_OR_DECISION: "it challenges debate at a meeting or the merits of a council decision",
    NoActionGround.INSUFFICIENT_INFORMATION: (
        "the information asked for, needed to assess the complaint, was not provided"
    ),
    NoActionGround.OTHER: "another reason the Monitoring Officer and Independent Person consider relevant",
}


class InitialTest(StrEnum):
    """Sections 3-4: the initial tests a complaint must meet before the public interest test."""

    CODE_ENGAGED = "code_engaged"
    BREACH_IF_PROVEN = "breach_if_proven"
    WITHIN_TIME = "within_time"
    IDENTIFIED = "identified"


INITIAL_TEST_TITLES: dict[InitialTest, str] = {
    InitialTest.CODE_ENGAGED: "the councillor was a member and acting as a member, so the Code of Conduct applies",
    InitialTest.BREACH_IF_PROVEN: "the conduct complained of, if it were proven, would be a breach of the Code",
    InitialTest.WITHIN_TIME: "the conduct took place within six months, or there are exceptional circumstances",
    InitialTest.IDENTIFIED: "the complainant is identified: the complaint is not anonymous",
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
    POLICE = "police"  # a possible criminal offence, e.g. a disclosable pecuniary interest (s.34 Localism Act 2011)


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
