"""Keeping the record of a case (issue 16) and conflicts of interest (R16, issue 14): what the case
holds of them. Internal notes (never sent), the reason a lapsed clock was late, one-off letters to a
party, and the officers recorded as conflicted.

Pure models with defaults, so a case state from before them still reads. The payloads of the
actions are conduct/record_actions.py; their rules conduct/record_rules.py.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from conduct.vocabulary import ClockName, RecipientRole


class LetterParty(StrEnum):
    """Who a one-off letter (`conduct letter --to`) may go to."""

    COMPLAINANT = "complainant"
    SUBJECT = "subject"  # every subject member of the case
    INVESTIGATOR = "investigator"  # the appointed Investigating Officer
    GROUP_LEADER = "group_leader"  # the subject members' Group Leaders
    COMMITTEE_CHAIR = "committee_chair"  # the standards committee's chair (vice-chair if the chair is a subject)
    PARISH_CLERK = "parish_clerk"  # a parish case's clerk


# The recipient role each party's letter carries (conduct/addressees.py), for the correspondence log.
PARTY_ROLES: dict[LetterParty, RecipientRole] = {
    LetterParty.COMPLAINANT: RecipientRole.COMPLAINANT,
    LetterParty.SUBJECT: RecipientRole.SUBJECT_MEMBER,
    LetterParty.INVESTIGATOR: RecipientRole.INVESTIGATING_OFFICER,
    LetterParty.GROUP_LEADER: RecipientRole.GROUP_LEADER,
    LetterParty.COMMITTEE_CHAIR: RecipientRole.COMMITTEE_CHAIR,
    LetterParty.PARISH_CLERK: RecipientRole.PARISH_CLERK,
}


class CaseNote(BaseModel):
    """An internal note: on the case and in its history, never in a letter. A note may instead
    give the reason a lapsed clock was late (`delay_reason`), which reviews show beside the lapse."""

    at: datetime
    officer: str
    text: str = ""
    delay_reason: str = ""
    clock: ClockName | None = Field(default=None, description="the lapsed clock a delay reason explains")


class SentLetter(BaseModel):
    """A one-off letter an officer wrote to a party; the letters sent are in CaseState.letters."""

    at: datetime
    officer: str
    to: LetterParty
    text: str


class Conflict(BaseModel):
    """R16: `officer` takes no part in the case; recorded by the MO or a deputy, with a reason."""

    officer: str
    reason: str
    recorded_by: str
    at: datetime


def party_words(party: LetterParty | str) -> str:
    return {"subject": "subject member"}.get(str(party), str(party).replace("_", " "))
