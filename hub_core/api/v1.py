"""``/public/v1/model_hub``: the model hub paged, sorted, searched and filtered, with facets.

The wire format and the query grammar are LiteLLM's ``/public/v1`` list API (its
``ListResponse`` and ``FacetListResponse``, ``filter[field][op]`` parameters, sort and
paging rules), so LiteLLM's dashboard and clients read the hub unchanged; the hub's own
fields ride along as extra keys. docs/litellm.md lists every difference that remains.

This module holds the routes and the response shapes; the query grammar, filters, sort,
selections and facet counts are ``hub_core.browse``'s. A page request never calls a
provider's upstream, and only the requested page is serialised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from hub_core.api.deps import HubDep
from hub_core.api.problems import problem_responses
from hub_core.api.public import cached_response
from hub_core.browse import (
    FEATURES,
    MAX_SEARCH_CHARS,
    MAX_VALUE_CHARS,
    PAGE,
    PAGE_SIZE,
    SEARCH,
    SORT,
    SORT_KEYS,
    Query,
    Selection,
    facet_counts,
    features_of,
    load_views,
    parse_facet_query,
    parse_list_query,
    selections,
    sort_text,
    wire_mode,
)
from hub_core.group_json import group_json
from hub_core.models import ModelGroup, Source
from hub_core.views import ProviderView, joined

PROBLEM_RESPONSES = problem_responses(
    {
        400: "A parameter is unknown, repeated or invalid; the problem names it and what is allowed",
        404: "A provider named in filter[providers][in] is disabled",
        502: "A provider named in filter[providers][in] has a failing upstream",
        503: "Nothing can be served right now for a provider named in filter[providers][in]",
    }
)

router = APIRouter(tags=["v1"], responses=PROBLEM_RESPONSES)
"""Mounted at ``include_hub``'s ``prefix`` (default ``/public``): ``/public/v1/model_hub``."""


# -- response shapes (for the OpenAPI schema; bodies are built with orjson) ----------------


class ProviderMeta(BaseModel):
    source: Source
    stale: bool
    fetched_at: datetime | None = None
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class ListMeta(BaseModel):
    """LiteLLM's ``ListMeta``, plus how fresh the data is."""

    total_count: int
    page: int
    page_size: int
    total_pages: int
    sort: str = Field(description="The order applied, e.g. '-max_input_tokens' (model_group breaks ties).")
    fetched_at: datetime | None = Field(default=None, description="The oldest data in this response.")
    stale: bool
    providers: dict[str, ProviderMeta]


class ListLinks(BaseModel):
    self: str
    first: str
    prev: str | None
    next: str | None
    last: str


class ModelHubPage(BaseModel):
    data: list[ModelGroup]
    meta: ListMeta
    links: ListLinks


class FacetMeta(BaseModel):
    """LiteLLM's ``PageMeta``, plus counts and freshness."""

    page: int
    page_size: int
    has_more: bool
    total: int = Field(description="Entries matching the filters.")
    counts: dict[str, int] = Field(description="How many matching entries have each value of this page.")
    labels: dict[str, str] | None = Field(default=None, description="/providers only: display names.")
    fetched_at: datetime | None = None
    stale: bool
    providers: dict[str, ProviderMeta]


class FacetLinks(BaseModel):
    self: str
    prev: str | None
    next: str | None


class FacetList(BaseModel):
    data: list[str]
    meta: FacetMeta
    links: FacetLinks


# -- parameters -----------------------------------------------------------------------------


