"""Targets: regions and profiles, the credential chain's method, botocore sized to fit the hub's deadline."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from bedrock_fake import ACCESS_KEY, SECRET_KEY, aws_environment, fake_bedrock, fake_sts

import hub_bedrock
from hub_core import ProviderConfigError
from hub_core.testing import app_client, make_hub


def test_one_target_per_region_without_repeats_and_no_secret_in_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("BEDROCK_REGIONS", "us-east-1, eu-west-1,us-east-1")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")  # BEDROCK_REGIONS wins
    targets = hub_bedrock.configured_targets(config={})
    assert [t.name for t in targets] == ["us-east-1", "eu-west-1"]
    assert [t.url for t in targets] == [
        "https://bedrock.us-east-1.amazonaws.com",
        "https://bedrock.eu-west-1.amazonaws.com",
    ]
    assert {t.auth_method for t in targets} == {"aws:env"}
    for target in targets:
        assert SECRET_KEY not in repr(target) and SECRET_KEY not in target.model_dump_json()
        assert target.handle.client.meta.region_name == target.name


def test_toml_regions_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("BEDROCK_REGIONS", "us-east-1")
    assert [t.name for t in hub_bedrock.configured_targets(config={"regions": ["eu-central-1"]})] == ["eu-central-1"]


@pytest.mark.parametrize(("deadline", "connect", "read"), [("10", 2.0, 2.5), ("4", 0.8, 1.0), ("30", 3.0, 7.5)])
def test_botocore_retries_once_and_both_attempts_fit_in_the_deadline(
    monkeypatch: pytest.MonkeyPatch, deadline: str, connect: float, read: float
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("HUB_DISCOVERY_TIMEOUT", deadline)
    [target] = hub_bedrock.configured_targets(config={"regions": ["us-east-1"]})
    config = target.handle.client.meta.config
    assert config.retries == {"total_max_attempts": 2, "mode": "standard"}, "one try and one retry"
    assert (config.connect_timeout, config.read_timeout) == (connect, read)
    assert 2 * (config.connect_timeout + config.read_timeout) < float(deadline)


async def test_a_slow_region_times_out_inside_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        fake.delay = 2.0  # longer than the 1 s read timeout a 4 s deadline gives
        aws_environment(monkeypatch, fake)
        monkeypatch.setenv("HUB_DISCOVERY_TIMEOUT", "4")
        async with app_client(make_hub({"bedrock": hub_bedrock}, discovery_timeout=4)) as client:
            response = await client.get("/public/bedrock/endpoints")
    assert response.status_code == 503
    assert response.json()["type"] == "urn:hub-core:problem:provider-unavailable"


async def test_a_profile_in_the_shared_files_is_used_and_named_in_the_litellm_params(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    credentials, config = tmp_path / "credentials", tmp_path / "config"
    credentials.write_text(f"[reader]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    config.write_text("[profile reader]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with fake_bedrock() as fake:
        settings = {"profile": "reader", "endpoint_url": fake.url}  # the profile's region: no region setting
        hub = make_hub({"bedrock": hub_bedrock}, providers={"bedrock": settings}, discovery_timeout=5)
        async with app_client(hub) as client:
            providers = await client.get("/public/providers")
            export = await client.get("/public/bedrock/litellm_model_list")
    [row] = [p for p in providers.json() if p["name"] == "bedrock"]
    assert row["targets"] == ["eu-west-1"]
    assert {s.region for s in fake.signatures} == {"eu-west-1"} and all(s.verified for s in fake.signatures)
    params = {d["model_info"]["hub_endpoint"]: d["litellm_params"] for d in export.json()["model_list"]}
    assert params["amazon.titan-embed-text-v2:0"] == {
        "model": "bedrock/amazon.titan-embed-text-v2:0",
        "aws_region_name": "eu-west-1",
        "aws_profile_name": "reader",
    }
    assert SECRET_KEY not in providers.text and SECRET_KEY not in export.text


async def test_accounts_are_reached_through_an_assumed_role(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # botocore logs the STS reply, keys and all, at DEBUG
    with fake_bedrock() as fake, fake_sts(fake) as sts:
        aws_environment(monkeypatch, fake)
        settings = {
            "own_account": False,
            "sts_endpoint_url": sts.url,
            "accounts": [
                {"name": "prod", "role_arn": "arn:aws:iam::111122223333:role/hub-reader", "external_id": "hub-1"},
                {"name": "dev", "role_arn": "arn:aws:iam::444455556666:role/hub-reader", "regions": ["eu-west-1"]},
            ],
        }
        hub = make_hub({"bedrock": hub_bedrock}, providers={"bedrock": settings}, discovery_timeout=5)
        async with app_client(hub) as client:
            endpoints = await client.get("/public/bedrock/endpoints")
            groups = await client.get("/public/model_hub", params={"provider": "bedrock"})
            export = await client.get("/public/bedrock/litellm_model_list")
    assert endpoints.status_code == 200, endpoints.text
    assert {(f["RoleArn"], f.get("ExternalId")) for f in sts.assumed} == {
        ("arn:aws:iam::111122223333:role/hub-reader", "hub-1"),
        ("arn:aws:iam::444455556666:role/hub-reader", None),
    }
    assert {s.access_key[:15] for s in fake.signatures} == {"ASIAFAKEASSUMED"}, "only assumed keys call Bedrock"
    assert all(s.verified for s in fake.signatures)
    claude = {g["model_group"]: g for g in groups.json()}["bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"]
    assert sorted((d["target"], d["account"]) for d in claude["deployments"]) == [
        ("dev/eu-west-1", "444455556666"),
        ("prod/us-east-1", "111122223333"),
    ]
    params = [
        d["litellm_params"] for d in export.json()["model_list"] if d["model_info"]["hub_target"] == "prod/us-east-1"
    ]
    assert params[0]["aws_role_name"] == "arn:aws:iam::111122223333:role/hub-reader"
    secrets = [secret for secret, _ in fake.sessions.values()] + [token for _, token in fake.sessions.values()]
    for text in (endpoints.text, groups.text, export.text, caplog.text):
        assert not any(secret in text for secret in secrets)
    assert "<SecretAccessKey>[REDACTED]" in caplog.text, "botocore's DEBUG line was there, scrubbed"


@pytest.mark.parametrize(
    ("accounts", "words"),
    [
        ([{"name": "prod"}], "needs role_arn"),
        ([{"name": "prod", "role_arn": "arn:aws:iam::1:role/x"}], "needs role_arn"),
        ([{"name": "a b", "role_arn": "arn:aws:iam::111122223333:role/x"}], "needs a name"),
        ([{"name": "p", "role_arn": "arn:aws:iam::111122223333:role/x", "secret": "s"}], "unknown keys"),
    ],
)
def test_bad_accounts_are_config_errors(accounts: list[dict[str, str]], words: str) -> None:
    with pytest.raises(ProviderConfigError, match=words):
        hub_bedrock.configured_targets(config={"regions": ["us-east-1"], "accounts": accounts})


async def test_a_role_sts_refuses_is_provider_auth_for_that_account_only(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = "arn:aws:iam::444455556666:role/hub-reader"
    with fake_bedrock() as fake, fake_sts(fake) as sts:
        sts.refused.add(refused)
        aws_environment(monkeypatch, fake)
        settings = {"sts_endpoint_url": sts.url, "accounts": [{"name": "dev", "role_arn": refused}]}
        hub = make_hub({"bedrock": hub_bedrock}, providers={"bedrock": settings}, discovery_timeout=5)
        async with app_client(hub) as client:
            endpoints = await client.get("/public/bedrock/endpoints")
    assert endpoints.status_code == 200, "the hub's own account still answers"
    body = endpoints.json()
    assert {e["target"] for e in body["endpoints"]} == {"us-east-1"}
    [error] = body["errors"]
    assert "dev/us-east-1" in error and "could not assume" in error and "sts:AssumeRole" in error


async def test_a_region_added_later_is_picked_up_and_the_old_client_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        aws_environment(monkeypatch, fake, regions="us-east-1")
        hub = make_hub({"bedrock": hub_bedrock}, discovery_timeout=5)
        async with app_client(hub) as client:
            [before] = await hub.targets("bedrock")
            monkeypatch.setenv("BEDROCK_REGIONS", "us-east-1,eu-west-1")
            after = await hub.reload_targets("bedrock")
            endpoints = await client.get("/public/bedrock/endpoints")
    assert [t.name for t in after] == ["us-east-1", "eu-west-1"]
    assert after[0].handle is before.handle, "an unchanged region keeps its botocore client"
    assert {e["region"] for e in endpoints.json()["endpoints"]} == {"us-east-1", "eu-west-1"}


def test_a_bedrock_api_key_alone_is_a_target_whose_auth_names_it_and_not_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKQmVkcm9ja0FQSUtleS1mYWtl0123456789")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    [target] = hub_bedrock.configured_targets(config={})
    assert (target.name, target.auth_method) == ("us-west-2", "aws:bedrock-api-key")
    assert "ABSK" not in repr(target) and "ABSK" not in target.model_dump_json()
    assert target.handle.redactor.redact("echo ABSKQmVkcm9ja0FQSUtleS1mYWtl0123456789") == "echo [REDACTED]"
