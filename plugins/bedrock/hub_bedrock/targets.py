"""The provider's targets: each region of the hub's own identity, and each region of each assumed account."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from hub_bedrock.client import RegionClient, credentials_of, session
from hub_bedrock.config import PROVIDER, Account, Settings, read_settings
from hub_bedrock.roles import assumed_session
from hub_core import ProviderConfigError, Target


def targets(config: Mapping[str, Any]) -> list[Target]:
    settings = read_settings(config)
    aws = session(settings)
    credentials = credentials_of(aws, settings)
    regions = settings.regions or tuple(filter(None, [aws.get_config_variable("region")]))  # the profile's
    if not regions and not any(a.regions for a in settings.accounts):
        if credentials is None and not settings.accounts:
            return []  # not configured: the hub serves the catalog
        raise ProviderConfigError(
            "Amazon Bedrock: AWS credentials were found but no region; set [providers.bedrock] regions, "
            "BEDROCK_REGIONS or AWS_REGION.",
            provider=PROVIDER,
        )
    method = getattr(credentials, "method", None) if credentials is not None else None
    if method is None and os.environ.get("AWS_BEARER_TOKEN_BEDROCK"):
        method = "bedrock-api-key"  # botocore sends it as a bearer token (over https only)
    found = []
    if settings.own_account or not settings.accounts:
        found += [_target(region, region, f"aws:{method or 'none'}", aws, settings, credentials) for region in regions]
    for account in settings.accounts:
        assumed = assumed_session(aws, credentials, account, settings, (account.regions or regions)[0])
        found += [
            _target(f"{account.name}/{region}", region, "aws:assume-role", assumed, settings, None, account)
            for region in account.regions or regions
        ]
    return found


def _target(
    name: str, region: str, auth: str, aws: Any, settings: Settings, credentials: Any, account: Account | None = None
) -> Target:
    handle = RegionClient.create(aws, region, settings, credentials, account)
    url = settings.endpoint_url or f"https://bedrock.{region}.amazonaws.com"
    return Target(name=name, url=url, auth_method=auth, handle=handle)
