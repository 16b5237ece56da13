"""The data the hub passes around: providers, targets, endpoints and model groups."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer, model_validator

Source = Literal["live", "catalog"]
HealthStatus = Literal["healthy", "unhealthy"]

UNKNOWN_MODE = "unknown"
"""What ``mode`` reads on the wire for an entry whose mode nobody knows (``None`` in Python).

LiteLLM's dashboard shows a null mode as "Chat"; a string it shows as it is."""

# Parameters an OpenAI-compatible endpoint of a mode takes, whatever serves it. Capabilities
# add theirs. Modes not listed here imply none, and their entries keep ``None``.
MODE_OPENAI_PARAMS: dict[str, tuple[str, ...]] = {
    "chat": ("max_tokens", "n", "stop", "stream", "temperature", "top_p"),
    "completion": ("max_tokens", "n", "stop", "stream", "temperature", "top_p"),
}
CAPABILITY_OPENAI_PARAMS: dict[str, tuple[str, ...]] = {
    "supports_function_calling": ("tools", "tool_choice"),
    "supports_parallel_function_calling": ("parallel_tool_calls",),
    "supports_reasoning": ("reasoning_effort",),
}


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
    catalog_exclude: list[str] = Field(
        default_factory=list,
        description="Glob patterns (fnmatch; `*` spans `/`) of catalog keys left out of the catalog fallback, "
        "e.g. `*/*/*` for price variants per region or commitment.",
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
    model: str | None = Field(
        default=None,
        description="The model behind the endpoint (e.g. 'gpt-4o 2024-08-06'), when the provider knows it. "
        "Two same-named endpoints of different models are never merged into one group.",
    )
    region: str | None = Field(default=None, description="Cloud region, e.g. 'us-east-1'.")
    account: str | None = Field(default=None, description="Cloud account, subscription or resource it belongs to.")
    sku: str | None = Field(default=None, description="SKU or throughput kind, e.g. 'ProvisionedManaged'.")
    capacity: int | None = Field(default=None, description="Capacity units (PTUs, model units) where provisioned.")
    cost_per_hour: float | None = Field(
        default=None, ge=0, description="Price per hour for provisioned capacity, where it is not priced per token."
    )
    raw: dict[str, Any] = Field(
        default_factory=dict, exclude=True, repr=False, description="The provider's own payload."
    )


class Discovery(BaseModel):
    """What ``discover_endpoints`` may return instead of a list: the endpoints and warnings.

    A warning says that part of the answer is missing (one list call was denied, one
    region failed) while the rest is fine. Warnings are shown in ``/public/providers`` and
    with the provider's answers; they must carry no secrets.
    """

    endpoints: list[Endpoint] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class Deployment(BaseModel):
    """Where one model group is served; a group merged from several targets has several."""

    target: str | None = None
    target_url: str | None = None
    endpoint_name: str
    endpoint_url: str | None = None
    state: str | None = None
    available: bool = True
    state_reason: str | None = None
    region: str | None = None
    account: str | None = None
    sku: str | None = None
    capacity: int | None = None
    cost_per_hour: float | None = None


class ModelGroup(BaseModel):
    """One model-hub entry. Field names follow LiteLLM's ``ModelGroupInfoProxy``."""

    model_group: str
    providers: list[str]
    mode: str | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    cost_per_hour: float | None = Field(
        default=None, description="Price per hour of the deployment that serves calls now, for provisioned capacity."
    )
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
    model: str | None = Field(default=None, description="The model behind the group, when the provider knows it.")
    deployments: list[Deployment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _mode_rules(self) -> ModelGroup:
        """Read the wire's ``"unknown"`` mode as ``None``, and fill ``supported_openai_params`` from the
        mode (and capabilities) when nobody said. ``unvalidated`` runs it too."""
        if self.mode == UNKNOWN_MODE:
            self.__dict__["mode"] = None
        if self.supported_openai_params is None and self.mode in MODE_OPENAI_PARAMS:
            params = list(MODE_OPENAI_PARAMS[self.mode])
            if self.mode == "chat":
                for flag, extra in CAPABILITY_OPENAI_PARAMS.items():
                    if getattr(self, flag):
                        params += extra
            self.__dict__["supported_openai_params"] = params
            self.__pydantic_fields_set__.add("supported_openai_params")
        return self

    @field_serializer("mode")
    def _wire_mode(self, mode: str | None) -> str:
        return UNKNOWN_MODE if mode is None else mode

    @computed_field  # type: ignore[prop-decorator]
    @property
    def health_status(self) -> HealthStatus | None:
        """LiteLLM's health field: ``healthy`` when callable now, ``unhealthy`` when not;
        ``None`` for catalog entries, whose health nobody checked."""
        if self.source != "live":
            return None
        return "healthy" if self.available else "unhealthy"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def health_reason(self) -> str | None:
        """Why an entry is ``unhealthy``: the provider's state and reason, e.g. ``NOT_READY: UPDATE_FAILED``."""
        if self.source != "live" or self.available:
            return None
        return ": ".join(part for part in (self.state, self.state_reason) if part) or "not callable"


def live_model_group(
    endpoint: Endpoint, *, model_group: str, providers: list[str], validate: bool = True, **fields: Any
) -> ModelGroup:
    """A ``source: live`` model group carrying the endpoint's state, URL and identity.

    ``fields`` holds what the converter decided (mode, token limits, prices, capabilities);
    ``model`` and ``cost_per_hour`` default to the endpoint's. ``validate=False`` skips pydantic's
    validation (see ``unvalidated``) for fields that already have their types, such as
    ``Catalog.fields`` and the endpoint's own: about 8 µs less per group.
    """
    fields.setdefault("model", endpoint.model)
    fields.setdefault("cost_per_hour", endpoint.cost_per_hour)
    live: dict[str, Any] = {
        "model_group": model_group,
        "providers": providers,
        "source": "live",
        "state": endpoint.state,
        "available": endpoint.available,
        "state_reason": endpoint.state_reason,
        "display_name": endpoint.display_name,
        "description": endpoint.description,
        "endpoint_url": endpoint.endpoint_url,
        "served_by": endpoint.served_by,
        "entities": list(endpoint.entities),
        "target": endpoint.target,
    }
    if validate:
        return ModelGroup(**fields, **live)
    if not fields.keys().isdisjoint(live):
        clash = ", ".join(sorted(fields.keys() & live.keys()))
        raise TypeError(f"live_model_group() got multiple values for {clash}")
    plan = _plan(ModelGroup)
    data = plan.template.copy()
    data.update(fields)
    data.update(live)
    return _finish(ModelGroup, plan, data)


M = TypeVar("M", bound=BaseModel)
_MISSING: Any = object()
_osa = object.__setattr__


@dataclass(frozen=True)
class _Plan:
    """How ``unvalidated`` fills one model class: every field in order with its default
    (``_MISSING`` for required and factory fields), the fields without a default (with their
    factory, or None for a required one), and the one fields-set every instance shares."""

    template: dict[str, Any]
    gaps: tuple[tuple[str, Callable[[], Any] | None], ...]
    every_field: set[str]


@functools.cache
def _plan(model: type[BaseModel]) -> _Plan:
    template: dict[str, Any] = {}
    gaps: list[tuple[str, Callable[[], Any] | None]] = []
    for name, info in model.model_fields.items():
        template[name] = _MISSING
        if info.default_factory is not None:
            gaps.append((name, info.default_factory))  # type: ignore[arg-type]
        elif info.is_required():
            gaps.append((name, None))
        else:
            template[name] = info.default
    return _Plan(template, tuple(gaps), set(template))


def unvalidated(model: type[M], /, **values: Any) -> M:
    """``model(**values)`` without pydantic's validation, for values that already have their
    field types (``str``, ``int``, ``float``, ``bool``, ``datetime``, lists of models...).

    A fraction of the cost of validation: a refresh of a large workspace builds several models
    per endpoint from data its own code has just checked. Defaults and default factories are
    filled as validation would; an unknown or missing required field is a ``TypeError``. Nothing
    checks the types: a wrong one shows later, in serialisation or a comparison (the contract
    suite revalidates what a plugin returns). Lists are used as given, so give each model its
    own. ``model_fields_set`` holds every field. On a ``ModelGroup`` the model's own rules
    still run (``"unknown"`` mode, implied ``supported_openai_params``).
    """
    plan = _plan(model)
    data = plan.template.copy()
    data.update(values)
    return _finish(model, plan, data)


def _finish(model: type[M], plan: _Plan, data: dict[str, Any]) -> M:
    """The instance holding ``data`` (a copy of the template, updated), its gaps filled."""
    if len(data) != len(plan.template):
        unknown = sorted(data.keys() - plan.every_field)
        raise TypeError(f"{model.__name__} has no field(s) {', '.join(unknown)}")
    for name, factory in plan.gaps:
        if data[name] is _MISSING:
            if factory is None:
                raise TypeError(f"{model.__name__} needs the field {name!r}")
            data[name] = factory()
    return _instance(model, data, plan.every_field)


def complete(model: type[M], data: dict[str, Any]) -> M:
    """The instance of ``model`` whose ``__dict__`` is ``data``, which holds every field, in the
    model's order, with its type: nothing is checked (``unvalidated`` checks the names)."""
    return _instance(model, data, _plan(model).every_field)


def _instance(model: type[M], data: dict[str, Any], every_field: set[str]) -> M:
    instance = model.__new__(model)
    _osa(instance, "__dict__", data)
    # Shared: it holds every name already, so pydantic's ``.add()`` on assignment changes nothing.
    _osa(instance, "__pydantic_fields_set__", every_field)
    _osa(instance, "__pydantic_extra__", None)
    _osa(instance, "__pydantic_private__", None)
    if model is ModelGroup and (data["mode"] == UNKNOWN_MODE or data["supported_openai_params"] is None):
        instance._mode_rules()  # type: ignore[attr-defined]
    return instance


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
    warnings: list[str] = Field(default_factory=list, description="What is missing from a partial answer.")


class EndpointList(BaseModel):
    """The body of ``/public/<provider>/endpoints``."""

    provider: str
    endpoints: list[Endpoint]
    source: Source
    fetched_at: datetime | None = None
    stale: bool = False
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
