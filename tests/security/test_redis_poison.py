"""What Redis holds is not trusted: poisoned entries, pauses and locks, written straight into a
real redis-server, are treated as a miss (logged once), never a 500, never served as fresh."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
from conftest_helpers import require_service
from redis_server import redis_available, redis_server
from waiting import eventually

import hub_databricks
from hub_core.codec import DiscoveryCodec
from hub_core.hub import Hub
from hub_core.models import Discovery, Endpoint
from hub_core.redis_store import RedisStore
from hub_core.testing import app_client, make_hub
from hub_databricks.testing import rich_workspace

pytestmark = pytest.mark.redis

URL = "/public/model_hub?provider=databricks"
ROUTES = (
    URL,
    "/public/model_hub",
    "/public/providers",
    "/public/databricks/endpoints",
    "/public/v1/model_hub",
)
TARGET = "databricks:default"
ENTRY, LOCK, BLOCK = (f"hub:v1:{kind}:{TARGET}" for kind in ("entry", "lock", "block"))
SIGNING_KEY = "test-signing-key-0d8f"
POISON_NAME = "poisoned-by-redis"


@pytest.fixture
def server() -> Iterator[tuple[str, redis.Redis]]:
    require_service("redis-server", redis_available())
    with redis_server() as (url, _):
        client = redis.Redis.from_url(url)
        try:
            yield url, client
        finally:
            client.close()


def replica(url: str, **settings: Any) -> Hub:
    return make_hub({"databricks": hub_databricks}, redis_url=url, **settings)


def poisoned_payload() -> bytes:
    endpoint = Endpoint(provider="databricks", name=POISON_NAME, target="default", served_by="foundation")
    return DiscoveryCodec().encode(Discovery(endpoints=[endpoint]))


def names(response: Any) -> set[str]:
    return {entry["model_group"] for entry in response.json()}


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="hub_core.cache")
    return caplog


def ignored(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Ignoring the shared cache's entry" in r.getMessage()]


async def every_route_answers(client: Any) -> None:
    for route in ROUTES:
        response = await client.get(route)
        assert response.status_code == 200, (route, response.status_code, response.text[:300])


async def test_the_target_key_is_the_one_these_tests_poison(server, workspace):
    url, r = server
    async with app_client(replica(url)) as client:
        assert (await client.get(URL)).status_code == 200
    assert r.exists(ENTRY) and r.hget(ENTRY, "sig") is None


ENTRIES = {
    "fetched_at-inf": {"fetched_at": b"inf", "payload": poisoned_payload()},
    "fetched_at-nan": {"fetched_at": b"nan", "payload": poisoned_payload()},
    "fetched_at-negative": {"fetched_at": b"-1e300", "payload": poisoned_payload()},
    "fetched_at-not-a-number": {"fetched_at": b"yesterday", "payload": poisoned_payload()},
    "fetched_at-huge-string": {"fetched_at": b"9" * 5000, "payload": poisoned_payload()},
    "fetched_at-missing": {"payload": poisoned_payload()},
    "payload-missing": {"fetched_at": b"FRESH"},
    "payload-not-json": {"fetched_at": b"FRESH", "payload": b"\xff\xfe not json"},
    "payload-wrong-shape": {"fetched_at": b"FRESH", "payload": b'{"endpoints": 1}'},
    "payload-wrong-items": {"fetched_at": b"FRESH", "payload": b'[{"name": 5}, 7]'},
    "payload-truncated": {"fetched_at": b"FRESH", "payload": poisoned_payload()[:40]},
}


def write_entry(r: redis.Redis, fields: dict[str, bytes]) -> None:
    now = repr(time.time()).encode()
    r.delete(ENTRY)
    r.hset(ENTRY, mapping={k: now if v == b"FRESH" else v for k, v in fields.items()})


@pytest.mark.parametrize("fields", list(ENTRIES.values()), ids=list(ENTRIES))
async def test_a_poisoned_entry_is_a_miss_logged_once_and_never_a_500(server, workspace, warnings, fields):
    url, r = server
    write_entry(r, fields)
    async with app_client(replica(url, cache_ttl=0, stale_ttl=60)) as client:
        await every_route_answers(client)
        write_entry(r, fields)  # poisoned again: still a miss, not logged again
        response = await client.get(URL)
        await every_route_answers(client)
    assert response.status_code == 200
    assert POISON_NAME not in response.text and len(response.json()) == len(rich_workspace())
    assert len(ignored(warnings)) == 1, ignored(warnings)
    assert workspace.list_calls >= 1, "the miss went to the upstream"


@pytest.mark.parametrize("kind", ["string", "list", "set"])
async def test_a_key_of_the_wrong_redis_type_is_a_miss(server, workspace, warnings, kind):
    url, r = server
    {"string": lambda: r.set(ENTRY, "x"), "list": lambda: r.rpush(ENTRY, "x"), "set": lambda: r.sadd(ENTRY, "x")}[
        kind
    ]()
    async with app_client(replica(url)) as client:
        await every_route_answers(client)
    assert len(ignored(warnings)) == 1
    assert r.type(ENTRY) == b"hash", "the hub's own list replaced the junk"
    assert not [m for m in (x.getMessage() for x in warnings.records) if "Shared cache unavailable" in m]


async def test_a_future_fetched_at_is_never_served_as_fresh(server, workspace, warnings):
    url, r = server
    years_ahead = time.time() + 5 * 365 * 86400
    r.hset(ENTRY, mapping={"fetched_at": repr(years_ahead), "payload": poisoned_payload()})
    async with app_client(replica(url)) as client:
        response = await client.get(URL)
        assert response.status_code == 200 and POISON_NAME not in response.text
        assert int(response.headers["Cache-Control"].rsplit("=", 1)[1]) <= 300
        r.flushall()
        again = await client.get(URL)
    assert POISON_NAME not in again.text and int(again.headers["Cache-Control"].rsplit("=", 1)[1]) <= 300
    assert len(ignored(warnings)) == 1


async def test_a_slightly_ahead_clock_is_tolerated(server, workspace):
    """Replicas' clocks differ a little: an entry a few seconds ahead is another replica's list."""
    url, r = server
    r.hset(ENTRY, mapping={"fetched_at": repr(time.time() + 5), "payload": poisoned_payload()})
    async with app_client(replica(url)) as client:
        response = await client.get(URL)
    assert names(response) == {f"databricks/{POISON_NAME}"}
    assert workspace.list_calls == 0
    assert int(response.headers["Cache-Control"].rsplit("=", 1)[1]) <= 300


WRONG_TYPES = {
    "hash": lambda r, key: r.hset(key, "until", "1"),
    "list": lambda r, key: r.rpush(key, "x"),
    "set": lambda r, key: r.sadd(key, "x"),
    "zset": lambda r, key: r.zadd(key, {"x": 1}),
}


@pytest.mark.parametrize("kind", sorted(WRONG_TYPES))
async def test_a_pause_of_the_wrong_redis_type_is_ignored(server, workspace, warnings, kind):
    url, r = server
    WRONG_TYPES[kind](r, BLOCK)
    async with app_client(replica(url)) as client:
        await every_route_answers(client)
    assert workspace.list_calls == 1 and len(ignored(warnings)) == 1
    assert not [m for m in (x.getMessage() for x in warnings.records) if "Shared cache unavailable" in m]


@pytest.mark.parametrize("kind", sorted(WRONG_TYPES))
async def test_a_lock_of_the_wrong_redis_type_gets_an_expiry(server, workspace, kind):
    url, r = server
    WRONG_TYPES[kind](r, LOCK)
    async with app_client(replica(url, discovery_timeout=2.0)) as client:
        # Another "replica" holds the lock: a 503 at the deadline, or a 200 if it expired first; never a 500.
        assert (await client.get(URL)).status_code in (200, 503)
        assert 0 < r.pttl(LOCK) <= 2000 or not r.exists(LOCK)
    await eventually(lambda: not r.exists(LOCK), what="the stray lock expiring")
    async with app_client(replica(url, discovery_timeout=2.0)) as client:
        assert (await client.get(URL)).status_code == 200


@pytest.mark.parametrize(
    "value", [b"inf", b"nan", b"1e308", b"junk", b"\xff" * 300, b"FAR"], ids=lambda v: v[:8].decode("latin-1")
)
async def test_an_unbounded_or_junk_pause_is_ignored(server, workspace, warnings, value):
    url, r = server
    r.set(BLOCK, repr(time.time() + 10 * 365 * 86400) if value == b"FAR" else value)
    async with app_client(replica(url)) as client:
        await every_route_answers(client)
    assert workspace.list_calls == 1
    assert len(ignored(warnings)) == 1


async def test_a_bounded_pause_is_still_honoured(server, workspace):
    url, r = server
    r.set(BLOCK, repr(time.time() + 30), px=30_000)
    async with app_client(replica(url)) as client:
        response = await client.get(URL)
    assert response.status_code == 503 and 1 <= int(response.headers["Retry-After"]) <= 31
    assert workspace.list_calls == 0


async def test_the_hub_shares_long_pauses_only_up_to_the_bound(server, workspace):
    url, r = server
    workspace.inject("429", retry_after=86400)
    async with app_client(replica(url)) as client:
        assert (await client.get(URL)).status_code == 503
        await eventually(lambda: bool(r.exists(BLOCK)), what="the pause written in the background")
    assert 0 < r.pttl(BLOCK) <= 600_000


@pytest.mark.parametrize("expiry", [None, 365 * 86400 * 1000], ids=["no-expiry", "a-year"])
async def test_a_stray_lock_gets_an_expiry_and_cannot_stall_refreshes_for_ever(server, workspace, expiry):
    url, r = server
    r.set(LOCK, "someone-else", px=expiry)
    async with app_client(replica(url, discovery_timeout=3.0)) as client:
        first = asyncio.create_task(client.get(URL))  # waits for the "other replica", then gives up
        await eventually(lambda: 0 < r.pttl(LOCK) <= 3000, what="the lock getting the hub's expiry")
        assert (await first).status_code == 503
    await eventually(lambda: not r.exists(LOCK), what="the lock expiring")
    async with app_client(replica(url, discovery_timeout=3.0)) as client:
        assert (await client.get(URL)).status_code == 200
    assert workspace.list_calls == 1


async def test_the_hubs_own_locks_always_expire(server):
    url, r = server
    store = RedisStore(url)
    try:
        token = await store.acquire(TARGET, 2.5)
        assert token is not None and 0 < r.pttl(LOCK) <= 2500
        assert await store.acquire(TARGET, 2.5) is None
        await store.release(TARGET, "not-the-token")
        assert r.exists(LOCK)
        await store.release(TARGET, token)
        assert not r.exists(LOCK)
    finally:
        await store.aclose()


async def test_without_a_signing_key_a_well_formed_entry_is_believed(server, workspace):
    """The documented limit: without HUB_REDIS_SIGNING_KEY, Redis write access can inject a list."""
    url, r = server
    r.hset(ENTRY, mapping={"fetched_at": repr(time.time()), "payload": poisoned_payload()})
    async with app_client(replica(url)) as client:
        response = await client.get(URL)
    assert names(response) == {f"databricks/{POISON_NAME}"}


class ThreadNotingCodec(DiscoveryCodec):
    """The hub's codec, noting which thread each decode ran in."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def decode(self, payload: bytes) -> list[Endpoint]:
        self.threads.append(threading.current_thread())
        return super().decode(payload)


