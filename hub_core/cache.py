"""Discovery cache: fresh TTL, stale-while-revalidate, single-flight, remembered failures.

A key is one provider target (``databricks:prod``). A request for a fresh key is
served from memory. A stale key is served at once while one background refresh
runs. A key past its stale window (or never fetched) waits for one refresh that
every concurrent caller shares; that refresh is bounded by the deadline.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from hub_core.errors import HubError, ProviderUnavailableError

logger = logging.getLogger("hub_core.cache")

T = TypeVar("T")


@dataclass(frozen=True)
class CachePolicy:
    ttl: float = 300.0
    stale_ttl: float = 3600.0
    refresh_ahead: float = 0.0
    deadline: float = 10.0
    error_ttl: float = 5.0


@dataclass(frozen=True)
class Cached(Generic[T]):
    value: T
    fetched_at: float
    stale: bool = False


@dataclass(frozen=True)
class _Failure:
    error: BaseException
    until: float


class DiscoveryCache(Generic[T]):
    def __init__(self, policy: CachePolicy, clock: Callable[[], float] = time.time) -> None:
        self.policy = policy
        self.clock = clock
        self._entries: dict[str, Cached[T]] = {}
        self._failures: dict[str, _Failure] = {}
        self._flights: dict[str, asyncio.Task[Cached[T]]] = {}
        self.loads = 0  # upstream calls made, for tests and the benchmark

    def peek(self, key: str) -> Cached[T] | None:
        return self._entries.get(key)

    def invalidate(self, key: str | None = None) -> None:
        if key is None:
            self._entries.clear()
            self._failures.clear()
        else:
            self._entries.pop(key, None)
            self._failures.pop(key, None)

    async def get(self, key: str, loader: Callable[[], Awaitable[T]]) -> Cached[T]:
        now = self.clock()
        entry = self._entries.get(key)
        policy = self.policy
        if entry is not None:
            age = now - entry.fetched_at
            if age < policy.ttl:
                if policy.refresh_ahead and age >= policy.ttl - policy.refresh_ahead:
                    self._refresh_in_background(key, loader, now)
                return entry
            if age < policy.ttl + policy.stale_ttl:
                self._refresh_in_background(key, loader, now)
                return Cached(entry.value, entry.fetched_at, stale=True)
        failure = self._failures.get(key)
        if failure is not None and now < failure.until:
            raise self._unavailable(key, failure, now)
        return await asyncio.shield(self._flight(key, loader))

    def _refresh_in_background(self, key: str, loader: Callable[[], Awaitable[T]], now: float) -> None:
        failure = self._failures.get(key)
        if failure is not None and now < failure.until:
            return  # honour Retry-After and the error back-off: keep serving what we have
        task = self._flight(key, loader)
        task.add_done_callback(_consume_exception)

    def _flight(self, key: str, loader: Callable[[], Awaitable[T]]) -> asyncio.Task[Cached[T]]:
        task = self._flights.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._load(key, loader))
            self._flights[key] = task
            task.add_done_callback(lambda _: self._flights.pop(key, None))
        return task

    async def _load(self, key: str, loader: Callable[[], Awaitable[T]]) -> Cached[T]:
        self.loads += 1
        try:
            value = await asyncio.wait_for(loader(), timeout=self.policy.deadline)
        except asyncio.TimeoutError:
            error: BaseException = ProviderUnavailableError(
                f"Discovery for {key} took longer than its {self.policy.deadline:g} s deadline."
            )
            self._remember_failure(key, error)
            raise error from None
        except Exception as exc:
            self._remember_failure(key, exc)
            raise
        entry = Cached(value, self.clock())
        self._entries[key] = entry
        self._failures.pop(key, None)
        return entry

    def _remember_failure(self, key: str, error: BaseException) -> None:
        retry_after = getattr(error, "retry_after", None)
        wait = float(retry_after) if isinstance(retry_after, (int, float)) else self.policy.error_ttl
        self._failures[key] = _Failure(error, self.clock() + wait)
        logger.warning("Refreshing %s failed: %s", key, error)

    def _unavailable(self, key: str, failure: _Failure, now: float) -> BaseException:
        if isinstance(failure.error, HubError):
            error = failure.error
            error.headers.setdefault("Retry-After", str(max(1, int(failure.until - now + 0.999))))
            return error
        return ProviderUnavailableError(
            f"Discovery for {key} failed recently; retrying after a pause.",
            retry_after=max(1, int(failure.until - now + 0.999)),
        )

    async def aclose(self) -> None:
        for task in list(self._flights.values()):
            task.cancel()
        self._flights.clear()


def _consume_exception(task: asyncio.Task[object]) -> None:
    if not task.cancelled():
        task.exception()
