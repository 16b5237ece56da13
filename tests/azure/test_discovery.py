"""hub-azure against a fake ARM and a fake Entra ID token endpoint on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure_fake import CLIENT_ID, CLIENT_SECRET, SUB_A, TENANT, FakeArm, FakeEntra, account, certificate, deployment

import hub_azure
from hub_core.testing import FakeUpstream, app_client, make_hub


@pytest.fixture
def entra() -> Iterator[FakeEntra]:
    with FakeEntra() as fake:
        yield fake


@pytest.fixture
def arm(entra: FakeEntra) -> Iterator[FakeArm]:
    with FakeUpstream() as upstream:
        yield FakeArm(upstream, entra)


@pytest.fixture
def service_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", CLIENT_SECRET)


def settings(arm: FakeArm, entra: FakeEntra, **extra: Any) -> dict[str, Any]:
    return {
        "subscriptions": [SUB_A],
        "arm_endpoint": arm.upstream.url,
        "authority_host": entra.url,
        "ca_bundle": certificate()[0],
        **extra,
    }


def hub_for(config: dict[str, Any]) -> Any:
    return make_hub({"azure": hub_azure}, providers={"azure": config}, discovery_timeout=5)


@pytest.mark.usefixtures("service_principal")
async def test_subscription_deployments_become_model_groups(arm: FakeArm, entra: FakeEntra) -> None:
    east = account(SUB_A, "rg-ai", "contoso-east")
    arm.add_account(east, [deployment(east, "chat", "gpt-4o", "2024-08-06", sku="GlobalStandard", capacity=450)])
    async with app_client(hub_for(settings(arm, entra))) as client:
        response = await client.get("/public/model_hub", params={"provider": "azure"})
    assert response.status_code == 200, response.text
    [group] = response.json()
    assert group["model_group"] == "azure/chat"
    assert group["model"] == "gpt-4o 2024-08-06"
    assert group["mode"] == "chat" and group["max_input_tokens"] == 128000
    [dep] = group["deployments"]
    assert (dep["region"], dep["account"], dep["sku"], dep["capacity"]) == ("eastus", "contoso-east", "GlobalStandard", 450)
    assert arm.seen_tokens and set(arm.seen_tokens) <= set(entra.issued)
    assert entra.scopes[0] == f"{arm.upstream.url}/.default"
