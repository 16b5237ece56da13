"""``/public/v1/model_hub``: the model hub paged, sorted, searched and filtered, with facets.

Everything here works on the hub's cached, already converted model groups
(``Hub.model_hub_views``); a page request never calls a provider's upstream. The
filtered and sorted selection is remembered per hub (keyed by the identity of the
cached group lists, which change only when a provider's data is refreshed), so paging
through a large list sorts it once, and only the requested page is serialised.
"""

from __future__ import annotations

import asyncio
import math
import re
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any, Literal
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from hub_core.api.deps import HubDep
from hub_core.api.problems import problem_responses
from hub_core.api.public import cached_response
from hub_core.errors import BadRequestError
from hub_core.hub import Hub, ProviderView
from hub_core.models import ModelGroup, Source

FEATURES: dict[str, str] = {
    "function_calling": "supports_function_calling",
    "parallel_function_calling": "supports_parallel_function_calling",
    "vision": "supports_vision",
    "reasoning": "supports_reasoning",
}

Row = tuple[str, ModelGroup]
"""(provider name, model group)."""


def _casefolded(value: str | None) -> str | None:
    return None if value is None else value.casefold()


SORT_KEYS: dict[str, Callable[[Row], Any]] = {
    "model_group": lambda r: r[1].model_group,
    "mode": lambda r: r[1].mode,
    "max_input_tokens": lambda r: r[1].max_input_tokens,
    "max_output_tokens": lambda r: r[1].max_output_tokens,
    "input_cost_per_token": lambda r: r[1].input_cost_per_token,
    "output_cost_per_token": lambda r: r[1].output_cost_per_token,
    "display_name": lambda r: _casefolded(r[1].display_name),
    "provider": lambda r: r[0],
    "available": lambda r: r[1].available,
    "source": lambda r: r[1].source,
}
DEFAULT_SORT = "model_group"

PROBLEM_RESPONSES = problem_responses(
    {
        400: "A parameter is invalid; the problem names it",
        404: "Unknown provider",
        502: "A requested provider's upstream failed",
        503: "Nothing can be served right now for a requested provider",
    }
)

router = APIRouter(prefix="/public/v1", tags=["v1"], responses=PROBLEM_RESPONSES)


class InvalidParameterError(BadRequestError):
    """A query parameter is wrong; ``parameter`` names it (same type as FastAPI's own 400s)."""

    slug = "invalid-parameter"
    title = "Invalid request parameter"

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"Invalid value for {parameter}: {message}", parameter=parameter)
        self.parameter = parameter


# -- response shapes (for the OpenAPI schema; bodies are built with orjson) ----------------


class ProviderMeta(BaseModel):
    source: Source
    stale: bool
    fetched_at: datetime | None = None
    errors: list[str] = Field(default_factory=list)


class PageMeta(BaseModel):
    page: int
    page_size: int
    total: int
    pages: int
    sort: str
    fetched_at: datetime | None = Field(default=None, description="The oldest data in this response.")
    stale: bool
    providers: dict[str, ProviderMeta]


class PageLinks(BaseModel):
    self: str
    first: str
    prev: str | None
    next: str | None
    last: str


class ModelHubPage(BaseModel):
    data: list[ModelGroup]
    meta: PageMeta
    links: PageLinks


class FacetValue(BaseModel):
    value: str
    count: int
    label: str | None = Field(default=None, description="A display name, where the hub knows one.")


class FacetMeta(BaseModel):
    total: int = Field(description="Entries matching the filters.")
    fetched_at: datetime | None = None
    stale: bool
    providers: dict[str, ProviderMeta]


class FacetList(BaseModel):
    data: list[FacetValue]
    meta: FacetMeta


