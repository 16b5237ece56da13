"""The fake's payloads, and the fields the plugin reads, against the 2024-10-01 field lists.

cognitiveservices_2024-10-01.json is transcribed from Azure/azure-rest-api-specs (the
Microsoft.CognitiveServices 2024-10-01 Swagger and ARM common-types); its "sources" give the
commits. Only the Entra ID token shapes there are hand-written.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure_fake import CLIENT_ID, SUB_A, FakeArm, FakeEntra, account, arm_error, deployment, plugin_settings
from azure_spec import DEFS, SCALARS, SPEC, faults

import hub_azure
from hub_core.testing import app_client, make_hub
from hub_core.testing.upstream import Request


def test_the_checker_finds_strays_and_gaps() -> None:
    good = account(SUB_A, "rg", "acct")
    assert faults(good, "Account") == []
    assert faults({**good, "displayName": "x"}, "Account") == ["$.displayName: not a field of Account"]
    assert faults({"sku": {"capacity": "10"}}, "Deployment") == [
        "$.sku.name: required by Sku",
        "$.sku.capacity: expected integer",
    ]
    # 2024-10-01's DeploymentModel has no publisher; provisioningState is one of the listed values.
    assert faults({"properties": {"model": {"publisher": "OpenAI"}, "provisioningState": "Ready"}}, "Deployment") == [
        "$.properties.model.publisher: not a field of DeploymentModel",
        "$.properties.provisioningState: 'Ready' is not one of "
        "['Accepted', 'Creating', 'Deleting', 'Moving', 'Failed', 'Succeeded', 'Disabled', 'Canceled']",
    ]
    assert faults({"userAssignedIdentities": {"/x": {"clientId": 1}}}, "Identity") == [
        "$.userAssignedIdentities['/x'].clientId: expected string"
    ]


def _named(kind: Any) -> list[str]:
    """The definition names a field type refers to."""
    if isinstance(kind, list):
        return _named(kind[0])
    if isinstance(kind, dict) or kind in SCALARS:
        return []
    return _named(kind[4:-1]) if kind.startswith("map<") else [kind]


def test_every_type_the_field_lists_name_is_defined_and_sourced() -> None:
    sources = set(SPEC["sources"])
    for name, definition in DEFS.items():
        assert definition["source"].split("#")[0].split(" ")[0] in sources, name
        assert set(definition["required"]) <= set(definition["properties"]), name
        for field, kind in definition["properties"].items():
            assert all(ref in DEFS for ref in _named(kind)), f"{name}.{field}: {kind} is not defined"


def test_the_fakes_payloads_fit_the_field_lists() -> None:
    parent = account(SUB_A, "rg", "acct", kind="AIServices")
    assert faults(parent, "Account") == []
    for sku in ("Standard", "GlobalStandard", "DataZoneStandard", "ProvisionedManaged", "GlobalBatch"):
        assert faults(deployment(parent, "d", "gpt-4o", "2024-08-06", sku=sku), "Deployment") == []
    assert faults(arm_error("AuthorizationFailed", "no"), "ErrorResponse") == []


@pytest.mark.usefixtures("service_principal")
async def test_what_the_fakes_served_in_a_discovery_fits(arm: FakeArm, entra: FakeEntra) -> None:
    for name in ("a1", "a2", "a3"):
        parent = account(SUB_A, "rg", name)
        arm.add_account(parent, [deployment(parent, f"{name}-{i}", "gpt-4o", "2024-08-06") for i in range(3)])
    hub = make_hub({"azure": hub_azure}, providers={"azure": plugin_settings(arm, entra)}, discovery_timeout=5)
    async with app_client(hub) as client:
        assert (await client.get("/public/azure/endpoints")).status_code == 200
    pages = arm.responses
    assert any("nextLink" in page for page in pages)
    for page in pages:
        kind = "AccountListResult" if page["value"] and "kind" in page["value"][0] else "DeploymentListResult"
        assert faults(page, kind) == []
    token = entra._token(
        Request("POST", "/", "", {}, b"grant_type=client_credentials&client_id=nobody&client_secret=x")
    ).body
    assert faults(token, "TokenError") == []
    assert faults(entra._token(Request("POST", "/", "", {}, _form(entra.secret))).body, "TokenResponse") == []


def _form(secret: str) -> bytes:
    return f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={secret}&scope=x".encode()


# Every field hub_azure reads, as a path from the resource: each must exist in the field lists.
READS = {
    "Account": ["id", "name", "kind", "location", "properties.endpoint", "properties.endpoints",
                "properties.customSubDomainName"],
    "Deployment": ["name", "sku.name", "sku.capacity", "properties.model.name", "properties.model.version",
                   "properties.model.format", "properties.provisioningState", "properties.capabilities",
                   "systemData.createdAt", "systemData.lastModifiedAt"],
    "AccountListResult": ["value", "nextLink"],
    "DeploymentListResult": ["value", "nextLink"],
    "ErrorResponse": ["error.message"],
    "TokenResponse": ["access_token", "expires_in"],
}  # fmt: skip


@pytest.mark.parametrize(("definition", "path"), [(d, p) for d, paths in READS.items() for p in paths])
def test_every_field_the_plugin_reads_is_in_the_api(definition: str, path: str) -> None:
    kind: Any = definition
    for part in path.split("."):
        assert isinstance(kind, str) and kind in DEFS, f"{definition}.{path}: {kind} has no fields"
        assert part in DEFS[kind]["properties"], f"{definition}.{path}: {part} is not a field of {kind}"
        kind = DEFS[kind]["properties"][part]
