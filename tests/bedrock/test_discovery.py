"""hub-bedrock against the fake Bedrock control plane on 127.0.0.1, through botocore's endpoint_url."""

from __future__ import annotations

from typing import Any

import pytest
from bedrock_fake import ACCESS_KEY, SECRET_KEY, aws_environment, fake_bedrock

import hub_bedrock
from hub_core.testing import app_client, make_hub


def hub_for(**settings: Any) -> Any:
    return make_hub({"bedrock": hub_bedrock}, **{"discovery_timeout": 5, **settings})


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
    assert all(s.verified for s in fake.signatures), "every signature matches the secret key"


async def test_two_regions_are_one_group_with_a_deployment_each(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        aws_environment(monkeypatch, fake, regions="us-east-1,eu-west-1")
        response = await get(hub_for(), "/public/model_hub", provider="bedrock")
    assert response.status_code == 200
    groups = {g["model_group"]: g for g in response.json()}
    claude = groups["bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"]
    assert sorted(d["region"] for d in claude["deployments"]) == ["eu-west-1", "us-east-1"]
    assert {d["target"] for d in claude["deployments"]} == {"eu-west-1", "us-east-1"}
    assert {s.region for s in fake.signatures} == {"us-east-1", "eu-west-1"}, "each client signs for its region"
    assert all(s.service == "bedrock" and "x-amz-date" in s.signed_headers for s in fake.signatures)
    assert all(s.verified for s in fake.signatures)


async def test_a_wrong_secret_key_is_provider_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        aws_environment(monkeypatch, fake, secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGWRONGW")
        response = await get(hub_for(), "/public/bedrock/endpoints")
    assert response.status_code == 502
    assert "SignatureDoesNotMatch" in response.json()["detail"]
    assert [s.verified for s in fake.signatures] == [False], "one call, refused; no other list is tried"


async def test_one_region_down_degrades_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        fake.down.add("eu-west-1")
        aws_environment(monkeypatch, fake, regions="us-east-1,eu-west-1")
        hub = hub_for(discovery_timeout=3)
        async with app_client(hub) as client:
            endpoints = await client.get("/public/bedrock/endpoints")
            groups = await client.get("/public/model_hub", params={"provider": "bedrock"})
    assert endpoints.status_code == 200
    body = endpoints.json()
    assert {e["region"] for e in body["endpoints"]} == {"us-east-1"}
    assert len(body["errors"]) == 1 and "eu-west-1" in body["errors"][0]
    claude = {g["model_group"]: g for g in groups.json()}["bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"]
    assert [d["region"] for d in claude["deployments"]] == ["us-east-1"]


async def test_groups_are_priced_from_the_bedrock_catalog_keys_and_throughput_per_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fake_bedrock() as fake:
        aws_environment(monkeypatch, fake)
        response = await get(hub_for(), "/public/model_hub", provider="bedrock")
    groups = {g["model_group"]: g for g in response.json()}
    claude = groups["bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"]
    assert (claude["input_cost_per_token"], claude["max_input_tokens"], claude["mode"]) == (3e-06, 200000, "chat")
    assert claude["supports_function_calling"] is True
    profile = groups["bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0"]
    assert profile["model"] == "anthropic.claude-3-5-sonnet-20241022-v2:0" and profile["input_cost_per_token"] == 3e-06
    assert profile["mode"] == "chat", "a profile's mode is its foundation model's"
    nova = groups["bedrock/us.amazon.nova-pro-v1:0"]
    assert nova["input_cost_per_token"] == 8e-07, "a profile of a model the region does not list is still priced"
    throughput = groups["bedrock/command-pt"]
    assert throughput["cost_per_hour"] == pytest.approx(0.011 * 3600 * 2)
    assert throughput["input_cost_per_token"] is None and throughput["output_cost_per_token"] is None
    [deployment] = throughput["deployments"]
    assert (deployment["capacity"], deployment["cost_per_hour"]) == (2, pytest.approx(79.2))
    assert groups["bedrock/claude-pt-grow"]["cost_per_hour"] == pytest.approx(0.00972 * 3600)
    assert groups["bedrock/claude-pt-new"]["cost_per_hour"] is None, "no commitment: no price in the catalog"
    assert groups["bedrock/claude-pt-new"]["available"] is False
    assert groups["bedrock/amazon.titan-embed-text-v2:0"]["mode"] == "embedding"
    custom = groups["bedrock/support-bot-ft"]
    assert custom["model"] == "amazon.titan-text-express-v1" and custom["max_input_tokens"] == 42000
    assert custom["input_cost_per_token"] is None, "a fine-tuned model is not billed at its base model's token price"
    assert groups["bedrock/llama-3-8b-legal"]["input_cost_per_token"] is None


async def test_access_denied_on_one_operation_is_a_partial_answer_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fake_bedrock() as fake:
        fake.deny("ListProvisionedModelThroughputs")
        aws_environment(monkeypatch, fake)
        hub = hub_for()
        async with app_client(hub) as client:
            endpoints = await client.get("/public/bedrock/endpoints")
            providers = await client.get("/public/providers")
    assert endpoints.status_code == 200
    body = endpoints.json()
    assert body["warnings"] == ["us-east-1: ListProvisionedModelThroughputs: AccessDeniedException"]
    assert "user/hub is not authorized" not in endpoints.text, "a warning names the operation and code only"
    kinds = {e["served_by"] for e in body["endpoints"]}
    assert kinds == {"foundation_model", "inference_profile", "custom_model", "imported_model"}
    [row] = [p for p in providers.json() if p["name"] == "bedrock"]
    assert row["status"] == "ok" and row["warnings"] == body["warnings"]


async def test_every_operation_denied_is_provider_auth_naming_the_permissions(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        for operation in ("ListFoundationModels", "ListInferenceProfiles", "ListProvisionedModelThroughputs",
                          "ListCustomModels", "ListImportedModels"):  # fmt: skip
            fake.deny(operation)
        aws_environment(monkeypatch, fake)
        response = await get(hub_for(), "/public/bedrock/endpoints")
    assert response.status_code == 502
    assert response.json()["type"] == "urn:hub-core:problem:provider-auth"
    assert "bedrock:List" in response.json()["detail"]


async def test_throttling_on_the_first_call_is_a_retryable_outage(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with fake_bedrock() as fake:
        fake.throttle("ListFoundationModels")
        aws_environment(monkeypatch, fake)
        response = await get(hub_for(discovery_timeout=3), "/public/bedrock/endpoints")
    assert response.status_code == 503
    assert response.json()["type"] == "urn:hub-core:problem:provider-unavailable"
    retried = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert retried and all("ListFoundationModels failed (ThrottlingException" in m for m in retried)
    assert fake.calls("ListFoundationModels") >= 2, "botocore's one retry, then the hub's own"
    assert fake.calls("ListInferenceProfiles") == 0, "a throttled region is not asked for more"


async def test_one_429_is_absorbed_by_botocores_single_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        fake.throttle("ListFoundationModels", times=1)
        aws_environment(monkeypatch, fake)
        response = await get(hub_for(), "/public/bedrock/endpoints")
    assert response.status_code == 200 and response.json()["warnings"] == []
    assert fake.calls("ListFoundationModels") == 2


async def test_an_unknown_access_key_is_provider_auth_naming_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        aws_environment(monkeypatch, fake)
        fake.access_key = "AKIASOMEONEELSE00001"
        response = await get(hub_for(), "/public/bedrock/endpoints")
    assert response.status_code == 502
    problem = response.json()
    assert problem["type"] == "urn:hub-core:problem:provider-auth"
    assert "UnrecognizedClientException" in problem["detail"] and "AWS_ACCESS_KEY_ID" in problem["detail"]
    assert fake.calls("ListInferenceProfiles") == 0, "bad credentials fail the region at the first call"


async def test_a_region_without_credentials_is_provider_auth_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fake_bedrock() as fake:
        monkeypatch.setenv("AWS_REGION", "us-west-2")
        monkeypatch.setenv("BEDROCK_ENDPOINT_URL", fake.url)
        response = await get(hub_for(), "/public/bedrock/endpoints")
    assert response.status_code == 502
    assert "no AWS credentials found" in response.json()["detail"] and "AWS_PROFILE" in response.json()["detail"]
    assert fake.signatures == [] and fake.upstream.requests == []


async def test_no_region_and_no_credentials_is_not_configured_with_the_catalog() -> None:
    hub = hub_for()
    async with app_client(hub) as client:
        providers = await client.get("/public/providers")
        groups = await client.get("/public/model_hub", params={"provider": "bedrock"})
    [row] = [p for p in providers.json() if p["name"] == "bedrock"]
    assert row["status"] == "not_configured"
    assert groups.status_code == 200 and len(groups.json()) > 50
    assert {g["source"] for g in groups.json()} == {"catalog"}


async def test_credentials_without_a_region_is_a_config_error_naming_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    response = await get(hub_for(), "/public/bedrock/endpoints")
    assert response.status_code == 503
    assert response.json()["type"] == "urn:hub-core:problem:provider-config"
    assert "AWS_REGION" in response.json()["detail"] and "BEDROCK_REGIONS" in response.json()["detail"]


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"regions": "us-east-1"}, "must be a list"),
        ({"regions": ["us-east-1", "Frankfurt"]}, "'Frankfurt'"),
        ({"regions": ["us-east-1"], "aws_secret_access_key": SECRET_KEY}, "inline secret"),
        ({"regions": ["us-east-1"], "region": "x"}, "unknown keys"),
        ({"regions": ["us-east-1"], "endpoint_url": "https://user:pw@vpce.example"}, "endpoint_url"),
        ({"regions": ["us-east-1"], "profile": "nowhere"}, "'nowhere' is not in ~/.aws/config"),
    ],
)
async def test_bad_settings_are_config_errors_without_the_value(config: dict[str, Any], words: str) -> None:
    response = await get(hub_for(providers={"bedrock": config}), "/public/bedrock/endpoints")
    assert response.status_code == 503
    assert words in response.json()["detail"]
    assert SECRET_KEY not in response.text


