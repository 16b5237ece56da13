"""hub-bedrock: Amazon Bedrock's models, inference profiles and provisioned throughputs, per region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub_core import Discovery, Endpoint, ModelGroup, ProviderInfo, Target, hookimpl

__version__ = "0.1.0"
PROVIDER = "bedrock"
SETTINGS = [
    "[providers.bedrock] regions / BEDROCK_REGIONS / AWS_REGION",
    "[providers.bedrock] profile / BEDROCK_PROFILE / AWS_PROFILE",
    "[providers.bedrock] endpoint_url / BEDROCK_ENDPOINT_URL",
    "[providers.bedrock] check_access / BEDROCK_CHECK_ACCESS",
    "[[providers.bedrock.accounts]] name, role_arn, external_id, regions",
    "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (or any source of the AWS credential chain)",
]


@hookimpl
def provider_info() -> ProviderInfo:
    return ProviderInfo(
        display_name="Amazon Bedrock",
        description="Foundation models, inference profiles, provisioned throughputs, custom and imported models.",
        homepage="https://aws.amazon.com/bedrock/",
        settings=SETTINGS,
        catalog_providers=["bedrock", "bedrock_converse"],
        catalog_exclude=["*/*/*"],  # LiteLLM's price variants per region, data zone or commitment
    )


@hookimpl
def configured_targets(config: Mapping[str, Any]) -> list[Target]:
    """One target per region (and per assumed account); none when neither a region nor credentials are found."""
    from hub_bedrock.targets import targets

    return targets(config)


@hookimpl
def discover_endpoints(target: Target) -> Discovery:
    """Blocking botocore calls: a plain def, so the hub runs it on this provider's own threads."""
    from hub_bedrock.discover import discover

    return discover(target)


@hookimpl
def to_model_group(endpoint: Endpoint, catalog: Any) -> ModelGroup:
    from hub_bedrock.groups import model_group

    return model_group(endpoint, catalog)


@hookimpl
def litellm_params(endpoint: Endpoint, target: Target) -> dict[str, Any] | None:
    from hub_bedrock.groups import litellm_params as params

    return params(endpoint, target)
