"""The hub service: providers -> targets -> discovery (through the cache) -> model groups.

Routes and the CLI ask this module; it asks the cache, which asks a plugin only on
a miss. Every call into a plugin happens inside that provider's failure boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import inspect
import logging
import operator
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from pydantic import TypeAdapter

from hub_core.cache import Cached, CachePolicy, DiscoveryCache
from hub_core.catalog import Catalog, catalog_fields
from hub_core.dispatch import Converter
from hub_core.errors import (
    HubError,
    NotFoundError,
    ProviderConfigError,
    ProviderUnavailableError,
    UnknownProviderError,
)
from hub_core.gcpause import gc_paused, without_gc
from hub_core.models import (
    Deployment,
    Discovery,
    Endpoint,
    EndpointList,
    ModelGroup,
    ProviderState,
    ProviderStatus,
    Source,
    Target,
    live_model_group,
)
from hub_core.plugins import PluginRegistry, load_plugins
from hub_core.settings import HubSettings

if TYPE_CHECKING:
    from hub_core.tracing import Tracing

logger = logging.getLogger("hub_core.hub")

MODEL_GROUPS = TypeAdapter(list[ModelGroup])
ENDPOINTS = TypeAdapter(list[Endpoint])
T = TypeVar("T")


class ProviderDisabledError(NotFoundError):
    slug = "provider-disabled"
    title = "Provider disabled"


class ProviderFailedToLoadError(ProviderUnavailableError):
    slug = "provider-failed-to-load"
    title = "Provider failed to load"


class AllProvidersFailedError(ProviderUnavailableError):
    slug = "all-providers-failed"
    title = "Every provider failed"


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
    def body(self) -> bytes:
        result: bytes = self._once("body", lambda: dump_in_chunks(MODEL_GROUPS, self.groups))
        return result

    async def body_where(self, available: bool | None) -> bytes:
        """The body, or only its entries whose ``available`` is the one asked for."""
        if available is None:
            return self.body if "body" in self._memo else await self.made("body", lambda: self.body)
        return await self.made(
            f"body_available_{available}",
            lambda: dump_in_chunks(MODEL_GROUPS, [g for g in self.groups if g.available is available]),
        )

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


FROM_GROUPS = ("body", "etag", "body_available_True", "body_available_False")
"""``ProviderView._memo`` entries made from the groups alone, which a refreshed view keeps."""


@dataclass
class _Converted:
    """What a provider's current live view was converted from.

    A refresh whose lists hold the very same ``Endpoint`` objects (a plugin returns those of an
    unchanged list again), with the same targets and catalog, keeps that view's groups and
    bodies: ``to_model_group`` is not called and nothing is serialised again.
    """

    endpoints: list[Endpoint]
    targets: dict[str, Target]
    catalog: Catalog
    view: ProviderView

    def same(self, endpoints: list[Endpoint], targets: dict[str, Target], catalog: Catalog) -> bool:
        return (
            catalog is self.catalog
            and len(endpoints) == len(self.endpoints)
            and targets.keys() == self.targets.keys()
            and all(target is self.targets[name] for name, target in targets.items())
            and all(map(operator.is_, endpoints, self.endpoints))  # in C: 50,000 in well under a millisecond
        )


CHUNK = 500
"""Items serialised per call: each call holds the GIL, so a worker thread lets the event loop in between."""


def dump_in_chunks(adapter: TypeAdapter[list[Any]], items: list[Any]) -> bytes:
    """``adapter.dump_json(items)``, the same bytes, made ``CHUNK`` items at a time."""
    if len(items) <= CHUNK:
        return adapter.dump_json(items)
    parts = [adapter.dump_json(items[i : i + CHUNK])[1:-1] for i in range(0, len(items), CHUNK)]
    return b"[" + b",".join(parts) + b"]"


FAILED_HEADER = "X-Hub-Failed-Providers"
WARNINGS_HEADER = "X-Hub-Partial-Providers"
"""Providers whose answer is partial (``warnings``): it stays cacheable, as the gap may last."""


@dataclass(frozen=True)
class Freshness:
    """How fresh a response is, for the Age, ETag, Cache-Control and X-Hub-Stale headers.

    ``failed`` names the providers whose data is missing from the answer, wholly or for some
    targets: such an answer says so in ``X-Hub-Failed-Providers``, is not to be cached
    (``max-age=0``) and has no ETag, so no client or cache revalidates it as complete.
    """

    etag: str
    stale: bool
    fetched_at: float | None
    max_age: int
    failed: tuple[str, ...] = ()
    warned: tuple[str, ...] = ()

    def variant(self, *parts: str) -> Freshness:
        """The same freshness for another representation of the data (a page, a filter)."""
        digest = hashlib.blake2b(self.etag.encode(), digest_size=12)
        for part in parts:
            digest.update(b"\0" + part.encode())
        return replace(self, etag=digest.hexdigest())

    def headers(self, now: float | None = None) -> dict[str, str]:
        now = time.time() if now is None else now
        headers = {
            "ETag": f'"{self.etag}"',
            "X-Hub-Stale": "true" if self.stale else "false",
            "Cache-Control": f"public, max-age={0 if self.stale or self.failed else self.max_age}",
        }
        if self.failed:
            del headers["ETag"]
            headers[FAILED_HEADER] = ", ".join(self.failed)
        if self.warned:
            headers[WARNINGS_HEADER] = ", ".join(self.warned)
        if self.fetched_at is not None:
            headers["Age"] = str(max(0, int(now - self.fetched_at)))
        return headers


class DiscoveryCodec:
    """A discovery to bytes and back for the shared cache, keeping each endpoint's raw payload.

    Without warnings it is the plain endpoint array; with them, ``{"endpoints": [...], "warnings": [...]}``.
    """

    def encode(self, value: Discovery) -> bytes:
        # ``CHUNK`` endpoints per orjson call (the same bytes as one call), so a worker thread
        # encoding a large list gives the event loop the GIL between calls.
        items = value.endpoints
        parts = [
            orjson.dumps([{**e.model_dump(mode="json"), "raw": e.raw} for e in items[i : i + CHUNK]])[1:-1]
            for i in range(0, len(items), CHUNK)
        ]
        array = b"[" + b",".join(parts) + b"]"
        if not value.warnings:
            return array
        return b'{"warnings":' + orjson.dumps(value.warnings) + b',"endpoints":' + array + b"}"

    def decode(self, payload: bytes) -> Discovery:
        data = orjson.loads(payload)
        if isinstance(data, dict):
            warnings, items = data.get("warnings"), data.get("endpoints")
            if not isinstance(items, list) or not isinstance(warnings, list):
                raise ValueError("a shared discovery holds no endpoint list")
            return Discovery(endpoints=[Endpoint.model_validate(item) for item in items], warnings=warnings)
        return Discovery.model_construct(endpoints=[Endpoint.model_validate(item) for item in data], warnings=[])


TARGETS_RETRY_PAUSE = 0.5
"""Seconds between the two tries of a transient failure while reading targets."""
TARGETS_RETRY_SECONDS = 5.0
"""After both tries failed, requests get the error for this long before the targets are asked again."""


@dataclass
class _KnownTargets:
    """A provider's targets (or why it has none) and when they were read (``time.monotonic()``)."""

    value: list[Target] | HubError
    read_at: float
    retry_at: float = 0.0

    def expired(self, now: float, ttl: float) -> bool:
        return bool(ttl) and now - self.read_at >= ttl


