"""Who receives a letter: the parties, officers and others, looked up in the case's roster
snapshot. Pure, so the workflow can call it and tests can check routing without a server."""

from pydantic import BaseModel

from conduct.case import CaseState
from conduct.letters import Recipient
from conduct.procedure import RESPONSIBLE_ROLE
from conduct.roster import Contact, Roster
from conduct.vocabulary import ClockName, CouncilKind, RecipientRole, Role

# Who must not learn a confidential complainant's identity (R18, DESIGN "Who sees what"; while it
# is kept: conduct.confidentiality.identity_confidential).
IDENTITY_HIDDEN_FROM = frozenset(
    {
        RecipientRole.DEMOCRATIC_SERVICES,
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
    return [
        Recipient(
            name=person.name,  # type: ignore[attr-defined]
            email=person.email,  # type: ignore[attr-defined]
            role=role,
            id=id or getattr(person, "id", ""),
            address=getattr(person, "address", "") or "",  # letters by post where there is no e-mail
        )
    ]


class Addressees:
    def __init__(self, roster: Roster, case: CaseState) -> None:
        self.roster, self.case = roster, case

    def complainant(self) -> list[Recipient]:
        """Nobody, for an anonymous complaint without an address; by post (conduct.postal) for a
        complainant who gave only a postal address."""
        c = self.case.intake.complainant
        if not c.email:
            if not c.address.strip():
                return []
            return [Recipient(name=c.name or "Complainant", email="", role=RecipientRole.COMPLAINANT,
                              id="complainant", address=c.address)]  # fmt: skip
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
        """R16: never an officer conflicted on the case; the deputy in the place of a conflicted MO."""
        conflicted = {c.officer for c in self.case.conflicts}
        if role is Role.MONITORING_OFFICER and self.case.deputy_acting:
            role = Role.DEPUTY_MONITORING_OFFICER
        free = [o for o in self.roster.officers_with(role) if o.id not in conflicted]
        return [r for o in free for r in _to(o, RecipientRole(role.value))]

    def escalation(self, clock: ClockName) -> list[Recipient]:
        """A lapsed clock goes to the MO and deputy, and the IO for the investigation target."""
        out = self.officers(Role.MONITORING_OFFICER) + self.officers(Role.DEPUTY_MONITORING_OFFICER)
        return out + (self.investigator() if clock is ClockName.INVESTIGATION else [])

    def investigator(self) -> list[Recipient]:
        officer = self.roster.officer(self.case.investigator) if self.case.investigator else None
        if officer is not None and any(c.officer == officer.id for c in self.case.conflicts):
            return []  # R16: a conflicted IO takes no part in the case
        return _to(officer, RecipientRole.INVESTIGATING_OFFICER)

    def responsible(self, clock: ClockName) -> list[Recipient]:
        role = RESPONSIBLE_ROLE[clock]
        if role is Role.INVESTIGATING_OFFICER:
            return self.investigator() or self.officers(Role.MONITORING_OFFICER)
        return self.officers(role)

    def group_leader_informed_for(self) -> list[str]:
        """R2: the subject members whose Group Leader is informed (what `group_leaders` writes to)."""
        return [member for member, leader in self._group_leaders_of_subjects() if leader is not None]

    def group_leader_exemption(self) -> str | None:
        """Why R2's step "inform the Group Leader" does not apply, for the timeline; None when every
        subject member's Group Leader is informed. A subject who leads their group, or who has no
        Group Leader (an Independent), has nobody to be told."""
        reasons = []
        for member_id, leader in self._group_leaders_of_subjects():
            if leader is not None:
                continue
            member = self.roster.member(member_id)
            name = f"Councillor {member.name}" if member else member_id
            group = self.case.subject_groups.get(member_id, "")
            led_by = self.roster.group_leader(self.case.council, group)
            if led_by is not None and led_by.id == member_id:
                reasons.append(f"{name} is the Leader of the {group} group")
            elif led_by is not None:
                reasons.append(f"{name}'s Group Leader, Councillor {led_by.name}, is also a subject of the complaint")
            else:
                reasons.append(f"{name} ({group or 'no group'}) has no Group Leader")
        return "; ".join(reasons) or None

    def _group_leaders_of_subjects(self) -> list[tuple[str, str | None]]:
        """Each subject member with the id of the Group Leader to inform, or None."""
        out: list[tuple[str, str | None]] = []
        for member_id in self.case.subject_members:
            group = self.case.subject_groups.get(member_id)
            leader = self.roster.group_leader(self.case.council, group) if group else None
            told = leader is not None and leader.id not in self.case.subject_members
            out.append((member_id, leader.id if leader is not None and told else None))
        return out

    def committee_chair(self) -> list[Recipient]:
        """R6: the chair of the hearing council's standards committee; the vice-chair when the chair
        is a subject of the complaint (nobody when both are, or there is no vice-chair). The chair
        is recognised as a subject by e-mail address, as the roster gives a chair as a contact."""
        council = self.roster.council(self.case.hearing_council)
        if council is None:
            return []
        subjects = {m.email.strip().lower() for m in map(self.roster.member, self.case.subject_members) if m}

        def free(contact: Contact | None) -> bool:
            return contact is not None and contact.email.strip().lower() not in subjects

        if free(council.committee_chair):
            return _to(council.committee_chair, RecipientRole.COMMITTEE_CHAIR, "chair")
        if free(council.vice_chair):
            return _to(council.vice_chair, RecipientRole.COMMITTEE_CHAIR, "vice-chair")
        return []

    def signing_council_name(self) -> str:
        """Whose Monitoring Officer signs the letters: the hearing council's (a parish's principal)."""
        council = self.roster.council(self.case.hearing_council) or self.roster.council(self.case.council)
        return council.name if council else self.case.council

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
