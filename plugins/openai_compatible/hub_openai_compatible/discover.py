"""One server's ``/v1/models`` (and Ollama's ``/api/tags``) -> endpoints -> model-hub entries."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Protocol

import httpx

from hub_core import Endpoint, ModelGroup, ProviderError, Redactor, ServedEntity, get_json, live_model_group
from hub_openai_compatible.config import PROVIDER, Server

logger = logging.getLogger("hub_openai_compatible")


class Catalog(Protocol):
    def get(self, *keys: str | None) -> dict[str, Any] | None: ...
    def fields(self, *keys: str | None) -> dict[str, Any]: ...


class ServerClient:
    def __init__(self, server: Server) -> None:
        self.server, self.redactor = server, Redactor(server.api_key)
        self.what = f"OpenAI-compatible server {server.name!r} ({server.base_url})"
        # No redirects: the key goes to base_url only. Its header is set per request, never on the client.
        self.http = httpx.AsyncClient(timeout=server.timeout, follow_redirects=False)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def get(self, path: str) -> Any:
        key = self.server.api_key
        headers = {"Accept": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
        body = await get_json(
            self.http, self.server.base_url + path, provider=PROVIDER, what=self.what, headers=headers,
            redactor=self.redactor,
        )  # fmt: skip
        return self.redactor.redact_data(body) if self.redactor.found_in_data(body) else body

    async def endpoints(self) -> list[Endpoint]:
        body = await self.get("/v1/models")
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ProviderError(f"{self.what} answered /v1/models without a 'data' list.", provider=PROVIDER)
        tags: dict[str, Any] = {}
        if self.server.ollama:
            try:
                found = (await self.get("/api/tags")).get("models") or []
                tags = {t["model"]: t for t in found if isinstance(t, dict) and isinstance(t.get("model"), str)}
            except (ProviderError, AttributeError) as error:
                logger.warning("%s: no Ollama details from /api/tags: %s", self.what, error)
        return [self.endpoint(i, tags.get(i["id"])) for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]

    def endpoint(self, item: dict[str, Any], tag: dict[str, Any] | None) -> Endpoint:
        created, details = item.get("created"), (tag or {}).get("details") or {}
        root, parent, digest = item.get("root"), item.get("parent"), str((tag or {}).get("digest", ""))[:12]
        words = [details.get(k) for k in ("family", "parameter_size", "quantization_level")]
        return Endpoint(
            provider=PROVIDER,
            name=item["id"],
            target=self.server.name,
            target_url=self.server.base_url,
            endpoint_url=f"{self.server.base_url}/v1",
            served_by="lora_adapter" if isinstance(parent, str) else "model",
            entities=[ServedEntity(name=root if isinstance(root, str) else item["id"], version=digest or None)],
            state="READY",
            description=" ".join(w for w in words if isinstance(w, str)) or None,
            creator=item.get("owned_by") if isinstance(item.get("owned_by"), str) else None,
            created_at=datetime.fromtimestamp(created, timezone.utc) if isinstance(created, int) else None,
            raw={**item, "catalog_prefixes": self.server.catalog_prefixes, **({"ollama": tag} if tag else {})},
        )


def catalog_fields(model: str, prefixes: list[str], catalog: Catalog) -> dict[str, Any]:
    """The catalog entry under one of the server's prefixes, never another provider's by accident.

    ``ollama`` finds ``ollama/llama3``; ``openai`` finds ``gpt-4o``, whose entry says it is OpenAI's.
    """
    names = [model, model.removesuffix(":latest")]
    for prefix in prefixes:
        for name in names:
            if catalog.get(f"{prefix}/{name}"):
                return catalog.fields(f"{prefix}/{name}")
            if (catalog.get(name) or {}).get("litellm_provider") == prefix:
                return catalog.fields(name)
    return {}


def to_model_group(endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
    fields = dict(catalog_fields(endpoint.name, endpoint.raw.get("catalog_prefixes", []), catalog))
    window = endpoint.raw.get("max_model_len")
    if isinstance(window, int) and not isinstance(window, bool) and window > 0:
        fields["max_input_tokens"] = window  # vLLM's context window is what the server really accepts
    return live_model_group(endpoint, model_group=f"{PROVIDER}/{endpoint.name}", providers=[PROVIDER], **fields)
