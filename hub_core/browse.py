"""Browsing the model hub: the v1 query grammar, filters, search, sort, selections and facet counts.

The grammar and its rules are LiteLLM's ``/public/v1`` list API (``filter[field][op]``
parameters, sort and paging rules); ``hub_core.api.v1`` turns what is selected here into
its responses. Everything works on the hub's cached, already converted model groups
(``Hub.model_hub_views``). The filtered and sorted selection is remembered per hub (keyed by
the identity of the cached group lists, which change only when a provider's data is
refreshed), so paging through a large list sorts it once. Selections and facet counts are
made in a worker thread, so a large list never holds the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import re
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any

from hub_core.errors import (
    DuplicateParameterError,
    DuplicateSortFieldError,
    InvalidParameterError,
    InvalidSortFieldError,
    UnknownParameterError,
    UnsupportedFilterOperatorError,
)
from hub_core.gcpause import without_gc
from hub_core.models import UNKNOWN_MODE, ModelGroup

if TYPE_CHECKING:
    from hub_core.hub import Hub
    from hub_core.views import ProviderView

FEATURES: dict[str, str] = {
    "function_calling": "supports_function_calling",
    "parallel_function_calling": "supports_parallel_function_calling",
    "vision": "supports_vision",
    "reasoning": "supports_reasoning",
}
"""Feature names (LiteLLM's: a ``supports_*`` flag without its prefix) and their flags."""

Row = tuple[str, ModelGroup]
"""(provider name, model group)."""

PAGE, PAGE_SIZE, SORT, SEARCH = "page", "page_size", "sort", "q"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_SEARCH_CHARS = 200
MAX_VALUE_CHARS = 1000

# LiteLLM's filter operators. One a field does not take is a 400 "unsupported-filter-operator";
# any other text in that place makes the whole parameter unknown.
KNOWN_OPS = frozenset({"eq", "gte", "lte", "gt", "lt", "contains", "not", "in", "is_null"})
FILTER_OPS: dict[str, frozenset[str]] = {
    "mode": frozenset({"eq", "in"}),
    "providers": frozenset({"contains", "in"}),
    "features": frozenset({"in"}),
    # The hub's own filters, in the same grammar.
    "available": frozenset({"eq"}),
    "source": frozenset({"eq", "in"}),
}


def wire_mode(group: ModelGroup) -> str:
    return UNKNOWN_MODE if group.mode is None else group.mode


def features_of(group: ModelGroup) -> tuple[str, ...]:
    return tuple(sorted(name for name, flag in FEATURES.items() if getattr(group, flag)))


def _casefolded(value: str | None) -> str | None:
    return None if value is None else value.casefold()


SORT_KEYS: dict[str, Callable[[Row], Any]] = {
    # LiteLLM's sortable fields (rpm and tpm are always null here)...
    "model_group": lambda r: r[1].model_group,
    "mode": lambda r: wire_mode(r[1]),
    "providers": lambda r: tuple(r[1].providers),
    "max_input_tokens": lambda r: r[1].max_input_tokens,
    "max_output_tokens": lambda r: r[1].max_output_tokens,
    "input_cost_per_token": lambda r: r[1].input_cost_per_token,
    "output_cost_per_token": lambda r: r[1].output_cost_per_token,
    "rpm": lambda r: None,
    "tpm": lambda r: None,
    # ...and the hub's.
    "display_name": lambda r: _casefolded(r[1].display_name),
    "provider": lambda r: r[0],
    "available": lambda r: r[1].available,
    "source": lambda r: r[1].source,
}
DEFAULT_SORT = "model_group"

_SHOWABLE_NAME = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,64}$")


MAX_NAMED = 5  # a query of thousands of bad names gets a short answer, like a body of bad fields


def _names(names: Sequence[str]) -> str:
    """At most ``MAX_NAMED`` parameter names for a message; a name that is not plain text is not echoed."""
    shown = ", ".join(n if _SHOWABLE_NAME.match(n) else "(a name with other characters)" for n in names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED:,} more" if len(names) > MAX_NAMED else "")


