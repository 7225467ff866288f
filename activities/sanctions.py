"""Activities of the SanctionFollowUp workflow (workflows/sanction.py): the register's mirror of a
follow-up, and the training register's answer on a course. Letters go through `send_letter`.
Referred to by name only; never imported into a workflow."""

from __future__ import annotations

from temporalio import activity

from activities.notifications import LetterActivities, while_alive
from conduct import sanction_register
from conduct.sanctions import FollowUpState, TrainingCheck, TrainingMet


class SanctionActivities:
    """Shares the letter activities' register engine and thread pool."""

    def __init__(self, letters: LetterActivities) -> None:
        self.engine = letters.engine
        self.executor = getattr(letters, "executor", None)

    def _mirror(self, state: FollowUpState) -> None:
        sanction_register.mirror(self.engine, state)

    def _check(self, check: TrainingCheck) -> TrainingMet:
        return sanction_register.course_met(self.engine, check.members, check.course, check.since)

    @activity.defn(name="sync_sanction")
    async def sync_sanction(self, state: FollowUpState) -> None:
        await while_alive(self._mirror, state, self.executor)

    @activity.defn(name="sanction_training_check")
    async def sanction_training_check(self, check: TrainingCheck) -> TrainingMet:
        return await while_alive(self._check, check, self.executor)

    def activities(self) -> list:
        return [self.sync_sanction, self.sanction_training_check]
