"""``GET /public/databricks/serving_endpoints``: the shape of the earlier LiteLLM design."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response
from fastapi.responses import JSONResponse

from hub_core import EndpointList
from hub_core.api.deps import HubDep
from hub_databricks import byo
from hub_databricks.config import PROVIDER

SENSITIVE_KEY = re.compile(r"(key|secret|token|password|credential|private)", re.IGNORECASE)
REDACTED = "[REDACTED]"
MAX_DEPTH = 32

router = APIRouter()


def redact(value: Any, depth: int = 0) -> Any:
    """Copy of ``value`` with every credential-like field's value replaced.

    Nesting deeper than ``MAX_DEPTH`` (which no real payload has) is replaced too, so a
    hostile upstream body cannot exhaust the stack here or in the JSON encoder.
    """
    if isinstance(value, (dict, list)) and depth >= MAX_DEPTH:
        return REDACTED
    if isinstance(value, dict):
        return {
            str(k): REDACTED
            if SENSITIVE_KEY.search(str(k)) and not isinstance(v, (dict, list))
            else redact(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, depth + 1) for v in value]
    return value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def legacy_item(raw: dict[str, Any], endpoint_url: str | None, workspace: str | None) -> dict[str, Any]:
    config, state = _dict(raw.get("config")), _dict(raw.get("state"))
    return {
        "name": raw.get("name"),
        "creator": raw.get("creator"),
        "creation_timestamp": raw.get("creation_timestamp"),
        "last_updated_timestamp": raw.get("last_updated_timestamp"),
        "state": state.get("ready"),
        "config": {
            "served_models": redact(config.get("served_models") or []),
            "served_entities": redact(config.get("served_entities") or []),
        },
        "endpoint_url": endpoint_url,
        "workspace": workspace,
    }


@router.get("/serving_endpoints", summary="Databricks serving endpoints (LiteLLM-compatible shape)")
async def serving_endpoints(hub: HubDep, response: Response) -> dict[str, Any]:
    result, freshness = await hub.endpoints_with_freshness(PROVIDER)
    response.headers.update(freshness.variant("serving_endpoints").headers())
    items = [legacy_item(e.raw, e.endpoint_url, e.target) for e in result.endpoints if e.raw]
    hosts = [e.target_url for e in result.endpoints if e.target_url]
    return {
        "endpoints": items,
        "workspace_url": hosts[0] if hosts else None,
        "source": result.source,
        "fetched_at": result.fetched_at.isoformat().replace("+00:00", "Z") if result.fetched_at else None,
        "stale": result.stale,
    }


@router.post(
    "/endpoints/discover",
    response_model=EndpointList,
    summary="List a workspace's endpoints with the caller's own credentials (operator opt-in)",
    description="Off unless HUB_ALLOW_CALLER_CREDENTIALS=true. The credentials in the body replace the hub's "
    "and are never combined with them; the host must be a public Databricks workspace host. Not cached. "
    "See docs/security.md.",
    responses=byo.RESPONSES,
    dependencies=[Depends(byo.require_enabled)],
)
async def discover_with_caller_credentials(
    hub: HubDep, credentials: Annotated[byo.CallerCredentials, Body()]
) -> JSONResponse:
    result = await byo.discover(credentials, hub.settings, hub.settings.provider_config(PROVIDER))
    return JSONResponse(result.model_dump(mode="json"))