def _string_parameter(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def openapi_parameters(*, facet: bool) -> list[dict[str, Any]]:
    """The query parameters as OpenAPI declares them (parsed by hand, so unknown and repeated ones are refused)."""
    text = {"type": "string", "maxLength": MAX_VALUE_CHARS}
    parameters = [
        _string_parameter(PAGE, "1-based page number.", type="integer", minimum=1),
        _string_parameter(PAGE_SIZE, "Entries per page; above 100 is read as 100.", type="integer", minimum=1),
        _string_parameter(
            SEARCH,
            "Case-insensitive substring of model_group or display_name.",
            type="string",
            maxLength=MAX_SEARCH_CHARS,
        ),
        _string_parameter("filter[mode]", "Entries of exactly this mode ('unknown': mode not known).", **text),
        _string_parameter("filter[mode][in]", "Entries of any of these modes (comma-separated).", **text),
        _string_parameter("filter[providers][contains]", "Entries with a provider containing this text.", **text),
        _string_parameter("filter[providers][in]", "Entries with any of these providers (comma-separated).", **text),
        _string_parameter(
            "filter[features][in]",
            "Entries with any of these features: " + ", ".join(FEATURES) + " (comma-separated).",
            **text,
        ),
        _string_parameter(
            "filter[available]",
            "true: only entries callable now; false: only the others.",
            type="string",
            enum=["true", "false"],
        ),
        _string_parameter("filter[source]", "live or catalog.", **text),
        _string_parameter("filter[source][in]", "Any of live, catalog (comma-separated).", **text),
    ]
    if not facet:
        parameters.insert(
            2,
            _string_parameter(
                SORT,
                "Comma list of fields, '-' prefix for descending, each at most once: " + ", ".join(SORT_KEYS) + ".",
                type="string",
                maxLength=MAX_VALUE_CHARS,
            ),
        )
    return parameters


# -- meta and links ---------------------------------------------------------------------------


def _iso(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def freshness_meta(views: list[ProviderView]) -> dict[str, Any]:
    fetched = [v.fetched_at for v in views if v.fetched_at is not None]
    return {
        "fetched_at": _iso(min(fetched)) if fetched else None,
        "stale": any(v.stale for v in views),
        "providers": {
            v.provider: {
                "source": v.source,
                "stale": v.stale,
                "fetched_at": _iso(v.fetched_at),
                "errors": v.errors,
                "warnings": v.warnings,
            }
            for v in views
        },
    }


def _described(views: list[ProviderView], query: Query, selection: Selection) -> list[ProviderView]:
    """The views ``meta`` reports on: all of them, or under a providers filter those it names or that matched."""
    if not query.filters_providers:
        return views
    keep = selection.providers | set(query.named_providers)
    return [v for v in views if v.provider in keep]


def _link(request: Request, page: int) -> str:
    """LiteLLM's page links: the query as sent, ``page`` moved to the end."""
    others = [(k, v) for k, v in request.query_params.multi_items() if k != PAGE]
    return f"{request.url.path}?{urlencode([*others, (PAGE, str(page))])}"


# -- routes ----------------------------------------------------------------------------------


@router.get(
    "/v1/model_hub",
    response_model=ModelHubPage,
    summary="Model-hub entries, paged, sorted and filtered (LiteLLM's ListResponse)",
    openapi_extra={"parameters": openapi_parameters(facet=False)},
)
async def model_hub_page(request: Request, hub: HubDep) -> Response:
    parsed = parse_list_query(request.query_params.multi_items())
    query = parsed.query
    views = await load_views(hub, query.named_providers)
    selection = await selections(hub).get(views, query, parsed.sort)
    total = len(selection.rows)
    pages = math.ceil(total / parsed.page_size)
    start = (parsed.page - 1) * parsed.page_size
    # Only this page's rows are serialised (pydantic's JSON bytes, made by ``group_json``).
    data = joined([group_json(group) for _, group in selection.rows[start : start + parsed.page_size]])
    last = max(pages, 1)
    page = parsed.page
    rest = {
        "meta": {
            "total_count": total,
            "page": page,
            "page_size": parsed.page_size,
            "total_pages": pages,
            "sort": sort_text(parsed.sort),
            **freshness_meta(_described(views, query, selection)),
        },
        "links": {
            "self": _link(request, page),
            "first": _link(request, 1),
            "prev": _link(request, page - 1) if page > 1 else None,
            "next": _link(request, page + 1) if page < last else None,
            "last": _link(request, last),
        },
    }
    body = b'{"data":' + data + b"," + orjson.dumps(rest)[1:]
    return cached_response(request, body, hub.freshness(views).variant("page", str(request.url)))


def _facet_route(name: str, summary: str, values: Callable[[ModelGroup], Iterable[str]]) -> None:
    async def facet(request: Request, hub: HubDep) -> Response:
        parsed = parse_facet_query(request.query_params.multi_items())
        query = parsed.query
        views = await load_views(hub, query.named_providers)
        selection = await selections(hub).get(views, query, None)
        counts, ordered = await facet_counts(selection, name, values)
        start = (parsed.page - 1) * parsed.page_size
        window = ordered[start : start + parsed.page_size + 1]
        has_more = len(window) > parsed.page_size
        window = window[: parsed.page_size]
        meta: dict[str, Any] = {
            "page": parsed.page,
            "page_size": parsed.page_size,
            "has_more": has_more,
            "total": len(selection.rows),
            "counts": {value: counts[value] for value in window},
        }
        if name == "providers":
            records = hub.registry.records
            meta["labels"] = {v: records[v].display_name for v in window if v in records}
        meta.update(freshness_meta(_described(views, query, selection)))
        links = {
            "self": _link(request, parsed.page),
            "prev": _link(request, parsed.page - 1) if parsed.page > 1 else None,
            "next": _link(request, parsed.page + 1) if has_more else None,
        }
        body = orjson.dumps({"data": window, "meta": meta, "links": links})
        return cached_response(request, body, hub.freshness(views).variant(name, str(request.url)))

    facet.__name__ = f"model_hub_{name}"
    router.add_api_route(
        f"/v1/model_hub/{name}",
        facet,
        methods=["GET"],
        response_model=FacetList,
        summary=summary,
        name=f"model_hub_{name}",
        openapi_extra={"parameters": openapi_parameters(facet=True)},
    )


_facet_route("providers", "Providers of the matching entries (LiteLLM's FacetListResponse)", lambda g: g.providers)
_facet_route("modes", "Modes of the matching entries ('unknown' where no mode is known)", lambda g: (wire_mode(g),))
_facet_route("features", "Features (supports_* flags) of the matching entries", features_of)