# -- parameters -----------------------------------------------------------------------------

Predicate = tuple[str, str, Any]
"""(field, op, value): value is a str, a frozenset of str (``in``) or a bool (``available``)."""


@dataclass(frozen=True)
class Query:
    """The filters and search of one request (hashable: it keys the selection cache)."""

    q: str | None = None
    predicates: tuple[Predicate, ...] = ()

    @property
    def named_providers(self) -> tuple[str, ...]:
        """Provider names a ``filter[providers][in]`` asks for."""
        names = [v for f, op, values in self.predicates if f == "providers" and op == "in" for v in sorted(values)]
        return tuple(dict.fromkeys(names))

    @property
    def filters_providers(self) -> bool:
        return any(f == "providers" for f, _, _ in self.predicates)

    def matches(self, row: Row) -> bool:
        _, group = row
        for field, op, value in self.predicates:
            if not _holds(_cell(field, group), op, value):
                return False
        if self.q is not None:
            q = self.q.casefold()
            if q not in group.model_group.casefold() and q not in (group.display_name or "").casefold():
                return False
        return True


def _cell(field: str, group: ModelGroup) -> Any:
    if field == "mode":
        return wire_mode(group)
    if field == "providers":
        return tuple(group.providers)
    if field == "features":
        return features_of(group)
    if field == "available":
        return group.available
    return group.source


def _holds(cell: Any, op: str, value: Any) -> bool:
    """LiteLLM's in-memory semantics: a repeated field holds when one of its items does."""
    items = cell if isinstance(cell, tuple) else (cell,)
    if op == "in":
        return any(item in value for item in items)
    if op == "contains":
        return any(value.casefold() in str(item).casefold() for item in items)
    return any(item == value for item in items)


def _parse_filter_key(name: str) -> tuple[str, str] | None:
    """``filter[mode][in]`` -> ``("mode", "in")``; ``filter[mode]`` -> ``("mode", "eq")``."""
    if not name.startswith("filter[") or not name.endswith("]"):
        return None
    field, separator, op = name[len("filter[") : -1].partition("][")
    if not separator:
        return field, "eq"
    return (field, op) if op in KNOWN_OPS else None


def _is_known(name: str, *, facet: bool) -> bool:
    if name in (PAGE, PAGE_SIZE, SEARCH) or (name == SORT and not facet):
        return True
    parsed = _parse_filter_key(name)
    return parsed is not None and parsed[0] in FILTER_OPS


def allowed_parameters(*, facet: bool) -> list[str]:
    names = [PAGE, PAGE_SIZE, SEARCH] + ([] if facet else [SORT])
    names += [f"filter[{f}]" if op == "eq" else f"filter[{f}][{op}]" for f, ops in FILTER_OPS.items() for op in ops]
    return sorted(names)


def _refuse_unknown(pairs: Sequence[tuple[str, str]], *, facet: bool) -> None:
    unknown = sorted({name for name, _ in pairs if not _is_known(name, facet=facet)})
    if unknown:
        raise UnknownParameterError(
            f"Unrecognized query parameter(s): {_names(unknown)}. The v1 API takes LiteLLM's grammar, "
            "e.g. filter[mode][in]=chat,embedding; 'allowed' lists every parameter.",
            allowed=allowed_parameters(facet=facet),
        )


def _refuse_repeats(pairs: Sequence[tuple[str, str]]) -> None:
    counts = Counter(name for name, _ in pairs)
    repeated = sorted(name for name, n in counts.items() if n > 1)
    if repeated:
        raise DuplicateParameterError(
            f"Repeated query parameter(s): {_names(repeated)}. Each may appear once; "
            "use a comma-separated list for multiple sort keys or filter values."
        )


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameterError(name, "it must be an integer.") from None
    if value < 1:
        raise InvalidParameterError(name, "it must be 1 or greater.")
    return value


