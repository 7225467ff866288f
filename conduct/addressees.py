"""Who receives a letter: the parties, officers and others, looked up in the case's roster
snapshot. Pure, so the workflow can call it and tests can check routing without a server."""

from pydantic import BaseModel

from conduct.case import CaseState
from conduct.letters import Recipient
from conduct.procedure import RESPONSIBLE_ROLE
from conduct.roster import Contact, Roster
from conduct.vocabulary import ClockName, CouncilKind, RecipientRole, Role

# Who must not learn a complainant's identity when confidentiality was granted.
IDENTITY_HIDDEN_FROM = frozenset(
    {
        RecipientRole.SUBJECT_MEMBER,
        RecipientRole.GROUP_LEADER,
        RecipientRole.COMMITTEE_CHAIR,
        RecipientRole.PANEL_MEMBER,
        RecipientRole.PARISH_CLERK,
        RecipientRole.PARISH_ADVISER,
    }
)


def _to(person: BaseModel | None, role: RecipientRole, id: str = "") -> list[Recipient]:
    if person is None:
        return []
    return [Recipient(name=person.name, email=person.email, role=role, id=id or getattr(person, "id", ""))]  # type: ignore[attr-defined]


class Addressees:
    def __init__(self, roster: Roster, case: CaseState) -> None:
        self.roster, self.case = roster, case

    def complainant(self) -> list[Recipient]:
        """Nobody, for an anonymous complaint without an address."""
        c = self.case.intake.complainant
        if not c.email:
            return []
        contact = Contact(name=c.name or "Complainant", email=c.email)
        return _to(contact, RecipientRole.COMPLAINANT, "complainant")

    def subjects(self) -> list[Recipient]:
        return [r for m in self.case.subject_members for r in _to(self.roster.member(m), RecipientRole.SUBJECT_MEMBER)]

    def parties(self) -> list[Recipient]:
        return self.complainant() + self.subjects()

    def group_leaders(self) -> list[Recipient]:
        """The leaders of the subject members' groups as they stood on receipt (never the subject)."""
        out: list[Recipient] = []
        for group in dict.fromkeys(self.case.subject_groups.values()):
            leader = self.roster.group_leader(self.case.council, group)
            if leader and leader.id not in self.case.subject_members:
                out += _to(leader, RecipientRole.GROUP_LEADER)
        return out

    def officers(self, role: Role) -> list[Recipient]:
        return [r for o in self.roster.officers_with(role) for r in _to(o, RecipientRole(role.value))]

    def escalation(self, clock: ClockName) -> list[Recipient]:
        """A lapsed clock goes to the MO and deputy, and the IO for the investigation target."""
        out = self.officers(Role.MONITORING_OFFICER) + self.officers(Role.DEPUTY_MONITORING_OFFICER)
        return out + (self.investigator() if clock is ClockName.INVESTIGATION else [])

    def investigator(self) -> list[Recipient]:
        officer = self.roster.officer(self.case.investigator) if self.case.investigator else None
        return _to(officer, RecipientRole.INVESTIGATING_OFFICER)

    def responsible(self, clock: ClockName) -> list[Recipient]:
        role = RESPONSIBLE_ROLE[clock]
        if role is Role.INVESTIGATING_OFFICER:
            return self.investigator() or self.officers(Role.MONITORING_OFFICER)
        return self.officers(role)

    def committee_chair(self) -> list[Recipient]:
        council = self.roster.council(self.case.hearing_council)
        return _to(council.committee_chair if council else None, RecipientRole.COMMITTEE_CHAIR, "chair")

    def parish_clerk(self) -> list[Recipient]:
        council = self.roster.council(self.case.council)
        if not council or council.kind is not CouncilKind.PARISH:
            return []
        return _to(council.clerk, RecipientRole.PARISH_CLERK, "clerk")

    def independent_person(self, ip_id: str | None) -> list[Recipient]:
        person = self.roster.independent_person(ip_id) if ip_id else None
        return _to(person, RecipientRole.INDEPENDENT_PERSON)

    def hearing(self) -> list[Recipient]:
        """R9: sufficient notice to all parties, the panel and the attending IP."""
        hearing = self.case.hearing
        if hearing is None:
            return []
        panel = [r for m in hearing.panel for r in _to(self.roster.member(m), RecipientRole.PANEL_MEMBER)]
        adviser = self.roster.member(hearing.parish_adviser) if hearing.parish_adviser else None
        return (
            self.parties()
            + self.investigator()
            + self.officers(Role.MONITORING_OFFICER)
            + panel
            + self.independent_person(hearing.ip)
            + _to(adviser, RecipientRole.PARISH_ADVISER)
        )