async def test_litellm_deployments_name_the_model_and_region_and_no_credential(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fake_bedrock() as fake:
        aws_environment(monkeypatch, fake)
        response = await get(hub_for(), "/public/bedrock/litellm_model_list")
    assert response.status_code == 200, response.text
    body = response.json()
    params = {d["model_info"]["hub_endpoint"]: d["litellm_params"] for d in body["model_list"]}
    assert params["anthropic.claude-3-5-sonnet-20241022-v2:0"] == {
        "model": "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
        "aws_region_name": "us-east-1",
    }
    assert params["us.anthropic.claude-3-5-sonnet-20241022-v2:0"]["model"] == (
        "bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0"
    )
    assert params["a1b2c3d4e5f6"]["model"].startswith("bedrock/arn:aws:bedrock:us-east-1:123456789012:application")
    assert params["command-pt"]["model"] == "bedrock/cohere.command-text-v14"
    assert params["command-pt"]["model_id"].startswith("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/")
    assert params["llama-3-8b-legal"]["model"].startswith("bedrock/llama/arn:aws:bedrock:")
    assert "claude-pt-new" not in params, "an unavailable throughput is not exported"
    left_out = {item["endpoint"]: item["reason"] for item in body["left_out"]}
    assert "provisioned throughput" in left_out["support-bot-ft"]
    assert SECRET_KEY not in response.text and ACCESS_KEY not in response.text


async def test_check_access_marks_models_the_account_may_not_call(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        fake.access["anthropic.claude-3-5-sonnet-20241022-v2:0"] = {"authorizationStatus": "NOT_AUTHORIZED"}
        fake.access["amazon.titan-embed-text-v2:0"] = {"agreementAvailability": {"status": "PENDING"}}
        aws_environment(monkeypatch, fake)
        hub = hub_for(providers={"bedrock": {"check_access": True}})
        response = await get(hub, "/public/bedrock/endpoints")
    assert response.status_code == 200 and response.json()["warnings"] == []
    names = {e["name"]: e for e in response.json()["endpoints"]}
    claude = names["anthropic.claude-3-5-sonnet-20241022-v2:0"]
    assert claude["available"] is False and "model access has not been granted" in claude["state_reason"]
    assert "agreement is PENDING" in names["amazon.titan-embed-text-v2:0"]["state_reason"]
    assert names["amazon.nova-canvas-v1:0"]["available"] is True
    assert fake.calls("GetFoundationModelAvailability") == 4, "once per on-demand model, not the provisioned-only"
    assert {op for op, _ in fake.replies} >= {"GetFoundationModelAvailability"}


async def test_check_access_denied_leaves_the_models_as_listed_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        fake.deny("GetFoundationModelAvailability")
        aws_environment(monkeypatch, fake)
        monkeypatch.setenv("BEDROCK_CHECK_ACCESS", "true")
        response = await get(hub_for(), "/public/bedrock/endpoints")
    assert response.status_code == 200
    assert response.json()["warnings"] == ["us-east-1: GetFoundationModelAvailability: AccessDeniedException"]
    names = {e["name"]: e for e in response.json()["endpoints"]}
    assert names["anthropic.claude-3-5-sonnet-20241022-v2:0"]["available"] is True


async def test_without_check_access_no_availability_call_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        aws_environment(monkeypatch, fake)
        assert (await get(hub_for(), "/public/bedrock/endpoints")).status_code == 200
    assert fake.calls("GetFoundationModelAvailability") == 0
