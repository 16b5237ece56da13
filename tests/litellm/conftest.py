"""LiteLLM's real proxy (master key, no database) with the hub mounted, over the fake workspace.

These tests run in `tox -e litellm`, which installs `litellm[proxy]` and prisma; the default
test run leaves this folder out (tests/conftest.py). Without litellm they skip on a laptop
and fail in CI.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest_helpers import require_service
from serving import free_port

from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_details, rich_workspace

# Importing litellm here (for its types) must not fetch its cost map from the network either.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MASTER_KEY = "sk-hub-test-master-key-5c1a"
ISOLATED_PREFIXES = ("HUB_", "DATABRICKS_", "ARM_", "LITELLM_", "CONFIG_FILE_PATH", "DATABASE_URL")
START_TIMEOUT = 180.0

def require_litellm() -> None:
    for name in ("litellm", "prisma"):
        require_service(f"{name} (run tox -e litellm)", importlib.util.find_spec(name) is not None)


@dataclass
class Proxy:
    base: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, key: str | None = MASTER_KEY) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60, trust_env=False)


def proxy_environment(workspace: FakeWorkspace, config: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED_PREFIXES)}
    env.update(
        {
            "DATABRICKS_HOST": workspace.url,
            "DATABRICKS_TOKEN": DEFAULT_PAT,
            "DATABRICKS_CONFIG_FILE": str(config.parent / "no-databrickscfg"),
            "LITELLM_MASTER_KEY": MASTER_KEY,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # never fetch the cost map from the network
            "CONFIG_FILE_PATH": str(config),
            **extra,
        }
    )
    return env


def export_config(workspace: FakeWorkspace, folder: Path) -> Path:
    """`hub export litellm-config`, run as a user would, plus the master key setting."""
    config = folder / "litellm.yaml"
    env = proxy_environment(workspace, config)
    result = subprocess.run(
        [sys.executable, "-m", "hub_core", "export", "litellm-config", "-o", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with config.open("a", encoding="utf-8") as handle:
        handle.write("general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n")
    return config


@contextmanager
def started(app: str, env: dict[str, str], log_path: Path, *app_dir: str) -> Iterator[Proxy]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", *app_dir, app, "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    proxy = Proxy(f"http://127.0.0.1:{port}", log_path, process)
    try:
        yield proxy
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(*proxies: Proxy) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    waiting = list(proxies)
    while waiting:
        for proxy in list(waiting):
            if proxy.process.poll() is not None:
                raise RuntimeError(f"the proxy exited with {proxy.process.returncode}:\n{proxy.log()}")
            try:
                if httpx.get(f"{proxy.base}/health/liveliness", timeout=2).status_code == 200:
                    waiting.remove(proxy)
            except httpx.HTTPError:
                pass
        if waiting and time.monotonic() > deadline:
            raise TimeoutError(f"the proxy did not start within {START_TIMEOUT:g} s:\n{waiting[0].log()}")
        time.sleep(0.25)


@dataclass
class Proxies:
    hub: Proxy  # LiteLLM's proxy with the hub mounted (examples/litellm_proxy_host.py)
    plain: Proxy  # the same proxy and config without the hub
    workspace: FakeWorkspace
    config: Path


@pytest.fixture(scope="session")
def proxies() -> Iterator[Proxies]:
    require_litellm()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hub-litellm-")))
        workspace = FakeWorkspace(copy.deepcopy(rich_workspace()))
        workspace.details = rich_details()
        stack.enter_context(workspace)
        config = export_config(workspace, folder)
        hub_env = proxy_environment(workspace, config, HUB_LITELLM_SYNC_SECONDS="0.5", HUB_CACHE_TTL="1")
        with_hub = stack.enter_context(
            started("litellm_proxy_host:app", hub_env, folder / "hub.log", "--app-dir", str(EXAMPLES))
        )
        plain = stack.enter_context(
            started("litellm.proxy.proxy_server:app", proxy_environment(workspace, config), folder / "plain.log")
        )
        wait_until_up(with_hub, plain)
        yield Proxies(with_hub, plain, workspace, config)


@pytest.fixture
def proxy(proxies: Proxies) -> Proxy:
    return proxies.hub
