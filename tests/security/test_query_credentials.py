"""Callers never choose where the server's credentials go: no credential or upstream in a URL."""

from __future__ import annotations

from typing import Annotated

import pytest
from databricks_hubs import CALLERS_ON
from fastapi import Depends, FastAPI, Header, HTTPException
from hubtest_plugins import StaticProvider

from hub_core.app import include_hub
from hub_core.security import FORBIDDEN_QUERY_PARAMETERS
from hub_core.testing import app_client, make_hub

from .conftest import CANARY_PAT, CANARY_QUERY, PROBLEM, databricks_hub

ROUTES = [
    ("GET", "/public/providers"),
    ("GET", "/public/model_hub"),
    ("GET", "/public/model_hub?provider=databricks"),
    ("GET", "/public/databricks/endpoints"),
    ("GET", "/public/databricks/serving_endpoints"),
    ("GET", "/public/v1/model_hub"),
    ("POST", "/public/databricks/endpoints/discover"),
]
# Every refused name, plus spellings a caller might try to slip past a case-sensitive check.
NAMES = [*sorted(FORBIDDEN_QUERY_PARAMETERS), "API_KEY", "Api_Base", "client-secret", "TOKEN", "Host"]


def with_query(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={value}"


@pytest.mark.parametrize("name", NAMES)
async def test_credential_or_upstream_in_query_is_refused_before_any_work(server_env, network, open_client, name):
    async with open_client(**CALLERS_ON, cache_ttl=0, stale_ttl=0) as client:
        for method, url in ROUTES:
            body = {"host": "https://x.cloud.databricks.com", "token": "t"} if method == "POST" else None
            response = await client.request(method, with_query(url, name, CANARY_QUERY), json=body)
            assert response.status_code == 400, (url, response.text)
            assert response.headers["content-type"] == PROBLEM
            problem = response.json()
            assert problem["type"] == "urn:hub-core:problem:credential-in-query"
            assert "never" in problem["detail"] and "URL" in problem["detail"]
            assert CANARY_QUERY not in response.text and CANARY_QUERY not in str(response.headers)
    assert server_env.requests == [], "no request reached the server's workspace"
    assert network.quiet, f"no outbound lookup or connection: {network}"


async def test_refusal_names_all_parameters_but_not_their_values(server_env, open_client):
    async with open_client() as client:
        response = await client.get(
            "/public/model_hub", params={"api_base": "https://evil.example", "api_key": CANARY_PAT, "provider": "x"}
        )
    assert response.status_code == 400
    assert response.json()["parameters"] == ["api_base", "api_key"]
    assert "evil.example" not in response.text and CANARY_PAT not in response.text


async def test_other_parameters_still_work_and_the_spy_sees_real_traffic(server_env, network, open_client):
    async with open_client() as client:
        response = await client.get("/public/model_hub", params={"provider": "databricks", "available": "true"})
    assert response.status_code == 200 and response.json()
    # The control for the test above: the same spy does see the hub's connection to the workspace.
    assert ("127.0.0.1", int(server_env.url.rsplit(":", 1)[1])) in network.connects
    assert server_env.list_calls == 1


async def test_refused_also_when_mounted_in_a_gateway_with_its_own_auth():
    def host_auth(authorization: Annotated[str | None, Header()] = None) -> None:
        if authorization != "Bearer host-key":
            raise HTTPException(status_code=401, detail="host says no")

    host = FastAPI()
    provider = StaticProvider("s")
    include_hub(host, hub=make_hub({"s": provider}), dependencies=[Depends(host_auth)])
    async with app_client(host) as client:
        response = await client.get(
            "/public/model_hub", params={"token": CANARY_QUERY}, headers={"Authorization": "Bearer host-key"}
        )
        plain = await client.get("/public/model_hub", headers={"Authorization": "Bearer host-key"})
    assert response.status_code == 400 and response.json()["type"] == "urn:hub-core:problem:credential-in-query"
    assert plain.status_code == 200
    assert provider.discover_calls == 1, "only the clean request discovered"


async def test_query_check_runs_before_the_key_check(open_client):
    """A refused parameter is refused even without a key, so the credential never goes further."""
    async with open_client(databricks_hub(api_keys="k1")) as client:
        response = await client.get("/public/providers", params={"client_secret": CANARY_QUERY})
    assert response.status_code == 400 and CANARY_QUERY not in response.text
