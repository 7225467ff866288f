"""A complaint workflow whose clock watcher fails, to prove a failed watcher fails the workflow
task (so Temporal retries it until a fix is deployed) instead of being only logged."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct.case import CaseState, Clock
    from conduct.intake import StartComplaint
    from workflows.clocks import Due
    from workflows.complaint import ComplaintWorkflow


@workflow.defn(name="Complaint")
class BrokenClockWorkflow(ComplaintWorkflow):
    @workflow.init
    def __init__(self, start: StartComplaint) -> None:
        super().__init__(start)

    @workflow.run
    async def run(self, start: StartComplaint) -> CaseState:
        return await super().run(start)

    async def _clock_due(self, clock: Clock, due: Due) -> None:
        raise RuntimeError(f"watcher bug at the {clock.name.value} {due.value}")
