"""What a roster file may say: the strict reading of a roster, used where a roster enters the
system (`conduct roster import`, the examples). A misplaced key is an error here, addresses must
be ones the letters can be sent to, and every reference must resolve.

Each entry model is the history model of conduct/roster.py with `extra="forbid"` and the checks
of a file; fields added to a history model are inherited. The result is always a plain `Roster`:
the strictness stays at the door and never reaches a case's history.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, model_validator

from conduct.email_address import MailAddress
from conduct.report_levels import ReportLevel
from conduct.roster import (
    Committee,
    Contact,
    Council,
    GroupLeader,
    Identifier,
    IndependentPerson,
    Member,
    Membership,
    Officer,
    Roster,
)
from conduct.vocabulary import Role

_FORBID = ConfigDict(extra="forbid")


class ContactEntry(Contact):
    model_config = _FORBID

    name: str = Field(min_length=1)
    email: MailAddress


class ReportLevelEntry(ReportLevel):
    model_config = _FORBID


class CouncilEntry(Council):
    model_config = _FORBID

    id: Identifier = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    code: str = Field(pattern=r"^[A-Z]{2,6}$", description="prefix of case references, e.g. WBC")
    committee_chair: ContactEntry | None = None
    vice_chair: ContactEntry | None = Field(default=None, description="advised when the chair is a subject (R6)")
    clerk: ContactEntry | None = Field(default=None, description="parish clerk, told of decisions (R11)")
    report_levels: list[ReportLevelEntry] = Field(
        default=[], description="columns of the Group Leaders' yearly report; empty: the nation's defaults"
    )


class CommitteeEntry(Committee):
    model_config = _FORBID


class MembershipEntry(Membership):
    model_config = _FORBID


class MemberEntry(Member):
    model_config = _FORBID

    email: MailAddress
    memberships: list[MembershipEntry] = Field(
        default=[], description="other councils they also sit on (dual-hatted), each with their group there"
    )


class GroupLeaderEntry(GroupLeader):
    model_config = _FORBID


class IndependentPersonEntry(IndependentPerson):
    model_config = _FORBID

    email: MailAddress


class OfficerEntry(Officer):
    model_config = _FORBID

    email: MailAddress
    roles: list[Role] = Field(min_length=1)
    login: str | None = Field(default=None, min_length=1, max_length=320, pattern=r"^\S+$")


class RosterFile(Roster):
    model_config = _FORBID

    councils: list[CouncilEntry] = []
    members: list[MemberEntry] = []
    group_leaders: list[GroupLeaderEntry] = []
    independent_persons: list[IndependentPersonEntry] = []
    officers: list[OfficerEntry] = []
    committees: list[CommitteeEntry] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> RosterFile:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self


# One entry model per list of a roster file (the CSV reader checks each line with it).
ENTRIES = {
    "councils": CouncilEntry,
    "members": MemberEntry,
    "group_leaders": GroupLeaderEntry,
    "independent_persons": IndependentPersonEntry,
    "officers": OfficerEntry,
    "committees": CommitteeEntry,
}


def roster_from_data(data: Any) -> Roster:
    """The roster a file's data describes, checked strictly; pydantic's ValidationError if not."""
    return Roster.model_validate(RosterFile.model_validate(data).model_dump())


def load_roster(path: Path) -> Roster:
    """Read a roster from TOML, checked as strictly as an import (the CLI adds CSV and JSON)."""
    with path.open("rb") as f:
        return roster_from_data(tomllib.load(f))
