"""hub-databricks: a Databricks workspace's live serving endpoints as model-hub entries.

The hookimpls are thin; the work lives in config, auth, client, parse and convert.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter

from hub_core import Catalog, Endpoint, ModelGroup, ProviderInfo, Target, hookimpl

__version__ = "0.1.0"


@hookimpl
def provider_info() -> ProviderInfo:
    from hub_databricks.config import SETTINGS

    return ProviderInfo(
        display_name="Databricks",
        description="Model serving endpoints deployed in Databricks workspaces.",
        homepage="https://docs.databricks.com/en/machine-learning/model-serving/index.html",
        settings=SETTINGS,
        catalog_providers=["databricks"],
    )


@hookimpl
def configured_targets(config: Mapping[str, Any]) -> list[Target]:
    from hub_databricks.client import WorkspaceClient
    from hub_databricks.config import caller_settings, resolve_workspaces

    # Read here too, so a bad or deprecated caller-credentials setting is reported at start-up.
    caller_settings(config)
    return [
        Target(name=w.name, url=w.host or None, auth_method=w.auth, handle=WorkspaceClient(w))
        for w in resolve_workspaces(config)
    ]


@hookimpl
async def discover_endpoints(target: Target) -> list[Endpoint]:
    from hub_databricks.client import WorkspaceClient

    client: WorkspaceClient = target.handle
    # Parsed off the event loop; an unchanged list gives the same Endpoint objects again.
    return await client.discover(target.name)


@hookimpl
def to_model_group(endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
    from hub_databricks.convert import to_model_group as convert

    return convert(endpoint, catalog)


@hookimpl
def provider_routes() -> APIRouter:
    from hub_databricks.routes import router

    return router


@hookimpl
def litellm_params(endpoint: Endpoint, target: Target) -> dict[str, Any] | None:
    from hub_databricks.deployments import litellm_params as params

    return params(endpoint, target)
