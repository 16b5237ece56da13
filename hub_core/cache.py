"""Discovery cache: fresh TTL, stale-while-revalidate, single-flight, bounded refreshes.

A key is one provider target (``databricks:prod``).

- Fresh (younger than ``ttl``): served from memory.
- Stale (within ``stale_ttl`` after that): served at once while one background refresh runs.
- Cold, or older than the stale window: callers share one refresh and wait at most ``deadline``.

A refresh retries transient faults (``ProviderError.retryable``) with jittered backoff
inside its deadline, honours ``Retry-After``, and after repeated failures opens a
circuit for ``breaker_cooldown`` seconds; the next refresh after that is the one trial.

With a shared store (Redis) the entries, the single-flight lock and the Retry-After
blocks are shared between replicas; the local memory stays the first, fast layer.
What the shared store holds is not trusted: an entry whose time is not finite, lies in
the future or whose payload does not decode, and a pause that is not a bounded time,
are treated as a miss and logged once per key (see docs/security.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from hub_core.errors import HubError, ProviderError, ProviderUnavailableError
from hub_core.gcpause import without_gc

logger = logging.getLogger("hub_core.cache")

T = TypeVar("T")
_R = TypeVar("_R")
SHARED_RETRY_SECONDS = 5.0
MAX_CLOCK_SKEW = 30.0  # seconds a shared entry's time may lie ahead of ours (replicas' clocks)
MAX_BLOCK_SECONDS = 600.0  # the longest Retry-After pause that is shared, or believed when read
# What a shared-store call that fell back to memory is counted as (a bounded metric label).
SHARED_OPERATIONS = ("get", "put", "acquire", "release", "blocked_until", "block")
Loader = Callable[[], Awaitable[T]]


@dataclass(frozen=True)
class CachePolicy:
    ttl: float = 300.0
    stale_ttl: float = 3600.0
    refresh_ahead: float = 0.0
    deadline: float = 10.0
    error_ttl: float = 5.0
    breaker_threshold: int = 3
    breaker_cooldown: float = 30.0
    backoff_base: float = 0.2
    backoff_cap: float = 2.0
    max_retry_wait: float = 5.0  # a longer Retry-After ends this refresh; the pause is remembered


@dataclass(frozen=True)
class Cached(Generic[T]):
    value: T
    fetched_at: float
    stale: bool = False


@dataclass
class _Failures:
    error: BaseException
    until: float
    count: int


class Codec(Protocol[T]):
    def encode(self, value: T) -> bytes: ...

    def decode(self, payload: bytes) -> T: ...


class SharedStore(Protocol):
    """What a shared cache backend offers. Every method may raise ``SharedStoreError``."""

    async def get(self, key: str) -> tuple[float, bytes] | None: ...

    async def put(self, key: str, fetched_at: float, payload: bytes, ttl: float) -> None: ...

    async def acquire(self, key: str, ttl: float) -> str | None: ...

    async def release(self, key: str, token: str) -> None: ...

    async def blocked_until(self, key: str) -> float | None: ...

    async def block(self, key: str, until: float) -> None: ...

    async def aclose(self) -> None: ...


class SharedStoreError(Exception):
    """The shared store is unreachable; the cache carries on from memory."""


class SharedEntryInvalid(Exception):
    """What the shared store holds for a key cannot be trusted; the cache treats it as a miss."""


class CacheObserver(Protocol):
    """Told about lookups, upstream calls, refreshes and shared-store calls that fell back to
    memory (``operation`` is one of ``SHARED_OPERATIONS``), e.g. ``hub_core.metrics.HubMetrics``."""

    def observe_lookup(self, key: str, result: str) -> None: ...

    def observe_upstream(self, key: str, seconds: float, ok: bool) -> None: ...

    def observe_refresh(self, key: str, seconds: float, ok: bool) -> None: ...

    def observe_shared_fallback(self, operation: str) -> None: ...


class DiscoveryCache(Generic[T]):
    def __init__(
        self,
        policy: CachePolicy,
        clock: Callable[[], float] = time.time,
        *,
        shared: SharedStore | None = None,
        codec: Codec[T] | None = None,
    ) -> None:
        if shared is not None and codec is None:
            raise ValueError("a shared store needs a codec")
        self.policy = policy
        self.clock = clock
        self._updates: asyncio.Queue[str] | None = None  # made by the first ``next_update()``
        self._updates_loop: asyncio.AbstractEventLoop | None = None
        self.shared = shared
        self.codec = codec
        self._entries: dict[str, Cached[T]] = {}
        self._failures: dict[str, _Failures] = {}
        self._flights: dict[str, asyncio.Task[Cached[T]]] = {}
        self._shared_down_until = 0.0
        self._shared_reported = False
        self._invalid_reported: set[str] = set()  # keys whose bad shared entry was logged
        self.loads = 0  # upstream calls made by this process, for tests and the benchmark
        self.observer: CacheObserver | None = None  # metrics, when the app has them

    # -- reading --------------------------------------------------------------------

    def invalidate(self, key: str | None = None) -> None:
        if key is None:
            self._entries.clear()
            self._failures.clear()
        else:
            self._entries.pop(key, None)
            self._failures.pop(key, None)

    def invalidate_prefix(self, prefix: str) -> None:
        for key in [k for k in self._entries if k.startswith(prefix)]:
            self.invalidate(key)
        for key in [k for k in self._failures if k.startswith(prefix)]:
            self._failures.pop(key, None)

    async def get(self, key: str, loader: Loader[T]) -> Cached[T]:
        now = self.clock()
        entry = self._entries.get(key)
        observer = self.observer
        if entry is not None and now - entry.fetched_at < self.policy.ttl:
            if self.policy.refresh_ahead and now - entry.fetched_at >= self.policy.ttl - self.policy.refresh_ahead:
                self._refresh_in_background(key, loader, now)
            if observer is not None:
                observer.observe_lookup(key, "hit")
            return entry
        if entry is not None and self._servable(entry, now):
            self._refresh_in_background(key, loader, now)
            if observer is not None:
                observer.observe_lookup(key, "stale")
            return Cached(entry.value, entry.fetched_at, stale=True)
        if observer is not None:
            observer.observe_lookup(key, "miss")
        failure = self._failures.get(key)
        if failure is not None and now < failure.until:
            raise self._unavailable(key, failure.error, failure.until - now, had_entry=entry is not None)
        try:
            # One flight per key: it reads the shared store once for every waiting caller.
            return await asyncio.shield(self._flight(key, loader))
        except HubError as error:
            adopted = self._entries.get(key)  # a stale list another replica stored still serves
            if adopted is not None and self._servable(adopted, self.clock()):
                return Cached(adopted.value, adopted.fetched_at, stale=True)
            if entry is not None:  # never serve silently ancient data: say so, with Retry-After
                failure = self._failures.get(key)
                wait = failure.until - self.clock() if failure else self.policy.error_ttl
                raise self._unavailable(key, error, wait, had_entry=True) from None
            raise

    def state(self, key: str) -> str:
        """What the cache knows about ``key`` now, without loading: ``fresh``, ``stale``
        (servable), ``failing`` (the last refresh failed, nothing servable) or ``unknown``."""
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and now - entry.fetched_at < self.policy.ttl:
            return "fresh"
        if entry is not None and self._servable(entry, now):
            return "stale"
        return "failing" if key in self._failures else "unknown"

    def circuits(self) -> dict[str, bool]:
        """Whether the circuit breaker holds each known key's refreshes now (it opens after
        ``breaker_threshold`` failures in a row, for ``breaker_cooldown`` seconds)."""
        now = self.clock()
        states = dict.fromkeys(self._entries, False)
        for key, failure in self._failures.items():
            states[key] = failure.count >= self.policy.breaker_threshold and now < failure.until
        return states

    def _servable(self, entry: Cached[T], now: float) -> bool:
        return now - entry.fetched_at < self.policy.ttl + self.policy.stale_ttl

    async def _adopt_shared(self, key: str, entry: Cached[T] | None) -> Cached[T] | None:
        """A newer list that another replica stored, if any; anything untrustworthy is a miss."""
        found = await self._shared_call(self.shared.get(key) if self.shared else None, key, "get")
        if not found:
            return entry
        fetched_at, payload = found
        if not (math.isfinite(fetched_at) and 0 < fetched_at <= self.clock() + MAX_CLOCK_SKEW):
            self._report_invalid(key, f"its fetched_at ({fetched_at!r}) is not a finite time in the past")
            return entry
        if entry is not None and entry.fetched_at >= fetched_at:
            return entry
        assert self.codec is not None
        try:
            # Thousands of endpoints take seconds to validate: not on the event loop.
            value = await asyncio.to_thread(without_gc, self.codec.decode, payload)
        except Exception as error:  # junk, truncated or wrong-shaped payloads
            self._report_invalid(key, f"its payload does not decode ({type(error).__name__})")
            return entry
        self._invalid_reported.discard(key)
        adopted = Cached(value, min(fetched_at, self.clock()))
        self._store(key, adopted)
        return adopted

    def _report_invalid(self, key: str, reason: str) -> None:
        if key not in self._invalid_reported:
            self._invalid_reported.add(key)
            logger.warning("Ignoring the shared cache's entry for %s: %s; treated as a miss", key, reason)

    async def _shared_block(self, key: str) -> float | None:
        """When the shared Retry-After pause for ``key`` ends, if it is a believable time."""
        until = await self._shared_call(self.shared.blocked_until(key) if self.shared else None, key, "blocked_until")
        if until is None:
            return None
        if not (math.isfinite(until) and until <= self.clock() + MAX_BLOCK_SECONDS + MAX_CLOCK_SKEW):
            self._report_invalid(key, f"its Retry-After pause ({until!r}) is not a bounded time")
            return None
        return until

    # -- refreshing -----------------------------------------------------------------

    def _refresh_in_background(self, key: str, loader: Loader[T], now: float) -> None:
        failure = self._failures.get(key)
        if failure is not None and now < failure.until:
            return  # honour Retry-After and the circuit breaker: keep serving what we have
        task = self._flight(key, loader)
        task.add_done_callback(_consume_exception)

    def _flight(self, key: str, loader: Loader[T]) -> asyncio.Task[Cached[T]]:
        task = self._flights.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._refresh(key, loader))
            self._flights[key] = task
            task.add_done_callback(lambda _: self._flights.pop(key, None))
        return task

    async def _refresh(self, key: str, loader: Loader[T]) -> Cached[T]:
        started, ok = time.perf_counter(), False
        try:
            result = await asyncio.wait_for(self._refresh_shared(key, loader), timeout=self.policy.deadline)
            ok = True
            return result
        except asyncio.TimeoutError:
            error: BaseException = ProviderUnavailableError(
                f"{_described(key)} did not finish within its "
                f"{self.policy.deadline:g} s deadline (HUB_DISCOVERY_TIMEOUT); the upstream may be hanging."
            )
            self._remember_failure(key, error)
            raise error from None
        except Exception as exc:
            self._remember_failure(key, exc)
            raise
        finally:
            if self.observer is not None:
                self.observer.observe_refresh(key, time.perf_counter() - started, ok)

    async def _refresh_shared(self, key: str, loader: Loader[T]) -> Cached[T]:
        if self.shared is None:
            return await self._load(key, loader)
        known = self._entries.get(key)
        entry = await self._adopt_shared(key, known)
        if entry is not None and entry is not known and self.clock() - entry.fetched_at < self.policy.ttl:
            return entry  # another replica refreshed it: no upstream call
        blocked = await self._shared_block(key)
        if blocked and blocked > self.clock():
            wait = blocked - self.clock()
            raise ProviderUnavailableError(
                f"Discovery for {key} is paused for {wait:.0f} s at the upstream's request (Retry-After).",
                retry_after=max(1, int(wait + 0.999)),
            )
        token = await self._shared_call(self.shared.acquire(key, self.policy.deadline), key, "acquire")
        if token is None and self._shared_up():
            return await self._wait_for_other_replica(key)
        try:
            # Another replica may have stored a fresh list between our miss and our lock.
            known = self._entries.get(key)
            entry = await self._adopt_shared(key, known)
            if entry is not None and entry is not known and self.clock() - entry.fetched_at < self.policy.ttl:
                return entry
            return await self._load(key, loader)
        finally:
            if token:
                await self._shared_call(self.shared.release(key, token), key, "release")

    async def _wait_for_other_replica(self, key: str) -> Cached[T]:
        """Another replica holds the lock: wait for the list it stores (within our deadline).

        The wait counts its own deadline too, so a cancellation that a shared-store client lost
        mid-call cannot leave it polling for ever."""
        known = self._entries.get(key)
        give_up = time.monotonic() + self.policy.deadline
        while True:
            if time.monotonic() > give_up:
                raise ProviderUnavailableError(
                    f"Discovery for {key}: another replica held the lock past the {self.policy.deadline:g} s deadline."
                )
            await asyncio.sleep(0.05)
            entry = await self._adopt_shared(key, known)
            if entry is not None and (known is None or entry.fetched_at > known.fetched_at):
                return entry
            if not self._shared_up():
                raise ProviderUnavailableError(f"Discovery for {key}: the shared cache went away mid-refresh.")

    async def _load(self, key: str, loader: Loader[T]) -> Cached[T]:
        attempt = 0
        started = self.clock()
        while True:
            self.loads += 1
            try:
                value = await self._call_upstream(key, loader)
                break
            except ProviderError as error:
                attempt += 1
                delay = self._retry_delay(error, attempt, started)
                if delay is None:
                    raise
                logger.info("Discovery for %s failed (%s); retrying in %.2f s", key, error, delay)
                await asyncio.sleep(delay)
        entry = Cached(value, self.clock())
        self._store(key, entry)
        self._failures.pop(key, None)
        if self.shared is not None and self.codec is not None:
            ttl = self.policy.ttl + self.policy.stale_ttl
            try:
                payload = await asyncio.to_thread(without_gc, self.codec.encode, value)
            except (TypeError, ValueError) as error:  # served here, never shared: replicas refresh for themselves
                logger.error(
                    "%s cannot be shared through Redis: %s. Keep each endpoint's raw payload to JSON types.",
                    _described(key),
                    error,
                )
                return entry
            await self._shared_call(self.shared.put(key, entry.fetched_at, payload, ttl), key, "put")
        return entry

    async def _call_upstream(self, key: str, loader: Loader[T]) -> T:
        if self.observer is None:
            return await loader()
        started, ok = time.perf_counter(), False
        try:
            value = await loader()
            ok = True
            return value
        finally:
            self.observer.observe_upstream(key, time.perf_counter() - started, ok)

    def _store(self, key: str, entry: Cached[T]) -> None:
        self._entries[key] = entry
        if self._updates is not None:
            self._updates.put_nowait(key)

    async def next_update(self) -> str:
        """Wait for the next key that gets a new list (fetched or adopted from the shared store).

        For a listener that rebuilds what it derives from the lists; the cache itself never
        calls out. Keys stored before the first call are not reported.
        """
        loop = asyncio.get_running_loop()
        if self._updates is None or self._updates_loop is not loop:
            self._updates, self._updates_loop = asyncio.Queue(), loop
        return await self._updates.get()

    def _retry_delay(self, error: ProviderError, attempt: int, started: float) -> float | None:
        """Seconds to wait before retrying, or None when the error or the deadline forbids it."""
        if not error.retryable:
            return None
        if error.retry_after is not None:
            delay = float(error.retry_after)
            if delay > self.policy.max_retry_wait:
                return None
        else:
            delay = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (attempt - 1))
            delay *= random.uniform(0.5, 1.0)
        remaining = self.policy.deadline - (self.clock() - started)
        return delay if delay < remaining - 0.05 else None

    def _remember_failure(self, key: str, error: BaseException) -> None:
        previous = self._failures.get(key)
        count = previous.count + 1 if previous else 1
        wait = self.policy.error_ttl
        if count >= self.policy.breaker_threshold:
            wait = self.policy.breaker_cooldown
            if count == self.policy.breaker_threshold:
                logger.warning("Discovery for %s failed %d times; pausing it for %g s", key, count, wait)
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, (int, float)) and math.isfinite(retry_after):
            wait = max(wait, float(retry_after))
            if self.shared is not None and retry_after > 0:
                until = self.clock() + min(float(retry_after), MAX_BLOCK_SECONDS)
                asyncio.get_running_loop().create_task(
                    self._shared_call(self.shared.block(key, until), key, "block")
                ).add_done_callback(_consume_exception)
        self._failures[key] = _Failures(error, self.clock() + wait, count)
        logger.warning("Refreshing %s failed: %s", key, error)

    def _unavailable(self, key: str, cause: BaseException, wait: float, *, had_entry: bool) -> BaseException:
        retry_after = max(1, int(wait + 0.999))
        if not had_entry and isinstance(cause, HubError):
            cause.headers["Retry-After"] = str(retry_after)
            return cause
        reason = cause.message if isinstance(cause, HubError) else type(cause).__name__
        if had_entry:
            message = f"The last list for {key} is older than the stale window and refreshing failed: {reason}"
        else:
            message = f"Discovery for {key} failed recently: {reason}"
        provider = getattr(cause, "provider", None)
        return ProviderUnavailableError(message, provider=provider, retry_after=retry_after)

    # -- the shared store -------------------------------------------------------------

    def _shared_up(self) -> bool:
        return self.shared is not None and self.clock() >= self._shared_down_until

    async def _shared_call(self, call: Awaitable[_R] | None, key: str, operation: str) -> _R | None:
        """Run one shared-store call; on failure, log once and fall back to memory for a while.

        What the store holds for ``key`` being untrustworthy is a miss (None), logged once.
        A call that fails, or is skipped while the store is down, is a fallback to memory."""
        if call is None:
            return None
        if not self._shared_up():
            if asyncio.iscoroutine(call):
                call.close()
            self._fell_back(operation)
            return None
        try:
            result = await call
        except SharedEntryInvalid as error:
            self._report_invalid(key or "a key", str(error))
            return None
        except SharedStoreError as error:
            if not self._shared_reported:
                logger.warning("Shared cache unavailable (%s); serving from memory until it is back", error)
                self._shared_reported = True
            self._shared_down_until = self.clock() + SHARED_RETRY_SECONDS
            self._fell_back(operation)
            return None
        if self._shared_reported:
            logger.warning("Shared cache is back")
            self._shared_reported = False
        return result

    def _fell_back(self, operation: str) -> None:
        if self.observer is not None:
            self.observer.observe_shared_fallback(operation)

    async def aclose(self) -> None:
        for task in list(self._flights.values()):
            task.cancel()
        self._flights.clear()
        if self.shared is not None:
            with contextlib.suppress(SharedStoreError):
                await self.shared.aclose()


def _consume_exception(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _described(key: str) -> str:
    """``provider:target`` as words for a message: "Provider 'acme' listing target 'eu'"."""
    provider, _, target = key.partition(":")
    return f"Provider {provider!r} listing target {target!r}" if target else f"Discovery for {key}"
