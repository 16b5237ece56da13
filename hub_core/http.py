"""A bounded JSON GET for plugins: streamed, capped, decoded off the loop when big, faults mapped to errors."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from hub_core.errors import ProviderAuthError, ProviderError, ProviderUnavailableError
from hub_core.redact import Redactor

__all__ = ["DEFAULT_MAX_BYTES", "get_json"]

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
OFF_LOOP_BYTES = 256 * 1024
MAX_RETRY_AFTER = 3600
_PATTERNS_ONLY = Redactor()


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    provider: str,
    what: str,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    redactor: Redactor | None = None,
) -> Any:
    """``GET url`` and return its decoded JSON body.

    ``what`` names the upstream in messages ("OpenAI-compatible server 'gpu1'"). Raises
    ``ProviderUnavailableError`` (unreachable, timeout, 429, 502-504; ``retryable``, with
    ``Retry-After`` capped at an hour), ``ProviderAuthError`` (401, 403) and ``ProviderError``
    (any other status, a body over ``max_bytes``, not JSON). Upstream text in a message is
    passed through ``redactor`` (and credential patterns are always removed) before it is cut.
    """
    redactor = redactor or _PATTERNS_ONLY
    try:
        async with client.stream("GET", url, headers=headers) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ProviderError(f"{what} returned a body larger than {max_bytes:,} bytes.", provider=provider)
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderError(f"{what} returned a body larger than {max_bytes:,} bytes.", provider=provider)
                chunks.append(chunk)
    except httpx.TimeoutException:
        raise ProviderUnavailableError(f"{what} did not answer in time.", provider=provider, retryable=True) from None
    except httpx.HTTPError as error:
        raise ProviderUnavailableError(
            f"{what} cannot be reached ({type(error).__name__}). Check its URL and that it is running.",
            provider=provider,
            retryable=True,
        ) from None
    raw = b"".join(chunks)
    status = response.status_code
    if status != 200:
        raise _status_error(status, response.headers, raw, provider=provider, what=what, redactor=redactor)
    try:
        return orjson.loads(raw) if len(raw) < OFF_LOOP_BYTES else await asyncio.to_thread(orjson.loads, raw)
    except orjson.JSONDecodeError:
        raise ProviderError(f"{what} returned a body that is not JSON.", provider=provider) from None


def _status_error(
    status: int, headers: httpx.Headers, raw: bytes, *, provider: str, what: str, redactor: Redactor
) -> ProviderError:
    summary = f"{status}: {_message(raw, redactor)}".rstrip(": ")
    if status in (401, 403):
        return ProviderAuthError(f"{what} rejected the hub's credentials ({summary}).", provider=provider)
    if status in (429, 502, 503, 504):
        wait = headers.get("Retry-After", "").strip()
        retry_after = min(int(wait), MAX_RETRY_AFTER) if wait.isdigit() else None
        return ProviderUnavailableError(
            f"{what} is unavailable ({summary}).", provider=provider, retryable=True, retry_after=retry_after
        )
    return ProviderError(f"{what} answered {summary}.", provider=provider)


def _message(raw: bytes, redactor: Redactor) -> str:
    """The upstream's error message (``error.message``, ``error``, ``message`` or ``detail``), redacted, then cut."""
    text = raw[:4000].decode("utf-8", errors="replace")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        found = error.get("message") if isinstance(error, dict) else error
        found = found or body.get("message") or body.get("detail")
        text = found[:4000] if isinstance(found, str) else ""
    return redactor.redact(" ".join(text.split()))[:160]
