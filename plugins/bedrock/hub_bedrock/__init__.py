"""hub-bedrock: Amazon Bedrock's models, inference profiles and provisioned throughputs, per region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub_core import Discovery, Endpoint, ModelGroup, ProviderConfigError, ProviderInfo, Target, hookimpl

__version__ = "0.1.0"
PROVIDER = "bedrock"
SETTINGS = [
    "[providers.bedrock] regions / BEDROCK_REGIONS / AWS_REGION",
    "[providers.bedrock] profile / BEDROCK_PROFILE / AWS_PROFILE",
    "[providers.bedrock] endpoint_url / BEDROCK_ENDPOINT_URL",
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
    )


@hookimpl
def configured_targets(config: Mapping[str, Any]) -> list[Target]:
    """One target per region; none when neither a region nor credentials are found (catalog fallback)."""
    from hub_bedrock.client import RegionClient, credentials_of, session
    from hub_bedrock.config import read_settings

    settings = read_settings(config)
    aws = session(settings)
    credentials = credentials_of(aws, settings)
    regions = settings.regions or tuple(filter(None, [aws.get_config_variable("region")]))  # the profile's
    if not regions:
        if credentials is None:
            return []
        raise ProviderConfigError(
            "Amazon Bedrock: AWS credentials were found but no region; set [providers.bedrock] regions, "
            "BEDROCK_REGIONS or AWS_REGION.",
            provider=PROVIDER,
        )
    method = getattr(credentials, "method", None) if credentials is not None else None
    return [
        Target(
            name=region,
            url=settings.endpoint_url or f"https://bedrock.{region}.amazonaws.com",
            auth_method=f"aws:{method or 'none'}",
            handle=RegionClient.create(aws, region, settings, credentials),
        )
        for region in regions
    ]


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
