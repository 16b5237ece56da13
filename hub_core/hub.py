"""The hub service: providers -> targets -> discovery (through the cache) -> model groups.

Routes and the CLI ask this module; it asks the cache, which asks a plugin only on
a miss. Every call into a plugin happens inside that provider's failure boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import orjson

from hub_core import status
from hub_core.cache import Cached, CachePolicy, DiscoveryCache
from hub_core.catalog import Catalog
from hub_core.codec import DiscoveryCodec
from hub_core.conversion import FAILED, convert_endpoints
from hub_core.errors import (
    AllProvidersFailedError,
    HubError,
    ProviderDisabledError,
    ProviderFailedToLoadError,
    UnknownProviderError,
)
from hub_core.freshness import Freshness, header_safe
from hub_core.gcpause import without_gc
from hub_core.models import (
    Discovery,
    Endpoint,
    EndpointList,
    ModelGroup,
    ProviderStatus,
    Target,
)
from hub_core.plugins import PluginRegistry, load_plugins
from hub_core.settings import HubSettings
from hub_core.targets import TargetBook
from hub_core.views import (
    ProviderView,
    ViewList,
    _Converted,
    combined_etag,
    joined_bodies,
)

if TYPE_CHECKING:
    from hub_core.tracing import Tracing

logger = logging.getLogger("hub_core.hub")


def _timestamp(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=timezone.utc)


class Hub:
    def __init__(
        self,
        settings: HubSettings,
        registry: PluginRegistry,
        catalog: Catalog,
        cache: DiscoveryCache[Discovery] | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.catalog = catalog
        self.cache: DiscoveryCache[Discovery] = cache or build_cache(settings)
        registry.threads = settings.provider_threads
        self.target_book = TargetBook(settings, registry, self.cache, self.require)
        self._views: dict[str, tuple[tuple[Any, ...], ProviderView]] = {}
        self._converted: dict[str, _Converted] = {}
        self._builds: dict[tuple[str, tuple[Any, ...]], asyncio.Task[ProviderView]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._warming: dict[str, asyncio.Task[None]] = {}
        self._merged: tuple[tuple[Any, ...], bytes, list[bytes]] | None = None
        self._listener: asyncio.Task[None] | None = None  # rebuilds views when the cache has new lists
        self.tracing: Tracing | None = None  # spans around discoveries, with HUB_OTEL
        if settings.otel:  # only then is opentelemetry imported
            from hub_core.tracing import Tracing

            self.tracing = Tracing.from_settings(settings)

    def freshness(self, views: list[ProviderView], etag: str | None = None) -> Freshness:
        fetched = [v.fetched_at for v in views if v.fetched_at is not None]
        fetched_at = min(fetched) if fetched else None
        ttl = self.settings.cache_ttl
        # Never more than the TTL, whatever time a list claims (a shared entry may be wrong).
        max_age = int(ttl) if fetched_at is None else min(int(ttl), max(0, int(fetched_at + ttl - time.time())))
        if etag is None:
            etag = views[0].etag if len(views) == 1 else combined_etag(views)
        left_out = views.left_out if isinstance(views, ViewList) else {}
        failed = sorted({*left_out, *(v.provider for v in views if v.errors)})
        return Freshness(
            etag=etag,
            stale=any(v.stale for v in views),
            fetched_at=fetched_at,
            max_age=max_age,
            failed=tuple(header_safe(name) for name in failed),
            warned=tuple(header_safe(v.provider) for v in views if v.warnings),
        )

    @classmethod
    def from_settings(cls, settings: HubSettings | None = None) -> Hub:
        settings = settings or HubSettings()
        return cls(settings, load_plugins(settings), Catalog.load(settings.catalog_path))

    async def aclose(self) -> None:
        """Stop background refreshes and builds, and close what targets hold (``handle.aclose()``)."""
        await self.cache.aclose()
        for task in [*self._background, *self._builds.values(), *self._warming.values()]:
            task.cancel()
        if self._listener is not None:
            self._listener.cancel()
        await self.target_book.aclose()

    def forget(self, provider: str) -> None:
        """Drop what the hub remembers about a provider (its targets, views and cached lists)."""
        self.target_book.forget(provider)
        self._views.pop(provider, None)
        self._converted.pop(provider, None)
        self.cache.invalidate_prefix(f"{provider}:")

    # -- providers ------------------------------------------------------------------

    def require(self, provider: str) -> None:
        record = self.registry.records.get(provider)
        if record is None:
            raise UnknownProviderError(provider, self.registry.installed())
        if record.state == "disabled":
            raise ProviderDisabledError(
                f"Provider {provider!r} is installed but disabled ({record.message}).", provider=provider
            )
        if record.state == "failed_to_load":
            raise ProviderFailedToLoadError(
                f"Provider {provider!r} failed to load: {record.message}. See the hub's log.",
                provider=provider,
            )

    async def targets(self, provider: str) -> list[Target]:
        """The provider's configured targets (see ``hub_core.targets``); raises when it has none to give."""
        return await self.target_book.get(provider)

    async def reload_targets(self, provider: str) -> list[Target]:
        """Read the provider's targets now (on demand), whatever their age."""
        return await self.target_book.reload(provider)

    # -- discovery ------------------------------------------------------------------

    async def _discover(self, provider: str, target: Target) -> Discovery:
        if self.tracing is None:
            return await self._discover_once(provider, target)
        with self.tracing.discovery(provider, target.name) as span:
            discovery = await self._discover_once(provider, target)
            span.set_attribute("hub.endpoints", len(discovery.endpoints))
            if discovery.warnings:
                span.set_attribute("hub.warnings", len(discovery.warnings))
            return discovery

    async def _discover_once(self, provider: str, target: Target) -> Discovery:
        try:
            return await self.registry.hooks(provider).discover_endpoints(
                target, timeout=self.settings.discovery_timeout
            )
        except HubError as error:
            if error.__cause__ is not None:  # a plugin bug, wrapped by the dispatcher: keep its traceback
                logger.error("Provider %r raised while discovering %s", provider, target.name, exc_info=error.__cause__)
            raise error from None

    async def _target_lists(self, provider: str, targets: list[Target]) -> list[Cached[Discovery] | BaseException]:
        async def one(target: Target) -> Cached[Discovery]:
            return await self.cache.get(f"{provider}:{target.name}", lambda: self._discover(provider, target))

        return list(await asyncio.gather(*(one(t) for t in targets), return_exceptions=True))

    async def view(self, provider: str) -> ProviderView:
        """The provider's current data; raises when nothing at all can be served."""
        self._listen_for_updates()
        targets = await self.targets(provider)
        if not targets:
            return self._catalog_view(provider)
        if len(targets) == 1:  # the common case, without gather's overhead
            target = targets[0]
            cached_list = await self.cache.get(f"{provider}:{target.name}", lambda: self._discover(provider, target))
            results: list[Cached[Discovery] | BaseException] = [cached_list]
        else:
            results = await self._target_lists(provider, targets)
        errors = [r for r in results if isinstance(r, BaseException)]
        good = [(t, r) for t, r in zip(targets, results, strict=True) if not isinstance(r, BaseException)]
        for error in errors:
            if not isinstance(error, Exception):
                raise error
        if not good:
            raise errors[0]
        messages = [f"{t.name}: {r}" for t, r in zip(targets, results, strict=True) if isinstance(r, BaseException)]
        version = tuple((t.name, c.fetched_at) for t, c in good)
        cached = self._views.get(provider)
        if cached is not None and cached[0] == version:
            view = cached[1]
        else:
            view = await self._build(provider, version, good)
        stale = any(c.stale for _, c in good)
        if stale != view.stale or messages != view.errors:
            view = replace(view, stale=stale, errors=messages)
        return view

    def _listen_for_updates(self) -> None:
        """Start, once, the task that builds a provider's view as soon as a target has a new list."""
        loop = asyncio.get_running_loop()
        if self._listener is None or self._listener.done() or self._listener.get_loop() is not loop:
            self._listener = loop.create_task(self._rebuild_on_update())

    async def _rebuild_on_update(self) -> None:
        while True:
            key = await self.cache.next_update()
            provider = key.split(":", 1)[0]
            task = asyncio.get_running_loop().create_task(self._prebuild(provider))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _prebuild(self, provider: str) -> None:
        with contextlib.suppress(Exception):  # the request that needs this view reports any error
            await self.view(provider)

    async def _build(
        self, provider: str, version: tuple[Any, ...], lists: list[tuple[Target, Cached[Discovery]]]
    ) -> ProviderView:
        """Convert and serialise once per new data; concurrent callers share the work."""
        key = (provider, version)
        task = self._builds.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._make_view(provider, version, lists))
            self._builds[key] = task
            task.add_done_callback(lambda _: self._builds.pop(key, None))
        return await asyncio.shield(task)

    async def _make_view(
        self, provider: str, version: tuple[Any, ...], lists: list[tuple[Target, Cached[Discovery]]]
    ) -> ProviderView:
        endpoints = [e for _, c in lists for e in c.value.endpoints]
        targets = {t.name: t for t, _ in lists}
        warnings = [f"{t.name}: {w}" for t, c in lists for w in c.value.warnings]
        fetched_at = min(c.fetched_at for _, c in lists)
        last = self._converted.get(provider)
        failed = False
        if last is not None and last.same(endpoints, targets, self.catalog):
            view, became = last.view.refreshed(endpoints, fetched_at, warnings), last.became
        else:
            # Off the event loop: a dict over every endpoint of a large workspace.
            previous = await asyncio.to_thread(last.reusable, targets, self.catalog) if last is not None else None
            earlier = last.view if last is not None else None
            del last  # what the last view alone holds is freed once a newer one replaces it
            hooks = self.registry.hooks(provider)
            groups, became = await convert_endpoints(hooks, endpoints, targets, self.catalog, previous)
            del previous
            view = ProviderView(provider, "live", endpoints, groups, fetched_at, warnings=warnings)

            def serialise() -> bool:  # off the event loop, once; kept groups keep their JSON
                view.fragments_from(earlier)
                view.etag  # noqa: B018 (made and kept)
                return any(result is FAILED for result in became)

            failed = await asyncio.to_thread(without_gc, serialise)
            del earlier
        current = self._views.get(provider)
        if current is None or _newest(version) >= _newest(current[0]):
            self._views[provider] = (version, view)
            self._converted[provider] = _Converted(endpoints, targets, self.catalog, view, became, failed)
        return view

    def _catalog_view(self, provider: str) -> ProviderView:
        cached = self._views.get(provider)
        if cached is not None and cached[0] == ("catalog",):
            return cached[1]
        record = self.registry.records[provider]
        litellm_providers = record.info.catalog_providers if record.info else [provider]
        exclude = record.info.catalog_exclude if record.info else []
        groups = self.catalog.model_groups_for(provider, litellm_providers, exclude)
        endpoints = [
            Endpoint(
                provider=provider,
                name=g.model_group.split("/", 1)[-1],
                mode=g.mode,
                served_by="catalog",
                display_name=g.display_name,
            )
            for g in groups
        ]
        view = ProviderView(provider, "catalog", endpoints, groups, None)
        self._views[provider] = (("catalog",), view)
        return view

    # -- what routes ask for -----------------------------------------------------------

    async def endpoints(self, provider: str) -> EndpointList:
        return (await self.endpoints_with_freshness(provider))[0]

    async def endpoints_with_freshness(self, provider: str) -> tuple[EndpointList, Freshness]:
        view = await self.view(provider)
        return self._endpoint_list(provider, view), self.freshness([view])

    async def endpoints_body(self, provider: str) -> tuple[bytes, Freshness]:
        """``/public/<provider>/endpoints`` as bytes; the endpoint array is serialised once per refresh."""
        view = await self.view(provider)
        head = orjson.dumps(
            {
                "provider": provider,
                "source": view.source,
                "fetched_at": _timestamp(view.fetched_at),
                "stale": view.stale,
                "errors": view.errors,
                "warnings": view.warnings,
            },
            option=orjson.OPT_UTC_Z,  # "...Z", as pydantic writes it on the other routes
        )
        endpoints = await view.made("endpoints_json", lambda: view.endpoints_json)
        body = head[:-1] + b',"endpoints":' + endpoints + b"}"
        return body, self.freshness([view], etag=view.etag + "-e")

    def _endpoint_list(self, provider: str, view: ProviderView) -> EndpointList:
        return EndpointList(
            provider=provider,
            endpoints=view.endpoints,
            source=view.source,
            fetched_at=_timestamp(view.fetched_at),
            stale=view.stale,
            errors=view.errors,
            warnings=view.warnings,
        )

    async def model_hub_views(self, provider: str | None = None) -> ViewList:
        """One provider's view, or every loaded provider's that can be served, naming those
        left out. Raises ``AllProvidersFailedError`` when every provider failed."""
        if provider is not None:
            return ViewList([await self.view(provider)])
        names = self.registry.loaded()
        results = await asyncio.gather(*(self.view(n) for n in names), return_exceptions=True)
        views = []
        left_out: dict[str, BaseException] = {}
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                logger.info("Provider %r left out of the merged model hub: %s", name, result)
                left_out[name] = result
                continue
            views.append(result)
        if left_out and not views:
            raise _all_failed(left_out)
        return ViewList(views, {name: str(error) for name, error in left_out.items()})

    async def model_groups(self, provider: str | None = None) -> list[ModelGroup]:
        return [g for v in await self.model_hub_views(provider) for g in v.groups]

    async def model_hub_body(
        self, provider: str | None = None, *, available: bool | None = None
    ) -> tuple[bytes, Freshness]:
        """The serialised model hub (bytes made once per refresh) and how fresh it is.

        ``available`` keeps only the entries that can (True) or cannot (False) be called now.
        """
        views = await self.model_hub_views(provider)
        bodies = [await v.body_where(available) for v in views]
        if len(views) == 1 and available is None:
            return bodies[0], self.freshness(views)
        etag = combined_etag(views) + {None: "", True: "-available", False: "-unavailable"}[available]
        if len(bodies) == 1:
            return bodies[0], self.freshness(views, etag)
        key = (tuple(id(b) for b in bodies), available)
        if self._merged is None or self._merged[0] != key:
            merged = await asyncio.to_thread(without_gc, joined_bodies, bodies)  # megabytes copied: not on the loop
            self._merged = (key, merged, bodies)  # the bodies kept alive, so their ids stay theirs
        return self._merged[1], self.freshness(views, etag)

    # -- status -----------------------------------------------------------------------

    def readiness(self) -> dict[str, Any]:
        """``/readyz``'s body; see ``hub_core.status.readiness``."""
        return status.readiness(self)

    async def statuses(self) -> list[ProviderStatus]:
        return await status.statuses(self)

    async def status(self, provider: str) -> ProviderStatus:
        return await status.provider_status(self, provider)

    def warm(self, provider: str) -> None:
        """Start one discovery of ``provider`` in the background, unless one is under way."""
        if provider not in self._warming:
            task = asyncio.get_running_loop().create_task(self._prebuild(provider))
            self._warming[provider] = task
            task.add_done_callback(functools.partial(self._warmed, provider))

    def _warmed(self, provider: str, _: asyncio.Task[None]) -> None:
        self._warming.pop(provider, None)


