"""The Redis backend of the discovery cache, shared by every hub replica.

Keys (``hub:v1:`` prefix): ``entry:<key>`` holds ``fetched_at`` and the encoded list,
``lock:<key>`` is the single-flight lock, ``block:<key>`` a Retry-After pause.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from hub_core.cache import SharedStoreError

PREFIX = "hub:v1:"
RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


class RedisStore:
    def __init__(self, url: str, *, timeout: float = 1.0) -> None:
        self._redis: Any = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
        )

    def __repr__(self) -> str:
        return "RedisStore(url=**********)"  # the URL may hold a password

    async def _do(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return await getattr(self._redis, method)(*args, **kwargs)
        except (RedisError, OSError) as error:
            raise SharedStoreError(f"Redis {method} failed: {type(error).__name__}") from None

    async def get(self, key: str) -> tuple[float, bytes] | None:
        values = await self._do("hmget", PREFIX + "entry:" + key, "fetched_at", "payload")
        if not values or values[0] is None or values[1] is None:
            return None
        return float(values[0]), bytes(values[1])

    async def put(self, key: str, fetched_at: float, payload: bytes, ttl: float) -> None:
        name = PREFIX + "entry:" + key
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(name, mapping={"fetched_at": repr(fetched_at), "payload": payload})
                pipe.expire(name, max(1, int(ttl)))
                await pipe.execute()
        except (RedisError, OSError) as error:
            raise SharedStoreError(f"Redis put failed: {type(error).__name__}") from None

    async def acquire(self, key: str, ttl: float) -> str | None:
        token = secrets.token_hex(8)
        acquired = await self._do("set", PREFIX + "lock:" + key, token, nx=True, px=max(1, int(ttl * 1000)))
        return token if acquired else None

    async def release(self, key: str, token: str) -> None:
        await self._do("eval", RELEASE_SCRIPT, 1, PREFIX + "lock:" + key, token)

    async def blocked_until(self, key: str) -> float | None:
        value = await self._do("get", PREFIX + "block:" + key)
        return float(value) if value is not None else None

    async def block(self, key: str, until: float, now: float | None = None) -> None:
        seconds = until - (now if now is not None else time.time())
        if seconds > 0:
            await self._do("set", PREFIX + "block:" + key, repr(until), px=max(1, int(seconds * 1000)))

    async def aclose(self) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._redis.aclose()
