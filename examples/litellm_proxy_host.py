"""LiteLLM's proxy with the hub mounted in it, behind LiteLLM's own key check.

Run it like LiteLLM's proxy (no database needed; a master key is):

    LITELLM_MASTER_KEY=sk-... CONFIG_FILE_PATH=litellm.yaml DATABRICKS_HOST=... DATABRICKS_TOKEN=... \\
        uvicorn --app-dir examples litellm_proxy_host:app --port 4000

``hub export litellm-config -o litellm.yaml`` writes a config whose model_list calls the
discovered endpoints. With ``HUB_LITELLM_SYNC_SECONDS`` set, the hub also registers and
removes deployments in the running proxy's router as endpoints appear and disappear.
"""

from __future__ import annotations

import os

from fastapi import Depends
from litellm.proxy.auth.user_api_key_auth import user_api_key_auth
from litellm.proxy.proxy_server import app

from hub_core.app import include_hub
from hub_core.litellm_router import RouterSync, run_in_proxy

# override=True: the hub's /public/model_hub, /public/providers and /public/v1/model_hub* answer
# in place of LiteLLM's own (docs/litellm.md, "What overrides what").
hub = include_hub(app, dependencies=[Depends(user_api_key_auth)], override=True)

interval = os.environ.get("HUB_LITELLM_SYNC_SECONDS")
run_in_proxy(app, hub, sync=RouterSync(hub, interval=float(interval)) if interval else None)
