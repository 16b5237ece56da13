"""hub-bedrock against the fake Bedrock control plane on 127.0.0.1, through botocore's endpoint_url."""

from __future__ import annotations

from typing import Any

import pytest
from bedrock_fake import ACCESS_KEY, aws_environment, fake_bedrock

import hub_bedrock
from hub_core.testing import app_client, make_hub


def hub_for(**settings: Any) -> Any:
    return make_hub({"bedrock": hub_bedrock}, discovery_timeout=5, **settings)


async def get(hub: Any, path: str, **params: str) -> Any:
    async with app_client(hub) as client:
        return await client.get(path, params=params)


async def test_one_region_lists_on_demand_models_profiles_and_throughputs(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        aws_environment(monkeypatch, fake)
        response = await get(hub_for(), "/public/bedrock/endpoints")
    assert response.status_code == 200, response.text
    body = response.json()
    names = {e["name"]: e for e in body["endpoints"]}
    assert "cohere.command-text-v14" not in names, "provisioned-only foundation models are not on-demand endpoints"
    claude = names["anthropic.claude-3-5-sonnet-20241022-v2:0"]
    assert (claude["mode"], claude["region"], claude["available"]) == ("chat", "us-east-1", True)
    assert names["amazon.titan-embed-text-v2:0"]["mode"] == "embedding"
    assert names["amazon.nova-canvas-v1:0"]["mode"] == "image_generation"
    legacy = names["anthropic.claude-v2:1"]
    assert legacy["available"] is True and legacy["state"] == "LEGACY" and "end of life" in legacy["state_reason"]
    profile = names["us.anthropic.claude-3-5-sonnet-20241022-v2:0"]
    assert profile["model"] == "anthropic.claude-3-5-sonnet-20241022-v2:0" and profile["account"] == "123456789012"
    throughput = names["command-pt"]
    assert (throughput["available"], throughput["capacity"], throughput["sku"]) == (
        True,
        2,
        "ProvisionedThroughput/OneMonth",
    )
    assert names["claude-pt-grow"]["available"] is False and "3 model units" in names["claude-pt-grow"]["state_reason"]
    assert names["claude-pt-broken"]["state"] == "Failed" and names["claude-pt-broken"]["available"] is False
    assert {"support-bot-ft", "llama-3-8b-legal", "a1b2c3d4e5f6"} <= set(names)
    assert body["warnings"] == []
    # Pagination: three profiles at two a page, four throughputs at two a page.
    assert fake.calls("ListInferenceProfiles") == 2 and fake.calls("ListProvisionedModelThroughputs") == 2
    assert {(s.access_key, s.region, s.service) for s in fake.signatures} == {(ACCESS_KEY, "us-east-1", "bedrock")}
