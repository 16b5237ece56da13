"""Model-hub entries and LiteLLM deployments for Bedrock endpoints, priced from LiteLLM's ``bedrock/`` keys."""

from __future__ import annotations

from typing import Any

from hub_bedrock.config import PROVIDER
from hub_bedrock.roles import SESSION_NAME
from hub_core import Endpoint, ModelGroup, ProviderError, Target, live_model_group

CATALOG_PROVIDERS = ["bedrock", "bedrock_converse"]
PROFILE_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "ca.", "us-gov.", "global.")
COMMITMENTS = {"OneMonth": "1-month-commitment", "SixMonths": "6-month-commitment"}
TOKEN_PRICES = ("input_cost_per_token", "output_cost_per_token")
# Paid per hour of capacity (provisioned throughput, which custom models are called through) or per model
# copy and minute (imported models), never by the token prices of the model they are based on.
NOT_PER_TOKEN = {"provisioned_throughput", "custom_model", "imported_model"}


def _keys(model_id: str, region: str | None) -> list[str]:
    """LiteLLM's keys for one model, most specific first: per region, ``bedrock/<id>``, the bare id."""
    return [*([f"bedrock/{region}/{model_id}"] if region else []), f"bedrock/{model_id}", model_id]


def catalog_entry(catalog: Any, model_ids: list[str | None], region: str | None) -> tuple[str, dict[str, Any]] | None:
    """The first Bedrock entry of the first model id that has one, with its key."""
    for model_id in filter(None, model_ids):
        for key in _keys(model_id, region):
            entry = catalog.get(key)
            if entry and entry.get("litellm_provider") in CATALOG_PROVIDERS:
                return key, entry
    return None


def hourly_price(endpoint: Endpoint, catalog: Any) -> float | None:
    """A provisioned throughput's price per hour: LiteLLM's per-second price per model unit, for the term."""
    term = COMMITMENTS.get(str(endpoint.raw.get("commitmentDuration")))
    if not term or not endpoint.model or not endpoint.capacity:
        return None
    for region in (endpoint.region, "*"):
        entry = catalog.get(f"bedrock/{region}/{term}/{endpoint.model}")
        per_second = (entry or {}).get("input_cost_per_second")
        if isinstance(per_second, (int, float)) and not isinstance(per_second, bool) and per_second > 0:
            return round(float(per_second) * 3600 * endpoint.capacity, 6)
    return None


def model_group(endpoint: Endpoint, catalog: Any) -> ModelGroup:
    kind = endpoint.raw.get("kind")
    ids: list[str | None] = (
        [endpoint.name, endpoint.model] if kind == "inference_profile" else [endpoint.model or endpoint.name]
    )
    found = catalog_entry(catalog, ids, endpoint.region) if kind != "imported_model" else None
    fields = dict(catalog.fields(found[0])) if found else {}
    if endpoint.mode:
        fields["mode"] = endpoint.mode  # what the API says wins over the catalog
    if kind in NOT_PER_TOKEN:
        for price in TOKEN_PRICES:  # the base model's token prices are not what this costs
            fields.pop(price, None)
    if kind == "provisioned_throughput":
        fields["cost_per_hour"] = hourly_price(endpoint, catalog)
    return live_model_group(endpoint, model_group=f"{PROVIDER}/{endpoint.name}", providers=[PROVIDER], **fields)


def _route(architecture: Any) -> str:
    """LiteLLM's route for an imported model's architecture, where it has one."""
    name = str(architecture or "").lower()
    return next((f"{route}/" for route in ("llama", "deepseek_r1", "qwen3", "qwen2", "openai") if route in name), "")


def litellm_params(endpoint: Endpoint, target: Target) -> dict[str, Any] | None:
    """``bedrock/<id>`` in the endpoint's region; credentials stay with LiteLLM's own AWS chain."""
    params = _params(endpoint, endpoint.region or target.name)
    profile, role = getattr(target.handle, "profile", None), getattr(target.handle, "role_arn", None)
    if profile:
        params["aws_profile_name"] = profile
    if role:  # LiteLLM assumes the same role with its own credentials
        params.update(aws_role_name=role, aws_session_name=SESSION_NAME)
    return params


def _params(endpoint: Endpoint, region: str) -> dict[str, Any]:
    kind, raw = endpoint.raw.get("kind"), endpoint.raw
    if kind == "provisioned_throughput":
        if not endpoint.model:
            raise ProviderError("this provisioned throughput's foundation model is unknown", provider=PROVIDER)
        return {"model": f"bedrock/{endpoint.model}", "model_id": raw["provisionedModelArn"], "aws_region_name": region}
    if kind == "custom_model":
        raise ProviderError("a custom model is called through its provisioned throughput", provider=PROVIDER)
    if kind == "imported_model":
        return {"model": f"bedrock/{_route(raw.get('modelArchitecture'))}{raw['modelArn']}", "aws_region_name": region}
    if kind == "inference_profile" and raw.get("type") == "APPLICATION":
        return {"model": f"bedrock/{raw['inferenceProfileArn']}", "aws_region_name": region}
    return {"model": f"bedrock/{endpoint.name}", "aws_region_name": region}
