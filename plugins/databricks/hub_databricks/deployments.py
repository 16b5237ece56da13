"""One Databricks endpoint -> the ``litellm_params`` of a LiteLLM deployment that calls it.

LiteLLM's ``databricks/`` provider posts to ``{api_base}/chat/completions`` (chat) and
``{api_base}/embeddings`` with ``model`` set to the endpoint name, so ``api_base`` is the
workspace's ``/serving-endpoints``. Credentials are named, never copied: a PAT becomes
``os.environ/<the variable the hub read it from>``. LiteLLM reads OAuth M2M credentials
only from ``DATABRICKS_CLIENT_ID`` and ``DATABRICKS_CLIENT_SECRET`` in its own
environment, and SDK auth from the Databricks SDK's unified auth there.
"""

from __future__ import annotations

from typing import Any

from hub_core import Endpoint, ProviderError, Target
from hub_databricks.config import PROVIDER, WorkspaceConfig

# Modes LiteLLM's databricks provider can call (it has no text-completion route).
CALLABLE_MODES = frozenset({"chat", "embedding"})
LITELLM_OAUTH_ENV = ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET")


def litellm_params(endpoint: Endpoint, target: Target) -> dict[str, Any] | None:
    if endpoint.mode not in CALLABLE_MODES:
        return None
    workspace: WorkspaceConfig | None = getattr(target.handle, "workspace", None)
    if workspace is None:
        raise ProviderError(f"Databricks workspace {target.name!r} has no configuration to export.", provider=PROVIDER)
    host = (endpoint.target_url or workspace.host).rstrip("/")
    if not host:
        raise ProviderError(
            f"Databricks workspace {target.name!r} has no host to call; set host for it.", provider=PROVIDER
        )
    params: dict[str, Any] = {"model": f"{PROVIDER}/{endpoint.name}", "api_base": f"{host}/serving-endpoints"}
    if workspace.auth == "pat" and workspace.secret_env:
        params["api_key"] = f"os.environ/{workspace.secret_env}"
    elif workspace.auth == "oauth-m2m" and (workspace.client_id_env, workspace.secret_env) != LITELLM_OAUTH_ENV:
        raise ProviderError(
            f"Databricks workspace {target.name!r} uses OAuth M2M from {workspace.credential_source}, but LiteLLM "
            "reads OAuth credentials only from DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET. Use those two "
            "variables for this workspace (client_id_env and client_secret_env), or a PAT.",
            provider=PROVIDER,
        )
    return params
