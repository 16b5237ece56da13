"""OpenTelemetry spans around discoveries and requests, on with ``HUB_OTEL=1`` (docs/running.md#tracing).

Needs the ``hub-core[otel]`` extra. This module, and with it the OpenTelemetry SDK, is imported
only when tracing is on (FastAPI 0.16x imports ``opentelemetry-api`` itself, as a dependency of
its own). Spans carry names the hub chose (provider, target name, route template, outcome, an
error's class): never a URL, a query string, a header, a credential or an upstream message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub_core import __version__
from hub_core.metrics import METHODS
from hub_core.settings import HubSettings, SettingsError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

# hub-core is installed from its checkout (it is on no package index): name what pip can install.
INSTALL_HINT = "pip install '.[otel]' in the hub-core checkout, or pip install 'opentelemetry-sdk>=1.20'"
OTLP_HINT = "pip install opentelemetry-exporter-otlp-proto-http"


class Tracing:
    """The hub's tracer; ``Hub`` holds one when ``HUB_OTEL`` is on, else None."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self._own_provider: TracerProvider | None = None

    @classmethod
    def from_settings(cls, settings: HubSettings) -> Tracing | None:
        if not settings.otel:
            return None
        try:
            from opentelemetry import trace
        except ImportError:
            raise SettingsError(
                f"HUB_OTEL is on but OpenTelemetry is not installed: {INSTALL_HINT}, or unset HUB_OTEL."
            ) from None
        return cls(trace.get_tracer("hub_core", __version__))

    @contextmanager
    def discovery(self, provider: str, target: str) -> Iterator[Span]:
        """A span around one discovery attempt of ``provider``'s ``target``; its outcome is
        ``ok``, ``error`` (with ``error.type``, the class name only) or ``cancelled`` (the deadline)."""
        from opentelemetry.trace import SpanKind, StatusCode

        attributes = {"hub.provider": provider, "hub.target": target}
        # record_exception is off: an exception's message and traceback may quote the upstream.
        with self.tracer.start_as_current_span(
            "hub.discover",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield span
            except Exception as error:
                span.set_attributes({"hub.outcome": "error", "error.type": type(error).__name__})
                span.set_status(StatusCode.ERROR)
                raise
            except BaseException:
                span.set_attribute("hub.outcome", "cancelled")
                span.set_status(StatusCode.ERROR)
                raise
            span.set_attribute("hub.outcome", "ok")

    def install_provider(self, environ: Mapping[str, str] | None = None) -> None:
        """For the standalone app: when nothing set a tracer provider yet (``opentelemetry-instrument``
        or a host app may have), set the SDK's, exporting as ``OTEL_TRACES_EXPORTER`` says."""
        from opentelemetry import trace

        if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            return
        try:
            from opentelemetry.sdk.resources import SERVICE_NAME, Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            raise SettingsError(
                f"HUB_OTEL is on but the OpenTelemetry SDK is not installed: {INSTALL_HINT}, or unset HUB_OTEL."
            ) from None
        environ = os.environ if environ is None else environ
        exporters = span_exporters(environ)
        resource = Resource.create({SERVICE_NAME: environ.get("OTEL_SERVICE_NAME") or "hub-core"})
        provider = TracerProvider(resource=resource)
        for exporter in exporters:
            provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        self._own_provider = provider

    def shutdown(self) -> None:
        """Flush and stop the provider ``install_provider`` set, if it set one."""
        if self._own_provider is not None:
            self._own_provider.shutdown()


def span_exporters(environ: Mapping[str, str]) -> list[SpanExporter]:
    """The exporters ``OTEL_TRACES_EXPORTER`` names (``otlp``, the default, ``console`` or ``none``)."""
    names = [n.strip().lower() for n in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",") if n.strip()]
    exporters: list[SpanExporter] = []
    for name in names:
        if name == "none":
            continue
        if name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter())
        elif name == "otlp":
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            except ImportError:
                raise SettingsError(
                    f"HUB_OTEL: OTEL_TRACES_EXPORTER is otlp (the default), whose exporter is not installed: "
                    f"{OTLP_HINT}, or set OTEL_TRACES_EXPORTER=console or none."
                ) from None
            exporters.append(OTLPSpanExporter())  # reads OTEL_EXPORTER_OTLP_* itself
        else:
            raise SettingsError(f"HUB_OTEL: OTEL_TRACES_EXPORTER={name!r} is not one of otlp, console or none.")
    return exporters


class TracingMiddleware:
    """One server span per HTTP request, named by method and route template, continuing the
    caller's trace (``traceparent``). ``route_of`` maps a handled request's scope to its template."""

    def __init__(self, app: ASGIApp, tracing: Tracing, route_of: Callable[[Scope], str]) -> None:
        self.app = app
        self.tracer = tracing.tracer
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry.propagate import extract
        from opentelemetry.trace import SpanKind, StatusCode

        carrier = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        method = scope["method"] if scope["method"] in METHODS else "_OTHER"
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with self.tracer.start_as_current_span(
            f"{method} request",
            context=extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                await self.app(scope, receive, send_and_note)
            except BaseException as error:
                span.set_attribute("error.type", type(error).__name__)
                raise
            finally:
                route = self.route_of(scope)
                span.update_name(f"{method} {route}")
                span.set_attributes({"http.route": route, "http.response.status_code": status})
                if status >= 500:
                    span.set_status(StatusCode.ERROR)
