"""The Databricks plugin end to end over HTTP against the fake workspace."""

from __future__ import annotations

import asyncio
import os
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from conftest_helpers import require_sdk

from hub_core.testing import app_client
from hub_databricks.auth import OAuthM2MAuth
from hub_databricks.client import WorkspaceClient
from hub_databricks.config import resolve_workspaces
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

from .conftest import CLIENT_ID, CLIENT_SECRET, databricks_hub

PROBLEM = "application/problem+json"
NO_CACHE = {"cache_ttl": 0, "stale_ttl": 0}
RICH_NAMES = sorted(e["name"] for e in rich_workspace())


async def fetch_all(client):
    hub = (await client.get("/public/model_hub", params={"provider": "databricks"})).json()
    endpoints = (await client.get("/public/databricks/endpoints")).json()
    legacy = (await client.get("/public/databricks/serving_endpoints")).json()
    return hub, endpoints, legacy


def check_rich(hub, endpoints, legacy, fake):
    assert sorted(g["model_group"] for g in hub) == [f"databricks/{n}" for n in RICH_NAMES]
    assert {g["source"] for g in hub} == {"live"}
    modes = {g["model_group"]: g["mode"] for g in hub}
    assert modes["databricks/databricks-gte-large-en"] == "embedding"
    assert modes["databricks/churn-classifier-uc"] == "unknown"  # null mode is sent as "unknown"
    assert endpoints["provider"] == "databricks" and endpoints["source"] == "live"
    assert sorted(e["name"] for e in endpoints["endpoints"]) == RICH_NAMES
    assert legacy["workspace_url"] == fake.url
    item = next(e for e in legacy["endpoints"] if e["name"] == "fraud-scorer")
    assert item["state"] == "NOT_READY"
    assert set(item) >= {"name", "creator", "creation_timestamp", "last_updated_timestamp", "state", "config",
                         "endpoint_url"}  # fmt: skip
    assert item["config"] == {"served_models": [], "served_entities": []}


async def test_pat(pat_env, hub_client):
    async with hub_client() as client:
        check_rich(*await fetch_all(client), pat_env)


async def test_litellm_style_pat(fake, monkeypatch, hub_client):
    monkeypatch.setenv("DATABRICKS_API_BASE", fake.url + "/serving-endpoints")
    monkeypatch.setenv("DATABRICKS_API_KEY", DEFAULT_PAT)
    async with hub_client() as client:
        check_rich(*await fetch_all(client), fake)


async def test_oauth_m2m(m2m_env, hub_client):
    async with hub_client(**NO_CACHE) as client:
        check_rich(*await fetch_all(client), m2m_env)
    assert m2m_env.token_calls == 1, "the token is cached across list calls"
    assert m2m_env.list_calls == 3


async def test_sdk_unified_auth(fake, monkeypatch, hub_client):
    require_sdk()
    monkeypatch.setenv("HUB_DATABRICKS_AUTH", "sdk")
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", CLIENT_SECRET)
    async with hub_client() as client:
        check_rich(*await fetch_all(client), fake)
    assert fake.token_calls >= 1  # the SDK ran its own M2M flow


async def test_sdk_missing_credentials_is_a_problem_not_a_hang(fake, monkeypatch, hub_client):
    require_sdk()
    monkeypatch.setenv("HUB_DATABRICKS_AUTH", "sdk")
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    async with hub_client() as client:
        response = await client.get("/public/databricks/endpoints")
    assert response.status_code == 502 and response.headers["content-type"] == PROBLEM
    assert response.json()["auth_method"] == "sdk" and "Databricks SDK" in response.json()["detail"]


async def test_available_filter_hides_not_ready(pat_env, hub_client):
    async with hub_client() as client:
        everything = (await client.get("/public/model_hub?provider=databricks")).json()
        ready = (await client.get("/public/model_hub?provider=databricks&available=true")).json()
    hidden = {g["model_group"] for g in everything} - {g["model_group"] for g in ready}
    assert hidden == {"databricks/fraud-scorer", "databricks/openai-completions"}
    reasons = {g["model_group"]: g["state_reason"] for g in everything if not g["available"]}
    assert reasons == {"databricks/fraud-scorer": "UPDATE_FAILED", "databricks/openai-completions": "UPDATE_CANCELED"}


