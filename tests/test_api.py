"""The HTTP surface: providers, endpoints, model hub, problems, mounting."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import pytest
from databricks_hubs import databricks_hub
from fastapi import Depends, FastAPI, Header, HTTPException
from hubtest_plugins import FailingProvider, StaticProvider, UnconfiguredProvider
from waiting import eventually

from hub_core import Endpoint, ProviderError, Target, hookimpl
from hub_core.app import include_hub
from hub_core.testing import app_client, make_hub

PROBLEM = "application/problem+json"


async def test_providers_lists_every_installed_provider_with_status():
    hub = make_hub({"ok": StaticProvider("ok"), "down": FailingProvider("down"), "databricks": UnconfiguredProvider()})
    async with app_client(hub) as client:
        response = await client.get("/public/providers")
    assert response.status_code == 200
    rows = {r["name"]: r for r in response.json()}
    assert rows["ok"]["status"] == "ok" and rows["ok"]["version"] == "0.0.test"
    assert rows["down"]["status"] == "error" and "upstream said no" in rows["down"]["message"]
    assert rows["databricks"]["status"] == "not_configured"
    assert rows["ok"]["distribution"] == "test-ok"


async def test_merged_model_hub_survives_a_failing_provider():
    hub = make_hub({"ok": StaticProvider("ok"), "down": FailingProvider("down")})
    async with app_client(hub) as client:
        merged = await client.get("/public/model_hub")
        one = await client.get("/public/model_hub", params={"provider": "down"})
    assert merged.status_code == 200
    assert [g["model_group"] for g in merged.json()] == ["ok/alpha", "ok/beta"]
    assert one.status_code == 502 and one.headers["content-type"] == PROBLEM
    assert one.json()["type"] == "urn:hub-core:problem:provider-error"
    assert "Traceback" not in one.text


async def test_model_hub_provider_filter_and_field_names():
    hub = make_hub({"a": StaticProvider("a"), "b": StaticProvider("b", endpoints=["z"])})
    async with app_client(hub) as client:
        response = await client.get("/public/model_hub", params={"provider": "b"})
    [group] = response.json()
    assert group["model_group"] == "b/z"
    for field in (
        "model_group", "providers", "mode", "max_input_tokens", "max_output_tokens", "input_cost_per_token",
        "output_cost_per_token", "supports_function_calling", "supports_parallel_function_calling",
        "supports_vision", "supports_reasoning", "supported_openai_params", "is_public_model_group",
        "source", "state", "available", "display_name", "description", "endpoint_url",
    ):  # fmt: skip
        assert field in group, field


async def test_unknown_provider_is_404_problem_listing_installed():
    hub = make_hub({"a": StaticProvider("a"), "b": StaticProvider("b")})
    async with app_client(hub) as client:
        for url in ("/public/nope/endpoints", "/public/model_hub?provider=nope"):
            response = await client.get(url)
            assert response.status_code == 404
            assert response.headers["content-type"] == PROBLEM
            body = response.json()
            assert body["type"] == "urn:hub-core:problem:unknown-provider"
            assert body["installed"] == ["a", "b"]
            assert "a, b" in body["detail"]


async def test_endpoints_route_shape():
    hub = make_hub({"s": StaticProvider("s")})
    async with app_client(hub) as client:
        body = (await client.get("/public/s/endpoints")).json()
    assert set(body) >= {"provider", "endpoints", "source", "fetched_at"}
    assert body["provider"] == "s" and body["source"] == "live"
    assert [e["name"] for e in body["endpoints"]] == ["alpha", "beta"]
    assert "raw" not in body["endpoints"][0]


async def test_unconfigured_provider_falls_back_to_catalog():
    hub = make_hub({"databricks": UnconfiguredProvider()})
    async with app_client(hub) as client:
        groups = (await client.get("/public/model_hub", params={"provider": "databricks"})).json()
        endpoints = (await client.get("/public/databricks/endpoints")).json()
    names = {g["model_group"]: g for g in groups}
    assert names["databricks/databricks-gte-large-en"]["mode"] == "embedding"
    assert names["databricks/databricks-meta-llama-3-3-70b-instruct"]["mode"] == "chat"
    assert {g["source"] for g in groups} == {"catalog"}
    assert endpoints["source"] == "catalog" and len(endpoints["endpoints"]) == len(groups)



@pytest.mark.parametrize("url", ["/public/model_hub", "/public/databricks/endpoints", "/public/v1/model_hub"])
async def test_age_is_sent_only_when_a_fetch_time_is_known(url):
    """docs/running.md#freshness-headers: a catalog-only answer has no fetch time, so no Age."""
    async with app_client(make_hub({"databricks": UnconfiguredProvider()})) as client:
        catalog = await client.get(url)
    async with app_client(make_hub({"databricks": StaticProvider("databricks")})) as client:
        live = await client.get(url)
    assert catalog.status_code == live.status_code == 200
    assert "Age" not in catalog.headers and "ETag" in catalog.headers
    assert int(live.headers["Age"]) >= 0

