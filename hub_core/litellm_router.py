"""Keep a running LiteLLM proxy's router in step with the hub.

As endpoints appear, become available, change or disappear, their deployments are
added to, updated in or removed from the router, with LiteLLM's own run-time API
(``Router.upsert_deployment`` and ``Router.delete_deployment``, what the proxy itself
uses for models stored in its database). Only deployments whose id the hub made
(``hub-core:...``) are ever touched. Needs ``litellm`` installed; see docs/litellm.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hub_core.errors import HubError
from hub_core.litellm_config import ENV_REFERENCE, ID_PREFIX, LiteLLMDeployment, litellm_model_list

if TYPE_CHECKING:
    from fastapi import FastAPI

    from hub_core.hub import Hub

logger = logging.getLogger("hub_core.litellm_router")


@dataclass
class SyncReport:
    """What one pass changed, by deployment id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class MissingVariableError(LookupError):
    """A deployment names an environment variable that this process does not have."""


def resolve_references(value: Any, lookup: Callable[[str], str | None] | None = None) -> Any:
    """``value`` with each ``os.environ/NAME`` replaced by the variable's value, as LiteLLM's config loader does.

    The result holds secrets: hand it to the router and nowhere else.
    """
    if isinstance(value, dict):
        return {k: resolve_references(v, lookup) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, lookup) for v in value]
    if isinstance(value, str) and value.startswith(ENV_REFERENCE):
        name = value[len(ENV_REFERENCE) :]
        resolved = (lookup or _litellm_secret)(name)
        if resolved is None:
            raise MissingVariableError(name)
        return resolved
    return value


def _litellm_secret(name: str) -> str | None:
    """LiteLLM's own resolver, so a secret manager configured in the proxy applies too."""
    try:
        from litellm.secret_managers.main import get_secret
    except ImportError:  # no litellm: the environment is all there is
        return os.environ.get(name)
    value = get_secret(ENV_REFERENCE + name)
    return value if isinstance(value, str) and value else None


def proxy_router() -> Any | None:
    """The router of the LiteLLM proxy running in this process, or None before it has one."""
    from litellm.proxy import proxy_server

    return proxy_server.llm_router


class RouterSync:
    """Registers the hub's LiteLLM deployments in a router and removes those that went away.

    ``router`` returns the router to change (LiteLLM's proxy replaces its router on
    reload, so it is asked on every pass). A provider that cannot be served keeps the
    deployments it had: an upstream outage does not empty the router.
    """

    def __init__(
        self,
        hub: Hub,
        router: Callable[[], Any | None] = proxy_router,
        *,
        provider: str | None = None,
        interval: float | None = None,
    ) -> None:
        self.hub = hub
        self.router = router
        self.provider = provider
        self.interval = interval if interval is not None else max(1.0, hub.settings.cache_ttl)
        self._warned_no_router = False

    async def sync_once(self) -> SyncReport:
        report = SyncReport()
        router = self.router()
        if router is None:
            if not self._warned_no_router:
                logger.warning("LiteLLM has no router yet (its config has no model_list); nothing registered")
                self._warned_no_router = True
            return report
        try:
            export = await litellm_model_list(self.hub, self.provider)
        except HubError as error:
            logger.warning("LiteLLM deployments left as they are: %s", error.message)
            return report
        keep = {item.provider for item in export.left_out if item.endpoint is None}
        wanted = {str(d.model_info["id"]): d for d in export.model_list}
        for deployment_id, deployment in wanted.items():
            self._upsert(router, deployment_id, deployment, report)
        for deployment_id in router.get_model_ids():
            if not str(deployment_id).startswith(f"{ID_PREFIX}:") or deployment_id in wanted:
                continue
            if deployment_id.split(":")[1] in keep:
                continue
            if router.delete_deployment(id=deployment_id) is not None:
                report.removed.append(deployment_id)
        if report.added or report.updated or report.removed:
            logger.info(
                "LiteLLM deployments: %d added, %d updated, %d removed",
                len(report.added),
                len(report.updated),
                len(report.removed),
            )
        return report

    def _upsert(self, router: Any, deployment_id: str, deployment: LiteLLMDeployment, report: SyncReport) -> None:
        from litellm.types.router import Deployment

        try:
            params = resolve_references(deployment.litellm_params)
        except MissingVariableError as missing:
            logger.warning(
                "LiteLLM deployment %s left out: environment variable %s is not set in this process",
                deployment_id,
                missing,
            )
            report.skipped.append(deployment_id)
            if router.has_model_id(deployment_id):
                router.delete_deployment(id=deployment_id)
                report.removed.append(deployment_id)
            return
        existed = router.has_model_id(deployment_id)
        made = Deployment(model_name=deployment.model_name, litellm_params=params, model_info=deployment.model_info)
        if router.upsert_deployment(made) is not None:
            (report.updated if existed else report.added).append(deployment_id)

    async def run(self) -> None:
        """Sync every ``interval`` seconds until cancelled; a failed pass is logged and retried."""
        while True:
            try:
                await self.sync_once()
            except Exception:
                logger.exception("Syncing LiteLLM deployments failed; trying again in %g s", self.interval)
            await asyncio.sleep(self.interval)


def run_in_proxy(app: FastAPI, hub: Hub, *, sync: RouterSync | None = None) -> None:
    """Tie the hub to the proxy app's lifespan: after LiteLLM's startup run ``sync`` (if any);
    on shutdown stop it and close the hub."""
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with original(application) as state:
            task = asyncio.get_running_loop().create_task(sync.run()) if sync is not None else None
            try:
                yield state
            finally:
                if task is not None:
                    task.cancel()
                await hub.aclose()

    app.router.lifespan_context = lifespan