# -- parameters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    providers: tuple[str, ...] | None = None
    modes: tuple[str, ...] | None = None
    features: tuple[str, ...] = ()
    available: bool | None = None
    source: Source | None = None

    def matches(self, row: Row) -> bool:
        provider, group = row
        if self.providers is not None and provider not in self.providers:
            return False
        if self.modes is not None and group.mode not in self.modes:
            return False
        if self.available is not None and group.available is not self.available:
            return False
        if self.source is not None and group.source != self.source:
            return False
        for feature in self.features:
            if not getattr(group, FEATURES[feature]):
                return False
        if self.q is not None:
            name = group.model_group.casefold()
            display = (group.display_name or "").casefold()
            if self.q not in name and self.q not in display:
                return False
        return True


# The patterns are published in the OpenAPI schema and checked here with the same
# (Python ``re.search``) semantics, so what the schema allows is exactly what is accepted.
MAX_VALUES = 20
MAX_VALUE_CHARS = 200


def comma_list(item: str) -> str:
    """A pattern for a comma list of ``item`` (spaces and empty items allowed)."""
    return rf"^[ ,]*(?:{item}(?: *,[ ,]*{item})*)?[ ,]*$"


NAME_ITEM = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
PROVIDER_LIST = comma_list(NAME_ITEM)
MODE_LIST = r"^[^,]{0,64}(?:,[^,]{0,64})*$"
FEATURE_LIST = comma_list("(?:" + "|".join(FEATURES) + ")")
SORT_LIST = comma_list("[-+ ]*(?:" + "|".join(SORT_KEYS) + ")")
_PATTERNS = {
    "provider": re.compile(PROVIDER_LIST),
    "mode": re.compile(MODE_LIST),
    "features": re.compile(FEATURE_LIST),
    "sort": re.compile(SORT_LIST),
}
_HINTS = {
    "provider": "provider names are letters, digits, '_', '.' and '-' (at most 64), comma-separated.",
    "mode": "modes are at most 64 characters each, comma-separated.",
    "features": "features are " + ", ".join(FEATURES) + ", comma-separated.",
    "sort": "a comma list of fields, each optionally prefixed with '-': " + ", ".join(SORT_KEYS) + ".",
}


def _items(name: str, values: Sequence[str]) -> list[tuple[int, str]]:
    """(position, item) of repeatable, comma-separated values, after checking them against the pattern."""
    if len(values) > MAX_VALUES:
        raise InvalidParameterError(name, f"at most {MAX_VALUES} values.")
    items: list[tuple[int, str]] = []
    for value in values:
        for raw in value.split(","):
            item = raw.strip()
            if item:
                items.append((len(items) + 1, item))
    for value in values:
        if len(value) > MAX_VALUE_CHARS or not _PATTERNS[name].search(value):
            raise InvalidParameterError(name, _HINTS[name])
    return items


def _split(name: str, values: Sequence[str] | None) -> tuple[str, ...] | None:
    """Repeatable and/or comma-separated values, deduplicated; None when absent or empty."""
    if not values:
        return None
    items: list[str] = []
    for _, item in _items(name, values):
        if item not in items:
            items.append(item)
    return tuple(items) or None


def parse_sort(value: str | None) -> tuple[tuple[str, bool], ...]:
    """``"-max_input_tokens,provider"`` -> ``(("max_input_tokens", True), ("provider", False))``."""
    keys: list[tuple[str, bool]] = []
    seen: set[str] = set()
    raw = [value] if value else []
    # Name the first wrong item (without echoing it) before the generic pattern check.
    for position, item in enumerate(i for v in raw for i in (part.strip() for part in v.split(",")) if i):
        if item.lstrip("-+ ").strip() not in SORT_KEYS:
            allowed = ", ".join(SORT_KEYS)
            raise InvalidParameterError("sort", f"item {position + 1} is not a sortable field; sortable: {allowed}.")
    for _, item in _items("sort", raw):
        name = item.lstrip("-+ ").strip()
        if name not in seen:
            seen.add(name)
            keys.append((name, item.startswith("-")))
    return tuple(keys) or ((DEFAULT_SORT, False),)


def sort_text(keys: Iterable[tuple[str, bool]]) -> str:
    return ",".join(("-" if descending else "") + name for name, descending in keys)