def _same_target(old: Target, new: Target) -> bool:
    return (old.url, old.auth_method) == (new.url, new.auth_method)


def _transient_targets_error(provider: str, error: BaseException) -> ProviderUnavailableError:
    if isinstance(error, ProviderUnavailableError):
        return error
    reason = error.message if isinstance(error, HubError) else f"{type(error).__name__}: {error}"
    return ProviderUnavailableError(
        f"Provider {provider!r} could not read its configuration ({reason}). The hub asks again shortly.",
        provider=provider,
        retryable=True,
    )


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
        self.cache.on_update = self._list_updated
        self._targets: dict[str, _KnownTargets] = {}
        self._reading: dict[str, asyncio.Task[list[Target]]] = {}
        registry.threads = settings.provider_threads
        self._views: dict[str, tuple[tuple[Any, ...], ProviderView]] = {}
        self._converted: dict[str, _Converted] = {}
        self._builds: dict[tuple[str, tuple[Any, ...]], asyncio.Task[ProviderView]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._warming: dict[str, asyncio.Task[None]] = {}
        self._merged: tuple[tuple[Any, ...], bytes, list[bytes]] | None = None
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
            etag = views[0].etag if len(views) == 1 else _combined_etag(views)
        left_out = views.left_out if isinstance(views, ViewList) else {}
        failed = sorted({*left_out, *(v.provider for v in views if v.errors)})
        return Freshness(
            etag=etag,
            stale=any(v.stale for v in views),
            fetched_at=fetched_at,
            max_age=max_age,
            failed=tuple(_header_safe(name) for name in failed),
            warned=tuple(_header_safe(v.provider) for v in views if v.warnings),
        )

    @classmethod
    def from_settings(cls, settings: HubSettings | None = None) -> Hub:
        settings = settings or HubSettings()
        return cls(settings, load_plugins(settings), Catalog.load(settings.catalog_path))

    async def aclose(self) -> None:
        """Stop background refreshes and builds, and close what targets hold (``handle.aclose()``)."""
        await self.cache.aclose()
        for task in [*self._background, *self._builds.values(), *self._warming.values(), *self._reading.values()]:
            task.cancel()
        for provider, known in self._targets.items():
            await self._close_targets(provider, known.value if isinstance(known.value, list) else [])

    def forget(self, provider: str) -> None:
        """Drop what the hub remembers about a provider (its targets, views and cached lists)."""
        self._targets.pop(provider, None)
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
        """The provider's configured targets, re-read every ``targets_ttl`` seconds.

        A list past its TTL is served while it is re-read in the background. A
        ``ProviderConfigError`` is remembered until the TTL; any other error is transient:
        retried once, then raised as ``ProviderUnavailableError`` and asked again after a
        short pause, never remembered as a configuration error.
        """
        known = self._targets.get(provider)
        now = time.monotonic()
        if known is not None:
            if isinstance(known.value, list):
                if known.expired(now, self.settings.targets_ttl):
                    self._reread_in_background(provider)
                return known.value
            if now < known.retry_at:
                raise known.value
        self.require(provider)
        return await self._read_targets(provider)

    async def reload_targets(self, provider: str) -> list[Target]:
        """Read the provider's targets now (on demand), whatever their age."""
        self.require(provider)
        return await self._read_targets(provider)

    def _reread_in_background(self, provider: str) -> None:
        if provider in self._reading:
            return
        task = asyncio.get_running_loop().create_task(self._read_targets(provider))
        task.add_done_callback(lambda t: None if t.cancelled() else t.exception())  # reported in _read_targets

    async def _read_targets(self, provider: str) -> list[Target]:
        """One read at a time per provider; concurrent callers share it."""
        task = self._reading.get(provider)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._read_targets_once(provider))
            self._reading[provider] = task
            task.add_done_callback(lambda _: self._reading.pop(provider, None))
        return await asyncio.shield(task)

    async def _read_targets_once(self, provider: str) -> list[Target]:
        hooks = self.registry.hooks(provider)
        config = self.settings.provider_config(provider)
        timeout = self.settings.discovery_timeout
        previous = self._targets.get(provider)
        for attempt in (1, 2):
            try:
                targets = await hooks.configured_targets(config, timeout=timeout)
            except ProviderConfigError as error:
                self._targets[provider] = _KnownTargets(
                    error, time.monotonic(), retry_at=time.monotonic() + self._ttl()
                )
                if previous is not None and isinstance(previous.value, list):
                    self._close_later(provider, previous.value)
                    self.cache.invalidate_prefix(f"{provider}:")
                raise
            except Exception as error:  # transient: retried, never remembered as configuration
                transient = _transient_targets_error(provider, error)
                logger.warning("%s", transient.message)
                if attempt == 2:
                    if previous is not None and isinstance(previous.value, list):
                        previous.read_at = time.monotonic()  # keep serving them; ask again after the TTL
                        return previous.value
                    self._targets[provider] = _KnownTargets(
                        transient, time.monotonic(), retry_at=time.monotonic() + TARGETS_RETRY_SECONDS
                    )
                    raise transient from None
                await asyncio.sleep(TARGETS_RETRY_PAUSE)
                continue
            self._adopt_targets(provider, previous.value if previous is not None else None, targets)
            return self._targets[provider].value  # type: ignore[return-value]  # a list: just adopted
        raise AssertionError("unreachable")

    def _ttl(self) -> float:
        return self.settings.targets_ttl or float("inf")

    def _adopt_targets(self, provider: str, previous: list[Target] | HubError | None, targets: list[Target]) -> None:
        """Take a fresh target list, keeping the old ``Target`` (and its handle) of an unchanged target."""
        old = {t.name: t for t in previous} if isinstance(previous, list) else {}
        kept, dropped = [], []
        for target in targets:
            same = old.get(target.name)
            if same is not None and _same_target(same, target):
                kept.append(same)
                if target.handle is not same.handle:
                    dropped.append(target)
            else:
                kept.append(target)
        names = {t.name for t in kept}
        gone = [t for t in old.values() if t.name not in names or all(k is not t for k in kept)]
        for target in gone:
            self.cache.invalidate(f"{provider}:{target.name}")
        self._targets[provider] = _KnownTargets(kept, time.monotonic())
        if gone:
            logger.info("Provider %r targets changed: now %s", provider, ", ".join(sorted(names)) or "none (catalog)")
        self._close_later(provider, [*gone, *dropped])

    def _close_later(self, provider: str, targets: list[Target]) -> None:
        """Close handles no longer used, after in-flight discoveries had their deadline to finish."""
        handles = [t for t in targets if getattr(t.handle, "aclose", None) is not None]
        if not handles:
            return

        async def close() -> None:
            await asyncio.sleep(self.settings.discovery_timeout)
            await self._close_targets(provider, handles)

        task = asyncio.get_running_loop().create_task(close())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _close_targets(self, provider: str, targets: list[Target]) -> None:
        for target in targets:
            close = getattr(target.handle, "aclose", None)
            if close is None:
                continue
            try:
                await close()
            except Exception:  # a plugin's shutdown never blocks ours
                logger.exception("Provider %r failed to close target %r", provider, target.name)

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

    def _list_updated(self, key: str) -> None:
        """A target has a new list: build the provider's view now, not on the next request."""
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
        if last is not None and last.same(endpoints, targets, self.catalog):
            view = last.view.refreshed(endpoints, fetched_at, warnings)
        else:
            groups = await self._convert(provider, endpoints, targets)
            view = ProviderView(provider, "live", endpoints, groups, fetched_at, warnings=warnings)
            await asyncio.to_thread(without_gc, lambda: view.etag)  # serialise and hash off the event loop, once
        current = self._views.get(provider)
        if current is None or _newest(version) >= _newest(current[0]):
            self._views[provider] = (version, view)
            self._converted[provider] = _Converted(endpoints, targets, self.catalog, view)
        return view

    def _catalog_view(self, provider: str) -> ProviderView:
        cached = self._views.get(provider)
        if cached is not None and cached[0] == ("catalog",):
            return cached[1]
        record = self.registry.records[provider]
        litellm_providers = record.info.catalog_providers if record.info else [provider]
        groups = self.catalog.model_groups_for(provider, litellm_providers)
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

    async def _convert(
        self, provider: str, endpoints: list[Endpoint], targets: dict[str, Target] | None = None
    ) -> list[ModelGroup]:
        """Endpoints to merged model groups. Plain hookimpls run in a worker thread so a big
        workspace never stalls the event loop; ``async def`` ones run on the loop."""
        hooks = self.registry.hooks(provider)
        convert = hooks.model_group_converter()
        known = targets or {}
        if convert is not None and hooks.is_async("to_model_group"):
            results = [await _attempt_async(provider, convert, e, self.catalog, known) for e in endpoints]
            return self._merge(provider, endpoints, results)

        def in_thread() -> list[ModelGroup]:
            with gc_paused():
                function = convert or (lambda endpoint, catalog, target: default_model_group(endpoint, catalog))
                results = [_attempt(provider, function, e, self.catalog, known) for e in endpoints]
                return self._merge(provider, endpoints, results)

        return await asyncio.to_thread(in_thread)

    def _merge(self, provider: str, endpoints: list[Endpoint], results: list[Any]) -> list[ModelGroup]:
        merged: dict[str, ModelGroup] = {}
        for endpoint, group in zip(endpoints, results, strict=True):
            if group is None:
                continue
            if not isinstance(group, ModelGroup):
                logger.error(
                    "Provider %r returned %s instead of ModelGroup for %r; skipped",
                    provider,
                    type(group).__name__,
                    endpoint.name,
                )
                continue
            _merge_into(merged, group, endpoint)
        return sorted(merged.values(), key=lambda g: g.model_group)

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
        etag = _combined_etag(views) + {None: "", True: "-available", False: "-unavailable"}[available]
        if len(bodies) == 1:
            return bodies[0], self.freshness(views, etag)
        key = (tuple(id(b) for b in bodies), available)
        if self._merged is None or self._merged[0] != key:
            merged = await asyncio.to_thread(without_gc, _joined, bodies)  # megabytes copied: not on the loop
            self._merged = (key, merged, bodies)  # the bodies kept alive, so their ids stay theirs
        return self._merged[1], self.freshness(views, etag)

    def readiness(self) -> dict[str, Any]:
        """``/readyz``: ready once every loaded provider has answered or been reported failing.

        Never waits and never calls an upstream itself: a provider not asked yet gets one
        discovery started in the background and counts as ``pending`` until it ends. Says only
        each provider's state (``ok``, ``stale``, ``catalog``, ``failing``, ``pending``), no messages.
        """
        states: dict[str, str] = {}
        for name, record in self.registry.records.items():
            if record.state == "failed_to_load":
                states[name] = "failing"
            elif record.state != "disabled":
                states[name] = self._provider_state(name)
        for name in [n for n, state in states.items() if state == "pending"]:
            if name not in self._warming:
                task = asyncio.get_running_loop().create_task(self._prebuild(name))
                self._warming[name] = task
                task.add_done_callback(functools.partial(self._warmed, name))
        pending = sorted(n for n, state in states.items() if state == "pending")
        return {
            "status": "starting" if pending else "ready",
            "ready": not pending,
            "pending": pending,
            "failing": sorted(n for n, state in states.items() if state == "failing"),
            "providers": states,
        }

    def _warmed(self, provider: str, _: asyncio.Task[None]) -> None:
        self._warming.pop(provider, None)

    def _provider_state(self, provider: str) -> str:
        known = self._targets.get(provider)
        if known is None:
            return "pending"
        if not isinstance(known.value, list):
            return "failing"
        targets = known.value
        if not targets:
            return "catalog"
        states = {self.cache.state(f"{provider}:{t.name}") for t in targets}
        if "unknown" in states:
            return "pending"
        if "failing" in states:
            return "failing"
        return "stale" if "stale" in states else "ok"

    async def statuses(self) -> list[ProviderStatus]:
        names = self.registry.installed()
        return list(await asyncio.gather(*(self.status(n) for n in names)))

    async def status(self, provider: str) -> ProviderStatus:
        record = self.registry.records[provider]
        base: dict[str, Any] = {
            "name": provider,
            "display_name": record.display_name,
            "distribution": record.distribution,
            "version": record.version,
            "hooks": record.hooks,
        }
        if record.state == "disabled":
            return ProviderStatus(**base, status=ProviderState.disabled, message=f"Disabled: {record.message}.")
        if record.state == "failed_to_load":
            return ProviderStatus(
                **base, status=ProviderState.failed_to_load, message=f"Failed to load: {record.message}"
            )
        try:
            targets = await self.targets(provider)
            base["targets"] = [t.name for t in targets]
            view = await self.view(provider)
        except HubError as error:
            return ProviderStatus(**base, status=ProviderState.error, message=error.message)
        except Exception as error:  # a plugin bug shows as this provider's error, never a 500
            logger.exception("Provider %r failed while reporting its status", provider)
            return ProviderStatus(
                **base, status=ProviderState.error, message=f"Provider failed: {type(error).__name__}"
            )
        if view.source == "catalog":
            return ProviderStatus(
                **base,
                status=ProviderState.not_configured,
                source="catalog",
                message=f"No credentials configured; serving {len(view.groups)} entries from the bundled catalog.",
            )
        if view.errors:
            return ProviderStatus(
                **base,
                status=ProviderState.error,
                source="live",
                fetched_at=_timestamp(view.fetched_at),
                message="Some targets failed: " + "; ".join(view.errors),
                warnings=view.warnings,
            )
        stale = " (stale; refreshing)" if view.stale else ""
        partial = f"; partial: {len(view.warnings)} warning(s)" if view.warnings else ""
        return ProviderStatus(
            **base,
            status=ProviderState.ok,
            source="live",
            fetched_at=_timestamp(view.fetched_at),
            message=f"{len(view.endpoints)} endpoints from {len(targets)} target(s){stale}{partial}.",
            warnings=view.warnings,
        )


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


