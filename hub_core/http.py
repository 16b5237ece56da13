"""A bounded JSON GET for plugins: streamed, capped, decoded off the loop when big, faults mapped to errors."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from hub_core.errors import ProviderError, ProviderUnavailableError
from hub_core.redact import Redactor
from hub_core.upstream_errors import error_for_status

__all__ = ["DEFAULT_MAX_BYTES", "get_json"]

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
OFF_LOOP_BYTES = 256 * 1024


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
    ``ProviderUnavailableError`` (unreachable, timeout; ``retryable``), a body over ``max_bytes``
    or not JSON as ``ProviderError``, and any status but 200 as ``error_for_status`` maps it
    (which passes upstream text through ``redactor`` before cutting it). A body that echoes one
    of ``redactor``'s secrets is returned with every string in it redacted.
    """
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
        raise error_for_status(status, response.headers, raw, provider=provider, what=what, redactor=redactor)
    try:
        return _decode(raw, redactor) if len(raw) < OFF_LOOP_BYTES else await asyncio.to_thread(_decode, raw, redactor)
    except orjson.JSONDecodeError:
        raise ProviderError(f"{what} returned a body that is not JSON.", provider=provider) from None


def _decode(raw: bytes, redactor: Redactor | None) -> Any:
    body = orjson.loads(raw)
    if redactor is not None and redactor.found_in(raw):  # an upstream echoed a credential: never pass it on
        body = redactor.redact_data(body)
    return body