@pytest.mark.parametrize(
    "url",
    [
        "/public/model_hub?provider=%00bad",
        "/public/model_hub?provider=" + "x" * 200,
        "/public/model_hub?available=maybe",
    ],
)
async def test_bad_parameters_get_400_problem_without_echo(url):
    hub = make_hub({"s": StaticProvider("s")})
    async with app_client(hub) as client:
        response = await client.get(url)
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "urn:hub-core:problem:invalid-parameter"
    assert "maybe" not in response.text and "xxxxxxxxxx" not in response.text


async def test_unknown_route_is_problem_json():
    hub = make_hub({})
    async with app_client(hub) as client:
        response = await client.get("/nowhere")
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM


async def test_include_hub_under_the_host_apps_auth():
    def host_auth(authorization: Annotated[str | None, Header()] = None) -> None:
        if authorization != "Bearer host-key":
            raise HTTPException(status_code=401, detail="host says no")

    host = FastAPI()

    @host.get("/own")
    async def own() -> dict[str, str]:
        return {"host": "route"}

    include_hub(host, hub=make_hub({"s": StaticProvider("s")}), dependencies=[Depends(host_auth)])
    async with app_client(host) as client:
        assert (await client.get("/own")).json() == {"host": "route"}
        denied = await client.get("/public/model_hub")
        allowed = await client.get("/public/model_hub", headers={"Authorization": "Bearer host-key"})
    assert denied.status_code == 401
    assert allowed.status_code == 200 and [g["model_group"] for g in allowed.json()] == ["s/alpha", "s/beta"]


async def test_available_filter():
    hub = make_hub({"s": StaticProvider("s")})
    async with app_client(hub) as client:
        assert len((await client.get("/public/model_hub?available=true")).json()) == 2
        assert (await client.get("/public/model_hub?available=false")).json() == []


async def test_mounted_hub_leaves_the_host_apps_own_errors_alone():
    host = FastAPI()

    @host.get("/own/{number}")
    async def own(number: int) -> dict[str, int]:
        return {"number": number}

    include_hub(host, hub=make_hub({"s": StaticProvider("s")}))
    async with app_client(host) as client:
        host_error = await client.get("/own/not-a-number")
        host_missing = await client.get("/nowhere")
        hub_error = await client.get("/public/model_hub?available=maybe")
    assert host_error.status_code == 422 and host_error.headers["content-type"] == "application/json"
    assert host_missing.status_code == 404 and host_missing.headers["content-type"] == "application/json"
    assert hub_error.status_code == 400 and hub_error.headers["content-type"] == PROBLEM


async def test_create_app_takes_the_hubs_settings_so_the_fast_path_cannot_skip_the_key_check():
    from hub_core.app import create_app
    from hub_core.settings import HubSettings

    hub = make_hub({"s": StaticProvider("s")}, api_keys="k-123", require_key_for_model_hub=True)
    app = create_app(HubSettings(), hub=hub)  # the first argument disagrees; the hub's settings win
    async with app_client(app) as client:
        assert (await client.get("/public/model_hub")).status_code == 401
        ok = await client.get("/public/model_hub", headers={"Authorization": "Bearer k-123"})
    assert ok.status_code == 200


async def test_host_paths_that_only_start_like_hub_paths_keep_the_hosts_errors():
    host = FastAPI()

    @host.get("/hubble/{number}")
    async def hubble(number: int) -> dict[str, int]:
        return {"number": number}

    include_hub(host, hub=make_hub({"s": StaticProvider("s")}))
    async with app_client(host) as client:
        response = await client.get("/hubble/x")
    assert response.status_code == 422 and response.headers["content-type"] == "application/json"


def test_refresh_ahead_must_fit_inside_the_ttl():
    from pydantic import ValidationError

    from hub_core.settings import HubSettings

    with pytest.raises(ValidationError, match="refresh_ahead"):
        HubSettings(cache_ttl=10, refresh_ahead=10)
    assert HubSettings(cache_ttl=10, refresh_ahead=3).refresh_ahead == 3


