"""hub-azure's LiteLLM export: deployment names, the account's data-plane URL, credential references only."""

from __future__ import annotations

from typing import Any

import pytest
from azure_fake import SUB_A, FakeArm, FakeEntra, account, deployment, plugin_settings

import hub_azure
from hub_core.testing import app_client, make_hub

pytestmark = pytest.mark.usefixtures("service_principal")


async def model_list(config: dict[str, Any]) -> dict[str, Any]:
    hub = make_hub({"azure": hub_azure}, providers={"azure": config}, discovery_timeout=5)
    async with app_client(hub) as client:
        response = await client.get("/public/azure/litellm_model_list")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def foundry(arm: FakeArm) -> None:
    parent = account(SUB_A, "rg", "contoso", kind="AIServices", location="westeurope")
    arm.add_account(
        parent,
        [
            deployment(parent, "chat", "gpt-4o", "2024-08-06", sku="DataZoneStandard"),
            deployment(parent, "embed", "text-embedding-3-small", "1", capabilities={"embeddings": "true"}),
            deployment(parent, "pending", "gpt-4o", "2024-08-06", state="Creating"),
            deployment(parent, "realtime", "gpt-4o-realtime-preview", "2024-12-17", capabilities={"realtime": "true"}),
        ],
    )


async def test_api_key_mode_names_the_variable(arm: FakeArm, entra: FakeEntra) -> None:
    foundry(arm)
    body = await model_list(plugin_settings(arm, entra))
    by_name = {d["model_name"]: d for d in body["model_list"]}
    assert set(by_name) == {"azure/chat", "azure/embed"}
    assert by_name["azure/chat"]["litellm_params"] == {
        "model": "azure/chat",
        "api_base": "https://contoso.openai.azure.com",
        "api_version": "2024-10-21",
        "api_key": "os.environ/AZURE_API_KEY",
    }
    assert by_name["azure/chat"]["model_info"]["mode"] == "chat"
    assert by_name["azure/chat"]["model_info"]["max_input_tokens"] == 128000  # azure/eu/gpt-4o-2024-08-06
    assert by_name["azure/embed"]["model_info"]["mode"] == "embedding"
    left_out = {item["endpoint"]: item["reason"] for item in body["left_out"]}
    assert "realtime" in left_out and "no chat, completion or embeddings" in left_out["realtime"]
    assert "pending" not in by_name


async def test_entra_mode_and_a_per_account_key(arm: FakeArm, entra: FakeEntra) -> None:
    foundry(arm)
    entra_body = await model_list(plugin_settings(arm, entra, litellm_auth="entra"))
    params = entra_body["model_list"][0]["litellm_params"]
    assert params["tenant_id"] == "os.environ/AZURE_TENANT_ID"
    assert params["client_secret"] == "os.environ/AZURE_CLIENT_SECRET"
    assert "api_key" not in params
    listed = [{"resource_group": "rg", "account": "contoso", "api_key_env": "CONTOSO_KEY"}]
    keyed = await model_list(plugin_settings(arm, entra, accounts=listed))
    assert {d["litellm_params"]["api_key"] for d in keyed["model_list"]} == {"os.environ/CONTOSO_KEY"}


async def test_a_deployment_without_capabilities_is_still_exported(arm: FakeArm, entra: FakeEntra) -> None:
    parent = account(SUB_A, "rg", "older")
    arm.add_account(parent, [deployment(parent, "legacy", "gpt-35-turbo", "0125", capabilities={})])
    body = await model_list(plugin_settings(arm, entra))
    [item] = body["model_list"]
    assert item["model_name"] == "azure/legacy"
    assert item["model_info"]["mode"] == "chat", "the catalog's mode (azure/gpt-35-turbo-0125) fills the gap"