async def test_new_and_removed_endpoints_follow_the_workspace(pat_env, hub_client):
    async with hub_client(**NO_CACHE) as client:
        before = {g["model_group"] for g in (await client.get("/public/model_hub?provider=databricks")).json()}
        pat_env.endpoints = [e for e in pat_env.endpoints if e["name"] != "openai-gpt-4o"]
        pat_env.endpoints.append({**rich_workspace()[0], "name": "brand-new"})
        after = {g["model_group"] for g in (await client.get("/public/model_hub?provider=databricks")).json()}
    assert before - after == {"databricks/openai-gpt-4o"}
    assert after - before == {"databricks/brand-new"}


async def test_empty_workspace(fake, pat_env, hub_client):
    fake.endpoints = []
    async with hub_client() as client:
        assert (await client.get("/public/model_hub?provider=databricks")).json() == []
        providers = (await client.get("/public/providers")).json()
    assert providers[0]["status"] == "ok"


async def test_wrong_pat_names_the_method_and_hides_the_secret(fake, monkeypatch, hub_client):
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-wrong-canary-0123456789")
    async with hub_client() as client:
        response = await client.get("/public/databricks/endpoints")
        providers = (await client.get("/public/providers")).json()
    assert response.status_code == 502 and response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "urn:hub-core:problem:provider-auth"
    assert body["auth_method"] == "pat" and "DATABRICKS_TOKEN" in body["detail"] and "401" in body["detail"]
    assert "dapi-wrong-canary" not in response.text
    assert providers[0]["status"] == "error" and "dapi-wrong-canary" not in str(providers)


async def test_wrong_client_secret(fake, monkeypatch, hub_client):
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", "wrong-secret-canary")
    async with hub_client() as client:
        response = await client.get("/public/model_hub?provider=databricks")
    body = response.json()
    assert response.status_code == 502 and body["auth_method"] == "oauth-m2m"
    assert "invalid_client" in body["detail"] and "DATABRICKS_CLIENT_SECRET" in body["detail"]
    assert "wrong-secret-canary" not in response.text


async def test_oauth_401_refreshes_once_and_retries(m2m_env):
    [workspace] = resolve_workspaces({}, os.environ)
    client = WorkspaceClient(workspace)
    try:
        await client.list_endpoints()
        assert m2m_env.token_calls == 1
        m2m_env.issued_tokens.clear()  # the workspace forgets the token: next call gets 401
        assert len(await client.list_endpoints()) == len(RICH_NAMES)
        assert m2m_env.token_calls == 2
        m2m_env.inject("401", times=2)  # still 401 after the refresh: give up, no loop
        with pytest.raises(Exception, match="rejected"):
            await client.list_endpoints()
        assert m2m_env.token_calls == 3
    finally:
        await client.aclose()


async def test_one_token_refresh_in_flight(m2m_env):
    [workspace] = resolve_workspaces({}, os.environ)
    client = WorkspaceClient(workspace)
    try:
        results = await asyncio.gather(*(client.list_endpoints() for _ in range(20)))
        assert all(len(r) == len(RICH_NAMES) for r in results)
        assert m2m_env.token_calls == 1
    finally:
        await client.aclose()


async def test_token_refreshed_before_expiry(fake, monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", CLIENT_SECRET)
    [workspace] = resolve_workspaces({}, os.environ)
    now = [1000.0]
    auth = OAuthM2MAuth(workspace, clock=lambda: now[0])
    client = WorkspaceClient(workspace)
    try:
        await auth.headers(client.http)
        now[0] += 3600 - 41  # 41 s before expiry: still good
        await auth.headers(client.http)
        assert fake.token_calls == 1
        now[0] += 2  # 39 s before expiry: refreshed
        await auth.headers(client.http)
        assert fake.token_calls == 2
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("fault", "status", "slug"),
    [
        ("403_permission", 502, "provider-auth"),
        ("403", 502, "provider-auth"),
        ("429", 503, "provider-unavailable"),
        ("503", 503, "provider-unavailable"),
        ("500", 502, "provider-error"),
        ("malformed", 502, "provider-error"),
        ("truncated", 503, "provider-unavailable"),
    ],
)
async def test_upstream_faults_become_problems(pat_env, hub_client, fault, status, slug):
    pat_env.inject(fault, times=100, retry_after=7)
    async with hub_client(discovery_timeout=1) as client:
        response = await client.get("/public/databricks/endpoints")
        merged = await client.get("/public/model_hub")
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == f"urn:hub-core:problem:{slug}"
    assert "Traceback" not in response.text and DEFAULT_PAT not in response.text
    if fault == "429":
        assert response.headers["Retry-After"] == "7"
    # The only provider failed and nothing is stale: the merged answer says so, never 200 [].
    assert merged.status_code == 503 and merged.json()["type"] == "urn:hub-core:problem:all-providers-failed"


