"""One Databricks endpoint -> one model-hub entry.

Capabilities come from the endpoint's live ``capabilities`` first, then from the
catalog entry for ``databricks/<name>``, then (external models) from the catalog
entry of the upstream model. Token limits and prices come from the catalog.
"""

from __future__ import annotations

from typing import Any

from hub_core import CAPABILITY_FLAGS, Catalog, Endpoint, ModelGroup, live_model_group
from hub_databricks.config import PROVIDER
from hub_databricks.parse import served_entities

LIVE_CAPABILITIES = {
    "supports_function_calling": ("function_calling",),
    "supports_vision": ("image_input",),
    "supports_reasoning": ("openai_reasoning", "anthropic_reasoning"),
}
# External-model providers whose catalog keys use another prefix.
CATALOG_PREFIX = {"amazon-bedrock": "bedrock", "google-cloud-vertex-ai": "vertex_ai", "palm": "palm"}


def external_catalog_keys(endpoint: Endpoint) -> list[str]:
    """Catalog keys for the upstream model of an external-model endpoint, most specific first."""
    keys: list[str] = []
    for item in served_entities(endpoint.raw):
        external = item.get("external_model")
        if not isinstance(external, dict) or not isinstance(external.get("name"), str):
            continue
        name, provider = external["name"], str(external.get("provider") or "")
        openai_config = external.get("openai_config")
        if (
            provider == "openai"
            and isinstance(openai_config, dict)
            and openai_config.get("openai_api_type")
            in (
                "azure",
                "azuread",
            )
        ):
            provider = "azure"
        prefix = CATALOG_PREFIX.get(provider, provider)
        keys += [f"{prefix}/{name}", name] if prefix else [name]
    return keys


def to_model_group(endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
    name = f"{PROVIDER}/{endpoint.name}"
    own = catalog.fields(name)
    if endpoint.served_by == "external_model":
        fields: dict[str, Any] = {**catalog.fields(*external_catalog_keys(endpoint)), **own}
    else:
        fields = dict(own)
    fields["mode"] = endpoint.mode  # the live task decides; a custom model with no task stays null
    capabilities = endpoint.capabilities
    for flag in CAPABILITY_FLAGS:
        fields[flag] = bool(fields.get(flag, False))
    if capabilities:  # a live capability the endpoint states overrides the catalog
        for flag, keys in LIVE_CAPABILITIES.items():
            live = [capabilities[k] for k in keys if k in capabilities]
            if live:
                fields[flag] = any(live)
    # Catalog fields and the endpoint's are typed already: no validation needed.
    return live_model_group(endpoint, model_group=name, providers=[PROVIDER], validate=False, **fields)