async def test_a_background_refresh_rebuilds_the_view_before_any_request():
    plugin = StaticProvider("s")
    hub = make_hub({"s": plugin}, cache_ttl=0.05, stale_ttl=60)
    async with app_client(hub) as client:
        first = await client.get("/public/model_hub")
        plugin.endpoint_names = ["gamma"]
        await asyncio.sleep(0.1)  # past the TTL; longer only makes it more stale
        stale = await client.get("/public/model_hub")  # serves the stale list, starts the refresh
        assert [g["model_group"] for g in stale.json()] == [g["model_group"] for g in first.json()]
        await eventually(lambda: [g.model_group for g in hub._views["s"][1].groups] == ["s/gamma"])
        _, view = hub._views["s"]
        assert [g.model_group for g in view.groups] == ["s/gamma"], "the view was rebuilt in the background"
        assert view._memo.get("body"), "and serialised"


# -- a failing provider is visible ------------------------------------------------------------

FAILED = "X-Hub-Failed-Providers"
# The plain URL takes the ASGI fast path; ?available=false always goes through the FastAPI route.
MERGED_URLS = ["/public/model_hub", "/public/model_hub?available=false"]


class HalfFailingProvider(StaticProvider):
    """Two targets; the second one's upstream fails."""

    def __init__(self, name: str) -> None:
        super().__init__(name, targets=2)

    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        if target.name == "t1":
            raise ProviderError(f"Provider {self.name!r}: t1 is down.", provider=self.name)
        return [Endpoint(provider=self.name, name="alpha", target=target.name, mode="chat", available=False)]


@pytest.mark.parametrize("url", MERGED_URLS)
async def test_a_healthy_merged_answer_is_cacheable_and_names_no_failure(url):
    hub = make_hub({"a": StaticProvider("a"), "b": StaticProvider("b")})
    async with app_client(hub) as client:
        response = await client.get(url)
        again = await client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert response.status_code == 200 and FAILED not in response.headers
    assert int(response.headers["Cache-Control"].removeprefix("public, max-age=")) > 200
    assert again.status_code == 304


@pytest.mark.parametrize("url", MERGED_URLS)
async def test_a_merged_answer_that_left_a_provider_out_says_so(url):
    hub = make_hub({"ok": StaticProvider("ok"), "down": FailingProvider("down")})
    async with app_client(hub) as client:
        response = await client.get(url)
        again = await client.get(url, headers={"If-None-Match": "*"})
    assert response.status_code == 200 and len(response.json()) == (0 if "available=false" in url else 2)
    assert response.headers[FAILED] == "down"
    assert response.headers["Cache-Control"] == "public, max-age=0"
    assert "ETag" not in response.headers
    assert again.status_code == 200, "an incomplete answer is never revalidated as current"


async def test_an_etag_of_the_complete_answer_does_not_revalidate_an_incomplete_one():
    down = StaticProvider("down")
    hub = make_hub({"ok": StaticProvider("ok"), "down": down}, cache_ttl=0, stale_ttl=0)
    async with app_client(hub) as client:
        complete = await client.get("/public/model_hub")
        hub.registry.unregister("down")
        hub.registry.register(FailingProvider("down"), "down")
        hub.forget("down")
        partial = await client.get("/public/model_hub", headers={"If-None-Match": complete.headers["ETag"]})
    assert partial.status_code == 200 and partial.headers[FAILED] == "down"


@pytest.mark.parametrize("url", [*MERGED_URLS, "/public/model_hub?provider=half"])
async def test_an_answer_missing_some_targets_says_so_too(url):
    hub = make_hub({"half": HalfFailingProvider("half")})
    async with app_client(hub) as client:
        response = await client.get(url)
    assert response.status_code == 200 and response.json()
    assert response.headers[FAILED] == "half" and response.headers["Cache-Control"] == "public, max-age=0"


@pytest.mark.parametrize("url", MERGED_URLS)
async def test_when_every_provider_failed_the_merged_answer_is_503(url):
    hub = make_hub({"down": FailingProvider("down"), "gone": FailingProvider("gone")})
    async with app_client(hub) as client:
        response = await client.get(url)
    assert response.status_code == 503 and response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "urn:hub-core:problem:all-providers-failed"
    assert body["failed"] == ["down", "gone"] and "upstream said no" in body["detail"]
    assert int(response.headers["Retry-After"]) >= 1
    assert "ETag" not in response.headers and "max-age=300" not in response.headers.get("Cache-Control", "")


V1_URLS = [
    "/public/v1/model_hub",
    "/public/v1/model_hub/providers",
    "/public/v1/model_hub/modes",
    "/public/v1/model_hub/features",
]


