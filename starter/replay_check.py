"""`conduct replay-check`: would the workflow code in this checkout carry on every open case?

Fetches the history of every running complaint from Temporal and replays it against this
checkout's workflows with the production data converter and codec (the client's), as a worker
of the new build would when each case next wakes. Run it before every deploy (README
"Upgrading"): a case that does not replay would fail its next workflow task and wait, stuck,
until compatible code is deployed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHistory
    from temporalio.runtime import Runtime

RUNNING_CASES = "WorkflowType='Complaint' AND ExecutionStatus='Running'"
REASON_LIMIT = 300


class Verdict(StrEnum):
    OK = "ok"
    NON_DETERMINISTIC = "non-deterministic"
    FAILED = "failed"  # could not be replayed at all, e.g. a payload no configured key decrypts


class CaseReplay(BaseModel):
    reference: str
    workflow_id: str
    run_id: str
    verdict: Verdict
    reason: str = ""


class ReplayReport(BaseModel):
    cases: list[CaseReplay]

    @property
    def ok(self) -> bool:
        return all(case.verdict is Verdict.OK for case in self.cases)

    def count(self, verdict: Verdict) -> int:
        return sum(case.verdict is verdict for case in self.cases)

    def total(self) -> str:
        counts = ", ".join(f"{self.count(v)} {v.value}" for v in Verdict if self.count(v) or v is Verdict.OK)
        return f"{len(self.cases)} running case{'s' if len(self.cases) != 1 else ''} replayed: {counts}"


def _reference(workflow_id: str) -> str:
    return workflow_id.removeprefix("complaint-")


def _reason(error: Exception) -> str:
    """One line of the replay failure: the SDK's messages name commands and event ids, not case
    data. Core's non-determinism failures wrap the message that says what differs; keep that."""
    text = " ".join(str(error).split()) or type(error).__name__
    inner = re.search(r'message: "((?:[^"\\]|\\.)*)"', text)
    if inner:
        text = inner.group(1)
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 1] + "…"


def verdict_of(workflow_id: str, run_id: str, error: Exception | None) -> CaseReplay:
    from temporalio.workflow import NondeterminismError

    if error is None:
        verdict = Verdict.OK
    elif isinstance(error, NondeterminismError):
        verdict = Verdict.NON_DETERMINISTIC
    else:
        verdict = Verdict.FAILED
    reason = "" if error is None else _reason(error)
    return CaseReplay(
        reference=_reference(workflow_id), workflow_id=workflow_id, run_id=run_id, verdict=verdict, reason=reason
    )


def _quiet_runtime() -> Runtime:
    """SDK core logs each failed replay as a warning with its details; the report says it once."""
    from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    return Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet)))


async def replay_running_cases(
    client: Client, workflows: Sequence[type] | None = None, query: str = RUNNING_CASES
) -> ReplayReport:
    """Replay every running case's history against `workflows` (this checkout's, by default)
    with the client's data converter: the production converter and codec."""
    from temporalio.worker import Replayer

    if workflows is None:
        from worker import WORKFLOWS

        workflows = WORKFLOWS
    replayer = Replayer(
        workflows=workflows,
        data_converter=client.data_converter,
        namespace=client.namespace,
        runtime=_quiet_runtime(),
    )
    histories: AsyncIterator[WorkflowHistory] = client.list_workflows(query).map_histories()
    cases = []
    async with replayer.workflow_replay_iterator(histories) as results:
        async for result in results:
            history = result.history
            cases.append(verdict_of(history.workflow_id, history.run_id, result.replay_failure))
    return ReplayReport(cases=sorted(cases, key=lambda c: c.reference))


def render(report: ReplayReport) -> None:
    from starter.output import esc, out

    console = out()
    width = max((len(case.reference) for case in report.cases), default=0)
    for case in report.cases:
        if case.verdict is Verdict.OK:
            console.print(f"{esc(case.reference):{width}}  [green]ok[/green]", soft_wrap=True)
        else:
            line = f"{esc(case.reference):{width}}  [red]{case.verdict.value}[/red]: {esc(case.reason)}"
            console.print(line, soft_wrap=True)
    style = "green" if report.ok else "red"
    console.print(f"[{style}]{esc(report.total())}[/{style}]", soft_wrap=True)


def report_json(report: ReplayReport) -> dict[str, object]:
    return {
        "ok": report.ok,
        "cases": [case.model_dump(mode="json") for case in report.cases],
        "total": len(report.cases),
        "counts": {verdict.value: report.count(verdict) for verdict in Verdict},
    }


def command(as_officer: str | None, json_: bool) -> None:
    """The work of `conduct replay-check`: MO or deputy only; exit 1 when any case would not
    replay (or Temporal cannot be reached), 0 when every running case replays."""
    import typer

    from conduct.settings import get_settings
    from starter import officer, output, session

    settings = get_settings()
    who = officer.identify(settings, as_officer)
    if not officer.ROSTER_KEEPERS & set(who.roles):
        output.fail(output.Exit.REFUSED, f"{who.id} cannot run the replay check: it needs monitoring_officer or deputy")
    report = session.run(settings, replay_running_cases)
    if json_:
        output.emit_json(report_json(report))
    else:
        render(report)
    if not report.ok:
        raise typer.Exit(int(output.Exit.ERROR))
