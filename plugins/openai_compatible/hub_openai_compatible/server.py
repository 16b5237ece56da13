"""Servers from ``OPENAI_COMPATIBLE_BASE_URL`` and ``[[providers.openai_compatible.servers]]``, and their lists."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub_core import Endpoint, ProviderConfigError, ProviderError, Redactor, ServedEntity, get_json

PROVIDER = "openai_compatible"
logger = logging.getLogger("hub_openai_compatible")


class Server(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    base_url: str = Field(pattern=r"^https?://[^/@?#\s]+(/[^?#@\s]*)?$", description="no credentials or query")
    api_key_env: str | None = None
    ollama: bool = False
    catalog_prefixes: list[str] | None = None  # default: ["ollama"] for Ollama, else none
    timeout: float = Field(default=10.0, gt=0, le=120)


def _fail(message: str) -> ProviderConfigError:
    return ProviderConfigError(f"OpenAI-compatible servers: {message}", provider=PROVIDER)


def _server(table: Mapping[str, Any], where: str) -> Server:
    if any(re.search("key|token|secret|password", k, re.I) for k in set(table) - set(Server.model_fields)):
        raise _fail(f"{where} holds an inline secret; put it in an environment variable named by api_key_env.")
    try:
        return Server.model_validate(table)
    except ValidationError as error:  # messages without the input values
        faults = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_input=False))
        raise _fail(f"{where}: {faults}; see docs/openai_compatible.md.") from None


def from_environment() -> list[dict[str, str]]:
    """One URL (server ``default``) or comma-separated ``name=url`` pairs; keys in ``..._[NAME_]API_KEY``."""
    pairs = [p.strip() for p in os.environ.get("OPENAI_COMPATIBLE_BASE_URL", "").split(",") if p.strip()]
    tables = [dict(zip(("name", "base_url"), p.split("=", 1) if "=" in p else ("default", p))) for p in pairs]  # noqa: B905
    for table in tables:
        suffix = "" if table["name"] == "default" else re.sub(r"\W", "_", table["name"]).upper() + "_"
        if os.environ.get(key_env := f"OPENAI_COMPATIBLE_{suffix}API_KEY"):
            table["api_key_env"] = key_env
    return tables


def resolve_servers(config: Mapping[str, Any]) -> list[ServerClient]:
    tables = config.get("servers", [])
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise _fail("[[providers.openai_compatible.servers]] must be an array of tables.")
    servers = [_server(t, f"servers[{i}]") for i, t in enumerate(tables)]
    servers += [_server(t, "OPENAI_COMPATIBLE_BASE_URL") for t in from_environment()]
    if len({s.name for s in servers}) != len(servers):
        raise _fail(f"two servers share a name in {[s.name for s in servers]}; give each a unique name.")
    for s in servers:
        if s.api_key_env and not os.environ.get(s.api_key_env):
            raise _fail(f"server {s.name!r}: api_key_env names {s.api_key_env!r}, which is not set.")
    return [ServerClient(s, os.environ.get(s.api_key_env) if s.api_key_env else None) for s in servers]


class ServerClient:
    def __init__(self, server: Server, key: str | None) -> None:
        self.server, self.redactor, self.auth = server, Redactor(key), {"Authorization": f"Bearer {key}"} if key else {}
        self.base_url = re.sub(r"/v1$", "", server.base_url.rstrip("/"))
        self.what = f"OpenAI-compatible server {server.name!r} ({self.base_url})"
        self.prefixes = ["ollama"] if server.catalog_prefixes is None and server.ollama else server.catalog_prefixes
        # No redirects, and the key is a per-request header: it goes to base_url only.
        self.http = httpx.AsyncClient(timeout=server.timeout, follow_redirects=False)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def get(self, path: str) -> Any:
        url, headers = self.base_url + path, {"Accept": "application/json", **self.auth}
        body = await get_json(
            self.http, url, provider=PROVIDER, what=self.what, headers=headers, redactor=self.redactor
        )
        return self.redactor.redact_data(body) if self.redactor.found_in_data(body) else body

    async def endpoints(self) -> list[Endpoint]:
        body = await self.get("/v1/models")
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ProviderError(f"{self.what} answered /v1/models without a 'data' list.", provider=PROVIDER)
        tags: dict[str, Any] = {}
        if self.server.ollama:
            try:
                tags = {t["model"]: t for t in (await self.get("/api/tags"))["models"] if isinstance(t["model"], str)}
            except (ProviderError, LookupError, TypeError) as error:
                logger.warning("%s: no Ollama details from /api/tags (%s)", self.what, error)
        items = [i for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]
        return [self.endpoint(i, tags.get(i["id"], {})) for i in items]

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
