"""Where an officer's words go (issue 13, "Officers know where their words go"): for each action's
free-text field, who receives it in a letter. The CLI's --help and confirmations print it, and
conduct.confidentiality checks a text bound for people who must not learn a confidential
complainant's identity. Light on imports: the CLI registers every command from it.
"""

from conduct.vocabulary import RecipientRole

R = RecipientRole

SANCTION_TERMS_GO_TO = (
    R.COMPLAINANT,
    R.SUBJECT_MEMBER,
    R.INVESTIGATING_OFFICER,
    R.GROUP_LEADER,
    R.PARISH_CLERK,
    R.MONITORING_OFFICER,
    R.DEPUTY_MONITORING_OFFICER,
    R.COMMITTEE_CHAIR,
)

# Who receives each action's free text, by the payload field (and the CLI flag that fills it).
# An action or field not listed here goes into no letter (it is kept on the case only).
TEXT_GOES_TO: dict[str, dict[str, tuple[RecipientRole, ...]]] = {
    "request_info": {"text": (R.COMPLAINANT,)},
    "assess": {
        "reasons": (R.COMPLAINANT, R.SUBJECT_MEMBER),
        "public_interest_reason": (R.COMPLAINANT, R.SUBJECT_MEMBER),
    },
    "police_answer": {"text": (R.COMPLAINANT, R.SUBJECT_MEMBER, R.MONITORING_OFFICER)},
    "association_answer": {"text": (R.COMPLAINANT, R.SUBJECT_MEMBER)},
    "informal_outcome": {"text": (R.COMPLAINANT, R.SUBJECT_MEMBER)},
    "draft_report": {"text": (R.MONITORING_OFFICER, R.COMPLAINANT, R.SUBJECT_MEMBER)},
    "final_report": {
        "text": (R.MONITORING_OFFICER, R.COMPLAINANT, R.SUBJECT_MEMBER, R.DEMOCRATIC_SERVICES),
        "further_breach": (R.MONITORING_OFFICER,),
    },
    "adjourn_hearing": {
        "reason": (
            R.COMPLAINANT,
            R.SUBJECT_MEMBER,
            R.INVESTIGATING_OFFICER,
            R.MONITORING_OFFICER,
            R.PANEL_MEMBER,
            R.INDEPENDENT_PERSON,
            R.PARISH_ADVISER,
        )
    },
    "hearing_outcome": {
        "reasons": (
            R.COMPLAINANT,
            R.SUBJECT_MEMBER,
            R.INVESTIGATING_OFFICER,
            R.GROUP_LEADER,
            R.PARISH_CLERK,
        ),
        "absence_reason": (
            R.COMPLAINANT,
            R.SUBJECT_MEMBER,
            R.INVESTIGATING_OFFICER,
            R.GROUP_LEADER,
            R.PARISH_CLERK,
        ),
        # R10/R17: a sanction's parameters, in the decision notice and its follow-up's letters.
        "committee": SANCTION_TERMS_GO_TO,
        "course": SANCTION_TERMS_GO_TO,
    },
    "withdraw": {"text": (R.COMPLAINANT,)},
    "further_breach": {"text": (R.MONITORING_OFFICER,)},
    "confidentiality": {"reason": (R.COMPLAINANT,)},
}

# Beyond letters: where else a text is shown, or when.
ALSO: dict[tuple[str, str], str] = {
    ("final_report", "text"): "democratic services only on a breach",
    ("hearing_outcome", "reasons"): "the public decision notice once the MO approves it",
    ("hearing_outcome", "absence_reason"): "the public decision notice once the MO approves it",
}

# Readers who must not learn a confidential complainant's identity from an officer's text.
GUARDED = frozenset(
    {R.SUBJECT_MEMBER, R.GROUP_LEADER, R.PANEL_MEMBER, R.DEMOCRATIC_SERVICES, R.COMMITTEE_CHAIR, R.PARISH_CLERK}
)

_WORDS = {
    R.COMPLAINANT: "complainant",
    R.SUBJECT_MEMBER: "subject member",
    R.GROUP_LEADER: "Group Leader",
    R.INDEPENDENT_PERSON: "Independent Person",
    R.MONITORING_OFFICER: "Monitoring Officer",
    R.DEPUTY_MONITORING_OFFICER: "deputy Monitoring Officer",
    R.INVESTIGATING_OFFICER: "Investigating Officer",
    R.DEMOCRATIC_SERVICES: "democratic services",
    R.COMMITTEE_CHAIR: "committee chair",
    R.PANEL_MEMBER: "hearing panel",
    R.PARISH_CLERK: "parish clerk",
    R.PARISH_ADVISER: "parish adviser",
}


def words(roles: "tuple[RecipientRole, ...] | list[RecipientRole]") -> str:
    return ", ".join(_WORDS[r] for r in roles)


def goes_to(action: str, field: str) -> str:
    """'goes to: complainant, subject member', or that the text is kept on the case only."""
    roles = TEXT_GOES_TO.get(action, {}).get(field)
    if not roles:
        return "goes to: nobody (kept on the case, in no letter)"
    also = ALSO.get((action, field))
    return "goes to: " + words(roles) + (f", and {also}" if also else "")


def readers(action: str, payload: object) -> dict[str, tuple[RecipientRole, ...]]:
    """Who receives each free-text field of this action as sent: TEXT_GOES_TO, and for a one-off
    letter (`conduct letter --to PARTY`) the party it is sent to."""
    goes_to = dict(TEXT_GOES_TO.get(action, {}))
    if action == "letter":
        from conduct.record import PARTY_ROLES

        goes_to["text"] = (PARTY_ROLES[payload.to],)  # type: ignore[attr-defined]
    return goes_to


NOTE_GOES_TO = "an internal note on the case: goes to nobody, never in a letter"
