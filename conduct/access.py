"""Who may do what on a case, and what they may read of it: the person-level checks of DESIGN.md
("Trust", table "Who sees what"), on top of the workflow's procedure rules (conduct/rules.py).

The workflow's validators judge the procedure (stage, preconditions, and roles again against the
roster the case holds); this module judges the person before anything is sent or shown. It is
pure, a function of the roster officer, the case state and the roster, with no I/O, so that
today's CLI and the officers' API to come ask the same questions and get the same answers.

Conflicts (R16): `conduct conflict` records them on the case (conduct/record.py); this module reads
`state.conflicts` (records with an `officer` field; plain ids are read too) and `state.deputy_acting`
(the deputy acts for a conflicted MO). The workflow's rules ask `stood_down` too.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from conduct.vocabulary import RecipientRole, Role, Stage

if TYPE_CHECKING:  # imported where used: `conduct cases` and the reports need none of them (about 0.2 s)
    from conduct.case import CaseState
    from conduct.roster import Officer

# rules.MO and rules.HEARING_ADMIN (tests/test_access.py holds them equal), without importing the
# rules and the calendar behind them for a list or a report.
MO = frozenset({Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER})
HEARING_ADMIN = MO | {Role.DEMOCRATIC_SERVICES}

# Where a case has been referred to a hearing (R8/R9): democratic services then see its papers.
HEARING_STAGES = frozenset({Stage.HEARING_PENDING, Stage.DECISION_NOTICE})

IDENTITY = "complainant"
ALLEGATION = "allegation"
Field = Literal["complainant", "allegation"]
CONFIDENTIAL = "confidential; MO, deputy and the appointed IO only"
UNTIL_HEARING = "democratic services see it once the case is referred to a hearing"
PAPERS_UNTIL_HEARING = "with the evidence and reports; democratic services see them once referred to a hearing"


class Standing(StrEnum):
    """What an officer is on one case."""

    MONITORING = "monitoring"  # the MO or the deputy
    INVESTIGATOR = "investigator"  # the IO appointed to this case
    HEARINGS = "hearings"  # democratic services


class Withheld(BaseModel):
    """A part of the case this reader asked for and may not see, and why."""

    field: Field
    reason: str

    def line(self) -> str:
        return f"{self.field}: withheld ({self.reason})"


class ReadAccess(BaseModel):
    """What `officer` may read of case `reference`: refused, or the parts withheld from them."""

    reference: str
    officer: str
    standing: Standing | None = None
    refused: str | None = None
    withheld: list[Withheld] = []

    def withholds(self, field: Field) -> Withheld | None:
        return next((w for w in self.withheld if w.field == field), None)


def _roles(officer: Officer) -> set[Role]:
    return set(officer.roles)


def _conflict_officer(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        return entry.get("officer")
    return getattr(entry, "officer", None)


def conflicted(state: CaseState | CasePeople, officer_id: str) -> bool:
    """R16: recorded as conflicted on the case (issue 14 adds the record; absent today)."""
    entries: Iterable[Any] = getattr(state, "conflicts", None) or []
    return any(_conflict_officer(entry) == officer_id for entry in entries)


def stood_down(officer: Officer, state: CaseState | CasePeople) -> str | None:
    """Why the officer takes no part in this case at all (R16), or None."""
    ref = state.reference
    if conflicted(state, officer.id):
        return f"{officer.id} is recorded as conflicted on {ref} and takes no part in it (R16)"
    roles = _roles(officer)
    acting = bool(getattr(state, "deputy_acting", False))
    if acting and Role.MONITORING_OFFICER in roles and Role.DEPUTY_MONITORING_OFFICER not in roles:
        return f"the deputy acts for the Monitoring Officer on {ref}; {officer.id} takes no part in it (R16)"
    return None


def standing(officer: Officer, state: CaseState) -> Standing | None:
    """The widest part the officer has on this case, or None (no role on it)."""
    roles = _roles(officer)
    if roles & MO:
        return Standing.MONITORING
    if Role.INVESTIGATING_OFFICER in roles and state.investigator == officer.id:
        return Standing.INVESTIGATOR
    if Role.DEMOCRATIC_SERVICES in roles:
        return Standing.HEARINGS
    return None


def referred_to_hearing(state: CaseState) -> bool:
    """The final report found a breach and the case went to the Hearings Sub-Committee (R8)."""
    if state.stage in HEARING_STAGES or state.hearing is not None or state.hearing_outcome is not None:
        return True
    return state.withdrawal is not None and state.withdrawal.previous_stage in HEARING_STAGES


# ----------------------------------------------------------------------------- actions


class CasePeople(BaseModel):
    """Who takes part in a case: all `action_refusal` reads of it. The workflow's `people` query
    answers it, far smaller than the whole case, so the person check costs the officers' API
    little before each action."""

    reference: str
    stage: Stage
    investigator: str | None = None
    conflicts: list[str] = []
    deputy_acting: bool = False

    @classmethod
    def of(cls, state: CaseState) -> CasePeople:
        officers = [_conflict_officer(entry) for entry in getattr(state, "conflicts", None) or []]
        return cls(
            reference=state.reference,
            stage=state.stage,
            investigator=state.investigator,
            conflicts=[o for o in officers if o],
            deputy_acting=bool(getattr(state, "deputy_acting", False)),
        )


def action_refusal(officer: Officer, state: CaseState | CasePeople, action: str) -> str | None:
    """Why this officer may not take `action` (a workflow update name) on this case, as one line
    naming the case; None when the person may (the workflow still judges the procedure).

    The roles per action are rules.ACTIONS (R1-R15); an IO acts only on the case they were
    appointed to; a conflicted officer, or the MO where the deputy acts, does nothing on it."""
    from conduct.rules import ACTIONS

    ref = state.reference
    rule = ACTIONS.get(action)
    if rule is None:
        return f"{ref}: refused: {action!r} is not an officer action"
    reason = stood_down(officer, state)
    if reason:
        return f"{ref}: refused: {reason}"
    roles = _roles(officer)
    mine = roles & rule.roles
    if not mine:
        need = " or ".join(sorted(r.value for r in rule.roles))
        have = ", ".join(sorted(r.value for r in roles)) or "no role"
        return f"{ref}: refused: {officer.id} ({have}) cannot {action.replace('_', '-')}: it needs {need}"
    if mine == {Role.INVESTIGATING_OFFICER} and state.investigator != officer.id:
        return f"{ref}: refused: {officer.id} is not the Investigating Officer appointed to {ref}"
    return None


# ----------------------------------------------------------------------------- reading one case


def read_access(officer: Officer, state: CaseState) -> ReadAccess:
    """What the officer may read of this case (show, status, history), following "Who sees what":
    the MO, the deputy and the appointed IO everything; democratic services the stage, clocks,
    decisions and history, the papers once referred to a hearing, and the complainant's identity
    only then and only if not confidential; anyone else nothing (refused)."""
    ref = state.reference
    access = ReadAccess(reference=ref, officer=officer.id)
    reason = stood_down(officer, state)
    if reason:
        access.refused = f"{ref}: refused: {reason}"
        return access
    access.standing = standing(officer, state)
    if access.standing is None:
        if Role.INVESTIGATING_OFFICER in _roles(officer):
            why = f"{officer.id} is not the Investigating Officer appointed to {ref}"
        else:
            have = ", ".join(sorted(r.value for r in _roles(officer))) or "no role"
            why = f"{officer.id} ({have}) has no role on {ref}"
        access.refused = f"{ref}: refused: {why}"
        return access
    if access.standing is Standing.HEARINGS:
        referred = referred_to_hearing(state)
        from conduct.confidentiality import identity_confidential  # R18: kept until decided; refused, after the window

        if identity_confidential(state):
            access.withheld.append(Withheld(field=IDENTITY, reason=CONFIDENTIAL))
        elif not referred:
            access.withheld.append(Withheld(field=IDENTITY, reason=UNTIL_HEARING))
        if not referred:
            access.withheld.append(Withheld(field=ALLEGATION, reason=PAPERS_UNTIL_HEARING))
    return access


def _complainant_letter(role: RecipientRole) -> bool:
    return role is RecipientRole.COMPLAINANT


def redact(state: CaseState, access: ReadAccess) -> CaseState:
    """A copy of the case without what `access` withholds: the complainant's name, e-mail, address,
    phone, roster id and reason for confidentiality, and the addresses of the letters to them; the
    allegation, evidence, reports, comments and the texts that discuss them. Readers say what was
    withheld (access.withheld): a blank here is never shown as a value."""
    from conduct.intake import Complainant

    if access.refused is not None:
        raise ValueError(f"{access.reference}: nothing may be shown to {access.officer}")
    if not access.withheld:
        return state
    intake = state.intake
    update: dict[str, Any] = {}
    intake_update: dict[str, Any] = {}
    if access.withholds(IDENTITY):
        intake_update["complainant"] = Complainant(type=intake.complainant.type)
        intake_update["confidentiality_reason"] = ""
        update["letters"] = [
            r.model_copy(update={"to": ""}) if _complainant_letter(r.role) else r for r in state.letters
        ]
        update["delivery_failures"] = [
            f.model_copy(update={"to": "", "error": ""}) if _complainant_letter(f.role) else f
            for f in state.delivery_failures
        ]
    if access.withholds(ALLEGATION):
        intake_update.update(description="", provisions=[], conduct_dates=[], evidence=[])
        update.update(draft_report=None, final_report=None, comments=[], information_requests=[], further_breaches=[])
        update["consultations"] = [c.model_copy(update={"view": ""}) for c in state.consultations]
        if state.withdrawal is not None:
            update["withdrawal"] = state.withdrawal.model_copy(update={"text": ""})
        # Notes, one-off letters and conflicts' reasons may name people: officer text, as above.
        update["notes"] = [n.model_copy(update={"text": "", "delay_reason": ""}) for n in state.notes]
        update["correspondence"] = [c.model_copy(update={"text": ""}) for c in state.correspondence]
        update["conflicts"] = [c.model_copy(update={"reason": ""}) for c in state.conflicts]
    update["intake"] = intake.model_copy(update=intake_update)
    return state.model_copy(update=update)


# ----------------------------------------------------------------------------- lists and reports


def sees_every_case(officer: Officer) -> bool:
    """The MO, the deputy and democratic services read the stage and clocks of every case; an IO
    only those of the cases they were appointed to."""
    return bool(_roles(officer) & HEARING_ADMIN)


# Who may run each report or export (reports_cli): the rows they hold, per "Who sees what".
REPORTS: dict[str, tuple[frozenset[Role] | None, str]] = {
    "review": (HEARING_ADMIN, "it shows the stage and clocks of every case"),
    "report groups": (HEARING_ADMIN, "it shows counts by group"),
    "report patterns": (MO, "it lists complainants"),
    "export decisions": (None, "published decision notices are public"),
    "schedules apply": (MO, "it sets when the reports go out"),
    "retention": (MO, "it lists the cases whose personal data is due to be removed"),
    "subject-access": (MO, "it exports everything held about one person"),
}


def report_refusal(officer: Officer, report: str) -> str | None:
    """Why this officer may not run `report` (a key of REPORTS), as one line; None when they may."""
    roles, why = REPORTS[report]
    if roles is None or _roles(officer) & roles:
        return None
    need = " or ".join(sorted(r.value for r in roles))
    have = ", ".join(sorted(r.value for r in _roles(officer))) or "no role"
    return f"{officer.id} ({have}) cannot run `conduct {report}`: {why}; it needs {need}"
