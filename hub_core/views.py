"""One provider's data as the hub serves it: endpoints and groups, and their bytes made once per refresh."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import operator
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import TypeAdapter

from hub_core.catalog import Catalog
from hub_core.codec import CHUNK
from hub_core.gcpause import without_gc
from hub_core.group_json import group_json
from hub_core.models import Endpoint, ModelGroup, Source, Target

MODEL_GROUPS = TypeAdapter(list[ModelGroup])
ENDPOINTS = TypeAdapter(list[Endpoint])
T = TypeVar("T")


class ViewList(list["ProviderView"]):
    """The views of a merged answer, and the providers it had to leave out (name -> why)."""

    def __init__(self, views: list[ProviderView], left_out: dict[str, str] | None = None) -> None:
        super().__init__(views)
        self.left_out: dict[str, str] = dict(left_out or {})


@dataclass
class ProviderView:
    """One provider's current model-hub data, converted and serialised once per refresh.

    Stale or partial-error variants are copies that share ``_memo``, so the bytes are
    made once per refresh whatever the variant.
    """

    provider: str
    source: Source
    endpoints: list[Endpoint]
    groups: list[ModelGroup]
    fetched_at: float | None
    stale: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def _once(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._memo:
            self._memo[name] = make()
        return self._memo[name]

    async def made(self, name: str, make: Callable[[], T]) -> T:
        """``make()``, run once per refresh in a worker thread; concurrent callers share the run.

        For bodies derived from this data (a route's serialised list): the event loop only
        waits for them. ``name`` keys the result; a provider's routes prefix theirs with its name.
        """
        return await self.built(name, lambda: asyncio.to_thread(without_gc, make))

    async def built(self, name: str, build: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """``await build()``, once per refresh; concurrent callers share the run, a failure is not kept.

        For a build with steps that must run on the event loop (a plugin's ``async def`` hook)
        between steps that run in worker threads; ``build`` sends the latter to threads itself.
        """
        if name in self._memo:
            result: T = self._memo[name]
            return result
        pending: asyncio.Task[T] | None = self._memo.get("\0pending:" + name)
        if pending is None:
            pending = asyncio.get_running_loop().create_task(build())
            self._memo["\0pending:" + name] = pending
            pending.add_done_callback(functools.partial(self._settle, name))
        return await asyncio.shield(pending)

    def _settle(self, name: str, task: asyncio.Task[Any]) -> None:
        self._memo.pop("\0pending:" + name, None)
        if not task.cancelled() and task.exception() is None:
            self._memo[name] = task.result()

    @property
    def fragments(self) -> list[bytes]:
        """Each group's JSON, in order: the body is them joined (``fragments_from`` reuses them)."""
        result: list[bytes] = self._once("fragments", lambda: [group_json(g) for g in self.groups])
        return result

    def fragments_from(self, earlier: ProviderView | None) -> None:
        """Make ``fragments``, taking each group's JSON from ``earlier`` when it holds the very same
        group object (groups are not changed once made, so neither is their JSON): after a refresh
        in which a few endpoints changed, only their groups are serialised."""
        known: dict[int, tuple[ModelGroup, bytes]] = {}
        if earlier is not None and "fragments" in earlier._memo:
            known = {id(g): (g, f) for g, f in zip(earlier.groups, earlier._memo["fragments"], strict=True)}
        made = []
        for group in self.groups:
            hit = known.get(id(group))
            made.append(hit[1] if hit is not None and hit[0] is group else group_json(group))
        self._memo["fragments"] = made

    @property
    def body(self) -> bytes:
        result: bytes = self._once("body", lambda: joined(self.fragments))
        return result

    async def body_where(self, available: bool | None) -> bytes:
        """The body, or only its entries whose ``available`` is the one asked for."""
        if available is None:
            return self.body if "body" in self._memo else await self.made("body", lambda: self.body)

        def selected() -> bytes:
            return joined([f for g, f in zip(self.groups, self.fragments, strict=True) if g.available is available])

        return await self.made(f"body_available_{available}", selected)

    def refreshed(self, endpoints: list[Endpoint], fetched_at: float, warnings: list[str]) -> ProviderView:
        """This view's groups and their bodies for a newer fetch of the same endpoints."""
        view = ProviderView(self.provider, self.source, endpoints, self.groups, fetched_at, warnings=warnings)
        view._memo.update({k: v for k, v in self._memo.items() if k in FROM_GROUPS})
        return view

    @property
    def endpoints_json(self) -> bytes:
        result: bytes = self._once("endpoints_json", lambda: dump_in_chunks(ENDPOINTS, self.endpoints))
        return result

    @property
    def etag(self) -> str:
        result: str = self._once("etag", lambda: hashlib.blake2b(self.body, digest_size=12).hexdigest())
        return result


FROM_GROUPS = ("fragments", "body", "etag", "body_available_True", "body_available_False")
"""``ProviderView._memo`` entries made from the groups alone, which a refreshed view keeps."""


@dataclass
class _Converted:
    """What a provider's current live view was converted from, and what each endpoint became.

    A refresh whose lists hold the very same ``Endpoint`` objects (a plugin returns those of an
    unchanged list again), with the same targets and catalog, keeps that view's groups and
    bodies: ``to_model_group`` is not called and nothing is serialised again. A refresh in which
    only some are the same objects converts the others only (``reusable``).
    """

    endpoints: list[Endpoint]
    targets: dict[str, Target]
    catalog: Catalog
    view: ProviderView
    became: list[Any]
    failed: bool = False  # a conversion raised: the view is not kept whole, so that one is tried again

    def same(self, endpoints: list[Endpoint], targets: dict[str, Target], catalog: Catalog) -> bool:
        """Whether the view can be kept as it is: the same objects, and no conversion that raised
        (it is tried again)."""
        return (
            catalog is self.catalog
            and not self.failed
            and len(endpoints) == len(self.endpoints)
            and targets.keys() == self.targets.keys()
            and all(target is self.targets[name] for name, target in targets.items())
            and all(map(operator.is_, endpoints, self.endpoints))  # in C: 50,000 in well under a millisecond
        )

    def reusable(self, targets: dict[str, Target], catalog: Catalog) -> dict[int, tuple[Endpoint, Any]] | None:
        """What each endpoint became, by endpoint object, for the endpoints of targets that are
        the same objects as then; None when the catalog changed."""
        if catalog is not self.catalog:
            return None
        kept = {name for name, target in targets.items() if self.targets.get(name) is target}
        return {
            id(endpoint): (endpoint, result)
            for endpoint, result in zip(self.endpoints, self.became, strict=True)
            if (endpoint.target or "") in kept
        }


def dump_in_chunks(adapter: TypeAdapter[list[Any]], items: list[Any]) -> bytes:
    """``adapter.dump_json(items)``, the same bytes, made ``CHUNK`` items at a time."""
    if len(items) <= CHUNK:
        return adapter.dump_json(items)
    parts = [adapter.dump_json(items[i : i + CHUNK])[1:-1] for i in range(0, len(items), CHUNK)]
    return b"[" + b",".join(parts) + b"]"


def joined(fragments: list[bytes]) -> bytes:
    """A JSON array of already-serialised items: the bytes ``dump_json`` of the list gives."""
    return b"[" + b",".join(fragments) + b"]"


def joined_bodies(bodies: list[bytes]) -> bytes:
    parts = [b[1:-1] for b in bodies if len(b) > 2]
    return b"[" + b",".join(parts) + b"]"


def combined_etag(views: list[ProviderView]) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for view in views:
        digest.update(view.provider.encode() + b"=" + view.etag.encode() + b";")
    return digest.hexdigest()