async def test_a_retry_after_given_as_an_http_date_is_read(pat_env, hub_client):
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=120), usegmt=True)
    pat_env.inject("429", times=100, retry_after=when)
    async with hub_client(discovery_timeout=1) as client:
        response = await client.get("/public/databricks/endpoints")
    assert response.status_code == 503 and response.json()["type"] == "urn:hub-core:problem:provider-unavailable"
    assert 110 <= int(response.headers["Retry-After"]) <= 120
    assert re.search(r"retrying after 1[12]\d s", response.json()["detail"]), response.json()["detail"]


async def test_oversized_body_is_refused(pat_env, hub_client):
    pat_env.inject("huge", size=21 * 1024 * 1024)
    async with hub_client() as client:
        response = await client.get("/public/databricks/endpoints")
    assert response.status_code == 502 and "20 MiB" in response.json()["detail"]


def configure_prod_and_dev(tmp_path, monkeypatch, prod: FakeWorkspace, dev: FakeWorkspace) -> None:
    """A hub.toml naming two workspaces (PAT each), secrets by environment-variable name."""
    config = tmp_path / "hub.toml"
    config.write_text(
        "[[providers.databricks.workspaces]]\n"
        f'name = "prod"\nhost = "{prod.url}"\nauth = "pat"\ntoken_env = "PROD_TOKEN"\n'
        "[[providers.databricks.workspaces]]\n"
        f'name = "dev"\nhost = "{dev.url}"\nauth = "pat"\ntoken_env = "DEV_TOKEN"\n'
    )
    monkeypatch.setenv("HUB_CONFIG", str(config))
    monkeypatch.setenv("PROD_TOKEN", DEFAULT_PAT)
    monkeypatch.setenv("DEV_TOKEN", dev.token or "")


async def test_two_workspaces_merge_same_endpoint_names(tmp_path, monkeypatch):
    second_list = [e for e in rich_workspace() if e["name"] in ("openai-gpt-4o", "fraud-scorer")]
    second_list.append({**rich_workspace()[0], "name": "only-in-dev"})
    with FakeWorkspace(rich_workspace()) as prod, FakeWorkspace(second_list, token="dev-token") as dev:
        configure_prod_and_dev(tmp_path, monkeypatch, prod, dev)
        async with app_client(databricks_hub()) as client:
            groups = {g["model_group"]: g for g in (await client.get("/public/model_hub")).json()}
            endpoints = (await client.get("/public/databricks/endpoints")).json()["endpoints"]
    gpt = groups["databricks/openai-gpt-4o"]
    assert sorted(d["target"] for d in gpt["deployments"]) == ["dev", "prod"]
    assert {d["target_url"] for d in gpt["deployments"]} == {prod.url, dev.url}
    assert groups["databricks/only-in-dev"]["deployments"][0]["target"] == "dev"
    assert len(groups) == len(RICH_NAMES) + 1
    assert sorted(e["target"] for e in endpoints if e["name"] == "openai-gpt-4o") == ["dev", "prod"]


async def test_one_failing_workspace_keeps_the_other(tmp_path, monkeypatch):
    with FakeWorkspace(rich_workspace()) as prod, FakeWorkspace([], token="dev-token") as dev:
        dev.inject("403_permission", times=5)
        configure_prod_and_dev(tmp_path, monkeypatch, prod, dev)
        async with app_client(databricks_hub()) as client:
            groups = (await client.get("/public/model_hub?provider=databricks")).json()
            providers = (await client.get("/public/providers")).json()
    assert len(groups) == len(RICH_NAMES)
    assert providers[0]["status"] == "error" and "dev" in providers[0]["message"]