@pytest.mark.parametrize("count", [1, 20_000], ids=["small", "large"])
async def test_a_large_shared_list_is_decoded_off_the_event_loop(server, workspace, count):
    """A list of many endpoints in Redis (the hub's own, or one forged without a signing key)
    must not stall the event loop of every replica that reads it: 200,000 tiny endpoints took
    about 7 s to decode. Measured in bench, not here; here: which thread decoded it (any size)."""
    url, r = server
    endpoint = Endpoint(provider="databricks", name=POISON_NAME, target="default", served_by="foundation")
    payload = DiscoveryCodec().encode(
        Discovery(endpoints=[endpoint.model_copy(update={"name": f"e{i}"}) for i in range(count)])
    )
    r.hset(ENTRY, mapping={"fetched_at": repr(time.time()), "payload": payload})
    hub = replica(url)
    codec = hub.cache.codec = ThreadNotingCodec()
    async with app_client(hub) as client:
        response = await client.get(URL)
    assert response.status_code == 200 and len(response.json()) == count and workspace.list_calls == 0
    assert codec.threads and all(t is not threading.main_thread() for t in codec.threads)


# -- HUB_REDIS_SIGNING_KEY ---------------------------------------------------------------------


@pytest.fixture
async def signed_store(server) -> AsyncIterator[RedisStore]:
    store = RedisStore(server[0], signing_key=SIGNING_KEY.encode())
    yield store
    await store.aclose()