def _header_safe(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)


def _joined(bodies: list[bytes]) -> bytes:
    parts = [b[1:-1] for b in bodies if len(b) > 2]
    return b"[" + b",".join(parts) + b"]"


def _combined_etag(views: list[ProviderView]) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for view in views:
        digest.update(view.provider.encode() + b"=" + view.etag.encode() + b";")
    return digest.hexdigest()


def _attempt(
    provider: str, convert: Converter, endpoint: Endpoint, catalog: Catalog, targets: dict[str, Target]
) -> Any:
    """One conversion inside its failure boundary: a plugin error skips that endpoint only."""
    try:
        result = convert(endpoint, catalog, targets.get(endpoint.target or ""))
    except Exception:
        logger.exception("Provider %r could not convert endpoint %r; skipped", provider, endpoint.name)
        return None
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        logger.error("Provider %r: to_model_group returned an awaitable from a plain function", provider)
        return None
    return result


async def _attempt_async(
    provider: str, convert: Converter, endpoint: Endpoint, catalog: Catalog, targets: dict[str, Target]
) -> Any:
    try:
        result = convert(endpoint, catalog, targets.get(endpoint.target or ""))
        return await result if inspect.isawaitable(result) else result
    except Exception:
        logger.exception("Provider %r could not convert endpoint %r; skipped", provider, endpoint.name)
        return None


