"""The worker's metrics: the Temporal SDK's own telemetry plus the letters sent and failed, all on
one Prometheus endpoint (`CONDUCT_WORKER_METRICS_PORT`, off when 0).

The letters are counted through the activity's metric meter, so they share the SDK's endpoint and
cost nothing when metrics are off (the SDK hands out a no-op meter then). They are counted at the
activity boundary by `LetterMetrics`, a client-and-worker interceptor that `worker.run()` puts on
its client, so the sending code needs no change: an activity whose input is a letter (or a batch
of letters) that returns a receipt counts as sent (a receipt marked `duplicate` is a letter sent
earlier and is not counted again); one that raises counts as failed, `permanent="true"` when the
error is non-retryable. Every failed attempt counts: a letter that fails twice and then goes
counts two failures and one letter sent.

No personal data in labels: only the template name (and the SDK's namespace, task queue and
activity type).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from temporalio import activity
from temporalio.client import Interceptor as ClientInterceptor
from temporalio.exceptions import ApplicationError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput
from temporalio.worker import Interceptor as WorkerInterceptor

from conduct.letters import LetterBatch, LetterReceipt, LetterRequest
from conduct.settings import Settings

LETTERS_SENT = "conduct_letters_sent"
LETTERS_FAILED = "conduct_letters_failed"
BATCH = "(batch)"  # the template label of a failed batch: which of its letters failed is not known here


def worker_runtime(settings: Settings) -> Runtime | None:
    """A runtime exporting the SDK's metrics on `worker_metrics_host:worker_metrics_port`, or None
    (the SDK's default runtime, no metrics) when the port is 0. Durations are in seconds, as
    Prometheus expects. Binding fails at once if the port is taken."""
    if not settings.worker_metrics_port:
        return None
    address = f"{settings.worker_metrics_host}:{settings.worker_metrics_port}"
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address, durations_as_seconds=True)))


def letter_sent(template: str) -> None:
    """Count one letter handed to the mail service. A no-op outside an activity or with metrics off."""
    if activity.in_activity():
        activity.metric_meter().create_counter(LETTERS_SENT, "letters handed to the mail service").add(
            1, {"template": template}
        )


def letter_failed(template: str, permanent: bool) -> None:
    """Count one failed attempt to send a letter; `permanent` when retrying cannot help."""
    if activity.in_activity():
        activity.metric_meter().create_counter(LETTERS_FAILED, "failed attempts to send a letter").add(
            1, {"template": template, "permanent": "true" if permanent else "false"}
        )


def _letters_in(args: Iterable[Any]) -> list[LetterRequest] | None:
    for arg in args:
        if isinstance(arg, LetterRequest):
            return [arg]
        if isinstance(arg, LetterBatch):
            return list(arg.requests)
    return None


def _template(request: LetterRequest) -> str:
    return str(getattr(request.template, "value", request.template))


class _LetterActivityMetrics(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        letters = _letters_in(input.args)
        if letters is None:
            return await self.next.execute_activity(input)
        try:
            result = await self.next.execute_activity(input)
        except Exception as err:
            permanent = isinstance(err, ApplicationError) and err.non_retryable
            letter_failed(_template(letters[0]) if len(letters) == 1 else BATCH, permanent)
            raise
        receipts = result if isinstance(result, list) else [result]
        for receipt in receipts:
            if isinstance(receipt, LetterReceipt) and not receipt.duplicate:
                letter_sent(str(getattr(receipt.template, "value", receipt.template)))
        return result


class LetterMetrics(ClientInterceptor, WorkerInterceptor):
    """Counts letters sent and failed in every worker built on a client that carries it."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _LetterActivityMetrics(next)