@pytest.mark.parametrize("url", V1_URLS)
async def test_v1_pages_and_facets_say_which_provider_they_left_out(url):
    hub = make_hub({"ok": StaticProvider("ok"), "down": FailingProvider("down")})
    async with app_client(hub) as client:
        response = await client.get(url)
        again = await client.get(url, headers={"If-None-Match": "*"})
    assert response.status_code == 200 and (response.json()["data"] or url.endswith("features"))
    assert response.headers[FAILED] == "down" and response.headers["Cache-Control"] == "public, max-age=0"
    assert "ETag" not in response.headers and again.status_code == 200


@pytest.mark.parametrize("url", V1_URLS)
async def test_v1_pages_and_facets_are_503_when_every_provider_failed(url):
    hub = make_hub({"down": FailingProvider("down"), "gone": FailingProvider("gone")})
    async with app_client(hub) as client:
        response = await client.get(url)
    assert response.status_code == 503 and response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "urn:hub-core:problem:all-providers-failed"
    assert "ETag" not in response.headers


async def test_no_providers_at_all_is_an_empty_answer_not_a_failure():
    async with app_client(make_hub({})) as client:
        response = await client.get("/public/model_hub")
    assert response.status_code == 200 and response.json() == [] and FAILED not in response.headers


# -- /readyz --------------------------------------------------------------------------------


async def wait_ready(client: Any) -> Any:
    for _ in range(400):  # event-free but generous: readiness comes from a background discovery
        response = await client.get("/readyz")
        if response.status_code == 200:
            return response
        await asyncio.sleep(0.025)
    raise AssertionError(f"/readyz never became ready: {response.text}")


async def test_readyz_is_ready_once_every_provider_answered_or_failed():
    ok, down = StaticProvider("ok"), FailingProvider("down")
    hub = make_hub({"ok": ok, "down": down, "none": UnconfiguredProvider()})
    async with app_client(hub) as client:
        first = await client.get("/readyz")
        assert first.status_code == 503 and first.json()["status"] == "starting"
        assert set(first.json()["pending"]) == {"ok", "down", "none"}
        assert ok.discover_calls == 0 or first.json()["pending"], "readyz never waits for an upstream"
        ready = await wait_ready(client)
        health = await client.get("/healthz")
    body = ready.json()
    assert body["status"] == "ready" and body["pending"] == [] and body["failing"] == ["down"]
    assert body["providers"] == {"ok": "ok", "down": "failing", "none": "catalog"}
    assert ok.discover_calls == 1, "readiness started one discovery, and the requests reuse it"
    assert health.json() == {"status": "ok"}


async def test_readyz_names_no_secret_or_message_and_healthz_stays_liveness_only():
    hub = make_hub({"down": FailingProvider("down")})
    async with app_client(hub) as client:
        ready = await wait_ready(client)
        health = await client.get("/healthz")
    assert "upstream said no" not in ready.text
    assert ready.json()["providers"] == {"down": "failing"}
    assert health.status_code == 200 and health.json() == {"status": "ok"}


# -- the same with the Databricks plugin and its fake workspace ---------------------------------


async def test_the_only_provider_with_a_bad_token_is_a_503_not_an_empty_list(workspace, monkeypatch):
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-not-the-right-one")
    async with app_client(databricks_hub()) as client:
        merged = await client.get("/public/model_hub")
        ready = await wait_ready(client)
    assert merged.status_code == 503, merged.text
    assert merged.json()["type"] == "urn:hub-core:problem:all-providers-failed"
    assert ready.json()["failing"] == ["databricks"]


async def test_the_only_provider_past_its_stale_window_is_a_503(workspace):
    async with app_client(databricks_hub(cache_ttl=0.05, stale_ttl=0.05)) as client:
        assert (await client.get("/public/model_hub")).status_code == 200
        workspace.inject("500", times=50)
        await asyncio.sleep(0.3)  # at least past both windows, however slow the machine
        merged = await client.get("/public/model_hub")
    assert merged.status_code == 503 and merged.headers["content-type"] == PROBLEM


async def test_the_v1_model_hub_names_a_left_out_provider_and_is_503_when_all_failed():
    partly = make_hub({"ok": StaticProvider("ok"), "down": FailingProvider("down")})
    async with app_client(partly) as client:
        page = await client.get("/public/v1/model_hub")
    assert page.status_code == 200 and page.headers[FAILED] == "down" and "ETag" not in page.headers
    async with app_client(make_hub({"down": FailingProvider("down")})) as client:
        failed = await client.get("/public/v1/model_hub")
    assert failed.status_code == 503 and failed.json()["type"] == "urn:hub-core:problem:all-providers-failed"
