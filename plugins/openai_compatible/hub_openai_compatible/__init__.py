"""hub-openai-compatible: the models that OpenAI-compatible servers (vLLM, Ollama, ...) list, as model-hub entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub_core import Endpoint, ModelGroup, ProviderInfo, Target, hookimpl

if TYPE_CHECKING:
    from hub_openai_compatible.discover import Catalog

__version__ = "0.1.0"


@hookimpl
def provider_info() -> ProviderInfo:
    return ProviderInfo(
        display_name="OpenAI-compatible servers",
        description="Models listed by OpenAI-compatible servers: vLLM, Ollama, LM Studio, llama.cpp, TGI, LiteLLM.",
        settings=[
            "OPENAI_COMPATIBLE_BASE_URL",
            "OPENAI_COMPATIBLE_API_KEY",
            "OPENAI_COMPATIBLE_<NAME>_API_KEY",
            "[[providers.openai_compatible.servers]] name, base_url, api_key_env, ollama, catalog_prefixes, timeout",
        ],
    )


@hookimpl
def configured_targets(config: Mapping[str, Any]) -> list[Target]:
    from hub_openai_compatible.config import resolve_servers
    from hub_openai_compatible.discover import ServerClient

    return [
        Target(name=s.name, url=s.base_url, auth_method="bearer" if s.api_key else "none", handle=ServerClient(s))
        for s in resolve_servers(config)
    ]


@hookimpl
async def discover_endpoints(target: Target) -> list[Endpoint]:
    endpoints: list[Endpoint] = await target.handle.endpoints()
    return endpoints


@hookimpl
def to_model_group(endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
    from hub_openai_compatible.discover import to_model_group as convert

    return convert(endpoint, catalog)