def parse_page(params: dict[str, str]) -> tuple[int, int]:
    """(page, page_size): page_size above 100 is clamped to 100, as LiteLLM does."""
    page = _positive_int(PAGE, params[PAGE]) if PAGE in params else 1
    size = _positive_int(PAGE_SIZE, params[PAGE_SIZE]) if PAGE_SIZE in params else DEFAULT_PAGE_SIZE
    return page, min(size, MAX_PAGE_SIZE)


def parse_sort(value: str | None) -> tuple[tuple[str, bool], ...]:
    """``"-max_input_tokens,provider"`` -> ``(("max_input_tokens", True), ("provider", False))``."""
    if value is None:
        return ((DEFAULT_SORT, False),)
    keys = [(s.removeprefix("-"), s.startswith("-")) for s in (part.strip() for part in value.split(","))]
    allowed = sorted(SORT_KEYS)
    rejected = sorted({name for name, _ in keys if name not in SORT_KEYS})
    if rejected:
        raise InvalidSortFieldError(
            SORT, f"{len(rejected)} item(s) are not sortable fields; sortable: {', '.join(allowed)}.", allowed=allowed
        )
    fields = [name for name, _ in keys]
    repeated = sorted({name for name in fields if fields.count(name) > 1})
    if repeated:
        raise DuplicateSortFieldError(
            SORT, f"field(s) named more than once: {', '.join(repeated)}. Each may appear once.", allowed=allowed
        )
    return tuple(keys)


def sort_text(keys: Iterable[tuple[str, bool]]) -> str:
    return ",".join(("-" if descending else "") + name for name, descending in keys)


def parse_filters(params: dict[str, str]) -> Query:
    """The ``filter[...]`` parameters (in name order, as LiteLLM checks them) and ``q``."""
    predicates: list[Predicate] = []
    for name in sorted(params):
        parsed = _parse_filter_key(name)
        if parsed is None or parsed[0] not in FILTER_OPS:
            continue
        field, op = parsed
        raw = params[name]
        if op not in FILTER_OPS[field]:
            ops = sorted(FILTER_OPS[field])
            raise UnsupportedFilterOperatorError(
                name, f"operator {op!r} is not supported on {field!r}; supported: {', '.join(ops)}.", allowed=ops
            )
        if len(raw) > MAX_VALUE_CHARS:
            raise InvalidParameterError(name, f"at most {MAX_VALUE_CHARS} characters.")
        value: Any = raw
        if op == "in":
            value = frozenset(item.strip() for item in raw.split(","))
        elif field == "available":
            if raw.lower() not in ("true", "false"):
                raise InvalidParameterError(name, "it must be 'true' or 'false'.")
            value = raw.lower() == "true"
        predicates.append((field, op, value))
    q = params.get(SEARCH)
    if q is not None and len(q) > MAX_SEARCH_CHARS:
        raise InvalidParameterError(SEARCH, f"at most {MAX_SEARCH_CHARS} characters.")
    return Query(q or None, tuple(predicates))


@dataclass(frozen=True)
class ListQuery:
    query: Query
    page: int
    page_size: int
    sort: tuple[tuple[str, bool], ...]


def parse_list_query(pairs: Sequence[tuple[str, str]]) -> ListQuery:
    """A page request, checked in LiteLLM's order: unknown names, page, page_size, sort, filters, repeats."""
    _refuse_unknown(pairs, facet=False)
    params = dict(pairs)
    page, page_size = parse_page(params)
    keys = parse_sort(params.get(SORT))
    query = parse_filters(params)
    _refuse_repeats(pairs)
    return ListQuery(query, page, page_size, keys)


def parse_facet_query(pairs: Sequence[tuple[str, str]]) -> ListQuery:
    """A facet request, in LiteLLM's order: unknown names (``sort`` among them), repeats, page, filters."""
    _refuse_unknown(pairs, facet=True)
    _refuse_repeats(pairs)
    params = dict(pairs)
    page, page_size = parse_page(params)
    return ListQuery(parse_filters(params), page, page_size, ())


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


