"""Build the standalone app, or mount the hub into an existing FastAPI app."""

from __future__ import annotations

import gc
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.params import Depends
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import Scope

from hub_core import __version__
from hub_core.api import litellm_export, page, public, v1
from hub_core.api.bodies import RequestBodyLimit
from hub_core.api.compression import Compress
from hub_core.api.deps import API_PREFIX_KEY, DEFAULT_API_PREFIX, HUB_STATE_KEY
from hub_core.api.docs import install_offline_docs
from hub_core.api.fastpath import PATH as FAST_PATH
from hub_core.api.fastpath import ModelHubFastPath
from hub_core.api.head import HeadAsGet
from hub_core.api.problems import HubRoutes, entered_hub_code, install_problem_handlers
from hub_core.api.schema import install_honest_openapi
from hub_core.hub import Hub
from hub_core.logs import configure_logging, redact_library_logs
from hub_core.metrics import HubMetrics, MetricsMiddleware, RouteTemplate, metrics_endpoint
from hub_core.security import (
    SECURITY_PROBLEM_RESPONSES,
    api_key_dependency,
    refuse_credentials_in_query,
    route_path,
)
from hub_core.settings import HubSettings

logger = logging.getLogger("hub_core.app")


def build_router(
    hub: Hub,
    dependencies: Sequence[Depends] | None = None,
    *,
    prefix: str = DEFAULT_API_PREFIX,
    routes: HubRoutes | None = None,
) -> APIRouter:
    """The hub's routes plus each provider's own routes, under ``dependencies``.

    The API is mounted at ``prefix`` (``/public``): ``{prefix}/model_hub``, ``{prefix}/v1/model_hub``,
    ``{prefix}/<provider>/...``; the page stays at ``/hub``. Every API route refuses credentials
    and upstream URLs in its query string. ``dependencies`` (a gateway's own auth) replace the hub's
    API-key check; without them the hub checks ``HUB_API_KEYS`` itself. See docs/security.md.
    ``routes`` collects which endpoints are the hub's (for error handling and the key check).
    """
    routes = routes if routes is not None else HubRoutes()
    guards = [Depends(dependency=refuse_credentials_in_query)]
    if dependencies is None:
        guards.append(Depends(dependency=api_key_dependency(hub.settings, route_path=_template_or_path(routes))))
    else:
        guards.extend(dependencies)
    guards.append(Depends(dependency=entered_hub_code))  # last: a failure after it is the hub's own
    api = APIRouter(prefix=prefix, dependencies=guards, responses=SECURITY_PROBLEM_RESPONSES)
    for part in (public.router, v1.router, litellm_export.router):
        api.include_router(part)
        _collect(routes, part, DEFAULT_API_PREFIX)
    for name in hub.registry.loaded():
        try:
            extra = hub.registry.hooks(name).provider_routes()
        except Exception:
            logger.exception("Provider %r failed to give its routes; they are left out", name)
            continue
        if isinstance(extra, APIRouter):
            api.include_router(extra, prefix=f"/{name}", tags=[name], responses=public.PROBLEM_RESPONSES)
            _collect(routes, extra, f"{DEFAULT_API_PREFIX}/{name}")
    # The web page and its static files hold no data, so they load without the host's
    # auth; the page sends the user's bearer key with every API call it makes.
    outer = APIRouter()
    outer.include_router(page.router)
    _collect(routes, page.router, "")
    outer.include_router(api)
    return outer


def _collect(routes: HubRoutes, router: APIRouter, base: str) -> None:
    """Note every endpoint of ``router`` (and the routers it includes) as the hub's."""
    for route in router.routes:
        inner = getattr(route, "original_router", None)  # FastAPI's included router
        if isinstance(inner, APIRouter):
            _collect(routes, inner, base)
        elif isinstance(route, APIRoute):
            routes.add(route.endpoint, base + route.path)


def _template_or_path(routes: HubRoutes) -> Callable[[Request], str]:
    def template(request: Request) -> str:
        return routes.template(request) or route_path(request)

    return template


def hub_paths(prefix: str) -> Callable[[str], bool]:
    """Whether a request path is one of the hub's (its API under ``prefix``, or the page)."""

    def is_hub_path(path: str) -> bool:
        return path.startswith(prefix + "/") or path == "/hub" or path.startswith("/hub/")

    return is_hub_path


