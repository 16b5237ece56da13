"""hub-azure: the deployments of Azure OpenAI / Azure AI Foundry resources, from the Azure management plane."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub_core import Discovery, Endpoint, ModelGroup, ProviderInfo, Target, hookimpl, live_model_group

__version__ = "0.1.0"
PROVIDER = "azure"
SETTINGS = [
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
    "[providers.azure] subscriptions, accounts, arm_endpoint, api_version, credential, litellm_auth",
]


@hookimpl
def provider_info() -> ProviderInfo:
    return ProviderInfo(
        display_name="Azure OpenAI",
        description="Deployments of Azure OpenAI and Azure AI Foundry resources, listed through Azure Resource Manager",
        homepage="https://learn.microsoft.com/azure/ai-services/openai/",
        settings=SETTINGS,
        catalog_providers=["azure", "azure_text"],
        catalog_exclude=["*/*/*"],  # LiteLLM's price variants per region, data zone or commitment
    )


@hookimpl
def configured_targets(config: Mapping[str, Any]) -> list[Target]:
    from hub_azure.targets import targets

    return targets(config)


@hookimpl
async def discover_endpoints(target: Target) -> Discovery:
    return await target.handle.discover()  # type: ignore[no-any-return]


@hookimpl
def to_model_group(endpoint: Endpoint, catalog: Any) -> ModelGroup:
    from hub_azure.convert import catalog_keys

    fields = dict(catalog.fields(*catalog_keys(endpoint))) if catalog is not None else {}
    fields["mode"] = endpoint.mode or fields.get("mode")
    fields.update(endpoint.raw.get("limits", {}))  # what ARM says this deployment accepts wins over the catalog
    if endpoint.served_by == "provisioned":  # PTUs are paid per hour, whatever the tokens
        fields["input_cost_per_token"] = fields["output_cost_per_token"] = None
    return live_model_group(endpoint, model_group=f"{PROVIDER}/{endpoint.name}", providers=[PROVIDER], **fields)


@hookimpl
def litellm_params(endpoint: Endpoint, target: Target) -> dict[str, Any] | None:
    from hub_azure.targets import litellm_params as params

    return params(endpoint, target)