@dataclass(frozen=True)
class Selection:
    rows: list[Row]
    providers: frozenset[str]
    """The providers whose entries are among ``rows``."""
    facets: dict[str, tuple[Counter[str], list[str]]] = dataclass_field(default_factory=dict)
    """Per facet: how many rows have each value, and the values in order (made on first use)."""


def select(views: list[ProviderView], query: Query, keys: tuple[tuple[str, bool], ...] | None) -> Selection:
    """The rows of ``views`` that match ``query``, sorted by ``keys`` (in their list order when None)."""
    rows = [row for v in views for row in ((v.provider, g) for g in v.groups) if query.matches(row)]
    if keys is not None:
        rows = sort_rows(rows, keys)
    return Selection(rows, frozenset(provider for provider, _ in rows))


def count_facet(selection: Selection, values: Callable[[ModelGroup], Iterable[str]]) -> tuple[Counter[str], list[str]]:
    counts: Counter[str] = Counter(v for _, group in selection.rows for v in set(values(group)) if v)
    return counts, sorted(counts)


async def facet_counts(
    selection: Selection, name: str, values: Callable[[ModelGroup], Iterable[str]]
) -> tuple[Counter[str], list[str]]:
    """A facet's counts over a selection: counted once, in a worker thread."""
    found = selection.facets.get(name)
    if found is None:
        found = selection.facets[name] = await asyncio.to_thread(without_gc, count_facet, selection, values)
    return found


class _SelectionCache:
    """A small LRU of filtered (and sorted) row lists for one hub.

    A miss is filtered and sorted in a worker thread, once however many requests ask for it
    at the same time, so a large list never holds the event loop.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[list[list[ModelGroup]], Selection]] = OrderedDict()
        self._pending: dict[tuple[Any, ...], asyncio.Task[Selection]] = {}

    async def get(
        self, views: list[ProviderView], query: Query, keys: tuple[tuple[str, bool], ...] | None
    ) -> Selection:
        # Each view's ``groups`` list is replaced when its data is refreshed; the entry keeps
        # the lists alive so their ids cannot be reused while it is cached.
        identity = tuple((v.provider, id(v.groups)) for v in views)
        cache_key = (identity, query, keys)
        found = self._entries.get(cache_key)
        if found is not None:
            self._entries.move_to_end(cache_key)
            return found[1]
        task = self._pending.get(cache_key)
        if task is None:
            task = asyncio.get_running_loop().create_task(
                asyncio.to_thread(without_gc, select, list(views), query, keys)
            )
            self._pending[cache_key] = task
            task.add_done_callback(functools.partial(self._settle, cache_key, [v.groups for v in views]))
        return await asyncio.shield(task)

    def _settle(
        self, cache_key: tuple[Any, ...], groups: list[list[ModelGroup]], task: asyncio.Task[Selection]
    ) -> None:
        self._pending.pop(cache_key, None)
        if task.cancelled() or task.exception() is not None:
            return
        self._entries[cache_key] = (groups, task.result())
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


_caches: weakref.WeakKeyDictionary[Hub, _SelectionCache] = weakref.WeakKeyDictionary()


def selections(hub: Hub) -> _SelectionCache:
    """The hub's cache of selections (made on first use, dropped with the hub)."""
    cache = _caches.get(hub)
    if cache is None:
        cache = _caches[hub] = _SelectionCache()
    return cache


async def load_views(hub: Hub, named: Sequence[str] = ()) -> list[ProviderView]:
    """Every servable provider's view. A loaded provider ``named`` in the filter that is left out
    of that merged list answers with its own error (502, 503), not with an empty page."""
    views = await hub.model_hub_views(None)
    present = {v.provider for v in views}
    loaded = set(hub.registry.loaded())
    for name in named:
        if name in loaded and name not in present:
            views.extend(await hub.model_hub_views(name))
            present.add(name)
    return views
