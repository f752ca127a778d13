"""Operations: readiness and Prometheus metrics from a per-app registry.

Metrics are created in the app factory (:func:`install_metrics`), never at import time, so two
apps in one process (tests) do not share or clash. Request counts and latencies come from an
ASGI middleware; intake outcomes and open cases are read from the database at scrape time, so
they are right whichever process ingested the events.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as render
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.container import Container
from api.deps import ContainerDep
from api.live import LiveHub
from api.schemas_resources import ReadyPublic
from models import Case, SceneEventRecord

router = APIRouter(tags=["system"])


@dataclass
class ApiMetrics:
    """The app's metrics and their registry."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram


class _DbCollector(Collector):
    """Intake outcomes, cases per state and live-feed figures, computed at scrape time."""

    def __init__(self, container: Container, hub: LiveHub) -> None:
        self.container, self.hub = container, hub

    def collect(self) -> Iterator[Metric]:
        intake = CounterMetricFamily(
            "smartscene_intake_events", "Scene events received, by outcome.", labels=["outcome"]
        )
        cases = GaugeMetricFamily("smartscene_cases", "Cases by state.", labels=["state"])
        with self.container.sessions() as session:
            outcomes = select(SceneEventRecord.outcome, func.count()).group_by(
                SceneEventRecord.outcome
            )
            for outcome, n in session.execute(outcomes):
                intake.add_metric([outcome], n)
            for state, n in session.execute(select(Case.state, func.count()).group_by(Case.state)):
                cases.add_metric([state], n)
        yield intake
        yield cases
        yield GaugeMetricFamily(
            "smartscene_live_subscribers", "Live-feed clients connected.",
            value=self.hub.subscriber_count,
        )  # fmt: skip
        yield CounterMetricFamily(
            "smartscene_live_events", "Events fanned out by the live hub.", value=self.hub.last_id
        )


class MetricsMiddleware:
    """Counts requests by method, route template and status, and times them."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)


def install_metrics(app: FastAPI, container: Container, hub: LiveHub) -> ApiMetrics:
    """Create the app's registry and metrics and add the middleware."""
    registry = CollectorRegistry()
    metrics = ApiMetrics(
        registry=registry,
        requests=Counter(
            "smartscene_http_requests", "HTTP requests.", ["method", "route", "status"],
            registry=registry,
        ),
        latency=Histogram(
            "smartscene_http_request_duration_seconds", "HTTP request latency.",
            ["method", "route"], registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        ),
    )  # fmt: skip
    registry.register(_DbCollector(container, hub))
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return metrics


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
def prometheus_metrics(request: Request) -> Response:
    """Prometheus metrics of this app."""
    metrics: ApiMetrics = request.app.state.metrics
    return Response(render(metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/ready", response_model=ReadyPublic, responses={503: {"model": ReadyPublic}})
def ready(request: Request, container: ContainerDep) -> ReadyPublic | JSONResponse:
    """Ready to serve: database reachable and, when background loops run, the live hub alive."""
    hub: LiveHub = request.app.state.live_hub
    checks = {"database": container.database_ok()}
    if request.app.state.run_background:
        checks["live_hub"] = hub.running
    body = ReadyPublic(status="ready" if all(checks.values()) else "not_ready", checks=checks)
    if body.status != "ready":
        return JSONResponse(body.model_dump(), status_code=503)
    return body
