"""Real installs: plugin distributions found through their entry points, in a subprocess."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from openai_servers import json_route, models_body, serving, vllm_model
from serving import running_hub

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def extra_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hub-broken-example and hub-marker-example, pip-installed into their own directory."""
    root = tmp_path_factory.mktemp("plugins")
    sources = []
    for name in ("broken_plugin", "marker_plugin"):
        shutil.copytree(FIXTURES / name, root / name)
        sources.append(str(root / name))
    site = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target",
         str(site), *sources],
        check=True,
        timeout=300,
    )  # fmt: skip
    return site


def hub_cli(*args: str, site: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run(
        [sys.executable, "-m", "hub_core", *args], capture_output=True, text=True, env=environment, timeout=60
    )


def test_installed_plugins_are_found_through_entry_points(extra_site, tmp_path):
    marker = tmp_path / "marker"
    result = hub_cli("providers", "--json", site=extra_site, HUB_TEST_MARKER=str(marker))
    assert result.returncode == 1, "a provider that failed to load fails `hub providers`"
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["databricks"]["distribution"] == "hub-databricks"
    assert rows["databricks"]["version"] == "0.1.0"
    assert rows["databricks"]["status"] == "not_configured"
    assert rows["openai_compatible"]["distribution"] == "hub-openai-compatible"
    assert rows["openai_compatible"]["version"] == "0.1.0"
    assert rows["openai_compatible"]["status"] == "not_configured"
    assert rows["azure"]["distribution"] == "hub-azure"
    assert rows["azure"]["version"] == "0.1.0"
    assert rows["azure"]["status"] == "not_configured"
    if importlib.util.find_spec("hub_bedrock"):  # tox installs it; a bare checkout may not
        assert rows["bedrock"]["distribution"] == "hub-bedrock"
        assert rows["bedrock"]["version"] == "0.1.0"
        assert rows["bedrock"]["status"] == "not_configured", "no region and no AWS credentials: the catalog"
    assert rows["broken"]["status"] == "failed_to_load"
    assert rows["broken"]["distribution"] == "hub-broken-example"
    assert "broken on purpose" in rows["broken"]["message"]
    assert marker.exists()
    assert result.stderr.count("'broken'") == 1, "a failed plugin is logged once"


def test_installed_openai_compatible_plugin_lists_a_vllm_server(extra_site):
    routes = {"/v1/models": json_route(models_body(vllm_model("qwen2.5-7b", 32768)))}
    with serving(routes) as vllm:
        result = hub_cli("models", "--json", site=extra_site, OPENAI_COMPATIBLE_BASE_URL=f"gpu1={vllm.url}")
    assert result.returncode == 0, result.stderr
    rows = {r["model_group"]: r for r in json.loads(result.stdout)}
    assert rows["openai_compatible/qwen2.5-7b"]["max_input_tokens"] == 32768
    assert rows["openai_compatible/qwen2.5-7b"]["target"] == "gpu1"


def test_allowlist_never_imports_unlisted_installed_plugin(extra_site, tmp_path):
    marker = tmp_path / "marker"
    result = hub_cli("providers", "--json", site=extra_site, HUB_TEST_MARKER=str(marker), HUB_LOAD_PLUGINS="databricks")
    assert result.returncode == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["marker"]["status"] == "disabled" and rows["broken"]["status"] == "disabled"
    assert not marker.exists()


def test_strict_mode_refuses_to_start(extra_site):
    result = hub_cli("providers", site=extra_site, HUB_STRICT_PLUGINS="1")
    assert result.returncode != 0
    assert "broken on purpose" in result.stderr and "Traceback" not in result.stderr


def test_hub_serve_with_a_broken_plugin_serves_the_rest(extra_site):
    # A generous client timeout: the first answers on a loaded machine are not what is tested.
    with running_hub(PYTHONPATH=str(extra_site)) as base, httpx.Client(base_url=base, timeout=60) as client:
        providers = client.get("/public/providers").json()
        hub = client.get("/public/model_hub", params={"provider": "databricks"})
        broken = client.get("/public/broken/endpoints")
    rows = {r["name"]: r["status"] for r in providers}
    assert rows["broken"] == "failed_to_load" and rows["databricks"] == "not_configured"
    assert hub.status_code == 200
    modes = {g["model_group"]: g["mode"] for g in hub.json()}
    assert modes["databricks/databricks-gte-large-en"] == "embedding"
    assert broken.status_code == 503 and broken.json()["type"] == "urn:hub-core:problem:provider-failed-to-load"


def test_hub_serve_in_strict_mode_refuses_to_start_in_one_line(extra_site):
    result = hub_cli("serve", "--port", "0", site=extra_site, HUB_STRICT_PLUGINS="1")
    assert result.returncode == 1
    assert "broken on purpose" in result.stderr and "Traceback" not in result.stderr
