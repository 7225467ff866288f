"""Sections 3-4, the initial assessment: the tests it records, and the two referrals that take a
complaint out of the procedure for a while and may bring it back.

- Every assessment decision records the initial tests and the public interest test
  (`AssessmentTests`), whatever the outcome; decisions recorded before this decode with none.
- Referral to the county association of local councils (R3, section 4 "Parish Council Members":
  the complainant is a member of the same parish council as the subject member). The association
  either settles the complaint within the parish council (the case closes, outcome `referred`) or
  returns it to the Monitoring Officer, and the case is assessed again under the procedure.
- Referral to the police of a possible criminal offence, such as failing to register or disclose
  a disclosable pecuniary interest (s.34 Localism Act 2011; Code paragraph 9). No clock runs until
  the MO records the police's answer: no action by the police brings the case back to assessment;
  a caution or a charge closes it (outcome `referred`): the criminal process has dealt with it.

Light on imports: the payloads travel in workflow histories and the CLI imports the words.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from conduct.vocabulary import INITIAL_TEST_TITLES, InitialTest


class AssessmentTests(BaseModel):
    """The initial tests and the public interest test, as the MO applied them to this complaint."""

    failed: list[InitialTest] = Field(default=[], description="the initial tests not met; every other one is met")
    public_interest: bool = Field(
        description="the public interest test is met: there is an overriding public benefit in taking it further"
    )
    public_interest_reason: str = Field(min_length=1, description="why the public interest test is or is not met")

    @property
    def all_met(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        """The tests in words, one line each, for the decision letters and the record."""
        out = [("Not met: " if test in self.failed else "Met: ") + INITIAL_TEST_TITLES[test] for test in InitialTest]
        verdict = "met" if self.public_interest else "not met"
        out.append(f"The public interest test is {verdict}: {self.public_interest_reason.strip()}")
        return out


class PoliceAnswer(StrEnum):
    """What the police said they will do about a possible criminal offence."""

    NO_ACTION = "no_action"
    CAUTIONED = "cautioned"
    CHARGED = "charged"


# The police's answers that bring the complaint back to the Monitoring Officer's assessment; the
# others close it (the criminal process has dealt with the conduct).
POLICE_RETURNS = frozenset({PoliceAnswer.NO_ACTION})

POLICE_ANSWER_WORDS: dict[PoliceAnswer, str] = {
    PoliceAnswer.NO_ACTION: "the police will take no action",
    PoliceAnswer.CAUTIONED: "the police have given the councillor a caution",
    PoliceAnswer.CHARGED: "the police have charged the councillor with an offence",
}


class AssociationAnswer(StrEnum):
    """What the county association of local councils decided about a complaint referred to it."""

    RETURNED = "returned"
    SETTLED = "settled"


ASSOCIATION_ANSWER_WORDS: dict[AssociationAnswer, str] = {
    AssociationAnswer.RETURNED: (
        "the Association's panel considers the complaint serious enough to go through the council's procedure, "
        "and has returned it to the Monitoring Officer"
    ),
    AssociationAnswer.SETTLED: "the Association's panel has settled the complaint within the parish council",
}


def police_returns(answer: PoliceAnswer) -> bool:
    return answer in POLICE_RETURNS


class ReferralAnswer(BaseModel):
    """The answer of the body a complaint was referred to, as the MO recorded it."""

    body: str = Field(description="'police' or 'association'")
    outcome: str = Field(description="a PoliceAnswer or AssociationAnswer value")
    returned: bool = Field(description="the complaint came back to the Monitoring Officer's assessment")
    text: str
    officer: str
    at: datetime


def attendance_words(attended: bool | None, proceeded_in_absence: bool = False, reason: str = "") -> str:
    """R9 (Hearings appendix): whether the subject member attended, and if not, that the panel went on
    without them and why; empty for an outcome recorded before attendance was."""
    if attended is None:
        return ""
    if attended:
        return "The councillor attended the hearing."
    words = "The councillor did not attend the hearing."
    if proceeded_in_absence:
        words += (
            " The Sub-Committee decided to proceed in the councillor's absence and to reach its decision on the basis "
            "of the Investigating Officer's report and the evidence it heard"
        )
        words += f": {reason.strip()}" if reason.strip() else "."
    return words
