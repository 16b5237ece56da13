"""hub-azure discovery against a fake ARM and a fake Entra ID token endpoint on 127.0.0.1."""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure_fake import NAMESPACE, SUB_A, SUB_B, FakeArm, FakeEntra, account, deployment, plugin_settings

import hub_azure
from hub_core.testing import app_client, make_hub

pytestmark = pytest.mark.usefixtures("service_principal")


def hub_for(config: dict[str, Any], **overrides: Any) -> Any:
    return make_hub({"azure": hub_azure}, providers={"azure": config}, discovery_timeout=5, **overrides)


async def get(hub: Any, *paths: str) -> list[Any]:
    async with app_client(hub) as client:
        answers = [await client.get(path) for path in paths]
    for answer in answers:
        assert answer.status_code == 200, answer.text
    return [answer.json() for answer in answers]


async def test_deployment_becomes_a_model_group_with_the_model_behind_it(arm: FakeArm, entra: FakeEntra) -> None:
    east = account(SUB_A, "rg-ai", "contoso-east")
    arm.add_account(east, [deployment(east, "chat", "gpt-4o", "2024-08-06", sku="GlobalStandard", capacity=450)])
    [groups] = await get(hub_for(plugin_settings(arm, entra)), "/public/model_hub?provider=azure")
    [group] = groups
    assert group["model_group"] == "azure/chat"
    assert group["model"] == "gpt-4o 2024-08-06"
    assert group["mode"] == "chat" and group["max_input_tokens"] == 128000  # azure/global/gpt-4o-2024-08-06
    assert group["input_cost_per_token"] is not None
    assert group["endpoint_url"] == "https://contoso-east.openai.azure.com/openai/deployments/chat"
    assert group["entities"] == [
        {"name": "gpt-4o", "version": "2024-08-06", "type": "OpenAI", "external_provider": None}
    ]
    [dep] = group["deployments"]
    assert dep["endpoint_name"] == "chat" and dep["target"] == SUB_A
    assert (dep["region"], dep["account"], dep["sku"], dep["capacity"]) == (
        "eastus",
        "contoso-east",
        "GlobalStandard",
        450,
    )
    assert dep["cost_per_hour"] is None
    # The bearer token ARM saw is the one the fake Entra ID issued for ARM's scope.
    assert arm.seen_tokens and set(arm.seen_tokens) <= set(entra.issued)
    assert entra.scopes == [f"{arm.upstream.url}/.default"]
    assert set(arm.api_versions) == {"2024-10-01"}


async def test_next_link_is_followed_for_accounts_and_deployments(arm: FakeArm, entra: FakeEntra) -> None:
    names = ["a1", "a2", "a3"]
    for name in names:
        parent = account(SUB_A, "rg", name)
        arm.add_account(parent, [deployment(parent, f"{name}-d{i}", "gpt-4o-mini", "2024-07-18") for i in range(5)])
    other = account(SUB_A, "rg", "speech", kind="SpeechServices")
    arm.add_account(other, [deployment(other, "never", "whisper", "001")])
    hub = hub_for(plugin_settings(arm, entra))
    [listed] = await get(hub, "/public/azure/endpoints")
    assert sorted(e["name"] for e in listed["endpoints"]) == sorted(f"{n}-d{i}" for n in names for i in range(5))
    assert arm.upstream.calls("GET", f"/subscriptions/{SUB_A}/{NAMESPACE}") == 2  # 4 accounts, 2 a page
    for name in names:
        assert arm.upstream.calls("GET", f"{account(SUB_A, 'rg', name)['id']}/deployments") == 3  # 5, 2 a page
    assert arm.upstream.calls("GET", f"{other['id']}/deployments") == 0, "a SpeechServices account is not listed"
    assert listed["warnings"] == []


async def test_provisioning_state_decides_availability(arm: FakeArm, entra: FakeEntra) -> None:
    parent = account(SUB_A, "rg", "acct")
    arm.add_account(
        parent,
        [
            deployment(parent, "ready", "gpt-4o", "2024-11-20"),
            deployment(parent, "coming", "gpt-4o", "2024-11-20", state="Creating"),
            deployment(parent, "broken", "gpt-4o", "2024-11-20", state="Failed"),
        ],
    )
    [groups] = await get(hub_for(plugin_settings(arm, entra)), "/public/model_hub?provider=azure")
    by_name = {g["model_group"]: g for g in groups}
    assert by_name["azure/ready"]["available"] is True and by_name["azure/ready"]["health_status"] == "healthy"
    assert by_name["azure/coming"]["available"] is False
    assert by_name["azure/coming"]["health_reason"] == "Creating: provisioningState is Creating"
    assert by_name["azure/broken"]["state"] == "Failed" and by_name["azure/broken"]["health_status"] == "unhealthy"