def include_hub(
    app: FastAPI,
    *,
    hub: Hub | None = None,
    settings: HubSettings | None = None,
    dependencies: Sequence[Depends] | None = None,
    prefix: str = DEFAULT_API_PREFIX,
    override: bool = False,
    own_app: bool = False,
) -> Hub:
    """Mount the hub's routes into ``app`` (a gateway), guarded by the host's dependencies.

    The API goes under ``prefix`` (default ``/public``), the page at ``/hub``. The host's routes
    of the same path answer first unless ``override=True``, which puts the hub's routes ahead of
    every route the host has so far (docs/mounting.md). Error handlers apply to the hub's routes
    only. Returns the Hub; close it on shutdown with ``await hub.aclose()`` (for example in the
    host's lifespan).
    """
    if len(prefix) < 2 or not prefix.startswith("/") or prefix.endswith("/"):
        raise ValueError(f"include_hub: prefix must start with '/' and not end with one, got {prefix!r}.")
    hub = hub or Hub.from_settings(settings)
    setattr(app.state, HUB_STATE_KEY, hub)
    setattr(app.state, API_PREFIX_KEY, prefix)
    routes = HubRoutes()
    before = len(app.router.routes)
    app.include_router(build_router(hub, dependencies, prefix=prefix, routes=routes))
    if override:
        added = app.router.routes[before:]
        del app.router.routes[before:]
        app.router.routes[0:0] = added
        mark_changed = getattr(app.router, "_mark_routes_changed", None)
        if callable(mark_changed):
            mark_changed()
    # Bodies over the limit are refused before they are read (on the hub's paths only, when mounted).
    limit = hub.settings.max_request_bytes
    app.add_middleware(RequestBodyLimit, max_bytes=limit, only=None if own_app else hub_paths(prefix))
    if own_app:  # gzip/br for routed answers (inside HeadAsGet, so HEAD's headers match GET's); the
        # fast path, outermost, serves its own precompressed bytes. A host app chooses its own.
        app.add_middleware(Compress, min_bytes=hub.settings.gzip_min_bytes)
    app.add_middleware(HeadAsGet, only=None if own_app else hub_paths(prefix))
    install_problem_handlers(app, own_app=own_app, routes=routes)
    redact_library_logs()
    return hub


def create_app(settings: HubSettings | None = None, *, hub: Hub | None = None) -> FastAPI:
    """The standalone hub app, as ``hub serve`` runs it."""
    # With a hub given, its settings are the ones that apply (the key check reads them too).
    settings = hub.settings if hub is not None else (settings or HubSettings())
    configure_logging(settings.log_level, settings.log_format)
    hub = hub or Hub.from_settings(settings)

    tracing = hub.tracing
    if tracing is not None:
        tracing.install_provider()  # unless one is set already (opentelemetry-instrument, a test)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await hub.aclose()
        if tracing is not None:
            tracing.shutdown()

    app = FastAPI(
        title="hub-core", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None, **_no_native_tracing()
    )
    include_hub(app, hub=hub, own_app=True)
    install_offline_docs(app)
    install_honest_openapi(app)
    # The hottest route skips FastAPI's routing when no key check applies to it.
    key_required = bool(settings.api_keys) and settings.require_key_for_model_hub
    # Every request is counted (docs/running.md#metrics): the fast path counts its own answers,
    # the middleware inside it the rest.
    metrics = HubMetrics()
    hub.cache.observer = metrics
    metrics.watch_cache(hub.cache.circuits, shared=hub.cache.shared is not None)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(
        ModelHubFastPath, hub=hub, enabled=not key_required, metrics=metrics, gzip_min_bytes=settings.gzip_min_bytes
    )
    if tracing is not None:  # outermost: the fast path's answers get a span too
        from hub_core.tracing import TracingMiddleware

        app.add_middleware(TracingMiddleware, tracing=tracing, route_of=_route_of())
    app.add_api_route("/metrics", metrics_endpoint(metrics), methods=["GET"], include_in_schema=False)
    # What is alive now (modules, the catalog) lives as long as the process: keep the
    # garbage collector from walking it on every full collection.
    gc.freeze()

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        report = hub.readiness()
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    return app


def _route_of() -> Callable[[Scope], str]:
    """A request's route template; one the fast path answered never reached the router."""
    template = RouteTemplate()

    def route_of(scope: Scope) -> str:
        return FAST_PATH if "route" not in scope and scope["path"] == FAST_PATH else template(scope)

    return route_of


def _no_native_tracing() -> dict[str, Any]:
    """FastAPI 0.16x traces every request itself once a tracer provider is set, recording the raw
    path and query (credentials a caller put there included). The standalone app turns that off;
    with HUB_OTEL its own span names the route template instead (docs/running.md#tracing)."""
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters:
        return {"telemetry": {"tracing": False}}
    return {}
