"""`hub serve` as a real process, pointed at the fake workspace with each auth method."""

from __future__ import annotations

import httpx
import pytest
from conftest_helpers import require_sdk
from serving import running_hub

from hub_databricks.testing import DEFAULT_PAT, rich_workspace

from .conftest import CLIENT_ID, CLIENT_SECRET


def auth_env(method: str, url: str) -> dict[str, str]:
    if method == "pat":
        return {"DATABRICKS_API_BASE": f"{url}/serving-endpoints", "DATABRICKS_API_KEY": DEFAULT_PAT}
    env = {"DATABRICKS_HOST": url, "DATABRICKS_CLIENT_ID": CLIENT_ID, "DATABRICKS_CLIENT_SECRET": CLIENT_SECRET}
    if method == "sdk":
        env["HUB_DATABRICKS_AUTH"] = "sdk"
    return env


@pytest.mark.parametrize("method", ["pat", "oauth-m2m", "sdk"])
def test_hub_serve_shows_live_endpoints(fake, method):
    if method == "sdk":
        require_sdk()
    # The first request imports the SDK and discovers: on a loaded machine that takes a while,
    # so the client waits as long as the hub may (its deadline), not httpx's default 5 s.
    env = {**auth_env(method, fake.url), "HUB_DISCOVERY_TIMEOUT": "60"}
    with running_hub(**env) as base, httpx.Client(base_url=base, timeout=90) as client:
        groups = client.get("/public/model_hub", params={"provider": "databricks"}).json()
        endpoints = client.get("/public/databricks/endpoints").json()
        legacy = client.get("/public/databricks/serving_endpoints").json()
        providers = client.get("/public/providers").json()
    names = sorted(e["name"] for e in rich_workspace())
    assert sorted(g["model_group"] for g in groups) == [f"databricks/{n}" for n in names]
    by_name = {g["model_group"]: g for g in groups}
    assert by_name["databricks/databricks-claude-sonnet-4-5"]["supports_vision"] is True
    assert by_name["databricks/fraud-scorer"]["available"] is False
    assert sorted(e["name"] for e in endpoints["endpoints"]) == names
    assert len(legacy["endpoints"]) == len(names) and legacy["workspace_url"] == fake.url
    [databricks] = [p for p in providers if p["name"] == "databricks"]
    assert databricks["status"] == "ok"