def build_filters(
    q: str | None,
    provider: list[str] | None,
    mode: list[str] | None,
    features: list[str] | None,
    available: bool | None,
    source: Source | None,
) -> Filters:
    if features:
        wanted_items = [i for v in features for i in (part.strip() for part in v.split(",")) if i]
        unknown = [position for position, f in enumerate(wanted_items, start=1) if f not in FEATURES]
        if unknown:
            known = ", ".join(FEATURES)
            raise InvalidParameterError("features", f"item {unknown[0]} is not a feature; features: {known}.")
    providers = _split("provider", provider)
    wanted = _split("features", features) or ()
    text = (q or "").strip().casefold() or None
    return Filters(text, providers, _split("mode", mode), wanted, available, source)


def _list_param(name: str, description: str) -> Any:
    item_schema = {"type": "string", "maxLength": MAX_VALUE_CHARS, "pattern": _PATTERNS[name].pattern}
    return Query(description=description, json_schema_extra={"maxItems": MAX_VALUES, "items": item_schema})


QParam = Annotated[
    str | None, Query(max_length=200, description="Case-insensitive substring of model_group or display_name.")
]
ProviderParam = Annotated[list[str] | None, _list_param("provider", "Provider name(s); repeat or comma-separate.")]
ModeParam = Annotated[
    list[str] | None, _list_param("mode", "Mode(s), e.g. chat or embedding; repeat or comma-separate.")
]
FeaturesParam = Annotated[
    list[str] | None,
    _list_param("features", "Entries that support all of: " + ", ".join(FEATURES) + " (repeat or comma-separate)."),
]
AvailableParam = Annotated[bool | None, Query(description="true: only entries callable now; false: only the others.")]
SourceParam = Annotated[Literal["live", "catalog"] | None, Query(description="live or catalog.")]
SortParam = Annotated[
    str | None,
    Query(
        description="Comma list of fields, '-' prefix for descending: " + ", ".join(SORT_KEYS) + ".",
        json_schema_extra={"maxLength": MAX_VALUE_CHARS, "pattern": SORT_LIST},
    ),
]


# -- selection --------------------------------------------------------------------------------


def sort_rows(rows: list[Row], keys: Sequence[tuple[str, bool]]) -> list[Row]:
    """Stable multi-key sort: ``None`` last in both directions, ``model_group`` the final tie-breaker."""
    ordered = sorted(rows, key=lambda r: r[1].model_group)
    for name, descending in reversed(keys):
        key = SORT_KEYS[name]
        present = [r for r in ordered if key(r) is not None]
        missing = [r for r in ordered if key(r) is None]
        present.sort(key=key, reverse=descending)  # reverse=True keeps equal items in order
        ordered = present + missing
    return ordered


class _SelectionCache:
    """A small LRU of filtered (and sorted) row lists for one hub."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[list[list[ModelGroup]], list[Row]]] = OrderedDict()

    def get(self, views: list[ProviderView], filters: Filters, keys: tuple[tuple[str, bool], ...] | None) -> list[Row]:
        # Each view's ``groups`` list is replaced when its data is refreshed; the entry keeps
        # the lists alive so their ids cannot be reused while it is cached.
        identity = tuple((v.provider, id(v.groups)) for v in views)
        cache_key = (identity, filters, keys)
        found = self._entries.get(cache_key)
        if found is not None:
            self._entries.move_to_end(cache_key)
            return found[1]
        rows = [row for v in views for row in ((v.provider, g) for g in v.groups) if filters.matches(row)]
        if keys is not None:
            rows = sort_rows(rows, keys)
        self._entries[cache_key] = ([v.groups for v in views], rows)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return rows


_caches: weakref.WeakKeyDictionary[Hub, _SelectionCache] = weakref.WeakKeyDictionary()


def _selection(hub: Hub) -> _SelectionCache:
    cache = _caches.get(hub)
    if cache is None:
        cache = _caches[hub] = _SelectionCache()
    return cache


async def load_views(hub: Hub, providers: tuple[str, ...] | None) -> list[ProviderView]:
    """Every servable provider's view, or exactly the named ones (an unknown name is a 404)."""
    if providers is None:
        return await hub.model_hub_views(None)
    for name in providers:
        hub.require(name)
    results = await asyncio.gather(*(hub.model_hub_views(n) for n in providers), return_exceptions=True)
    views: list[ProviderView] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        views.extend(result)
    return views


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
            v.provider: {"source": v.source, "stale": v.stale, "fetched_at": _iso(v.fetched_at), "errors": v.errors}
            for v in views
        },
    }


