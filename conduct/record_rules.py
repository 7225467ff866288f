"""The rules of the record-keeping actions and of conflicts (R16), as pure checks registered in
conduct/rules.py (each returns a reason to refuse, or None), and the facts the workflow derives
from them: which lapsed clock a delay reason explains, who a one-off letter goes to, and who signs.

R16 (best practice 13, and "the Monitoring Officer will remain neutral"): an officer with a conflict
on a case takes no part in it; the deputy acts for a conflicted MO; the MO and the deputy are
never the Investigating Officer. conduct/access.py reads `conflicts` and `deputy_acting` for the
person checks; the workflow's rules call `stood_down` too, so a client cannot go round them.
"""

from __future__ import annotations

from datetime import date

from conduct import access
from conduct import actions as a
from conduct.addressees import Addressees
from conduct.case import CaseState
from conduct.letters import Recipient
from conduct.record import LetterParty, party_words
from conduct.record_actions import AddNote, RecordConflict, SendLetter, Unlink
from conduct.roster import Officer, Roster
from conduct.vocabulary import ClockName, ClockState, Role

KEEPERS = frozenset({Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER})
DEPUTY_SIGNS = "Deputy Monitoring Officer"


# ----------------------------------------------------------------------------- conflicts (R16)


def stood_down(case: CaseState, roster: Roster, officer_id: str) -> str | None:
    """Why the officer may do nothing on this case (conflicted, or the MO while the deputy acts)."""
    officer = roster.officer(officer_id)
    return access.stood_down(officer, case) if officer is not None else None


def may_not_investigate(case: CaseState, officer: Officer) -> str | None:
    """R16: the MO and the deputy advise the panel and are never the IO, whatever else the roster
    says they are; a conflicted officer is not appointed either."""
    if KEEPERS & set(officer.roles):
        return f"{officer.id} is the Monitoring Officer or a deputy, and cannot be the Investigating Officer (R16)"
    if access.conflicted(case, officer.id):
        return f"{officer.id} is recorded as conflicted on {case.reference} (R16)"
    return None


def _acts_as_mo(officer: Officer, conflicted: set[str], deputy_acting: bool) -> bool:
    """Whether the officer could still act for the Monitoring Officer on the case."""
    roles = set(officer.roles)
    if officer.id in conflicted or not roles & KEEPERS:
        return False
    return not (deputy_acting and Role.DEPUTY_MONITORING_OFFICER not in roles)


def _conflict(case: CaseState, roster: Roster, p: RecordConflict, today: date) -> str | None:
    officer = roster.officer(p.conflicted)
    if officer is None:
        return f"{p.conflicted!r} is not an officer on the roster"
    if access.conflicted(case, officer.id):
        return f"{officer.id} is already recorded as conflicted"
    conflicted = {c.officer for c in case.conflicts} | {officer.id}
    acting = case.deputy_acting or _is_mo(officer)
    if not any(_acts_as_mo(o, conflicted, acting) for o in roster.officers):
        who = "a deputy" if _is_mo(officer) else "another Monitoring Officer or deputy"
        return f"nobody would be left to act as Monitoring Officer: the roster has no {who} free of conflict (R16)"
    return None


def _is_mo(officer: Officer) -> bool:
    """The Monitoring Officer (not a deputy): the deputy acts in their place when they are conflicted."""
    roles = set(officer.roles)
    return Role.MONITORING_OFFICER in roles and Role.DEPUTY_MONITORING_OFFICER not in roles


def conflict_warnings(case: CaseState, officer_id: str) -> list[str]:
    """What the MO should know once the conflict is recorded (not refusals: a conflict is a fact)."""
    if case.investigator == officer_id:
        return [f"{officer_id} is the appointed Investigating Officer and can no longer act on {case.reference}"]
    return []


def deputy_acts(roster: Roster, officer_id: str) -> bool:
    officer = roster.officer(officer_id)
    return officer is not None and _is_mo(officer)


def signatory(case: CaseState, roster: Roster) -> str:
    """Who signs the case's letters: empty for the Monitoring Officer (the templates' default); the
    deputy, by name, while they act for a conflicted MO."""
    if not case.deputy_acting:
        return ""
    conflicted = {c.officer for c in case.conflicts}
    deputy = next((o for o in roster.officers_with(Role.DEPUTY_MONITORING_OFFICER) if o.id not in conflicted), None)
    return f"{deputy.name}, {DEPUTY_SIGNS}" if deputy else DEPUTY_SIGNS


# ----------------------------------------------------------------------------- notes and delays


def lapsed_clock(case: CaseState, requested: ClockName | None) -> ClockName | None:
    """The clock a delay reason explains: the one asked for if it lapsed (still lapsed or met late),
    else the one clock still lapsed."""
    if requested is not None:
        clock = case.clocks.get(requested)
        return requested if clock is not None and clock.lapsed else None
    lapsed = [name for name, c in case.clocks.items() if c.state is ClockState.LAPSED]
    return lapsed[0] if len(lapsed) == 1 else None


def _note(case: CaseState, roster: Roster, p: AddNote, today: date) -> str | None:
    if not p.delay_reason.strip() or lapsed_clock(case, p.clock) is not None:
        return None
    if p.clock is not None:
        return f"the {p.clock.value} clock has not lapsed; a delay reason explains a lapsed clock"
    lapsed = [name.value for name, c in case.clocks.items() if c.state is ClockState.LAPSED]
    if lapsed:
        return f"several clocks have lapsed ({', '.join(lapsed)}); say which with --clock"
    return "no clock is lapsed; a delay reason explains a lapsed clock (say which with --clock if it was met late)"


# ----------------------------------------------------------------------------- one-off letters


def letter_recipients(to: Addressees, party: LetterParty) -> list[Recipient]:
    return {
        LetterParty.COMPLAINANT: to.complainant,
        LetterParty.SUBJECT: to.subjects,
        LetterParty.INVESTIGATOR: to.investigator,
        LetterParty.GROUP_LEADER: to.group_leaders,
        LetterParty.COMMITTEE_CHAIR: to.committee_chair,
        LetterParty.PARISH_CLERK: to.parish_clerk,
    }[party]()


def _letter(case: CaseState, roster: Roster, p: SendLetter, today: date) -> str | None:
    if p.to in (LetterParty.SUBJECT, LetterParty.GROUP_LEADER) and not case.subject_notified:
        # DESIGN.md: a subject member who has not been notified receives nothing about the case.
        return "the subject member has not been notified of the complaint (R1), so nothing is sent about it"
    if not letter_recipients(Addressees(roster, case), p.to):
        return f"the case has no {party_words(p.to)} to write to"
    return None


# ----------------------------------------------------------------------------- links (R14)


def _unlink(case: CaseState, roster: Roster, p: Unlink, today: date) -> str | None:
    if p.other_reference not in case.linked:
        return f"{case.reference} is not linked to {p.other_reference}"
    return None


def link_refusal(case: CaseState, p: a.Link) -> str | None:
    """R14 considers together complaints about the same member; cases about different members are
    linked only with a reason (a joint hearing)."""
    if p.other_subjects is None or set(p.other_subjects) == set(case.subject_members) or p.reason.strip():
        return None
    return (
        f"{p.other_reference} is about {', '.join(p.other_subjects) or 'nobody'}, {case.reference} about "
        f"{', '.join(case.subject_members)}: linking cases about different members needs --reason (a joint hearing)"
    )


CHECKS = {"note": _note, "letter": _letter, "conflict": _conflict, "unlink": _unlink}
