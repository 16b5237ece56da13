"""Build the standalone app, or mount the hub into an existing FastAPI app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.params import Depends

from hub_core import __version__
from hub_core.api import public
from hub_core.api.deps import HUB_STATE_KEY
from hub_core.api.problems import install_problem_handlers
from hub_core.hub import Hub
from hub_core.logs import configure_logging
from hub_core.settings import HubSettings

logger = logging.getLogger("hub_core.app")


def build_router(hub: Hub, dependencies: Sequence[Depends] | None = None) -> APIRouter:
    """The hub's routes plus each provider's own routes, under ``dependencies``."""
    router = APIRouter(dependencies=list(dependencies or []))
    router.include_router(public.router)
    for name in hub.registry.loaded():
        try:
            extra = hub.registry.call_sync(name, "provider_routes")
        except Exception:
            logger.exception("Provider %r failed to give its routes; they are left out", name)
            continue
        if isinstance(extra, APIRouter):
            router.include_router(extra, prefix=f"/public/{name}", tags=[name])
    return router


def include_hub(
    app: FastAPI,
    *,
    hub: Hub | None = None,
    settings: HubSettings | None = None,
    dependencies: Sequence[Depends] | None = None,
) -> Hub:
    """Mount the hub's routes into ``app`` (a gateway), guarded by the host's dependencies.

    Returns the Hub. Close it on shutdown with ``await hub.aclose()`` (for example in
    the host's lifespan).
    """
    hub = hub or Hub.from_settings(settings)
    setattr(app.state, HUB_STATE_KEY, hub)
    app.include_router(build_router(hub, dependencies))
    install_problem_handlers(app)
    return hub


def create_app(settings: HubSettings | None = None, *, hub: Hub | None = None) -> FastAPI:
    """The standalone hub app, as ``hub serve`` runs it."""
    settings = settings or (hub.settings if hub else HubSettings())
    configure_logging(settings.log_level)
    hub = hub or Hub.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await hub.aclose()

    app = FastAPI(title="hub-core", version=__version__, lifespan=lifespan, docs_url="/docs", redoc_url=None)
    include_hub(app, hub=hub)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    return app