def _link(request: Request, page: int) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    items.insert(0, ("page", str(page)))
    query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in items)
    return f"{request.url.path}?{query}"


def _quote(value: str) -> str:
    return quote(value, safe=",-._~")


# -- routes ----------------------------------------------------------------------------------


async def filters_from_query(
    q: QParam = None,
    provider: ProviderParam = None,
    mode: ModeParam = None,
    features: FeaturesParam = None,
    available: AvailableParam = None,
    source: SourceParam = None,
) -> Filters:
    """The filters every v1 route shares (the page and each facet)."""
    return build_filters(q, provider, mode, features, available, source)


FiltersDep = Annotated[Filters, Depends(filters_from_query)]


@router.get("/model_hub", response_model=ModelHubPage, summary="Model-hub entries, paged, sorted and filtered")
async def model_hub_page(
    request: Request,
    hub: HubDep,
    filters: FiltersDep,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number.")] = 1,
    page_size: Annotated[int, Query(ge=1, le=100, description="Entries per page.")] = 50,
    sort: SortParam = None,
) -> Response:
    keys = parse_sort(sort)
    views = await load_views(hub, filters.providers)
    rows = _selection(hub).get(views, filters, keys)
    total = len(rows)
    pages = math.ceil(total / page_size)
    start = (page - 1) * page_size
    data = [group.model_dump(mode="json") for _, group in rows[start : start + page_size]]
    last = max(pages, 1)
    body = {
        "data": data,
        "meta": {
            "page": page,
            "page_size": page_size,
            "total": total,
            "pages": pages,
            "sort": sort_text(keys),
            **freshness_meta(views),
        },
        "links": {
            "self": _link(request, page),
            "first": _link(request, 1),
            "prev": _link(request, min(page - 1, last)) if page > 1 else None,
            "next": _link(request, page + 1) if page < pages else None,
            "last": _link(request, last),
        },
    }
    return cached_response(request, orjson.dumps(body), hub.freshness(views).variant("page", str(request.url)))


def _facet_route(name: str, summary: str, count: Callable[[list[Row]], Counter[str]]) -> None:
    async def facet(request: Request, hub: HubDep, filters: FiltersDep) -> Response:
        views = await load_views(hub, filters.providers)
        rows = _selection(hub).get(views, filters, None)
        counts = count(rows)
        items = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        data: list[dict[str, Any]] = []
        for value, n in items:
            entry: dict[str, Any] = {"value": value, "count": n}
            if name == "providers":
                record = hub.registry.records.get(value)
                entry["label"] = record.display_name if record is not None else None
            data.append(entry)
        body = orjson.dumps({"data": data, "meta": {"total": len(rows), **freshness_meta(views)}})
        return cached_response(request, body, hub.freshness(views).variant(name, str(request.url)))

    facet.__name__ = f"model_hub_{name}"
    router.add_api_route(
        f"/model_hub/{name}",
        facet,
        methods=["GET"],
        response_model=FacetList,
        summary=summary,
        name=f"model_hub_{name}",
    )


def _count_providers(rows: list[Row]) -> Counter[str]:
    return Counter(provider for provider, _ in rows)


def _count_modes(rows: list[Row]) -> Counter[str]:
    return Counter(group.mode for _, group in rows if group.mode is not None)


def _count_features(rows: list[Row]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for _, group in rows:
        for feature, flag in FEATURES.items():
            if getattr(group, flag):
                counts[feature] += 1
    return counts


_facet_route("providers", "Providers with entry counts, under the same filters", _count_providers)
_facet_route("modes", "Modes with entry counts, under the same filters", _count_modes)
_facet_route("features", "Features (supports_* flags) with entry counts, under the same filters", _count_features)
