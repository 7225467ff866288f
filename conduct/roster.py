"""Who is who: councils, members and their groups, Independent Persons, officers.

A complaint workflow receives a snapshot of the roster when it starts, so that the subject
member's group is recorded as it stood when the complaint arrived and validators can check
roles without I/O; a roster import sends open cases the new one.

These models travel in workflow history, so they are lenient: unknown fields are ignored and
addresses are plain text, so that a history written by older or newer code still decodes (a
field added here must not stop an open case from replaying). What a roster file may say is
checked strictly, once, on import: conduct/roster_file.py.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from conduct.report_levels import ReportLevel
from conduct.vocabulary import CouncilKind, Nation, Role

Identifier = str


class _Lenient(BaseModel):
    """Decodes what any version wrote: unknown fields are ignored (roster_file forbids them)."""

    model_config = ConfigDict(extra="ignore")


class Contact(_Lenient):
    name: str
    email: str


class Council(_Lenient):
    id: Identifier
    name: str
    code: str = Field(description="prefix of case references, e.g. WBC")
    nation: Nation = Nation.ENGLAND
    kind: CouncilKind = CouncilKind.PRINCIPAL
    principal: Identifier | None = Field(
        default=None, description="for a parish council, the principal council whose sub-committee hears it"
    )
    sub_committee: str = "Hearings Sub-Committee"
    committee_chair: Contact | None = None
    vice_chair: Contact | None = Field(default=None, description="advised instead when the chair is a subject (R6)")
    clerk: Contact | None = Field(default=None, description="parish clerk, told of decisions (R11)")
    report_levels: list[ReportLevel] = Field(
        default=[], description="columns of the Group Leaders' yearly report; empty: the nation's defaults"
    )
    retention_years: int = Field(
        default=6, ge=1, le=100, description="years a closed case's personal data is kept after closure (retention)"
    )
    notice_retention_years: int = Field(
        default=6, ge=1, le=100, description="years a published decision notice stays on the public pages"
    )


class Membership(_Lenient):
    """Another council a member also sits on: a dual-hatted councillor (a district and a parish, or
    a district and a county) has a group, and committees, on each."""

    council: Identifier
    group: str = "Independent"
    committees: list[str] = []


class Member(_Lenient):
    id: Identifier
    name: str
    email: str
    council: Identifier
    group: str = "Independent"
    co_opted: bool = False
    elected_on: date | None = Field(default=None, description="last election: Code training counts from it")
    committees: list[str] = Field(default=[], description="names of the committees of their council they sit on")
    memberships: list[Membership] = Field(
        default=[], description="other councils they also sit on (dual-hatted), each with their group there"
    )

    @property
    def councils(self) -> list[Identifier]:
        """Every council they sit on: their own first."""
        return [self.council, *(m.council for m in self.memberships)]

    def sits_on(self, council_id: Identifier) -> bool:
        return council_id in self.councils

    def group_on(self, council_id: Identifier) -> str:
        """Their group on that council (a complaint is about them in that capacity); their own
        council's group otherwise."""
        return next((m.group for m in self.memberships if m.council == council_id), self.group)


class Committee(_Lenient):
    """A committee of a council and the training its members need (seed 001: nominees "have
    received the recommended training for that Committee"): kinds of training session, e.g.
    "code-of-conduct", "equalities", or "committee" (a session held for this committee)."""

    name: str
    council: Identifier
    required_training: list[str] = []


class GroupLeader(_Lenient):
    council: Identifier
    group: str
    member: Identifier


class IndependentPerson(_Lenient):
    id: Identifier
    name: str
    email: str


class Officer(_Lenient):
    id: Identifier
    name: str
    email: str
    roles: list[Role]
    login: str | None = Field(
        default=None,
        description="what the identity provider asserts for them (e-mail or subject); default: their e-mail",
    )


class Roster(_Lenient):
    councils: list[Council] = []
    members: list[Member] = []
    group_leaders: list[GroupLeader] = []
    independent_persons: list[IndependentPerson] = []
    officers: list[Officer] = []
    committees: list[Committee] = []

    def problems(self) -> list[str]:
        """What makes this roster unusable (a repeated id, a reference to nobody): checked on import
        (roster_file), and available to anyone receiving a roster; empty when it holds together."""
        found: list[str] = []
        councils = {c.id for c in self.councils}
        for kind, ids in (
            ("council", [c.id for c in self.councils]),
            ("member", [m.id for m in self.members]),
            ("independent person", [p.id for p in self.independent_persons]),
            ("officer", [o.id for o in self.officers]),
        ):
            seen = set()
            for i in ids:
                if i in seen:
                    found.append(f"{kind} id {i!r} appears twice")
                seen.add(i)
        for c in self.councils:
            if c.kind is CouncilKind.PARISH and c.principal not in councils:
                found.append(f"parish council {c.id!r} needs a principal council on the roster")
        for m in self.members:
            if m.council not in councils:
                found.append(f"member {m.id!r} belongs to unknown council {m.council!r}")
            for other in m.memberships:
                if other.council not in councils:
                    found.append(f"member {m.id!r} also sits on unknown council {other.council!r}")
            if len(set(m.councils)) != len(m.councils):
                found.append(f"member {m.id!r} is given the same council twice")
        members = {m.id for m in self.members}
        for g in self.group_leaders:
            if g.member not in members:
                found.append(f"group leader {g.member!r} of {g.group!r} is not a member on the roster")
        return found

    # Look-ups: small lists, linear scans keep the model plain and serialisable.
    def council(self, council_id: str) -> Council | None:
        return next((c for c in self.councils if c.id == council_id), None)

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.members if m.id == member_id), None)

    def members_of(self, council_id: str) -> list[Member]:
        """Everyone who sits on the council, dual-hatted members included."""
        return [m for m in self.members if m.sits_on(council_id)]

    def officer(self, officer_id: str) -> Officer | None:
        return next((o for o in self.officers if o.id == officer_id), None)

    def independent_person(self, ip_id: str) -> IndependentPerson | None:
        return next((p for p in self.independent_persons if p.id == ip_id), None)

    def officers_with(self, role: Role) -> list[Officer]:
        return [o for o in self.officers if role in o.roles]

    def group_leader(self, council_id: str, group: str) -> Member | None:
        leader = next((g for g in self.group_leaders if g.council == council_id and g.group == group), None)
        return self.member(leader.member) if leader else None

    def committee(self, council_id: str, name: str) -> Committee | None:
        return next((c for c in self.committees if c.council == council_id and c.name == name), None)

    def hearing_council(self, council_id: str) -> str:
        """The council whose sub-committee hears a member of `council_id` (a parish's principal)."""
        council = self.council(council_id)
        if council and council.kind is CouncilKind.PARISH and council.principal:
            return council.principal
        return council_id
