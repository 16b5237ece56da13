"""The public routes: providers, a provider's endpoints, and the model hub."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from hub_core.api.conditional import etag_matches, joined
from hub_core.api.deps import HubDep
from hub_core.api.problems import problem_responses
from hub_core.freshness import Freshness
from hub_core.models import EndpointList, ModelGroup, ProviderStatus

PROVIDER_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"

PROBLEM_RESPONSES = problem_responses(
    {
        400: "Bad request",
        404: "Unknown provider",
        502: "The provider's upstream failed",
        503: "Nothing can be served right now",
    }
)

router = APIRouter(tags=["public"], responses=PROBLEM_RESPONSES)
"""Mounted at ``include_hub``'s ``prefix`` (default ``/public``)."""


SLICE = 1024 * 1024
"""A large body goes out in pieces of this size, so the event loop serves others while it is sent."""


class JSONBytes(Response):
    """Serialised JSON; a body of many megabytes is sent in slices rather than one write."""

    media_type = "application/json"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if len(self.body) <= SLICE:
            await super().__call__(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send_sliced(send, bytes(self.body))


async def send_sliced(send: Send, body: bytes) -> None:
    """``body`` as ``http.response.body`` messages of at most ``SLICE`` bytes each."""
    for start in range(0, len(body), SLICE):
        end = start + SLICE
        await send({"type": "http.response.body", "body": body[start:end], "more_body": end < len(body)})
    if not body:
        await send({"type": "http.response.body", "body": b""})


def cached_response(request: Request, body: bytes, freshness: Freshness) -> Response:
    """The body with freshness headers, or 304 when the client already has this version."""
    headers = freshness.headers()
    etag = headers.get("ETag")  # none on an answer that left a failing provider out
    if etag is not None and etag_matches(joined(request.headers.getlist("if-none-match")), etag):
        return Response(status_code=304, headers=headers)
    return JSONBytes(body, headers=headers)


@router.get("/providers", response_model=list[ProviderStatus], summary="Installed providers and their status")
async def list_providers(hub: HubDep) -> Response:
    statuses = await hub.statuses()
    return JSONBytes(orjson.dumps([s.model_dump(mode="json") for s in statuses]))


@router.get(
    "/model_hub",
    response_model=list[ModelGroup],
    summary="Model-hub entries, for one provider or all merged",
)
async def model_hub(
    request: Request,
    hub: HubDep,
    provider: Annotated[str | None, Query(max_length=64, pattern=PROVIDER_NAME)] = None,
    available: Annotated[bool | None, Query(description="true: only entries that can be called now")] = None,
) -> Response:
    body, freshness = await hub.model_hub_body(provider, available=available)
    return cached_response(request, body, freshness)


@router.get("/{provider}/endpoints", response_model=EndpointList, summary="A provider's deployed endpoints")
async def provider_endpoints(request: Request, hub: HubDep, provider: Annotated[str, Path(max_length=64)]) -> Response:
    body, freshness = await hub.endpoints_body(provider)
    return cached_response(request, body, freshness)
