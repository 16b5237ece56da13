"""The OAuth token response is bounded like the list call: a size cap, streamed, decoded off
the event loop, and inside the workspace's deadline."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import pytest
from hostile_workspace import HostileWorkspace
from pydantic import SecretStr

from hub_core import ProviderAuthError, ProviderUnavailableError
from hub_databricks import auth
from hub_databricks.client import WorkspaceClient
from hub_databricks.config import WorkspaceConfig

CLIENT_ID, SECRET = "bounded-sp", "bounded-secret-0b1c2d3e"


def m2m(url: str, timeout: float = 10.0) -> WorkspaceClient:
    workspace = WorkspaceConfig(
        name="w",
        host=url,
        auth="oauth-m2m",
        client_id=CLIENT_ID,
        client_secret=SecretStr(SECRET),
        timeout=timeout,
    )
    return WorkspaceClient(workspace)


@pytest.mark.parametrize("mode", ["huge", "huge-declared"])
async def test_a_huge_token_response_is_refused_without_being_held(mode):
    with HostileWorkspace(token_mode=mode, huge_bytes=256 * 1024 * 1024) as fake:
        client = m2m(fake.url)
        tracemalloc.start()
        try:
            with pytest.raises(ProviderAuthError) as caught:
                await client.list_endpoints()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            await client.aclose()
    assert "larger than 1024 KiB" in str(caught.value) and "'w'" in str(caught.value)
    assert peak < 16 * 1024 * 1024, f"held {peak / 2**20:.0f} MiB of a 256 MiB body"
    assert fake.list_calls == 0


async def test_a_dripping_token_response_ends_within_the_deadline():
    with HostileWorkspace(token_mode="drip") as fake:
        client = m2m(fake.url, timeout=1.0)
        started = time.monotonic()
        with pytest.raises(ProviderUnavailableError) as caught:
            await client.list_endpoints()
        elapsed = time.monotonic() - started
        await client.aclose()
    assert "did not answer within 1 s" in str(caught.value)
    assert elapsed < 6.0  # the drip would take 2000 s; the margin is for a loaded machine


async def test_a_large_valid_token_body_is_decoded_off_the_event_loop(monkeypatch):
    decoded_in_threads = []
    real_to_thread = asyncio.to_thread

    async def spy(function, *args, **kwargs):
        decoded_in_threads.append(getattr(function, "__name__", repr(function)))
        return await real_to_thread(function, *args, **kwargs)

    monkeypatch.setattr(auth.asyncio, "to_thread", spy)  # a Python-level spy; the HTTP is real
    with HostileWorkspace(token_mode="big-ok", huge_bytes=512 * 1024) as fake:
        client = m2m(fake.url)
        assert len(await client.list_endpoints()) == 2
        await client.aclose()
    assert decoded_in_threads == ["loads"] and len(fake.issued) == 1


async def test_a_small_token_body_is_still_fine():
    with HostileWorkspace() as fake:
        client = m2m(fake.url)
        assert [e["name"] for e in await client.list_endpoints()] == ["chat-a", "chat-b"]
        await client.aclose()
    assert fake.token_calls == 1