async def test_ptu_deployments_are_priced_per_hour_not_per_token(arm: FakeArm, entra: FakeEntra) -> None:
    parent = account(SUB_A, "rg", "acct")
    arm.add_account(
        parent,
        [
            deployment(parent, "ptu", "gpt-4o", "2024-08-06", sku="ProvisionedManaged", capacity=50),
            deployment(parent, "gptu", "gpt-4o", "2024-08-06", sku="GlobalProvisionedManaged", capacity=15),
            deployment(parent, "paygo", "gpt-4o", "2024-08-06", sku="Standard", capacity=30),
        ],
    )
    config = plugin_settings(arm, entra, ptu_hourly_price={"ProvisionedManaged": 2.0})
    [groups] = await get(hub_for(config), "/public/model_hub?provider=azure")
    by_name = {g["model_group"]: g for g in groups}
    ptu, gptu, paygo = by_name["azure/ptu"], by_name["azure/gptu"], by_name["azure/paygo"]
    assert ptu["cost_per_hour"] == 100.0 and ptu["deployments"][0]["cost_per_hour"] == 100.0
    assert ptu["input_cost_per_token"] is None and ptu["output_cost_per_token"] is None
    assert ptu["max_input_tokens"] == 128000, "the catalog still gives the context window"
    assert gptu["cost_per_hour"] is None, "no price configured for GlobalProvisionedManaged"
    assert gptu["input_cost_per_token"] is None
    assert paygo["cost_per_hour"] is None and paygo["input_cost_per_token"] == 2.5e-06


async def test_same_deployment_name_across_subscriptions(arm: FakeArm, entra: FakeEntra) -> None:
    a, b = account(SUB_A, "rg", "acct-a", location="swedencentral"), account(SUB_B, "rg", "acct-b")
    arm.add_account(
        a,
        [
            deployment(a, "chat", "gpt-4o", "2024-08-06"),
            deployment(a, "embed", "text-embedding-3-large", "1", capabilities={"embeddings": "true"}),
        ],
    )
    arm.add_account(
        b,
        [
            deployment(b, "chat", "gpt-4o-mini", "2024-07-18"),
            deployment(b, "embed", "text-embedding-3-large", "1", capabilities={"embeddings": "true"}),
        ],
    )
    [groups] = await get(
        hub_for(plugin_settings(arm, entra, subscriptions=[SUB_A, SUB_B])), "/public/model_hub?provider=azure"
    )
    by_name = {g["model_group"]: g for g in groups}
    # Same model behind "embed" in both: one group, two deployments.
    embed = by_name["azure/embed"]
    assert embed["mode"] == "embedding"
    assert sorted((d["target"], d["account"], d["region"]) for d in embed["deployments"]) == [
        (SUB_A, "acct-a", "swedencentral"),
        (SUB_B, "acct-b", "eastus"),
    ]
    # Different models behind "chat": never merged; the second keeps its own entry.
    chats = [g for g in groups if g["model_group"].startswith("azure/chat")]
    assert sorted(g["model"] for g in chats) == ["gpt-4o 2024-08-06", "gpt-4o-mini 2024-07-18"]
    assert all(len(g["deployments"]) == 1 for g in chats)
    assert {g["model_group"] for g in chats} == {"azure/chat", f"azure/chat@{SUB_B}"}


async def test_listed_accounts_are_read_one_by_one(arm: FakeArm, entra: FakeEntra) -> None:
    wanted, ignored = account(SUB_A, "rg-1", "wanted", kind="AIServices"), account(SUB_A, "rg-2", "ignored")
    arm.add_account(wanted, [deployment(wanted, "chat", "gpt-4.1", "2025-04-14")])
    arm.add_account(ignored, [deployment(ignored, "other", "gpt-4o", "2024-08-06")])
    config = plugin_settings(arm, entra, accounts=[{"resource_group": "rg-1", "account": "wanted", "name": "foundry"}])
    providers, listed = await get(hub_for(config), "/public/providers", "/public/azure/endpoints")
    [row] = [p for p in providers if p["name"] == "azure"]
    assert row["status"] == "ok"
    assert [e["name"] for e in listed["endpoints"]] == ["chat"]
    assert listed["endpoints"][0]["target"] == "foundry"
    assert listed["endpoints"][0]["endpoint_url"] == "https://wanted.openai.azure.com/openai/deployments/chat"
    assert arm.upstream.calls("GET", f"/subscriptions/{SUB_A}/{NAMESPACE}") == 0, "no subscription-wide list"
    assert arm.upstream.calls("GET", wanted["id"]) == 1


