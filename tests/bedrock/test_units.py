"""Small pieces of hub-bedrock: ARNs, modes, pagination guards, catalog keys, the log filter."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from hub_bedrock.client import RegionClient
from hub_bedrock.convert import arn_account, arn_resource, mode_of
from hub_bedrock.groups import catalog_entry
from hub_bedrock.logs import FILTER, SECRETS
from hub_core import ProviderError, Redactor
from hub_core.testing import bundled_catalog


@pytest.mark.parametrize(
    ("arn", "account", "resource"),
    [
        ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2:1", None, "anthropic.claude-v2:1"),
        ("arn:aws:bedrock:eu-west-1:123456789012:provisioned-model/abc123", "123456789012", "abc123"),
        (
            "arn:aws-us-gov:bedrock:us-gov-west-1:210987654321:custom-model/amazon.titan/x1",
            "210987654321",
            "amazon.titan/x1",
        ),
        ("not-an-arn", None, None),
        (None, None, None),
    ],
)
def test_arns_give_their_account_and_resource_id(arn: Any, account: str | None, resource: str | None) -> None:
    assert (arn_account(arn), arn_resource(arn)) == (account, resource)


@pytest.mark.parametrize(
    ("modalities", "mode"),
    [
        (["TEXT"], "chat"),
        (["EMBEDDING"], "embedding"),
        (["IMAGE"], "image_generation"),
        (["TEXT", "EMBEDDING"], "embedding"),
        ([], None),
        (None, None),
    ],
)
def test_modes_come_from_output_modalities(modalities: Any, mode: str | None) -> None:
    assert mode_of(modalities) == mode


class Pages:
    """A stand-in botocore client whose list_inference_profiles answers the given pages."""

    def __init__(self, *pages: dict[str, Any]) -> None:
        self.pages: list[dict[str, Any]] = list(pages)
        self.asked: list[dict[str, Any]] = []

    def list_inference_profiles(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs)
        return self.pages.pop(0)


def test_pagination_follows_next_token_and_stops_on_a_repeated_one() -> None:
    client = Pages(
        {"inferenceProfileSummaries": [{"inferenceProfileId": "a"}], "nextToken": "t1"},
        {"inferenceProfileSummaries": [{"inferenceProfileId": "b"}]},
    )
    handle = RegionClient("us-east-1", client, Redactor())
    assert [i["inferenceProfileId"] for i in handle.list_all("ListInferenceProfiles")] == ["a", "b"]
    assert client.asked == [{"maxResults": 100}, {"maxResults": 100, "nextToken": "t1"}]
    looping = RegionClient("us-east-1", Pages({"nextToken": "t"}, {"nextToken": "t"}), Redactor())
    with pytest.raises(ProviderError, match="same nextToken twice"):
        looping.list_all("ListInferenceProfiles")


def test_catalog_lookup_prefers_the_region_key_and_only_bedrock_entries() -> None:
    catalog = bundled_catalog()
    key, entry = catalog_entry(catalog, ["anthropic.claude-v2:1"], "us-east-1") or ("", {})
    assert key == "bedrock/us-east-1/anthropic.claude-v2:1" and entry["litellm_provider"] == "bedrock"
    assert catalog_entry(catalog, ["gpt-4o"], "us-east-1") is None, "an OpenAI entry is not Bedrock's"
    key, _ = catalog_entry(catalog, [None, "amazon.nova-pro-v1:0"], None) or ("", {})
    assert key == "amazon.nova-pro-v1:0"


def test_the_log_filter_scrubs_known_secrets_and_credential_shapes() -> None:
    SECRETS.add("a-known-secret-value-0123")
    record = logging.LogRecord(
        "botocore.endpoint", logging.DEBUG, __file__, 1,
        "Sending %s headers={'X-Amz-Security-Token': b'IQoJfresh+token=='} body=%r",
        ("request", "<SecretAccessKey>new/secret</SecretAccessKey> a-known-secret-value-0123"), None,
    )  # fmt: skip
    assert FILTER.filter(record) is True
    message = record.getMessage()
    assert "IQoJfresh" not in message and "new/secret" not in message and "a-known-secret" not in message
    assert message.startswith("Sending request headers=")


async def test_a_discovery_survives_the_shared_caches_codec_with_the_same_groups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With HUB_REDIS_URL another replica converts what this one discovered: raw (botocore datetimes and all)."""
    from bedrock_fake import aws_environment, fake_bedrock

    import hub_bedrock
    from hub_core.hub import DiscoveryCodec

    with fake_bedrock() as fake:
        fake.deny("ListImportedModels")
        aws_environment(monkeypatch, fake)
        [target] = hub_bedrock.configured_targets(config={})
        found = hub_bedrock.discover_endpoints(target=target)
    codec = DiscoveryCodec()
    again = codec.decode(codec.encode(found))
    assert again.warnings == found.warnings == ["ListImportedModels: AccessDeniedException"]
    catalog = bundled_catalog()
    before = [hub_bedrock.to_model_group(endpoint=e, catalog=catalog).model_dump() for e in found.endpoints]
    after = [hub_bedrock.to_model_group(endpoint=e, catalog=catalog).model_dump() for e in again.endpoints]
    assert after == before and any(g["cost_per_hour"] for g in after)