def _newest(version: tuple[Any, ...]) -> float:
    return max((fetched_at for _, fetched_at in version), default=0.0)


def default_model_group(endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
    """The generic conversion used when a plugin does not implement ``to_model_group``."""
    name = f"{endpoint.provider}/{endpoint.name}"
    fields = catalog_fields(catalog.get(name))
    if endpoint.mode is not None or "mode" not in fields:
        fields["mode"] = endpoint.mode
    return live_model_group(endpoint, model_group=name, providers=[endpoint.provider], **fields)


def _merge_into(merged: dict[str, ModelGroup], group: ModelGroup, endpoint: Endpoint) -> None:
    """Same model group from several targets: one entry, one deployment per target.

    Two entries of one name but different known ``model`` values are different models (two
    accounts' deployments named alike): the later one keeps its own entry, named
    ``<model_group>@<target>``, and a warning is logged.
    """
    deployment = Deployment(
        target=endpoint.target,
        target_url=endpoint.target_url,
        endpoint_name=endpoint.name,
        endpoint_url=group.endpoint_url,
        state=group.state,
        available=group.available,
        state_reason=group.state_reason,
        region=endpoint.region,
        account=endpoint.account,
        sku=endpoint.sku,
        capacity=endpoint.capacity,
        cost_per_hour=group.cost_per_hour,
    )
    existing = merged.get(group.model_group)
    if existing is not None and existing.model and group.model and existing.model != group.model:
        name = group.model_group
        for suffix in (endpoint.target, endpoint.name):
            if suffix and f"{name}@{suffix}" not in merged:
                break
        group.model_group = f"{name}@{suffix}"
        logger.warning(
            "%r names both %r and %r; the second is listed as %r. Give one deployment another name to call them apart.",
            name,
            existing.model,
            group.model,
            group.model_group,
        )
        existing = merged.get(group.model_group)
    if existing is None:
        group.deployments = [deployment]
        merged[group.model_group] = group
        return
    existing.deployments.append(deployment)
    if not existing.available and group.available:
        existing.available = True
        existing.endpoint_url, existing.state, existing.state_reason = group.endpoint_url, group.state, None
        existing.target, existing.cost_per_hour = group.target, group.cost_per_hour
