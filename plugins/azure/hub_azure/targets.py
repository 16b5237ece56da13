"""Targets from the settings (one per subscription, or one per listed account), and LiteLLM's params."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub_azure.arm import ArmTarget
from hub_azure.config import PROVIDER, Account, account_subscription, fail, read_settings
from hub_core import Endpoint, ProviderError, Target

# LiteLLM reads these references in its own process; the hub never holds the values it exports.
ENTRA_PARAMS = {
    "tenant_id": "os.environ/AZURE_TENANT_ID",
    "client_id": "os.environ/AZURE_CLIENT_ID",
    "client_secret": "os.environ/AZURE_CLIENT_SECRET",
}


def targets(config: Mapping[str, Any]) -> list[Target]:
    """No subscription and no account configured: ``[]``, so the hub serves the catalog."""
    settings = read_settings(config)
    specs: list[tuple[str, str, Account | None]] = [
        (a.name or a.account, account_subscription(settings, a), a) for a in settings.accounts
    ] or [(sub, sub, None) for sub in settings.subscriptions]
    names = [name for name, _, _ in specs]
    if len(set(names)) != len(names):  # checked before any credential or client exists
        raise fail(f"two accounts share the target name in {names}; give one a unique name = '...'.")
    handles = [ArmTarget(settings, name, sub, account) for name, sub, account in specs]
    return [Target(name=h.name, url=h.url, auth_method=h.auth_method, handle=h) for h in handles]


def litellm_params(endpoint: Endpoint, target: Target) -> dict[str, Any]:
    handle: ArmTarget = target.handle
    settings = handle.settings
    if not endpoint.mode and endpoint.capabilities:  # ARM said what it can do, and none of it is LiteLLM's
        raise ProviderError(
            f"Azure deployment {endpoint.name!r}: ARM lists no chat, completion or embeddings capability for it.",
            provider=PROVIDER,
        )
    params: dict[str, Any] = {
        "model": f"azure/{endpoint.name}",
        "api_base": endpoint.raw["api_base"],
        "api_version": settings.inference_api_version,
    }
    if settings.litellm_auth == "entra":
        params.update(ENTRA_PARAMS)
    else:
        key_env = handle.account.api_key_env if handle.account and handle.account.api_key_env else None
        params["api_key"] = f"os.environ/{key_env or settings.api_key_env}"
    return params
