"""hub_core.get_json: the bounded JSON GET plugins use."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from openai_servers import json_route, serving

from hub_core import ProviderError, ProviderUnavailableError, Redactor, get_json


class Endless(httpx.AsyncByteStream):
    """A body with no Content-Length that never ends; counts what was sent."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.sent += 65536
            yield b" " * 65536


async def test_an_undeclared_endless_body_stops_at_the_cap() -> None:
    stream = Endless()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=stream))
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(ProviderError, match="'x' returned a body larger than 1,000,000 bytes"):
            await get_json(client, "http://x.test/", provider="p", what="'x'", max_bytes=1_000_000)
    assert stream.sent < 1_200_000


async def test_a_declared_oversize_body_is_refused_unread() -> None:
    with serving({"/": json_route(b"[" + b"1," * 100_000 + b"1]")}) as server:
        async with httpx.AsyncClient() as client:
            with pytest.raises(ProviderError, match="larger than 1,000 bytes"):
                await get_json(client, server.url + "/", provider="p", what="'x'", max_bytes=1000)


async def test_retry_after_is_capped_and_the_message_redacted() -> None:
    secret = "s3cr3t-value-0123456789"
    body = f'{{"error": "overloaded, your key {secret}"}}'.encode()
    with serving({"/": json_route(body, 429, **{"Retry-After": "999999"})}) as server:
        async with httpx.AsyncClient() as client:
            with pytest.raises(ProviderUnavailableError) as caught:
                await get_json(client, server.url + "/", provider="p", what="'x'", redactor=Redactor(secret))
    assert caught.value.retry_after == 3600 and caught.value.retryable
    assert "overloaded" in str(caught.value) and secret not in str(caught.value)


async def test_a_good_body_that_echoes_a_secret_comes_back_redacted() -> None:
    secret = "s3cr3t-value-0123456789"
    body = f'{{"data": [{{"id": "m", "owned_by": "key {secret}"}}], "{secret}": 1}}'.encode()
    with serving({"/": json_route(body)}) as server:
        async with httpx.AsyncClient() as client:
            found = await get_json(client, server.url + "/", provider="p", what="'x'", redactor=Redactor(secret))
            plain = await get_json(
                client, server.url + "/", provider="p", what="'x'", redactor=Redactor("other-0123456")
            )
    assert found == {"data": [{"id": "m", "owned_by": "key [REDACTED]"}], "[REDACTED]": 1}
    assert plain["data"][0]["owned_by"] == f"key {secret}", "only the redactor's own secrets are redacted"