async def test_signed_replicas_share_their_lists(server, workspace):
    url, r = server
    async with app_client(replica(url, redis_signing_key=SIGNING_KEY)) as first:
        assert (await first.get(URL)).status_code == 200
    assert r.hget(ENTRY, "sig")
    async with app_client(replica(url, redis_signing_key=SIGNING_KEY)) as later:
        response = await later.get(URL)
    assert len(response.json()) == len(rich_workspace()) and workspace.list_calls == 1


async def test_a_signed_entry_from_the_right_key_is_adopted(server, workspace, signed_store):
    url, _ = server
    await signed_store.put(TARGET, time.time(), poisoned_payload(), 60)
    async with app_client(replica(url, redis_signing_key=SIGNING_KEY)) as client:
        response = await client.get(URL)
    assert names(response) == {f"databricks/{POISON_NAME}"} and workspace.list_calls == 0


def sign_with(key: str | None, target: str = TARGET) -> Any:
    async def write(url: str, r: redis.Redis) -> None:
        store = RedisStore(url, signing_key=key.encode() if key else None)
        try:
            await store.put(target, time.time(), poisoned_payload(), 60)
        finally:
            await store.aclose()
        if target != TARGET:  # an entry signed for another key, copied over
            r.copy(f"hub:v1:entry:{target}", ENTRY, replace=True)

    return write


