"""Payloads of the record-keeping actions (`note`, `letter`, `unlink`) and of `conflict` (R16).
Each is one Temporal update on the complaint workflow, like those of conduct/actions.py."""

from __future__ import annotations

from pydantic import Field, model_validator

from conduct.actions import OfficerAction
from conduct.record import LetterParty
from conduct.vocabulary import ClockName

REFERENCE_PATTERN = r"^[A-Z]{2,6}-\d{4}-\d{4,}$"


class AddNote(OfficerAction):
    """An internal note (`text`), or the reason a lapsed clock was late (`delay_reason`)."""

    text: str = Field(default="", description="the note: on the case and in its history, never sent")
    delay_reason: str = Field(default="", description="why a lapsed clock was late: shown in reviews")
    clock: ClockName | None = Field(default=None, description="the lapsed clock; default: the one that lapsed")

    @model_validator(mode="after")
    def _one_kind(self) -> AddNote:
        if bool(self.text.strip()) == bool(self.delay_reason.strip()):
            raise ValueError("give either the note's text or a delay reason, not both")
        if self.clock is not None and not self.delay_reason.strip():
            raise ValueError("a clock goes with a delay reason")
        return self


class SendLetter(OfficerAction):
    to: LetterParty
    text: str = Field(min_length=1, description="the letter's text, sent to the party")


class RecordConflict(OfficerAction):
    conflicted: str = Field(min_length=1, description="the officer who takes no part in the case")
    reason: str = Field(min_length=1)


class Unlink(OfficerAction):
    other_reference: str = Field(pattern=REFERENCE_PATTERN)
    reason: str = Field(min_length=1)
