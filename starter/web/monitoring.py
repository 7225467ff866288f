"""The web app's /readyz and /metrics (its /healthz, process alive, is in app.py).

/readyz answers 200 "ready" when the case register and Temporal both answer, else 503 with one
line naming what is down: a load balancer stops sending complaints to an instance that could not
open them. /metrics is the register's gauges (conduct.health) for Prometheus, behind a bearer
token when CONDUCT_METRICS_TOKEN is set.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from fastapi import APIRouter, Header
from fastapi.responses import PlainTextResponse, Response

from conduct import health

if TYPE_CHECKING:
    from starter.web.app import WebState

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def monitoring_router(state: WebState) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    timeout = min(state.config.temporal_timeout_seconds, 5.0)  # a probe should not hang

    @router.api_route("/readyz", methods=["GET", "HEAD"])
    async def readyz() -> Response:
        problem = await health.register_problem(state.engine, timeout) or await health.temporal_problem(
            state.client, timeout
        )
        if problem:
            return PlainTextResponse(f"not ready: {problem}\n", status_code=503, headers={"cache-control": "no-store"})
        return PlainTextResponse("ready\n", headers={"cache-control": "no-store"})

    @router.get("/metrics")
    async def metrics(authorization: str | None = Header(default=None)) -> Response:
        token = state.settings.metrics_token
        if token and not hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode()):
            return PlainTextResponse(
                "a bearer token is required\n", status_code=401, headers={"www-authenticate": "Bearer"}
            )
        gauges = await health.register_gauges(state.engine, timeout)
        return Response(health.exposition(gauges), media_type=PROMETHEUS_TEXT, headers={"cache-control": "no-store"})

    return router
