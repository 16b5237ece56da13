"""hub-openai-compatible: the models OpenAI-compatible servers (vLLM, Ollama, ...) list, as model-hub entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub_core import Catalog, Endpoint, ModelGroup, ProviderInfo, Target, hookimpl, live_model_group

__version__ = "0.1.0"
PROVIDER = "openai_compatible"
SETTINGS = ["OPENAI_COMPATIBLE_BASE_URL", "OPENAI_COMPATIBLE_[<NAME>_]API_KEY", f"[[providers.{PROVIDER}.servers]]"]


@hookimpl
def provider_info() -> ProviderInfo:
    description = "Models listed by OpenAI-compatible servers: vLLM, Ollama, LM Studio, llama.cpp, TGI, LiteLLM."
    return ProviderInfo(display_name="OpenAI-compatible servers", description=description, settings=SETTINGS)


@hookimpl
def configured_targets(config: Mapping[str, Any]) -> list[Target]:
    from hub_openai_compatible.server import resolve_servers

    return [
        Target(name=c.server.name, url=c.base_url, auth_method=c.auth_method, handle=c) for c in resolve_servers(config)
    ]


@hookimpl
async def discover_endpoints(target: Target) -> list[Endpoint]:
    return await target.handle.endpoints()  # type: ignore[no-any-return]


@hookimpl
def to_model_group(endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
    names = (endpoint.name, endpoint.name.removesuffix(":latest"))  # Ollama's default tag
    fields = catalog.fields_under(names, endpoint.raw.get("catalog_prefixes", []))
    window = endpoint.raw.get("max_model_len")
    if isinstance(window, int) and not isinstance(window, bool) and window > 0:
        fields["max_input_tokens"] = window  # vLLM's context window: what the server really accepts
    return live_model_group(endpoint, model_group=f"{PROVIDER}/{endpoint.name}", providers=[PROVIDER], **fields)
