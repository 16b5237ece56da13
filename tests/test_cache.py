"""The discovery cache in isolation: freshness windows, single-flight, retries, the breaker."""

from __future__ import annotations

import asyncio
import json

import pytest
from waiting import eventually

from hub_core.cache import CachePolicy, DiscoveryCache
from hub_core.errors import ProviderError, ProviderUnavailableError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    def __init__(self) -> None:
        self.calls = 0
        self.fail_with: Exception | None = None
        self.delay = 0.0

    async def __call__(self) -> list[str]:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        return [f"v{self.calls}"]


def make(clock: Clock, **policy: float) -> DiscoveryCache[list[str]]:
    defaults = {"ttl": 10, "stale_ttl": 100, "deadline": 2, "error_ttl": 5, "backoff_base": 0.01}
    return DiscoveryCache(CachePolicy(**{**defaults, **policy}), clock=clock)  # type: ignore[arg-type]


async def test_fresh_then_stale_while_revalidate_then_refreshed():
    clock, upstream = Clock(), Upstream()
    cache = make(clock)
    first = await cache.get("k", upstream)
    assert (first.value, first.stale) == (["v1"], False)
    clock.now += 5
    assert (await cache.get("k", upstream)).value == ["v1"] and upstream.calls == 1
    clock.now += 10  # past the TTL: stale is served at once, one refresh runs behind it
    stale = await cache.get("k", upstream)
    assert (stale.value, stale.stale) == (["v1"], True)
    await eventually(lambda: not cache._flights, what="the background refresh")
    assert upstream.calls == 2
    assert (await cache.get("k", upstream)).value == ["v2"]


async def test_single_flight_on_a_cold_key():
    clock, upstream = Clock(), Upstream()
    upstream.delay = 0.05
    cache = make(clock)
    results = await asyncio.gather(*(cache.get("k", upstream) for _ in range(1000)))
    assert upstream.calls == 1
    assert {tuple(r.value) for r in results} == {("v1",)}


async def test_past_the_stale_window_is_503_with_retry_after_not_ancient_data():
    clock, upstream = Clock(), Upstream()
    cache = make(clock)
    await cache.get("k", upstream)
    clock.now += 10 + 100 + 1
    upstream.fail_with = ProviderError("upstream down")
    with pytest.raises(ProviderUnavailableError) as caught:
        await cache.get("k", upstream)
    assert "older than the stale window" in caught.value.message
    assert int(caught.value.headers["Retry-After"]) >= 1


async def test_stale_list_is_served_while_the_upstream_fails():
    clock, upstream = Clock(), Upstream()
    cache = make(clock)
    await cache.get("k", upstream)
    upstream.fail_with = ProviderError("down")
    for _ in range(5):
        clock.now += 20
        entry = await cache.get("k", upstream)
        await asyncio.sleep(0)
        assert entry.value == ["v1"] and entry.stale


async def test_transient_errors_are_retried_within_the_deadline():
    clock, upstream = Clock(), Upstream()
    cache = make(clock)
    real = upstream.__call__
    failures = [ProviderUnavailableError("503", retryable=True), ProviderUnavailableError("503", retryable=True)]

    async def flaky() -> list[str]:
        if failures:
            upstream.calls += 1
            raise failures.pop()
        return await real()

    assert (await cache.get("k", flaky)).value == ["v3"]
    assert upstream.calls == 3


async def test_non_retryable_errors_are_not_retried():
    clock, upstream = Clock(), Upstream()
    upstream.fail_with = ProviderError("403", retryable=False)
    cache = make(clock)
    with pytest.raises(ProviderError):
        await cache.get("k", upstream)
    assert upstream.calls == 1


async def test_remembered_failure_and_retry_after():
    clock, upstream = Clock(), Upstream()
    upstream.fail_with = ProviderUnavailableError("429", retryable=True, retry_after=30)
    cache = make(clock)
    with pytest.raises(ProviderUnavailableError):
        await cache.get("k", upstream)
    assert upstream.calls == 1  # 30 s is longer than the retry budget: no retry in this refresh
    clock.now += 29
    with pytest.raises(ProviderUnavailableError) as caught:
        await cache.get("k", upstream)
    assert upstream.calls == 1 and caught.value.headers["Retry-After"] == "1"
    clock.now += 2
    upstream.fail_with = None
    assert (await cache.get("k", upstream)).value == ["v2"]


async def test_circuit_breaker_opens_after_repeated_failures_then_lets_one_trial_through():
    clock, upstream = Clock(), Upstream()
    upstream.fail_with = ProviderError("boom")
    cache = make(clock, breaker_threshold=3, breaker_cooldown=60, error_ttl=1)
    for _ in range(3):
        with pytest.raises(ProviderError):
            await cache.get("k", upstream)
        clock.now += 1.5
    assert upstream.calls == 3
    clock.now += 30  # inside the cool-down: no call
    with pytest.raises(ProviderError):
        await cache.get("k", upstream)
    assert upstream.calls == 3
    clock.now += 31
    upstream.fail_with = None
    results = await asyncio.gather(*(cache.get("k", upstream) for _ in range(10)))
    assert upstream.calls == 4 and results[0].value == ["v4"]  # one trial call


async def test_deadline_bounds_a_hanging_upstream():
    clock, upstream = Clock(), Upstream()
    upstream.delay = 30
    cache = DiscoveryCache(CachePolicy(deadline=0.2), clock=clock)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ProviderUnavailableError, match="deadline"):
        await cache.get("k", upstream)
    assert loop.time() - started < 10, "the 30 s upstream was cut at the 0.2 s deadline"


async def test_refresh_ahead_refreshes_before_expiry():
    clock, upstream = Clock(), Upstream()
    cache = make(clock, refresh_ahead=3)
    await cache.get("k", upstream)
    clock.now += 8  # within 3 s of expiry: still fresh, but a refresh starts
    entry = await cache.get("k", upstream)
    assert not entry.stale
    await eventually(lambda: not cache._flights, what="the background refresh")
    assert upstream.calls == 2
    assert (await cache.get("k", upstream)).value == ["v2"]


class JsonCodec:
    def encode(self, value: list[str]) -> bytes:
        return json.dumps(value).encode()

    def decode(self, payload: bytes) -> list[str]:
        return list(json.loads(payload))


class LockHeldElsewhere:
    """A shared store where another replica holds the lock for ever, and whose client once
    loses a cancellation (as a network client may, mid-call)."""

    def __init__(self) -> None:
        self.swallowed = 0

    async def get(self, key: str) -> None:
        try:
            await asyncio.sleep(0.5)  # longer than the deadline: the cancellation lands here
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed += 1
        return None

    async def acquire(self, key: str, ttl: float) -> None:
        return None

    async def blocked_until(self, key: str) -> None:
        return None

    async def put(self, *args: object) -> None: ...

    async def release(self, *args: object) -> None: ...

    async def block(self, *args: object) -> None: ...

    async def aclose(self) -> None: ...


async def test_waiting_for_another_replicas_lock_ends_at_the_deadline_even_if_a_cancel_is_lost():
    store = LockHeldElsewhere()
    policy = CachePolicy(deadline=0.3)
    cache: DiscoveryCache[list[str]] = DiscoveryCache(policy, shared=store, codec=JsonCodec())  # type: ignore[arg-type]
    with pytest.raises(ProviderUnavailableError):
        await asyncio.wait_for(cache.get("k", Upstream()), timeout=10)
