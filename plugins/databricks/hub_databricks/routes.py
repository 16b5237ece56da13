"""``GET /public/databricks/serving_endpoints`` (the shape of the earlier LiteLLM design, with
secret values redacted) and ``POST /public/databricks/endpoints/discover``."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from hub_core import Endpoint, EndpointList, HubDep, body_schema, cached_response, json_body
from hub_databricks import byo
from hub_databricks.config import PROVIDER

REDACTED = "[REDACTED]"
CHUNK = 500
MAX_DEPTH = 32

# Fields the Databricks API documents as secrets (external-model provider configs; each also
# has a ``*_plaintext`` twin, which any ``*_plaintext`` name covers). Their values go, whatever
# their shape; the names stay.
SECRET_FIELDS = frozenset(
    {
        "openai_api_key",
        "microsoft_entra_client_secret",
        "anthropic_api_key",
        "aws_access_key_id",
        "aws_secret_access_key",
        "cohere_api_key",
        "databricks_api_token",
        "private_key",
        "ai21labs_api_key",
        "palm_api_key",
        "authorization_details",
    }
)
# Objects whose keys are names (header and environment-variable names) and whose values may be secrets.
NAME_VALUE_MAPS = frozenset({"headers", "environment_vars", "extra_headers", "custom_headers"})
# custom_provider_config: ``api_key_auth.key`` is the header's name, ``.value`` its secret.
AUTH_OBJECTS = {"api_key_auth": frozenset({"key"}), "bearer_token_auth": frozenset()}
# Undocumented fields that look like credentials. A bare "key" or "value" is not enough,
# and names of things (``uc_service_credential_name``, ``microsoft_entra_client_id``) are not secrets.
CREDENTIAL_NAME = re.compile(
    r"(^|_)(secret|password|passwd|token|api_?key|private_?key|access_?key|credentials?|authorization|"
    r"bearer|cookie|session|signature)($|_)|\w_key$",
    re.IGNORECASE,
)
NAME_OF_A_THING = re.compile(r"_(name|id|type|arn|url|base|version|region|provider)$", re.IGNORECASE)
# A URL value (``openai_api_base``, ``custom_provider_url``) may carry credentials of its own:
# user info, or a query parameter such as Azure's ``api-key`` or a SAS ``sig``.
URL_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
URL_SECRET_PARAMS = frozenset({"sig", "key", "code", "auth", "secret"})

router = APIRouter()


def secret_field(name: str) -> bool:
    """Whether a field's value is a credential, by the Databricks API's documentation or its name."""
    lowered = name.lower()
    if lowered in SECRET_FIELDS or lowered.endswith("_plaintext"):
        return True
    return bool(CREDENTIAL_NAME.search(lowered)) and not NAME_OF_A_THING.search(lowered)


def _secret_param(name: str) -> bool:
    lowered = unquote_plus(name).lower().replace("-", "_")
    return lowered in URL_SECRET_PARAMS or secret_field(lowered)


def without_url_credentials(text: str) -> str:
    """A URL with its user info shown as ``***`` and credential-named query values redacted;
    any other text as it is."""
    if not URL_VALUE.match(text):
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return REDACTED
    netloc = "***@" + parts.netloc.rpartition("@")[2] if "@" in parts.netloc else parts.netloc
    pairs = [pair.partition("=") for pair in parts.query.split("&")] if parts.query else []
    query = "&".join(n + (f"={REDACTED}" if _secret_param(n) else s + v) for n, s, v in pairs)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _hide(value: Any, depth: int) -> Any:
    """Every value inside ``value`` replaced; object keys (names) kept."""
    if isinstance(value, dict) and depth < MAX_DEPTH:
        return {str(k): _hide(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list) and depth < MAX_DEPTH:
        return [_hide(v, depth + 1) for v in value]
    return value if value is None or isinstance(value, bool) else REDACTED


def redact(value: Any, depth: int = 0) -> Any:
    """Copy of ``value`` with every secret value replaced and every name kept.

    Secret values are those of fields the Databricks API documents as secret, every
    ``*_plaintext`` field, the values (not the names) of header and environment-variable
    maps, and credential-looking fields; URLs lose their user info and credential query
    values. Nesting deeper than ``MAX_DEPTH`` (which no real
    payload has) is replaced too, so a hostile upstream body cannot exhaust the stack.
    """
    if isinstance(value, (dict, list)) and depth >= MAX_DEPTH:
        return REDACTED
    if isinstance(value, list):
        return [redact(v, depth + 1) for v in value]
    if isinstance(value, str):
        return without_url_credentials(value)
    if not isinstance(value, dict):
        return value
    copy: dict[str, Any] = {}
    for raw_key, item in value.items():
        key = str(raw_key)
        lowered = key.lower()
        if lowered in AUTH_OBJECTS and isinstance(item, dict):
            names = AUTH_OBJECTS[lowered]
            copy[key] = {
                str(k): (redact(v, depth + 2) if str(k).lower() in names else _hide(v, depth + 2))
                for k, v in item.items()
            }
        elif lowered in NAME_VALUE_MAPS or lowered.endswith("_headers") or secret_field(key):
            copy[key] = _hide(item, depth + 1)
        else:
            copy[key] = redact(item, depth + 1)
    return copy


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


def legacy_items(endpoints: list[Endpoint]) -> tuple[bytes, str | None]:
    """The ``endpoints`` array of ``/serving_endpoints`` as JSON, and the workspace URL."""
    items = [legacy_item(e.raw, e.endpoint_url, e.target) for e in endpoints if e.raw]
    hosts = [e.target_url for e in endpoints if e.target_url]
    # orjson's bytes of the whole list, made a few hundred items per call (each call holds the GIL).
    parts = [orjson.dumps(items[i : i + CHUNK])[1:-1] for i in range(0, len(items), CHUNK)]
    return b"[" + b",".join(parts) + b"]", hosts[0] if hosts else None


@router.get("/serving_endpoints", summary="Databricks serving endpoints (LiteLLM-compatible shape)")
async def serving_endpoints(hub: HubDep, request: Request) -> Response:
    view = await hub.view(PROVIDER)
    # Redacting and serialising thousands of endpoints: once per refresh, in a worker thread.
    items, workspace_url = await view.made(f"{PROVIDER}:serving_endpoints", lambda: legacy_items(view.endpoints))
    fetched_at = datetime.fromtimestamp(view.fetched_at, tz=timezone.utc) if view.fetched_at is not None else None
    rest = {
        "workspace_url": workspace_url,
        "source": view.source,
        "fetched_at": fetched_at.isoformat().replace("+00:00", "Z") if fetched_at else None,
        "stale": view.stale,
    }
    body = b'{"endpoints":' + items + b"," + orjson.dumps(rest)[1:]
    return cached_response(request, body, hub.freshness([view]).variant("serving_endpoints"))


@router.post(
    "/endpoints/discover",
    response_model=EndpointList,
    summary="List a workspace's endpoints with the caller's own credentials (operator opt-in)",
    description="Off unless HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS=true. "
    "The credentials in the body replace the hub's and are never combined with them; "
    "the host must be a public Databricks workspace host. Not cached. "
    "The hub's key check and the opt-in are decided before the body is read. See docs/security.md.",
    responses=byo.RESPONSES,
    dependencies=[Depends(byo.require_enabled)],
    openapi_extra=body_schema(byo.TokenCredentials, byo.ClientCredentials),
)
async def discover_with_caller_credentials(hub: HubDep, request: Request) -> JSONResponse:
    # No Body() parameter: FastAPI would read and parse it before the guards ran.
    credentials = await json_body(request, byo.CALLER_CREDENTIALS, max_bytes=byo.MAX_BODY_BYTES)
    result = await byo.discover(credentials, hub.settings, hub.settings.provider_config(PROVIDER))
    return JSONResponse(result.model_dump(mode="json"))
