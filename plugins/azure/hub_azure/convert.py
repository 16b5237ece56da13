"""ARM account and deployment payloads into ``Endpoint`` objects, and those into model-hub fields."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from hub_azure.config import PROVIDER, PTU_SKUS, Settings
from hub_core import Endpoint, ServedEntity

OPENAI_ENDPOINT_KEY = "OpenAI Language Model Instance API"
# ARM's deployment capabilities ("true"/"false" strings) and the LiteLLM mode each implies, first match wins.
MODES = (
    ("chatCompletion", "chat"),
    ("embeddings", "embedding"),
    ("imageGenerations", "image_generation"),
    ("completion", "completion"),
)
# Data-zone and global SKUs have their own catalog keys (azure/us/..., azure/eu/..., azure/global/...).
EU_REGIONS = frozenset(
    {"francecentral", "germanywestcentral", "italynorth", "polandcentral", "spaincentral", "swedencentral"}
)


def api_base(account: dict[str, Any]) -> str:
    """The account's OpenAI data-plane base URL, from ARM (a custom subdomain may differ from the name)."""
    properties = _obj(account.get("properties"))
    endpoints = _obj(properties.get("endpoints"))
    for candidate in (endpoints.get(OPENAI_ENDPOINT_KEY), properties.get("endpoint")):
        if isinstance(candidate, str):
            parts = urlsplit(candidate)
            if parts.scheme == "https" and parts.hostname and not (parts.username or parts.password or parts.query):
                return f"https://{parts.netloc}"
    subdomain = properties.get("customSubDomainName") or account.get("name")
    return f"https://{subdomain}.openai.azure.com"


# Token limits some deployments list among their capabilities, as strings of digits.
LIMITS = (("maxContextToken", "max_input_tokens"), ("maxOutputToken", "max_output_tokens"))


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (a payload that strays from the API)."""
    return value if isinstance(value, dict) else {}


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def resource_group(resource_id: str) -> str | None:
    found = re.search(r"/resourceGroups/([^/]+)/", resource_id, re.I)
    return found.group(1) if found else None


def endpoint(
    deployment: dict[str, Any], account: dict[str, Any], *, target: str, target_url: str | None, settings: Settings
) -> Endpoint:
    """One deployment: its name is what callers use; the model behind it is kept apart in ``model``."""
    properties, sku = _obj(deployment.get("properties")), _obj(deployment.get("sku"))
    model = _obj(properties.get("model"))
    name, version, fmt = (
        model.get(k) if isinstance(model.get(k), str) else None for k in ("name", "version", "format")
    )
    state = properties.get("provisioningState") if isinstance(properties.get("provisioningState"), str) else None
    listed = _obj(properties.get("capabilities"))
    # Flags ("true"/"false") become capabilities; numbers (maxContextToken, ...) are token limits.
    capabilities = {k: _flag(v) for k, v in listed.items() if str(v).lower() in ("true", "false")}
    limits = {field: int(listed[key]) for key, field in LIMITS if str(listed.get(key, "")).isdigit()}
    sku_name = sku.get("name") if isinstance(sku.get("name"), str) else None
    capacity = sku.get("capacity") if isinstance(sku.get("capacity"), int) else None
    base = api_base(account)
    system = _obj(deployment.get("systemData"))
    per_ptu = settings.ptu_hourly_price.get(sku_name) if sku_name in PTU_SKUS else None
    return Endpoint(
        provider=PROVIDER,
        name=str(deployment["name"]),
        target=target,
        target_url=target_url,
        endpoint_url=f"{base}/openai/deployments/{deployment['name']}",
        mode=next((mode for key, mode in MODES if capabilities.get(key)), None),
        served_by="provisioned" if sku_name in PTU_SKUS else "pay_as_you_go",
        entities=[ServedEntity(name=name or "unknown", version=version, type=fmt)],
        state=state,
        available=state == "Succeeded",
        state_reason=None if state == "Succeeded" else f"provisioningState is {state or 'missing'}",
        created_at=_time(system.get("createdAt")),
        updated_at=_time(system.get("lastModifiedAt")),
        capabilities=capabilities,
        model=f"{name} {version}" if name and version else name,
        region=account.get("location") if isinstance(account.get("location"), str) else None,
        account=str(account.get("name")),
        sku=sku_name,
        capacity=capacity,
        cost_per_hour=per_ptu * capacity if per_ptu is not None and capacity is not None else None,
        raw={
            "api_base": base,
            "model_name": name,
            "model_version": version,
            "model_format": fmt,
            "kind": account.get("kind"),
            "resource_group": resource_group(str(account.get("id", ""))),
            "location": account.get("location"),
            "limits": limits,
        },
    )


def catalog_keys(endpoint: Endpoint) -> list[str]:
    """LiteLLM ``azure/`` keys for the model behind a deployment, most specific first."""
    name, version = endpoint.raw.get("model_name"), endpoint.raw.get("model_version")
    if not isinstance(name, str):
        return []
    models = [f"{name}-{version}", name] if isinstance(version, str) and version else [name]
    prefixes = ["azure"]
    if endpoint.sku == "GlobalStandard":
        prefixes = ["azure/global-standard", "azure/global", "azure"]
    elif endpoint.sku == "DataZoneStandard":
        zone = data_zone(endpoint.region or "")
        prefixes = [f"azure/{zone}", "azure"] if zone else prefixes
    return [f"{prefix}/{model}" for prefix in prefixes for model in models]


def data_zone(region: str) -> str | None:
    """The data zone of an Azure region name (``eastus2`` -> ``us``, ``westeurope`` -> ``eu``), if known."""
    if re.fullmatch(r"[a-z]*us\d?", region):
        return "us"
    if "europe" in region or region in EU_REGIONS:
        return "eu"
    return None
