"""Dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub_core.hub import Hub

HUB_STATE_KEY = "hub_core"
API_PREFIX_KEY = "hub_core_api_prefix"
"""Where ``include_hub`` mounted the API in this app (``app.state``), for the page."""
DEFAULT_API_PREFIX = "/public"


async def get_hub(request: Request) -> Hub:
    """The Hub attached to this app by ``create_app`` or ``include_hub``."""
    hub: Hub = getattr(request.app.state, HUB_STATE_KEY)
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]
