"""R14, several complaints about one incident: one case leads, the others follow it.

A councillor's post can bring hundreds of complaints in a day. `conduct link LEAD OTHER --lead`
makes LEAD the lead: OTHER follows it (the `follow` action, taken on OTHER, which joins LEAD), its
own clocks stop (the lead's are the one set of clocks), and every procedure-moving action taken on
the lead applies to OTHER too: the lead's workflow tells each follower, with the officer's signed
action (workflows/lead.py), and the follower writes to its own complainant the letters the lead
wrote to its complainant, mirrors the lead's stage and closes with the lead's outcome. One
decision, one hearing; each complainant has their own letters.

Pure checks, registered in conduct/rules.py like the others; a reason to refuse, or None.
"""

from __future__ import annotations

from datetime import date

from conduct import actions as a
from conduct.actions import Action
from conduct.case import CaseState
from conduct.roster import Roster
from conduct.vocabulary import Stage

# A case may start to follow a lead only before it was decided on its own (R3).
UNDECIDED = frozenset({Stage.TRIAGE, Stage.AWAITING_INFORMATION, Stage.ASSESSMENT})

# Actions about the lead's own complainant or record: they stay on the lead. Every other
# procedure-moving action (a.MOVING) is applied to the followers.
OWN = frozenset(
    {
        Action.REQUEST_INFO,
        Action.INFO_RECEIVED,
        Action.COMMENT,
        Action.WITHDRAW,
        Action.WITHDRAWAL_DECISION,
        Action.CONFIDENTIALITY,
        Action.UPDATE_ROSTER,
        Action.LETTER_POSTED,
        Action.FOLLOW,
    }
)

# What an officer may still do on a follower: its own complainant's business and its record.
FOLLOWER_MAY = frozenset(
    {
        Action.WITHDRAW,
        Action.WITHDRAWAL_DECISION,
        Action.CONFIDENTIALITY,
        Action.UPDATE_ROSTER,
        Action.LETTER_POSTED,
        Action.CONSULT_IP,
        Action.NOTE,
        Action.LETTER,
        Action.CONFLICT,
        Action.UNLINK,
        Action.LINK,
        Action.PUBLISH,
        Action.UNPUBLISH,
    }
)


def forwarded(action: Action) -> bool:
    """Whether a lead's action applies to its followers."""
    return action in a.MOVING and action not in OWN


def follower_precondition(case: CaseState, name: str) -> str | None:
    """A follower is decided through its lead: the procedure-moving actions are taken there."""
    if case.lead is None or Action(name) in FOLLOWER_MAY:
        return None
    return f"{case.reference} follows {case.lead} (R14): act on {case.lead}, whose decisions apply here, or unlink it"


def cannot_follow(case: CaseState) -> str | None:
    """Why this case cannot start following a lead (checked by the CLI first, and by the case)."""
    if case.lead is not None:
        return f"{case.reference} already follows {case.lead}"
    if case.followers:
        return f"{case.reference} leads {len(case.followers)} other case(s); a lead cannot follow another"
    if case.stage not in UNDECIDED:
        return f"{case.reference} was decided on its own (stage {case.stage.value}); only an undecided case follows"
    return None


def _lead(case: CaseState, roster: Roster, p: a.Link, today: date) -> str | None:
    return _pair(case, p, lead=case.reference, what="lead")


def _follow(case: CaseState, roster: Roster, p: a.Link, today: date) -> str | None:
    """`follow` is taken on the follower; `other_reference` is the lead (and `other_subjects` its members)."""
    return _pair(case, p, lead=p.other_reference, what="follow")


def _pair(case: CaseState, p: a.Link, lead: str, what: str) -> str | None:
    """What a lead and its follower must be, seen from either: two cases, not yet linked, about the same members."""
    if p.other_reference == case.reference:
        return f"a complaint cannot {what} itself"
    if p.other_reference in case.linked:
        return f"already linked to {p.other_reference}; unlink it first to make {lead} its lead"
    if p.other_subjects is not None and set(p.other_subjects) != set(case.subject_members):
        return (
            f"{p.other_reference} is about {', '.join(p.other_subjects) or 'nobody'}, {case.reference} about "
            f"{', '.join(case.subject_members)}: a lead decides only for complaints about the same members "
            "(link cases about different members without --lead, with --reason, for a joint hearing)"
        )
    return None


CHECKS = {"lead": _lead, "follow": _follow}
