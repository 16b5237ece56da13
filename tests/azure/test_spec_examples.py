"""The example responses published with the 2024-10-01 spec (tests/azure/spec_examples/, copied from
Azure/azure-rest-api-specs; see cognitiveservices_2024-10-01.json "sources"), through the plugin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure_fake import NAMESPACE, SUB_A, FakeArm, FakeEntra, account, plugin_settings
from azure_spec import faults

import hub_azure
from hub_azure.config import Settings
from hub_azure.convert import endpoint
from hub_core import ServedEntity
from hub_core.testing import app_client, make_hub

EXAMPLES = Path(__file__).parent / "spec_examples"
pytestmark = pytest.mark.usefixtures("service_principal")


def body(name: str) -> Any:
    return json.loads((EXAMPLES / f"{name}.json").read_text())["responses"]["200"]["body"]


@pytest.mark.parametrize(
    ("example", "definition"),
    [("ListDeployments", "DeploymentListResult"), ("ListAccountsBySubscription", "AccountListResult"),
     ("GetAccount", "Account")],
)  # fmt: skip
def test_the_published_examples_fit_the_field_lists(example: str, definition: str) -> None:
    assert faults(body(example), definition) == []


def test_the_example_deployment_becomes_an_endpoint() -> None:
    [item] = body("ListDeployments")["value"]
    parent = account(SUB_A, "resourceGroupName", "accountName")
    found = endpoint(item, parent, target=SUB_A, target_url=None, settings=Settings(subscriptions=[SUB_A]))
    assert (found.name, found.model, found.sku, found.capacity) == ("deploymentName", "ada 1", "Standard", 1)
    assert (found.state, found.available, found.state_reason) == ("Succeeded", True, None)
    assert found.entities == [ServedEntity(name="ada", version="1", type="OpenAI")]
    assert found.endpoint_url == "https://accountName.openai.azure.com/openai/deployments/deploymentName"
    assert found.served_by == "pay_as_you_go" and found.cost_per_hour is None
    # The example lists no capabilities and no systemData: no mode, no times.
    assert (found.mode, found.capabilities, found.created_at, found.updated_at) == (None, {}, None, None)
    assert (found.region, found.account, found.raw["resource_group"]) == ("eastus", "accountName", "resourceGroupName")


async def listed(arm: FakeArm, entra: FakeEntra) -> dict[str, Any]:
    hub = make_hub({"azure": hub_azure}, providers={"azure": plugin_settings(arm, entra)}, discovery_timeout=5)
    async with app_client(hub) as client:
        answer = await client.get("/public/azure/endpoints")
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def test_the_example_deployment_list_served_by_arm_is_listed(arm: FakeArm, entra: FakeEntra) -> None:
    parent = account(SUB_A, "rg", "contoso")
    arm.add_account(parent, body("ListDeployments")["value"])
    found = await listed(arm, entra)
    [one] = found["endpoints"]
    assert (one["name"], one["model"], one["sku"], one["capacity"]) == ("deploymentName", "ada 1", "Standard", 1)
    assert (one["state"], one["available"], one["account"]) == ("Succeeded", True, "contoso")
    assert found["warnings"] == []


async def test_the_example_account_list_has_no_openai_accounts(arm: FakeArm, entra: FakeEntra) -> None:
    # Bing.Search, CRIS, Face and Emotion accounts host no OpenAI deployments: none is asked for them.
    accounts = body("ListAccountsBySubscription")["value"]
    arm.list_accounts(SUB_A, accounts)
    found = await listed(arm, entra)
    assert found["endpoints"] == [] and found["warnings"] == []
    assert arm.upstream.calls("GET", f"/subscriptions/{SUB_A}/{NAMESPACE}") == 2  # 4 accounts, 2 a page
    assert not [r for r in arm.upstream.requests if r.path.endswith("/deployments")]
