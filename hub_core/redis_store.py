"""The Redis backend of the discovery cache, shared by every hub replica.

Keys (``hub:v1:`` prefix): ``entry:<key>`` holds ``fetched_at``, the encoded list and,
with a signing key, ``sig``; ``lock:<key>`` is the single-flight lock, ``block:<key>``
a Retry-After pause.

Nothing read back is trusted: a key of the wrong Redis type, an oversized payload, a
time that does not parse or (with ``signing_key``) an entry or pause without a valid
HMAC raises ``SharedEntryInvalid``, which the cache treats as a miss. Locks always
carry an expiry, even one somebody else wrote without.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from hub_core.cache import SharedEntryInvalid, SharedStoreError

PREFIX = "hub:v1:"
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024  # far above any real list; bounds what one read can cost
MAX_NUMBER_CHARS = 40  # a time written by us is repr(float): about 18 characters
RELEASE_SCRIPT = """
if redis.call('type', KEYS[1])['ok'] == 'string' and redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""
# Take the lock with an expiry; a lock already there without one (or with a longer one)
# is given ours, so no stray key can hold every replica's refreshes for ever.
ACQUIRE_SCRIPT = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local left = redis.call('pttl', KEYS[1])
if left == -1 or left > tonumber(ARGV[2]) then redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
# Read an entry only when it is a hash and its payload is of a bounded size.
GET_SCRIPT = """
local kind = redis.call('type', KEYS[1])['ok']
if kind == 'none' then return {'miss'} end
if kind ~= 'hash' then return {'type'} end
if redis.call('hstrlen', KEYS[1], 'payload') > tonumber(ARGV[1]) then return {'size'} end
local v = redis.call('hmget', KEYS[1], 'fetched_at', 'payload', 'sig')
return {'ok', v[1] or '', v[2] or '', v[3] or ''}
"""


class RedisStore:
    def __init__(self, url: str, *, timeout: float = 1.0, signing_key: bytes | None = None) -> None:
        self._redis: Any = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
        )
        self._signing_key = signing_key or None
        self._acquire = self._redis.register_script(ACQUIRE_SCRIPT)
        self._release = self._redis.register_script(RELEASE_SCRIPT)
        self._get = self._redis.register_script(GET_SCRIPT)

    def __repr__(self) -> str:
        signed = ", signed" if self._signing_key else ""
        return f"RedisStore(url=**********{signed})"  # the URL may hold a password

    async def _do(self, call: Any) -> Any:
        try:
            return await call
        except ResponseError as error:
            if str(error).startswith("WRONGTYPE"):
                raise SharedEntryInvalid("the key holds the wrong Redis type") from None
            raise SharedStoreError(f"Redis refused a call: {type(error).__name__}") from None
        except (RedisError, OSError) as error:
            raise SharedStoreError(f"Redis call failed: {type(error).__name__}") from None

    def _sign(self, *parts: bytes) -> bytes:
        assert self._signing_key is not None
        return hmac.new(self._signing_key, b"\0".join(parts), hashlib.sha256).hexdigest().encode()

    def _check(self, signature: bytes, *parts: bytes) -> None:
        if self._signing_key is None:
            return
        if not signature:
            raise SharedEntryInvalid("it is not signed (HUB_REDIS_SIGNING_KEY is set)")
        if not hmac.compare_digest(signature, self._sign(*parts)):
            raise SharedEntryInvalid("its signature does not match HUB_REDIS_SIGNING_KEY")

    async def get(self, key: str) -> tuple[float, bytes] | None:
        name = PREFIX + "entry:" + key
        reply = await self._do(self._get(keys=[name], args=[MAX_PAYLOAD_BYTES]))
        status = bytes(reply[0]) if reply else b"miss"
        if status == b"miss":
            return None
        if status == b"type":
            raise SharedEntryInvalid("the key holds the wrong Redis type")
        if status == b"size":
            raise SharedEntryInvalid(f"its payload is larger than {MAX_PAYLOAD_BYTES} bytes")
        raw_time, payload, signature = (bytes(part) for part in reply[1:4])
        if not raw_time or not payload:
            raise SharedEntryInvalid("it lacks fetched_at or payload")
        self._check(signature, b"entry", name.encode(), raw_time, payload)
        return _number(raw_time, "fetched_at"), payload

    async def put(self, key: str, fetched_at: float, payload: bytes, ttl: float) -> None:
        name = PREFIX + "entry:" + key
        raw_time = repr(fetched_at).encode()
        mapping: dict[str, bytes] = {"fetched_at": raw_time, "payload": payload}
        if self._signing_key is not None:
            mapping["sig"] = self._sign(b"entry", name.encode(), raw_time, payload)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(name)  # whatever was there (a stray field, another type) goes
                pipe.hset(name, mapping=mapping)
                pipe.expire(name, max(1, int(ttl)))
                await pipe.execute()
        except (RedisError, OSError) as error:
            raise SharedStoreError(f"Redis put failed: {type(error).__name__}") from None

    async def acquire(self, key: str, ttl: float) -> str | None:
        token = secrets.token_hex(8)
        acquired = await self._do(self._acquire(keys=[PREFIX + "lock:" + key], args=[token, max(1, int(ttl * 1000))]))
        return token if acquired == 1 else None

    async def release(self, key: str, token: str) -> None:
        await self._do(self._release(keys=[PREFIX + "lock:" + key], args=[token]))

    async def blocked_until(self, key: str) -> float | None:
        name = PREFIX + "block:" + key
        value = await self._do(self._redis.getrange(name, 0, 2 * MAX_NUMBER_CHARS + 80))
        if not value:
            return None
        raw_until, _, signature = bytes(value).partition(b":")
        self._check(signature, b"block", name.encode(), raw_until)
        return _number(raw_until, "the pause")

    async def block(self, key: str, until: float, now: float | None = None) -> None:
        seconds = until - (now if now is not None else time.time())
        if seconds > 0:
            name = PREFIX + "block:" + key
            value = repr(until).encode()
            if self._signing_key is not None:
                value += b":" + self._sign(b"block", name.encode(), value)
            await self._do(self._redis.set(name, value, px=max(1, int(seconds * 1000))))

    async def aclose(self) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._redis.aclose()


def _number(raw: bytes, what: str) -> float:
    if len(raw) > MAX_NUMBER_CHARS:
        raise SharedEntryInvalid(f"{what} is not a number")
    try:
        return float(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise SharedEntryInvalid(f"{what} is not a number") from None