def build_cache(settings: HubSettings) -> DiscoveryCache[Discovery]:
    policy = CachePolicy(
        ttl=settings.cache_ttl,
        stale_ttl=settings.stale_ttl,
        refresh_ahead=settings.refresh_ahead,
        deadline=settings.discovery_timeout,
    )
    if settings.redis_url is None:
        return DiscoveryCache(policy)
    from hub_core.redis_store import RedisStore

    key = settings.redis_signing_key.get_secret_value() if settings.redis_signing_key else ""
    store = RedisStore(settings.redis_url.get_secret_value(), signing_key=key.encode() or None)
    return DiscoveryCache(policy, shared=store, codec=DiscoveryCodec())


def _all_failed(errors: dict[str, BaseException]) -> AllProvidersFailedError:
    """Every provider failed and none has a list to serve: one 503 naming each."""
    waits = [
        int(error.headers["Retry-After"])
        for error in errors.values()
        if isinstance(error, HubError) and error.headers.get("Retry-After", "").isdigit()
    ]
    reasons = "; ".join(f"{name}: {error}" for name, error in errors.items())
    return AllProvidersFailedError(
        f"Every provider failed and none has a list to serve ({reasons}). "
        "See /public/providers, fix the provider's configuration or wait for its upstream.",
        retry_after=min(waits) if waits else 5,
        failed=sorted(errors),
    )


def _newest(version: tuple[Any, ...]) -> float:
    return max((fetched_at for _, fetched_at in version), default=0.0)
