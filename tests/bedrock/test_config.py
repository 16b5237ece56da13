"""Targets: regions and profiles, the credential chain's method, botocore sized to fit the hub's deadline."""

from __future__ import annotations

from pathlib import Path

import pytest
from bedrock_fake import ACCESS_KEY, SECRET_KEY, aws_environment, fake_bedrock

import hub_bedrock
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
