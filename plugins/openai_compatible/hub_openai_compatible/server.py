"""Servers from ``OPENAI_COMPATIBLE_BASE_URL`` and ``[[providers.openai_compatible.servers]]``, and their lists."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hub_core import (
    Endpoint,
    ProviderConfigError,
    ProviderError,
    Redactor,
    ServedEntity,
    get_json,
    secret_from_env,
    settings_table,
)

PROVIDER = "openai_compatible"
BASE_URL_ENV = "OPENAI_COMPATIBLE_BASE_URL"
logger = logging.getLogger("hub_openai_compatible")


class Server(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    base_url: str = Field(pattern=r"^https?://[^/@?#\s]+(/[^?#@\s]*)?$", description="no credentials or query")
    api_key_env: str | None = None
    ollama: bool = False
    catalog_prefixes: list[str] | None = None  # default: ["ollama"] for Ollama, else none
    timeout: float = Field(default=10.0, gt=0, le=120)


def _server(table: Mapping[str, Any], where: str, key_env: str | None = None) -> tuple[Server, SecretStr | None]:
    """One server and its key: from ``api_key_env``, else from ``key_env`` if that is set."""
    server = settings_table(Server, table, provider=PROVIDER, where=where, env_field="api_key_env")
    return server, secret_from_env(table, "api_key", provider=PROVIDER, env_default=key_env, table=where)


def from_environment() -> list[tuple[dict[str, str], str]]:
    """One URL (server ``default``) or comma-separated ``name=url`` pairs, each with the variable of its key:
    ``OPENAI_COMPATIBLE_API_KEY`` for ``default``, ``OPENAI_COMPATIBLE_<NAME>_API_KEY`` for the others."""
    servers = []
    for pair in filter(None, (p.strip() for p in os.environ.get(BASE_URL_ENV, "").split(","))):
        name, url = pair.split("=", 1) if "=" in pair else ("default", pair)
        suffix = "" if name == "default" else re.sub(r"\W", "_", name).upper() + "_"
        servers.append(({"name": name, "base_url": url}, f"OPENAI_COMPATIBLE_{suffix}API_KEY"))
    return servers


def resolve_servers(config: Mapping[str, Any]) -> list[ServerClient]:
    tables = config.get("servers", [])
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise ProviderConfigError(f"[[providers.{PROVIDER}.servers]] must be an array of tables.", provider=PROVIDER)
    servers = [_server(t, f"[[providers.{PROVIDER}.servers]] #{i + 1}") for i, t in enumerate(tables)]
    servers += [_server(table, BASE_URL_ENV, key_env) for table, key_env in from_environment()]
    # Two servers of one name are refused by the hub, as for every plugin's targets.
    return [ServerClient(server, key) for server, key in servers]


class ServerClient:
    def __init__(self, server: Server, key: SecretStr | None) -> None:
        self.server, self.redactor, self.auth_method = server, Redactor(key), "bearer" if key else "none"
        bearer = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
        self.headers = {"Accept": "application/json", **bearer}  # per request, so it goes to base_url only
        self.base_url = re.sub(r"/v1$", "", server.base_url.rstrip("/"))
        self.what = f"OpenAI-compatible server {server.name!r} ({self.base_url})"
        self.prefixes = ["ollama"] if server.catalog_prefixes is None and server.ollama else server.catalog_prefixes

    async def endpoints(self) -> list[Endpoint]:
        # One client per refresh, shared by its calls; no redirects, so the key is never sent elsewhere.
        async with httpx.AsyncClient(timeout=self.server.timeout, follow_redirects=False) as http:
            body = await self.get(http, "/v1/models")
            items = body.get("data") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise ProviderError(f"{self.what} answered /v1/models without a 'data' list.", provider=PROVIDER)
            tags = await self.ollama_tags(http) if self.server.ollama else {}
        items = [i for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]
        return [self.endpoint(i, tags.get(i["id"], {})) for i in items]

    async def get(self, http: httpx.AsyncClient, path: str) -> Any:
        """A JSON body, with the key redacted wherever the server echoes it."""
        url, headers = self.base_url + path, self.headers
        return await get_json(http, url, provider=PROVIDER, what=self.what, headers=headers, redactor=self.redactor)

    async def ollama_tags(self, http: httpx.AsyncClient) -> dict[str, Any]:
        """Ollama's ``/api/tags`` by model name; without them the list is still served."""
        try:
            return {t["model"]: t for t in (await self.get(http, "/api/tags"))["models"] if isinstance(t["model"], str)}
        except (ProviderError, LookupError, TypeError) as error:
            logger.warning("%s: no Ollama details from /api/tags (%s)", self.what, error)
            return {}

    def endpoint(self, item: dict[str, Any], tag: dict[str, Any]) -> Endpoint:
        created, details, owner = item.get("created"), tag.get("details"), item.get("owned_by")
        created = created if isinstance(created, int) and 0 < created < 2**33 else None
        details, digest = details if isinstance(details, dict) else {}, str(tag.get("digest") or "")[:12]
        words = [details.get(k) for k in ("family", "parameter_size", "quantization_level")]
        return Endpoint(
            provider=PROVIDER,
            name=str(item["id"]),
            target=self.server.name,
            target_url=self.base_url,
            endpoint_url=f"{self.base_url}/v1",
            served_by="lora_adapter" if isinstance(item.get("parent"), str) else "model",
            entities=[ServedEntity(name=str(item.get("root") or item["id"]), version=digest or None)],
            description=" ".join(w for w in words if isinstance(w, str)) or None,
            creator=owner if isinstance(owner, str) else None,
            created_at=datetime.fromtimestamp(created, timezone.utc) if created else None,
            raw={**item, "catalog_prefixes": self.prefixes or [], **({"ollama": tag} if tag else {})},
        )
