"""Build the standalone app, or mount the hub into an existing FastAPI app."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.params import Depends
from fastapi.responses import JSONResponse

from hub_core import __version__
from hub_core.api import litellm_export, page, public, v1
from hub_core.api.bodies import RequestBodyLimit
from hub_core.api.deps import HUB_STATE_KEY
from hub_core.api.fastpath import ModelHubFastPath
from hub_core.api.problems import install_problem_handlers, is_hub_path
from hub_core.api.schema import install_honest_openapi
from hub_core.hub import Hub
from hub_core.logs import configure_logging, redact_library_logs
from hub_core.security import SECURITY_PROBLEM_RESPONSES, api_key_dependency, refuse_credentials_in_query
from hub_core.settings import HubSettings

logger = logging.getLogger("hub_core.app")


def build_router(hub: Hub, dependencies: Sequence[Depends] | None = None) -> APIRouter:
    """The hub's routes plus each provider's own routes, under ``dependencies``.

    Every route refuses credentials and upstream URLs in its query string. ``dependencies``
    (a gateway's own auth) replace the hub's API-key check; without them the hub checks
    ``HUB_API_KEYS`` itself. See docs/security.md.
    """
    guards = [Depends(dependency=refuse_credentials_in_query)]
    if dependencies is None:
        guards.append(Depends(dependency=api_key_dependency(hub.settings)))
    else:
        guards.extend(dependencies)
    router = APIRouter(dependencies=guards, responses=SECURITY_PROBLEM_RESPONSES)
    router.include_router(public.router)
    router.include_router(v1.router)
    router.include_router(litellm_export.router, prefix="/public")
    for name in hub.registry.loaded():
        try:
            extra = hub.registry.call_sync(name, "provider_routes")
        except Exception:
            logger.exception("Provider %r failed to give its routes; they are left out", name)
            continue
        if isinstance(extra, APIRouter):
            router.include_router(extra, prefix=f"/public/{name}", tags=[name], responses=public.PROBLEM_RESPONSES)
    # The web page and its static files hold no data, so they load without the host's
    # auth; the page sends the user's bearer key with every API call it makes.
    outer = APIRouter()
    outer.include_router(page.router)
    outer.include_router(router)
    return outer


def include_hub(
    app: FastAPI,
    *,
    hub: Hub | None = None,
    settings: HubSettings | None = None,
    dependencies: Sequence[Depends] | None = None,
    own_app: bool = False,
) -> Hub:
    """Mount the hub's routes into ``app`` (a gateway), guarded by the host's dependencies.

    Returns the Hub. Close it on shutdown with ``await hub.aclose()`` (for example in
    the host's lifespan).
    """
    hub = hub or Hub.from_settings(settings)
    setattr(app.state, HUB_STATE_KEY, hub)
    app.include_router(build_router(hub, dependencies))
    # Bodies over the limit are refused before they are read (on the hub's paths only, when mounted).
    limit = hub.settings.max_request_bytes
    app.add_middleware(RequestBodyLimit, max_bytes=limit, only=None if own_app else is_hub_path)
    install_problem_handlers(app, own_app=own_app)
    redact_library_logs()
    return hub


def create_app(settings: HubSettings | None = None, *, hub: Hub | None = None) -> FastAPI:
    """The standalone hub app, as ``hub serve`` runs it."""
    # With a hub given, its settings are the ones that apply (the key check reads them too).
    settings = hub.settings if hub is not None else (settings or HubSettings())
    configure_logging(settings.log_level)
    hub = hub or Hub.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await hub.aclose()

    app = FastAPI(title="hub-core", version=__version__, lifespan=lifespan, docs_url="/docs", redoc_url=None)
    include_hub(app, hub=hub, own_app=True)
    install_honest_openapi(app)
    # The hottest route skips FastAPI's routing when no key check applies to it.
    key_required = bool(settings.api_keys) and settings.require_key_for_model_hub
    app.add_middleware(ModelHubFastPath, hub=hub, enabled=not key_required)
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
