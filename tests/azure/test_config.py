"""``[providers.azure]`` and ``AZURE_*``: targets, credentials, and configuration errors that say what to fix."""

from __future__ import annotations

from typing import Any

import pytest
from azure_fake import CLIENT_SECRET, SUB_A, SUB_B

import hub_azure
from hub_azure.convert import catalog_keys, data_zone
from hub_core import Endpoint, ProviderConfigError, Target
from hub_core.testing import app_client, make_hub


async def targets(config: dict[str, Any]) -> list[Target]:
    found = hub_azure.configured_targets(config=config)
    for target in found:
        await target.handle.aclose()
    return found


async def test_subscription_from_the_environment_and_the_default_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUB_A)
    [target] = await targets({})
    assert target.name == SUB_A
    assert target.url == f"https://management.azure.com/subscriptions/{SUB_A}"
    assert target.auth_method == "default"
    assert type(target.handle.credential).__name__ == "DefaultAzureCredential"
    assert target.handle.scope == "https://management.azure.com/.default"


async def test_service_principal_variables_choose_client_secret(service_principal: pytest.MonkeyPatch) -> None:
    [target] = await targets({"subscriptions": [SUB_A]})
    assert target.auth_method == "client_secret"
    assert type(target.handle.credential).__name__ == "ClientSecretCredential"
    assert CLIENT_SECRET not in repr(target) and CLIENT_SECRET not in target.model_dump_json()
    assert target.handle.redactor.redact(f"echo {CLIENT_SECRET}") == "echo [REDACTED]"


async def test_managed_identity_and_one_target_per_listed_account() -> None:
    config = {
        "subscriptions": [SUB_A],
        "credential": "managed_identity",
        "accounts": [
            {"resource_group": "rg", "account": "one"},
            {"subscription": SUB_B, "resource_group": "rg", "account": "two", "name": "second"},
        ],
    }
    one, two = await targets(config)
    assert (one.name, two.name) == ("one", "second")
    assert two.url == (
        f"https://management.azure.com/subscriptions/{SUB_B}/resourceGroups/rg/providers/"
        "Microsoft.CognitiveServices/accounts/two"
    )
    assert type(one.handle.credential).__name__ == "ManagedIdentityCredential"
    assert one.handle.credential is not two.handle.credential, "one credential per target"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"subscriptions": ["not-a-guid"]}, "is not a subscription id"),
        ({"subscriptions": [SUB_A], "client_secret": "x"}, "inline secret"),
        ({"subscriptions": [SUB_A], "arm_endpoint": "http://arm.example.com"}, "must be https"),
        ({"subscriptions": [SUB_A], "arm_endpoint": "https://u:p@arm.example.com"}, "without credentials"),
        ({"subscriptions": [SUB_A], "credential": "client_secret"}, "needs AZURE_TENANT_ID, AZURE_CLIENT_ID"),
        (
            {"subscriptions": [SUB_A, SUB_B], "accounts": [{"resource_group": "rg", "account": "acct"}]},
            "names no subscription",
        ),
        (
            {
                "subscriptions": [SUB_A],
                "accounts": [{"resource_group": "r1", "account": "acct"}, {"resource_group": "r2", "account": "acct"}],
            },
            "share the target name",
        ),
        ({"subscriptions": [SUB_A], "ptu_hourly_price": {"Standard": 1.0}}, "PTU SKUs"),
        (
            {"subscriptions": [SUB_A], "ca_bundle": "/nonexistent/ca.pem"},
            "ca_bundle: Value error, must name a readable",
        ),
        ({"subscriptions": [SUB_A], "regions": ["eastus"]}, "regions: Extra inputs are not permitted"),
    ],
)
def test_configuration_errors_say_what_to_change(config: dict[str, Any], expected: str) -> None:
    with pytest.raises(ProviderConfigError) as caught:
        hub_azure.configured_targets(config=config)
    assert expected in str(caught.value) and "docs/azure.md" in str(caught.value)


async def test_a_configuration_error_is_a_503_problem() -> None:
    hub = make_hub({"azure": hub_azure}, providers={"azure": {"subscriptions": ["nope"]}})
    async with app_client(hub) as client:
        response = await client.get("/public/azure/endpoints")
    assert response.status_code == 503
    assert response.json()["type"] == "urn:hub-core:problem:provider-config"


def test_catalog_keys_follow_the_sku_and_data_zone() -> None:
    def keys(sku: str, region: str) -> list[str]:
        raw = {"model_name": "gpt-4o", "model_version": "2024-08-06"}
        return catalog_keys(Endpoint(provider="azure", name="d", sku=sku, region=region, raw=raw))

    assert keys("Standard", "eastus") == ["azure/gpt-4o-2024-08-06", "azure/gpt-4o"]
    assert keys("GlobalStandard", "eastus")[:3] == [
        "azure/global-standard/gpt-4o-2024-08-06",
        "azure/global-standard/gpt-4o",
        "azure/global/gpt-4o-2024-08-06",
    ]
    assert keys("DataZoneStandard", "swedencentral")[0] == "azure/eu/gpt-4o-2024-08-06"
    assert keys("DataZoneStandard", "eastus2")[0] == "azure/us/gpt-4o-2024-08-06"
    assert [data_zone(r) for r in ("westeurope", "northcentralus", "japaneast")] == ["eu", "us", None]
