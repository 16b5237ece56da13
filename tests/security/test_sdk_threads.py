"""A Databricks SDK call that hangs (its token request has no timeout) stays on the plugin's
own few daemon threads: serving and conversion go on, and the CLI ends within its deadline."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest_helpers import require_sdk
from databricks_hubs import databricks_hub
from hostile_workspace import HostileWorkspace

from hub_core import DaemonWorkers, ProviderUnavailableError
from hub_core.testing import app_client
from hub_databricks.client import WorkspaceClient
from hub_databricks.config import WorkspaceConfig
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

SDK_ENV = {"DATABRICKS_CLIENT_ID": "hang-sp", "DATABRICKS_CLIENT_SECRET": "hang-secret-5e6f7a8b"}


def sdk_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"hub-databricks-sdk-{name}-")]


async def test_a_hanging_sdk_call_leaves_serving_and_conversion_unaffected(monkeypatch):
    require_sdk()
    import databricks.sdk.core  # noqa: F401  # imported once, outside the deadline

    # The hub's own worker threads (conversion, serialisation), few on purpose: before the
    # plugin had threads of its own, each stuck SDK call took one of these for good.
    hub_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hub-default")
    asyncio.get_running_loop().set_default_executor(hub_threads)
    for name, value in SDK_ENV.items():
        monkeypatch.setenv(name, value)
    with HostileWorkspace(token_mode="hang") as hanging, FakeWorkspace(rich_workspace(), token=DEFAULT_PAT) as healthy:
        stuck = WorkspaceClient(WorkspaceConfig(name="stuck", host=hanging.url, auth="sdk", timeout=2.0))
        await stuck.auth.config()  # type: ignore[attr-defined]  # SDK imported, config built: what hangs is the token
        results = await asyncio.gather(*(stuck.list_endpoints() for _ in range(12)), return_exceptions=True)
        assert all(isinstance(r, ProviderUnavailableError) for r in results), results
        assert "did not produce credentials within 2 s" in str(results[0])
        assert hanging.waiting.acquire(timeout=5), "the token request really hung"

        # The hub's threads are free: work handed to them runs at once ...
        assert await asyncio.wait_for(asyncio.to_thread(lambda: 42), timeout=5) == 42
        # ... and a whole request, conversion included, is served.
        monkeypatch.setenv("DATABRICKS_HOST", healthy.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
        monkeypatch.delenv("DATABRICKS_CLIENT_ID")
        monkeypatch.delenv("DATABRICKS_CLIENT_SECRET")
        async with app_client(databricks_hub()) as client:
            response = await asyncio.wait_for(client.get("/public/model_hub?provider=databricks"), timeout=10)
        assert response.status_code == 200 and len(response.json()) > 5
        assert 1 <= len(sdk_threads("stuck")) <= 2  # the stuck calls hold the plugin's threads only

        # The stuck workspace says why it fails, without waiting on a thread it cannot get.
        with pytest.raises(ProviderUnavailableError, match="earlier SDK calls have not returned"):
            await stuck.list_endpoints()
        await stuck.aclose()
    hub_threads.shutdown(wait=False)


async def test_daemon_workers_are_bounded_and_skip_abandoned_calls():
    workers = DaemonWorkers(2, name="bounded-test", max_waiting=3)
    release = threading.Event()
    started: list[int] = []

    def block(n: int) -> int:
        started.append(n)
        release.wait(10)
        return n

    calls = [asyncio.ensure_future(workers.run(lambda n=n: block(n), timeout=0.3)) for n in range(5)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(r, asyncio.TimeoutError) for r in results)
    assert sorted(started) == [0, 1] and workers.busy == 2  # two threads, both stuck
    with pytest.raises(RuntimeError, match="2 calls have not returned"):
        await workers.run(lambda: 0, timeout=1)  # three abandoned calls already wait: refused
    release.set()
    for _ in range(500):  # the two threads return and drain the abandoned calls
        if workers.busy == 0:
            break
        await asyncio.sleep(0.01)
    assert await workers.run(lambda: "free again", timeout=5) == "free again"
    assert sorted(started) == [0, 1], "abandoned calls never ran"
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("bounded-test-"))


async def test_daemon_workers_pass_exceptions_back():
    workers = DaemonWorkers(1, name="raising-test")

    def fail() -> None:
        raise ValueError("from the thread")

    with pytest.raises(ValueError, match="from the thread"):
        await workers.run(fail, timeout=5)


def test_the_cli_ends_within_the_deadline_when_the_sdk_hangs():
    require_sdk()
    with HostileWorkspace(token_mode="hang") as fake:
        env = {
            **os.environ,
            **SDK_ENV,
            "DATABRICKS_HOST": fake.url,
            "HUB_DATABRICKS_AUTH": "sdk",
            # Long enough for the SDK's start-up in a fresh process, so the deadline is met
            # at the hanging token request, not before it.
            "HUB_DISCOVERY_TIMEOUT": "8",
        }
        started = time.monotonic()
        try:
            result = subprocess.run(
                [sys.executable, "-m", "hub_core", "endpoints", "databricks", "--json"],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
            )
        except subprocess.TimeoutExpired:
            pytest.fail("hub endpoints ran past 120 s with a hanging SDK call")
        elapsed = time.monotonic() - started
        assert fake.waiting.acquire(timeout=0), "the token request really hung"
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "databricks" in result.stderr and "8 s" in result.stderr, result.stderr
    # An 8 s deadline plus interpreter start-up; generous, for a loaded machine.
    assert elapsed < 60, f"took {elapsed:.0f} s"


async def test_a_slow_sdk_start_up_is_kept_for_the_next_caller(monkeypatch):
    require_sdk()
    from hub_databricks import auth

    builds: list[float] = []
    real_build = auth.SdkAuth._build_config

    def slow_build(self: auth.SdkAuth) -> object:
        builds.append(time.monotonic())
        time.sleep(1.0)  # like importing the SDK in a fresh process on a loaded machine
        return real_build(self)

    monkeypatch.setattr(auth.SdkAuth, "_build_config", slow_build)  # a Python-level stand-in
    for name, value in SDK_ENV.items():
        monkeypatch.setenv(name, value)
    with HostileWorkspace() as fake:
        client = WorkspaceClient(WorkspaceConfig(name="slow", host=fake.url, auth="sdk", timeout=0.3))
        with pytest.raises(ProviderUnavailableError, match=r"within 0\.3 s"):
            await client.list_endpoints()
        building = client.auth._building  # type: ignore[attr-defined]
        await asyncio.wait_for(asyncio.shield(building), timeout=30)  # the build went on
        assert [e["name"] for e in await client.list_endpoints()] == ["chat-a", "chat-b"]
        await client.aclose()
    assert len(builds) == 1 and fake.token_calls == 1
