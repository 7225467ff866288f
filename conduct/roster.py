"""Who is who: councils, members and their groups, Independent Persons, officers.

A complaint workflow receives a snapshot of the roster when it starts, so that the subject
member's group is recorded as it stood when the complaint arrived and validators can check
roles without I/O.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from conduct.vocabulary import CouncilKind, Nation, Role

Identifier = str


class _Strict(BaseModel):
    """A misplaced key in a roster file is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Contact(_Strict):
    name: str = Field(min_length=1)
    email: EmailStr


class Council(_Strict):
    id: Identifier = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    code: str = Field(pattern=r"^[A-Z]{2,6}$", description="prefix of case references, e.g. WBC")
    nation: Nation = Nation.ENGLAND
    kind: CouncilKind = CouncilKind.PRINCIPAL
    principal: Identifier | None = Field(
        default=None, description="for a parish council, the principal council whose sub-committee hears it"
    )
    sub_committee: str = "Hearings Sub-Committee"
    committee_chair: Contact | None = None
    clerk: Contact | None = Field(default=None, description="parish clerk, told of decisions (R11)")


class Member(_Strict):
    id: Identifier
    name: str
    email: EmailStr
    council: Identifier
    group: str = "Independent"
    co_opted: bool = False


class GroupLeader(_Strict):
    council: Identifier
    group: str
    member: Identifier


class IndependentPerson(_Strict):
    id: Identifier
    name: str
    email: EmailStr


class Officer(_Strict):
    id: Identifier
    name: str
    email: EmailStr
    roles: list[Role] = Field(min_length=1)


class Roster(_Strict):
    councils: list[Council] = []
    members: list[Member] = []
    group_leaders: list[GroupLeader] = []
    independent_persons: list[IndependentPerson] = []
    officers: list[Officer] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> Roster:
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
                    raise ValueError(f"{kind} id {i!r} appears twice")
                seen.add(i)
        for c in self.councils:
            if c.kind is CouncilKind.PARISH and c.principal not in councils:
                raise ValueError(f"parish council {c.id!r} needs a principal council on the roster")
        for m in self.members:
            if m.council not in councils:
                raise ValueError(f"member {m.id!r} belongs to unknown council {m.council!r}")
        members = {m.id for m in self.members}
        for g in self.group_leaders:
            if g.member not in members:
                raise ValueError(f"group leader {g.member!r} of {g.group!r} is not a member on the roster")
        return self

    # Look-ups: small lists, linear scans keep the model plain and serialisable.
    def council(self, council_id: str) -> Council | None:
        return next((c for c in self.councils if c.id == council_id), None)

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.members if m.id == member_id), None)

    def officer(self, officer_id: str) -> Officer | None:
        return next((o for o in self.officers if o.id == officer_id), None)

    def independent_person(self, ip_id: str) -> IndependentPerson | None:
        return next((p for p in self.independent_persons if p.id == ip_id), None)

    def officers_with(self, role: Role) -> list[Officer]:
        return [o for o in self.officers if role in o.roles]

    def group_leader(self, council_id: str, group: str) -> Member | None:
        leader = next((g for g in self.group_leaders if g.council == council_id and g.group == group), None)
        return self.member(leader.member) if leader else None

    def hearing_council(self, council_id: str) -> str:
        """The council whose sub-committee hears a member of `council_id` (a parish's principal)."""
        council = self.council(council_id)
        if council and council.kind is CouncilKind.PARISH and council.principal:
            return council.principal
        return council_id


def load_roster(path: Path) -> Roster:
    """Read a roster from TOML (the CLI adds CSV import in its own module)."""
    with path.open("rb") as f:
        return Roster.model_validate(tomllib.load(f))
