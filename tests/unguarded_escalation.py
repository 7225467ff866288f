"""The weekly re-escalation as it would be without its `workflow.patched` guard: a case that had
already lapsed when the new code arrived would start a timer its history never had."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct.case import CaseState, Clock
    from conduct.intake import StartComplaint
    from workflows.clocks import Clocks, Due
    from workflows.complaint import ComplaintWorkflow


class UnguardedClocks(Clocks):
    def _next_due(self, clock: Clock) -> tuple[Due, object] | None:  # type: ignore[override]
        if clock.lapsed:
            since = clock.escalated_at or clock.lapses_at
            return Due.STILL_LAPSED, since + timedelta(days=self.procedure.escalation_repeat_days)
        return super()._next_due(clock)


@workflow.defn(name="Complaint")
class UnguardedEscalationWorkflow(ComplaintWorkflow):
    @workflow.init
    def __init__(self, start: StartComplaint) -> None:
        super().__init__(start)
        self.clocks.__class__ = UnguardedClocks

    @workflow.run
    async def run(self, start: StartComplaint) -> CaseState:  # type: ignore[override]
        return await super().run(start)  # type: ignore[return-value]
