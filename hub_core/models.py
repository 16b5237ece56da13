"""The data the hub passes around: providers, targets, endpoints and model groups."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["live", "catalog"]


class ProviderInfo(BaseModel):
    """What a plugin says about itself (the ``provider_info`` hook)."""

    model_config = ConfigDict(frozen=True)

    display_name: str
    description: str = ""
    homepage: str | None = None
    settings: list[str] = Field(
        default_factory=list, description="Environment variables and TOML keys this provider reads."
    )
    catalog_providers: list[str] = Field(
        default_factory=list,
        description="`litellm_provider` values whose catalog entries belong to this provider. "
        "Defaults to the provider name.",
    )


class Target(BaseModel):
    """One place a provider discovers endpoints in, such as a Databricks workspace.

    ``handle`` carries the plugin's own state (credentials, clients). It is never
    serialised or shown in a repr.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = Field(description="Stable key, unique within the provider, e.g. 'default' or 'prod'.")
    url: str | None = Field(default=None, description="Where it lives, for humans (no secrets).")
    auth_method: str | None = None
    handle: Any = Field(default=None, exclude=True, repr=False)


class ServedEntity(BaseModel):
    """A model an endpoint serves: a foundation model, an external model or a registered model."""

    name: str
    version: str | None = None
    type: str | None = None
    external_provider: str | None = None


class Endpoint(BaseModel):
    """One deployed endpoint, as a provider discovered it."""

    provider: str
    name: str
    target: str | None = Field(default=None, description="The target (workspace) it came from.")
    target_url: str | None = None
    endpoint_url: str | None = None
    task: str | None = None
    mode: str | None = None
    served_by: str | None = Field(
        default=None, description="foundation_model, external_model, custom_model, agent, ..."
    )
    entities: list[ServedEntity] = Field(default_factory=list)
    state: str | None = None
    config_update: str | None = None
    available: bool = True
    state_reason: str | None = None
    display_name: str | None = None
    description: str | None = None
    creator: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    capabilities: dict[str, bool] = Field(default_factory=dict)
    raw: dict[str, Any] = Field(
        default_factory=dict, exclude=True, repr=False, description="The provider's own payload."
    )


class Deployment(BaseModel):
    """Where one model group is served; a group merged from several targets has several."""

    target: str | None = None
    target_url: str | None = None
    endpoint_name: str
    endpoint_url: str | None = None
    state: str | None = None
    available: bool = True
    state_reason: str | None = None


class ModelGroup(BaseModel):
    """One model-hub entry. Field names follow LiteLLM's ``ModelGroupInfoProxy``."""

    model_group: str
    providers: list[str]
    mode: str | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    supports_function_calling: bool = False
    supports_parallel_function_calling: bool = False
    supports_vision: bool = False
    supports_reasoning: bool = False
    supported_openai_params: list[str] | None = None
    is_public_model_group: bool = True
    # What a live hub adds.
    source: Source = "live"
    state: str | None = None
    available: bool = True
    state_reason: str | None = None
    display_name: str | None = None
    description: str | None = None
    endpoint_url: str | None = None
    served_by: str | None = None
    entities: list[ServedEntity] = Field(default_factory=list)
    target: str | None = None
    deployments: list[Deployment] = Field(default_factory=list)


def live_model_group(endpoint: Endpoint, *, model_group: str, providers: list[str], **fields: Any) -> ModelGroup:
    """A ``source: live`` model group carrying the endpoint's state, URL and identity.

    ``fields`` holds what the converter decided (mode, token limits, prices, capabilities).
    """
    return ModelGroup(
        model_group=model_group,
        providers=providers,
        **fields,
        source="live",
        state=endpoint.state,
        available=endpoint.available,
        state_reason=endpoint.state_reason,
        display_name=endpoint.display_name,
        description=endpoint.description,
        endpoint_url=endpoint.endpoint_url,
        served_by=endpoint.served_by,
        entities=endpoint.entities,
        target=endpoint.target,
    )


class ProviderState(str, Enum):
    ok = "ok"
    not_configured = "not_configured"
    disabled = "disabled"
    failed_to_load = "failed_to_load"
    error = "error"


class ProviderStatus(BaseModel):
    """A row of ``/public/providers`` and ``hub providers``."""

    name: str
    display_name: str
    distribution: str | None = None
    version: str | None = None
    status: ProviderState
    message: str
    source: Source | None = None
    targets: list[str] = Field(default_factory=list)
    hooks: list[str] = Field(default_factory=list)
    fetched_at: datetime | None = None


class EndpointList(BaseModel):
    """The body of ``/public/<provider>/endpoints``."""

    provider: str
    endpoints: list[Endpoint]
    source: Source
    fetched_at: datetime | None = None
    stale: bool = False
    errors: list[str] = Field(default_factory=list)