async def test_one_credential_per_target_and_its_token_is_reused(arm: FakeArm, entra: FakeEntra) -> None:
    parent = account(SUB_A, "rg", "acct")
    arm.add_account(parent, [deployment(parent, "chat", "gpt-4o", "2024-08-06")])
    hub = hub_for(plugin_settings(arm, entra), cache_ttl=0, stale_ttl=0)
    async with app_client(hub) as client:
        for _ in range(3):
            assert (await client.get("/public/azure/endpoints")).status_code == 200
        [target] = await hub.targets("azure")
        http, closed = target.handle.http, []
        close = target.handle.credential.close

        async def spy() -> None:
            closed.append(True)
            await close()

        target.handle.credential.close = spy
    assert len(arm.seen_tokens) >= 6, "three refreshes, two ARM calls each"
    assert entra.token_calls == 1, "azure-identity served the cached token to every later call"
    assert http.is_closed, "Hub.aclose() closed the handle's HTTP client"
    assert closed == [True], "and closed its credential"


async def test_unconfigured_serves_the_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(name)
    hub = make_hub({"azure": hub_azure})
    assert await hub.targets("azure") == []
    providers, groups = await get(hub, "/public/providers", "/public/model_hub?provider=azure")
    [row] = [p for p in providers if p["name"] == "azure"]
    assert row["status"] == "not_configured"
    names = {g["model_group"] for g in groups}
    assert "azure/gpt-4o" in names and all(g["source"] == "catalog" for g in groups)


async def test_the_token_is_refreshed_ahead_of_expiry(
    arm: FakeArm, entra: FakeEntra, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = account(SUB_A, "rg", "acct")
    arm.add_account(parent, [deployment(parent, "chat", "gpt-4o", "2024-08-06")])
    real, skew = time.time, [0.0]
    monkeypatch.setattr(time, "time", lambda: real() + skew[0])  # azure-identity's clock for token lifetimes
    hub = hub_for(plugin_settings(arm, entra), cache_ttl=0, stale_ttl=0)
    async with app_client(hub) as client:
        assert (await client.get("/public/azure/endpoints")).status_code == 200
        skew[0] = 3599 - 240  # the token (expires_in 3599) still has 4 minutes: inside the 5-minute window
        assert (await client.get("/public/azure/endpoints")).status_code == 200
    assert entra.token_calls == 2, "a new token before the old one expired"
    assert arm.seen_tokens[-1] == entra.issued[1] and arm.seen_tokens[0] == entra.issued[0]


async def test_the_provider_facet_names_azure(arm: FakeArm, entra: FakeEntra) -> None:
    parent = account(SUB_A, "rg", "acct")
    arm.add_account(parent, [deployment(parent, "chat", "gpt-4o", "2024-08-06")])
    hub = hub_for(plugin_settings(arm, entra))
    facet, providers = await get(hub, "/public/v1/model_hub/providers", "/public/providers")
    assert facet["data"] == ["azure"] and facet["meta"]["labels"] == {"azure": "Azure OpenAI"}
    assert [p["display_name"] for p in providers if p["name"] == "azure"] == ["Azure OpenAI"]


async def test_token_limits_listed_among_capabilities_win_over_the_catalog(arm: FakeArm, entra: FakeEntra) -> None:
    parent = account(SUB_A, "rg", "acct")
    caps = {"chatCompletion": "true", "area": "US", "maxContextToken": "64000", "maxOutputToken": "4096"}
    arm.add_account(parent, [deployment(parent, "chat", "gpt-4o", "2024-08-06", capabilities=caps)])
    listed, groups = await get(
        hub_for(plugin_settings(arm, entra)), "/public/azure/endpoints", "/public/model_hub?provider=azure"
    )
    assert listed["endpoints"][0]["capabilities"] == {"chatCompletion": True}
    [group] = groups
    assert (group["max_input_tokens"], group["max_output_tokens"]) == (64000, 4096)
    assert group["input_cost_per_token"] == 2.5e-06, "prices still come from the catalog"


async def test_a_deployment_that_strays_from_the_api_is_shown_unavailable(arm: FakeArm, entra: FakeEntra) -> None:
    parent = account(SUB_A, "rg", "acct")
    odd = {"id": f"{parent['id']}/deployments/odd", "name": "odd", "sku": "S0", "properties": ["not", "an", "object"]}
    arm.add_account(parent, [odd, deployment(parent, "fine", "gpt-4o", "2024-08-06")])
    [listed] = await get(hub_for(plugin_settings(arm, entra)), "/public/azure/endpoints")
    by_name = {e["name"]: e for e in listed["endpoints"]}
    assert by_name["fine"]["available"] is True
    assert by_name["odd"]["available"] is False
    assert by_name["odd"]["state_reason"] == "provisioningState is missing"
    assert by_name["odd"]["model"] is None and by_name["odd"]["sku"] is None
