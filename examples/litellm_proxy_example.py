"""From seeing to calling: the hub inside LiteLLM's proxy, then a chat completion through it.

1. Export the workspace's available endpoints as LiteLLM's model_list (`hub export litellm-config`).
2. Start LiteLLM's proxy (a master key, no database) with the hub mounted behind LiteLLM's key check
   (examples/litellm_proxy_host.py).
3. Read the live model hub from the proxy, and call a discovered chat endpoint through the proxy.

Needs `pip install 'litellm[proxy]' prisma`. With Databricks settings in the environment it uses that
workspace; without them it starts the bundled fake workspace, so it runs anywhere:

    python examples/litellm_proxy_example.py
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from hub_core.hub import Hub
from hub_core.litellm_config import LiteLLMModelList, litellm_model_list, to_yaml
from hub_databricks.config import SETTINGS

HERE = Path(__file__).resolve().parent
REAL_SETTINGS = [name for name in SETTINGS if name.isupper()] + ["HUB_CONFIG"]


async def export() -> LiteLLMModelList:
    hub = Hub.from_settings()
    try:
        return await litellm_model_list(hub, "databricks")
    finally:
        await hub.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the proxy exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base}/health/liveliness", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"the proxy did not start within {timeout:g} s:\n{log.read_text(errors='replace')}")


def run(folder: Path) -> None:
    exported = asyncio.run(export())
    chat = [d for d in exported.model_list if d.model_info.get("mode") == "chat"]
    print(f"exported {len(exported.model_list)} deployments ({len(chat)} chat), left out {len(exported.left_out)}")
    if not chat:
        sys.exit("no available chat endpoint to call")
    config = folder / "litellm.yaml"
    config.write_text(to_yaml(exported) + "general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n")

    port, key = free_port(), os.environ.get("LITELLM_MASTER_KEY") or f"sk-{secrets.token_hex(16)}"
    env = {**os.environ, "CONFIG_FILE_PATH": str(config), "LITELLM_MASTER_KEY": key}
    env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch of the cost map at startup
    log = folder / "proxy.log"
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "litellm_proxy_host:app"]
    with log.open("wb") as output:
        proxy = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proxy, log)
        print(f"LiteLLM proxy with the hub mounted at {base}")
        with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {key}"}) as client:
            hub_entries = client.get("/public/model_hub", params={"provider": "databricks"}).json()
            print(f"/public/model_hub?provider=databricks: {len(hub_entries)} entries")
            model = chat[0].model_name
            answer = client.post(
                "/v1/chat/completions",
                json={"model": model, "messages": [{"role": "user", "content": "Say hello."}]},
            )
            if answer.status_code != 200:
                sys.exit(f"chat completion through the proxy failed ({answer.status_code}): {answer.text}")
            reply = answer.json()["choices"][0]["message"]["content"]
            print(f"chat completion through the proxy, model {model}:\n  {reply}")
    finally:
        proxy.terminate()
        try:
            proxy.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proxy.kill()
            proxy.wait()


def main() -> None:
    fake = None
    if not any(os.environ.get(name) for name in REAL_SETTINGS):
        from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

        fake = FakeWorkspace(rich_workspace()).start()
        os.environ["DATABRICKS_HOST"] = fake.url
        os.environ["DATABRICKS_TOKEN"] = DEFAULT_PAT
        print(f"No Databricks settings found; using a fake workspace at {fake.url}")
    try:
        with tempfile.TemporaryDirectory(prefix="hub-litellm-") as folder:
            run(Path(folder))
    finally:
        if fake is not None:
            fake.stop()


if __name__ == "__main__":
    main()
