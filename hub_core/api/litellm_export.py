"""``GET /public/{provider}/litellm_model_list``: a provider's available endpoints as LiteLLM deployments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from hub_core.api.deps import HubDep
from hub_core.api.public import PROBLEM_RESPONSES, PROVIDER_NAME, JSONBytes, cached_response
from hub_core.litellm_config import LiteLLMModelList, litellm_model_list_body

# No prefix of its own: build_router mounts it where the rest of the API is (/public).
router = APIRouter(tags=["public"], responses=PROBLEM_RESPONSES)


@router.get(
    "/{provider}/litellm_model_list",
    response_model=LiteLLMModelList,
    summary="A provider's available endpoints as LiteLLM model_list deployments",
    description="One deployment per endpoint and target; credentials are os.environ/NAME references, never "
    "values. `left_out` says which endpoints are not exported and why. See docs/litellm.md.",
)
async def provider_litellm_model_list(
    request: Request, hub: HubDep, provider: Annotated[str, Path(max_length=64, pattern=PROVIDER_NAME)]
) -> Response:
    # Bytes made once per refresh, off the event loop; revalidated with the hub's ETag.
    body, freshness = await litellm_model_list_body(hub, provider)
    return JSONBytes(body) if freshness is None else cached_response(request, body, freshness)