@pytest.mark.parametrize(
    "write",
    [sign_with(None), sign_with("another-key"), sign_with(SIGNING_KEY, target="databricks:other")],
    ids=["unsigned", "wrong-key", "signed-for-another-target"],
)
async def test_unsigned_or_mis_signed_entries_are_ignored(server, workspace, warnings, write):
    url, r = server
    await write(url, r)
    async with app_client(replica(url, redis_signing_key=SIGNING_KEY)) as client:
        response = await client.get(URL)
        await every_route_answers(client)
    assert POISON_NAME not in response.text and len(response.json()) == len(rich_workspace())
    assert workspace.list_calls == 1
    assert len(ignored(warnings)) == 1


async def test_a_tampered_signed_entry_is_ignored(server, workspace, signed_store):
    url, r = server
    await signed_store.put(TARGET, time.time() - 100, poisoned_payload(), 60)
    r.hset(ENTRY, "fetched_at", repr(time.time()))  # make an old list look new
    async with app_client(replica(url, redis_signing_key=SIGNING_KEY)) as client:
        response = await client.get(URL)
    assert POISON_NAME not in response.text and workspace.list_calls == 1


async def test_an_unsigned_pause_is_ignored_with_a_signing_key(server, workspace, signed_store):
    url, r = server
    r.set(BLOCK, repr(time.time() + 30), px=30_000)
    async with app_client(replica(url, redis_signing_key=SIGNING_KEY)) as client:
        assert (await client.get(URL)).status_code == 200
    assert workspace.list_calls == 1
    r.delete(ENTRY)
    await signed_store.block(TARGET, time.time() + 30)  # a signed one still holds
    async with app_client(replica(url, redis_signing_key=SIGNING_KEY)) as client:
        assert (await client.get(URL)).status_code == 503
    assert workspace.list_calls == 1


def test_the_signing_key_is_a_secret():
    hub = make_hub({}, redis_url="redis://:pw@127.0.0.1:1/0", redis_signing_key=SIGNING_KEY)
    assert SIGNING_KEY not in repr(hub.settings) and SIGNING_KEY not in repr(hub.cache.shared)
