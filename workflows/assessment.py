"""Sections 3-4 in the workflow: the referrals that take a complaint out of the procedure for a
while (a mixin of ComplaintWorkflow, like workflows/handled.py). The rules are
conduct/assessment_rules.py; the models and words conduct/assessment.py.

- Referral to the county association (R3, parish members): the case waits at `with_association`
  for the association's answer: returned, it is assessed again (an IP consulted afresh, the
  assessment clock from the day it came back); settled, it closes as `referred`. Patch
  `association-return`: older cases closed at the referral itself.
- Referral to the police (a possible criminal offence, Code paragraph 9): the case waits at
  `with_police`, no clock running, until the MO records the police's answer: no action brings it
  back to assessment; a caution or a charge closes it as `referred`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct.addressees import Addressees
    from conduct.assessment import (
        ASSOCIATION_ANSWER_WORDS,
        POLICE_ANSWER_WORDS,
        AssociationAnswer,
        ReferralAnswer,
        police_returns,
    )
    from conduct.case import CaseState
    from conduct.letters import LetterTemplate
    from conduct.vocabulary import AssessmentOutcome, ClockName, Outcome, Role, Stage
    from workflows.clocks import Clocks
    from workflows.post import Post

ASSOCIATION_PATCH = "association-return"


def tests_lines(decision: a.Assess) -> list[str]:
    """The initial tests and the public interest test in words, for the decision letters."""
    return decision.tests.lines() if decision.tests else []


class AssessmentActions:
    state: CaseState
    clocks: Clocks
    post: Post
    _to: Addressees
    _log: Callable[..., None]
    _set_stage: Callable[..., None]
    _close: Callable[[Outcome], Awaitable[None]]
    _step: Callable[..., Any]

    async def _refer_to_association(self, d: a.Assess) -> str:
        """Section 4: the complainant is told of the decision and the reasons (the subject too, as before)."""
        await self.post.send(LetterTemplate.DECISION_REFERRED, self._to.parties(), text=d.reasons, tests=tests_lines(d))
        self._set_stage(Stage.WITH_ASSOCIATION)
        return (
            f"referred to the county association of local councils; record its answer with "
            f"`conduct association-answer {self.state.reference} --outcome returned|settled --text TEXT`"
        )

    async def _refer_to_police(self, d: a.Assess) -> str:
        """A possible criminal offence: the parties and the MO are told; no clock runs meanwhile."""
        recipients = self._to.parties() + self._to.officers(Role.MONITORING_OFFICER)
        await self.post.send(LetterTemplate.DECISION_POLICE, recipients, text=d.reasons, tests=tests_lines(d))
        self._set_stage(Stage.WITH_POLICE)
        return (
            f"referred to the police; the case waits, no clock running, until `conduct police-answer "
            f"{self.state.reference} --outcome no-action|cautioned|charged --text TEXT`"
        )

    async def _referral_answer(self, route: AssessmentOutcome) -> bool:
        """The answer of the body the case went to. True when the case comes back to be assessed."""
        police = route is AssessmentOutcome.POLICE
        action = a.Action.POLICE_ANSWER if police else a.Action.ASSOCIATION_ANSWER
        kind = a.RecordPoliceAnswer if police else a.RecordAssociationAnswer
        async with self._step(action, kind) as step:
            p = step.payload
            if isinstance(p, a.RecordPoliceAnswer):
                body, returned, words = "police", police_returns(p.outcome), POLICE_ANSWER_WORDS[p.outcome]
                template = LetterTemplate.POLICE_ANSWER
                recipients = self._to.parties() + self._to.officers(Role.MONITORING_OFFICER)
            else:
                returned = p.outcome is AssociationAnswer.RETURNED
                body, words = "association", ASSOCIATION_ANSWER_WORDS[p.outcome]
                template, recipients = LetterTemplate.ASSOCIATION_ANSWER, self._to.parties()
            self.state.referral_answers.append(
                ReferralAnswer(
                    body=body, outcome=p.outcome.value, returned=returned, text=p.text, officer=p.officer,
                    at=workflow.now(),
                )
            )  # fmt: skip
            then = "back to assessment" if returned else "closed"
            self._log(
                f"{body}_{'returned' if returned else 'answered'}", f"{body} answered: {words}; {then}", p.officer
            )
            await self.post.send(template, recipients, text=p.text, answer=words, returned=returned)
            if not returned:
                await self._close(Outcome.REFERRED)
                step.message = f"{words}: the case is closed"
                return False
            if self.state.assessment is not None:
                self.state.earlier_assessments.append(self.state.assessment)
                self.state.assessment = None
            self._set_stage(Stage.ASSESSMENT)
            clock = await self.clocks.start(ClockName.ASSESSMENT, workflow.now())
            step.message = (
                f"{words}: back to assessment, due {clock.due.isoformat()}; consult an Independent Person again, "
                "then assess"
            )
            return True
