"""Prometheus metrics for the standalone app, served at ``/metrics``.

Label values are bounded: routes are templates (``/public/{provider}/endpoints``, or
``unmatched``), methods outside the standard set are ``other``, providers are installed
plugins and targets are the names in the configuration. No label or value holds a secret,
a raw path, a query or an upstream message. ``prometheus_client`` is imported only when
``create_app`` builds the metrics, so the CLI and ``import hub_core`` do not pay for it.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub_core.cache import SHARED_OPERATIONS

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
# Refreshes and upstream calls take tens of milliseconds to the deadline (10 s by default).
SLOW_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class HubMetrics:
    """The hub's metrics in a registry of their own (one per app, so apps in one process
    do not collide). The hub and its cache call the ``observe_*`` methods."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry: CollectorRegistry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # Every request passes here, the fast path's too: plain counts, turned into metric
        # families only when scraped (prometheus_client's own objects cost several times more).
        self.http = RequestCounts()
        r.register(self.http)
        self.lookups = LookupCounts()  # also on every request's path
        r.register(self.lookups)
        self.upstream_calls = Counter(
            "hub_upstream_calls", "Calls to a provider's upstream (one discovery attempt each), by outcome.",
            ["provider", "target", "outcome"], registry=r,
        )  # fmt: skip
        self.upstream_seconds = Histogram(
            "hub_upstream_call_duration_seconds", "Time one upstream call took.",
            ["provider", "target"], buckets=SLOW_BUCKETS, registry=r,
        )  # fmt: skip
        self.refresh_seconds = Histogram(
            "hub_refresh_duration_seconds", "Time one refresh of a target took (retries and waits included).",
            ["provider", "target", "outcome"], buckets=SLOW_BUCKETS, registry=r,
        )  # fmt: skip
        self.redis_fallbacks = Counter(
            "hub_redis_fallbacks", "Shared-cache (Redis) calls that failed or were skipped while it was down, "
            "so the hub served from its own memory, by operation.",
            ["operation"], registry=r,
        )  # fmt: skip
        # Labelled children are looked up once and kept: ``labels()`` costs more than ``inc()``.
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http.observe(method if method in METHODS else "other", route, status, seconds)

    def observe_upstream(self, key: str, seconds: float, ok: bool) -> None:
        provider, _, target = key.partition(":")
        self._child(self.upstream_calls, provider, target, "ok" if ok else "error").inc()
        self._child(self.upstream_seconds, provider, target).observe(seconds)

    def observe_lookup(self, key: str, result: str) -> None:
        counts = self.lookups.counts
        counts[key, result] = counts.get((key, result), 0) + 1

    def observe_refresh(self, key: str, seconds: float, ok: bool) -> None:
        provider, _, target = key.partition(":")
        self._child(self.refresh_seconds, provider, target, "ok" if ok else "error").observe(seconds)

    def observe_shared_fallback(self, operation: str) -> None:
        self._child(self.redis_fallbacks, operation if operation in SHARED_OPERATIONS else "other").inc()

    def watch_cache(self, circuits: Callable[[], dict[str, bool]], *, shared: bool) -> None:
        """Export the cache's circuit states (read when scraped); with a shared store, start
        every operation's fallback count at 0 so the series exist before the first outage."""
        self.registry.register(CircuitStates(circuits))
        if shared:
            for operation in SHARED_OPERATIONS:
                self._child(self.redis_fallbacks, operation)

    def render(self) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class RequestCounts:
    """``hub_http_requests_total`` and ``hub_http_request_duration_seconds``, as a collector.

    Updated from the event loop's thread only (the ASGI app), so no lock is taken.
    """

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}
        self.buckets: dict[str, list[float]] = {}  # route -> per-bucket counts (+Inf last), then the sum

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        row = self.buckets.get(route)
        if row is None:
            row = self.buckets[route] = [0.0] * (len(FAST_BUCKETS) + 2)
        row[bisect.bisect_left(FAST_BUCKETS, seconds)] += 1
        row[-1] += seconds

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        requests = CounterMetricFamily(
            "hub_http_requests", "HTTP requests answered, by route template and status.",
            labels=["method", "route", "status"],
        )  # fmt: skip
        for (method, route, status), count in sorted(self.counts.items()):
            requests.add_metric([method, route, str(status)], count)
        yield requests
        durations = HistogramMetricFamily(
            "hub_http_request_duration_seconds", "Time to answer an HTTP request, by route template.", labels=["route"]
        )
        for route, row in sorted(self.buckets.items()):
            cumulative: list[tuple[str, float]] = []
            running = 0.0
            for bound, hits in zip([*map(str, FAST_BUCKETS), "+Inf"], row[:-1], strict=True):
                running += hits
                cumulative.append((bound, running))
            durations.add_metric([route], cumulative, sum_value=row[-1])
        yield durations


class LookupCounts:
    """``hub_cache_lookups_total``, as a collector (event-loop thread only, like ``RequestCounts``)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}  # (cache key, result) -> count

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily

        lookups = CounterMetricFamily(
            "hub_cache_lookups", "Discovery-cache lookups: hit (fresh), stale (served while refreshing) or miss.",
            labels=["provider", "target", "result"],
        )  # fmt: skip
        for (key, result), count in sorted(self.counts.items()):
            provider, _, target = key.partition(":")
            lookups.add_metric([provider, target, result], count)
        yield lookups


class CircuitStates:
    """``hub_circuit_open``: 1 while the circuit breaker holds a target's refreshes, else 0."""

    def __init__(self, circuits: Callable[[], dict[str, bool]]) -> None:
        self.circuits = circuits

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        gauge = GaugeMetricFamily(
            "hub_circuit_open",
            "1 while a target's circuit breaker is open (refreshes paused after repeated failures), else 0.",
            labels=["provider", "target"],
        )
        for key, is_open in sorted(self.circuits().items()):
            provider, _, target = key.partition(":")
            gauge.add_metric([provider, target], 1.0 if is_open else 0.0)
        yield gauge


class MetricsMiddleware:
    """Counts every HTTP request by method, route template and status, and times it."""

    def __init__(self, app: ASGIApp, metrics: HubMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._template = RouteTemplate()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]  # before HeadAsGet turns a HEAD into a GET inside
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.metrics.observe_request(method, self._template(scope), status, time.perf_counter() - started)


class RouteTemplate:
    """A handled request's route template (``/public/{provider}/endpoints``), or ``unmatched``."""

    def __init__(self) -> None:
        self._templates: dict[Any, str] | None = None  # endpoint -> full path template

    def __call__(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return UNMATCHED
        if self._templates is None:
            self._templates = route_templates(scope.get("app"))
        template = self._templates.get(getattr(route, "endpoint", None)) or getattr(route, "path", None)
        return template if isinstance(template, str) else UNMATCHED


def route_templates(app: Any) -> dict[Any, str]:
    """Each endpoint's full path template. Newer FastAPI keeps included routers nested (the
    matched route's own ``path`` lacks their prefixes); older FastAPI flattens them."""
    routes = list(getattr(app, "routes", []))
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # FastAPI before nested routers: the routes carry their full paths
        contexts: list[Any] = routes
    else:
        contexts = list(iter_route_contexts(routes))
    templates: dict[Any, str] = {}
    for context in contexts:
        endpoint, path = getattr(context, "endpoint", None), getattr(context, "path", None)
        if endpoint is not None and isinstance(path, str):
            templates.setdefault(endpoint, path)
    return templates


def metrics_endpoint(metrics: HubMetrics) -> Any:
    async def serve_metrics() -> Response:
        return metrics.render()

    return serve_metrics
