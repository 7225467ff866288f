"""Channels and receipt (issue 14): how a complaint arrived, and letters to parties who have only a
postal address.

A complaint arrives online (the web form or a council's signed webhook) or is recorded by the MO
from its paper or e-mail original, or from a visit (`conduct receive`). A party without an e-mail
address gets their letters on paper: the letter activity renders the letter to PDF and puts it in
the print queue (conduct/print_queue.py) instead of mailing it, and `conduct print-queue
--mark-posted` records the day it went out.

A clock that runs from a letter to a party (LETTER_CLOCKS) counts from the day that letter is
posted: while a letter it depends on waits in the print queue, the clock waits (no reminder, no
lapse); `letter_posted` starts it afresh from the posting day (the latest, when several parties
are written to by post). Pure: the workflow imports this module.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from conduct.actions import OfficerAction
from conduct.calendar import london_date
from conduct.case import CaseState, LetterRecord
from conduct.channels import CHANNEL_WORDS, Channel  # noqa: F401  (re-exported)
from conduct.letters import LetterTemplate
from conduct.vocabulary import ClockName, RecipientRole

# The oldest `conduct receive --received-on` takes: a letter may sit in a post room, or a complaint
# be found in an officer's inbox, for weeks; a receipt older than this is a mistyped date (a case
# recorded so late must say so in a note, and is opened on the day it is recorded instead).
RECEIVED_ON_MAX_DAYS = 90


# A clock that runs from a letter to a party: it counts from the day that party's letter is posted.
_PARTIES = frozenset({RecipientRole.COMPLAINANT, RecipientRole.SUBJECT_MEMBER})
LETTER_CLOCKS: dict[LetterTemplate, tuple[ClockName, frozenset[RecipientRole]]] = {
    LetterTemplate.CONFIDENTIALITY_REFUSED: (ClockName.CONFIDENTIALITY, _PARTIES),  # R18: the time to withdraw
    LetterTemplate.DRAFT_REPORT: (ClockName.COMMENT_PERIOD, _PARTIES),  # R7: 14 days for comments
    # R9: the subject member's written response (a roster member has an e-mail today; ready for one without)
    LetterTemplate.REFERRED_TO_HEARING: (ClockName.SUBJECT_RESPONSE, frozenset({RecipientRole.SUBJECT_MEMBER})),
}


def clock_waiting_for(template: LetterTemplate, role: RecipientRole) -> ClockName | None:
    """The clock that counts from this letter to this recipient, if any."""
    clock, roles = LETTER_CLOCKS.get(template, (None, frozenset()))
    return clock if role in roles else None


class LetterPosted(OfficerAction):
    """A letter from the print queue was posted on `on` (`conduct print-queue --mark-posted`)."""

    key: str = Field(min_length=1, max_length=400, description="the letter's idempotency key")
    on: date


def address_lines(address: str) -> list[str]:
    """A postal address as envelope lines: one per line given, or split at commas when given on one."""
    lines = [line.strip() for line in address.replace("\r", "\n").split("\n") if line.strip()]
    if len(lines) == 1:
        lines = [part.strip() for part in lines[0].split(",") if part.strip()]
    return lines


def letter(case: CaseState, key: str) -> LetterRecord | None:
    return next((r for r in case.letters if r.key == key), None)


def posted_refusal(case: CaseState, p: LetterPosted, today: date) -> str | None:
    """Only a letter of this case that went to the print queue, once, on a day from its queuing to today."""
    record = letter(case, p.key)
    if record is None or not record.by_post:
        return "no letter of this case with that key waits in the print queue"
    if record.posted_on is not None:
        return f"that letter was already recorded as posted on {record.posted_on.isoformat()}"
    queued = london_date(record.sent_at)
    if p.on > today:
        return f"the posting day {p.on.isoformat()} is in the future"
    if p.on < queued:
        return f"the letter was put in the print queue on {queued.isoformat()}: it cannot be posted before"
    return None


def waiting_letters(case: CaseState) -> list[LetterRecord]:
    """Letters of the case in the print queue, not yet recorded as posted."""
    return [r for r in case.letters if r.by_post and r.posted_on is None]
