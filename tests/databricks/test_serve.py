"""`hub serve` as a real process, pointed at the fake workspace with each auth method."""

from __future__ import annotations

import httpx
import pytest
from conftest_helpers import require_sdk
from serving import running_hub

from hub_databricks.fake import DEFAULT_PAT, rich_workspace

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
    with running_hub(**auth_env(method, fake.url)) as base:
        groups = httpx.get(f"{base}/public/model_hub", params={"provider": "databricks"}).json()
        endpoints = httpx.get(f"{base}/public/databricks/endpoints").json()
        legacy = httpx.get(f"{base}/public/databricks/serving_endpoints").json()
        providers = httpx.get(f"{base}/public/providers").json()
    names = sorted(e["name"] for e in rich_workspace())
    assert sorted(g["model_group"] for g in groups) == [f"databricks/{n}" for n in names]
    by_name = {g["model_group"]: g for g in groups}
    assert by_name["databricks/databricks-claude-sonnet-4-5"]["supports_vision"] is True
    assert by_name["databricks/fraud-scorer"]["available"] is False
    assert sorted(e["name"] for e in endpoints["endpoints"]) == names
    assert len(legacy["endpoints"]) == len(names) and legacy["workspace_url"] == fake.url
    [databricks] = [p for p in providers if p["name"] == "databricks"]
    assert databricks["status"] == "ok"
