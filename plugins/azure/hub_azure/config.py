"""``[providers.azure]`` and ``AZURE_*``: which subscriptions or accounts to list, and how to reach ARM."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub_core import ProviderConfigError

PROVIDER = "azure"
DEFAULT_ARM = "https://management.azure.com"
# The newest GA (non-preview) Microsoft.CognitiveServices version whose accounts and deployments
# carry every field the plugin reads (kind, location, properties.endpoint(s), sku, model.format/
# name/version, provisioningState, capabilities, systemData). Preview versions can change shape.
DEFAULT_API_VERSION = "2024-10-01"
# The data-plane (inference) GA version LiteLLM is told to call with.
DEFAULT_INFERENCE_API_VERSION = "2024-10-21"
GUID = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
PTU_SKUS = frozenset({"ProvisionedManaged", "GlobalProvisionedManaged", "DataZoneProvisionedManaged"})


class Account(BaseModel):
    """One Cognitive Services account (an Azure OpenAI or AI Foundry resource) to list on its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    subscription: str | None = Field(default=None, pattern=GUID)
    resource_group: str = Field(pattern=r"^[-\w.()]{1,90}$")
    account: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="target name")
    api_key_env: str | None = Field(default=None, pattern=ENV_NAME)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    subscriptions: list[str] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    arm_endpoint: str = DEFAULT_ARM
    api_version: str = Field(default=DEFAULT_API_VERSION, pattern=r"^\d{4}-\d{2}-\d{2}(-preview)?$")
    inference_api_version: str = Field(default=DEFAULT_INFERENCE_API_VERSION, pattern=r"^\d{4}-\d{2}-\d{2}(-preview)?$")
    credential: Literal["auto", "default", "client_secret", "managed_identity"] = "auto"
    managed_identity_client_id: str | None = Field(default=None, pattern=GUID)
    authority_host: str | None = None
    ca_bundle: str | None = Field(default=None, description="PEM file of CAs to trust for ARM and Entra ID")
    litellm_auth: Literal["api_key", "entra"] = "api_key"
    api_key_env: str = Field(default="AZURE_API_KEY", pattern=ENV_NAME)
    ptu_hourly_price: dict[str, float] = Field(default_factory=dict, description="USD per PTU-hour, per SKU")
    timeout: float = Field(default=10.0, gt=0, le=120)
    max_concurrency: int = Field(default=8, ge=1, le=64)

    @field_validator("subscriptions")
    @classmethod
    def _guids(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.match(GUID, value):
                raise ValueError(f"{value!r} is not a subscription id (a GUID)")
        return values

    @field_validator("arm_endpoint", "authority_host")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.username or parts.password or parts.query or parts.fragment or not parts.hostname:
            raise ValueError("must be a plain URL without credentials, query or fragment")
        if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
            raise ValueError("must be https (plain http only to a loopback address, for tests)")
        return value.rstrip("/")

    @field_validator("ca_bundle")
    @classmethod
    def _readable(cls, value: str | None) -> str | None:
        if value is not None and not os.access(value, os.R_OK):
            raise ValueError("must name a readable PEM file")
        return value

    @field_validator("ptu_hourly_price")
    @classmethod
    def _ptu_skus(cls, prices: dict[str, float]) -> dict[str, float]:
        for sku, price in prices.items():
            if sku not in PTU_SKUS or price < 0:
                raise ValueError(f"keys must be PTU SKUs ({', '.join(sorted(PTU_SKUS))}) and prices >= 0")
        return prices


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fail(message: str) -> ProviderConfigError:
    return ProviderConfigError(f"Azure: {message} See docs/azure.md.", provider=PROVIDER)


def read_settings(config: Mapping[str, Any]) -> Settings:
    """The validated table, with ``AZURE_SUBSCRIPTION_ID`` added when no subscription is listed."""
    table = dict(config)
    if any(re.search("secret|password|token|key$", k, re.I) for k in table if k != "api_key_env"):
        raise fail("[providers.azure] holds what looks like an inline secret; use AZURE_CLIENT_SECRET instead.")
    env_subscription = os.environ.get("AZURE_SUBSCRIPTION_ID", "").strip()
    if not table.get("subscriptions") and env_subscription:
        table["subscriptions"] = [env_subscription]
    try:
        settings = Settings.model_validate(table)
    except ValidationError as error:  # messages without the input values
        faults = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_input=False))
        raise fail(f"[providers.azure]: {faults}.") from None
    if len(set(settings.subscriptions)) != len(settings.subscriptions):
        raise fail("a subscription is listed twice in [providers.azure] subscriptions.")
    return settings


def account_subscription(settings: Settings, account: Account) -> str:
    """The account's own subscription, or the only one configured."""
    if account.subscription:
        return account.subscription
    if len(settings.subscriptions) == 1:
        return settings.subscriptions[0]
    raise fail(f"account {account.account!r} names no subscription, and there is not exactly one to default to.")
