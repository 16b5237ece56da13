"""Which regions, which profile and which endpoint URL: from ``[providers.bedrock]`` and the environment."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub_core import ProviderConfigError

PROVIDER = "bedrock"
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
URL = re.compile(r"^https?://[^/@?#\s]+/?$")
KNOWN_KEYS = {"regions", "endpoint_url", "profile", "check_access", "accounts", "own_account", "sts_endpoint_url"}
ACCOUNT_KEYS = {"name", "role_arn", "external_id", "regions"}
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/[\w+=,.@/-]{1,512}$")
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Account:
    """Another AWS account, reached by assuming a role in it with the hub's own credentials."""

    name: str
    role_arn: str
    external_id: str | None = None
    regions: tuple[str, ...] = ()

    @property
    def account_id(self) -> str:
        match = ROLE_ARN.match(self.role_arn)
        return match["account"] if match else ""


@dataclass(frozen=True)
class Settings:
    """What the plugin was told: regions (maybe none yet), a named profile, an endpoint override."""

    regions: tuple[str, ...]
    profile: str | None
    endpoint_url: str | None
    check_access: bool = False  # ask GetFoundationModelAvailability for each on-demand model
    accounts: tuple[Account, ...] = ()
    own_account: bool = True  # list the hub's own identity's regions too, besides the accounts'
    sts_endpoint_url: str | None = None


def _fail(message: str) -> ProviderConfigError:
    return ProviderConfigError(f"Amazon Bedrock: {message} See docs/bedrock.md.", provider=PROVIDER)


def _regions(config: Mapping[str, Any], where: str = "[providers.bedrock] regions") -> tuple[str, ...]:
    listed: Any = config.get("regions")
    if listed is None and os.environ.get("BEDROCK_REGIONS", "").strip():
        listed, where = [r.strip() for r in os.environ["BEDROCK_REGIONS"].split(",") if r.strip()], "BEDROCK_REGIONS"
    if listed is None:
        single = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        listed, where = ([single.strip()] if single and single.strip() else []), "AWS_REGION"
    if not isinstance(listed, list) or not all(isinstance(r, str) for r in listed):
        raise _fail(f"{where} must be a list of region names such as ['us-east-1', 'eu-west-1'].")
    bad = [r for r in listed if not REGION.match(r)]
    if bad:
        raise _fail(f"{where} holds {bad!r}, which is not a region name such as 'us-east-1'.")
    return tuple(dict.fromkeys(listed))  # in order, without repeats


def read_settings(config: Mapping[str, Any]) -> Settings:
    """The settings, checked; credentials are never read from here (botocore's chain finds them)."""
    unknown = set(config) - KNOWN_KEYS
    if any(re.search("key|token|secret|password", k, re.I) for k in unknown):
        raise _fail("[providers.bedrock] holds an inline secret; use the AWS credential chain (env, profile, role).")
    if unknown:
        raise _fail(f"[providers.bedrock] has unknown keys {sorted(unknown)}; known are {sorted(KNOWN_KEYS)}.")
    profile = config.get("profile") or os.environ.get("BEDROCK_PROFILE") or None
    if profile is not None and (not isinstance(profile, str) or not re.match(r"^[\w.@+-]{1,128}$", profile)):
        raise _fail("[providers.bedrock] profile must be the name of a profile in ~/.aws/config.")
    endpoint_url = config.get("endpoint_url") or os.environ.get("BEDROCK_ENDPOINT_URL") or None
    if endpoint_url is not None and (not isinstance(endpoint_url, str) or not URL.match(endpoint_url)):
        raise _fail("endpoint_url must be an http(s) URL with no path, user or query, e.g. https://vpce-....")
    check: Any = config.get("check_access", os.environ.get("BEDROCK_CHECK_ACCESS", "false").lower() in ("1", "true"))
    own: Any = config.get("own_account", True)
    if not isinstance(check, bool) or not isinstance(own, bool):
        raise _fail("[providers.bedrock] check_access and own_account must be true or false.")
    sts: Any = config.get("sts_endpoint_url")
    if sts is not None and (not isinstance(sts, str) or not URL.match(sts)):
        raise _fail("sts_endpoint_url must be an http(s) URL with no path, user or query.")
    return Settings(
        _regions(config),
        profile,
        endpoint_url.rstrip("/") if endpoint_url else None,
        check,
        _accounts(config.get("accounts", [])),
        own,
        sts.rstrip("/") if sts else None,
    )


def _accounts(tables: Any) -> tuple[Account, ...]:
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise _fail("[[providers.bedrock.accounts]] must be an array of tables.")
    accounts = []
    for index, table in enumerate(tables):
        where = f"[[providers.bedrock.accounts]] #{index + 1}"
        if set(table) - ACCOUNT_KEYS:
            raise _fail(
                f"{where} has unknown keys {sorted(set(table) - ACCOUNT_KEYS)}; known are {sorted(ACCOUNT_KEYS)}."
            )
        name, role, external = table.get("name"), table.get("role_arn"), table.get("external_id")
        if not isinstance(name, str) or not NAME.match(name):
            raise _fail(f"{where} needs a name of letters, digits, '_', '.' or '-'.")
        if not isinstance(role, str) or not ROLE_ARN.match(role):
            raise _fail(f"{where} ({name}) needs role_arn = 'arn:aws:iam::<12-digit account>:role/<name>'.")
        if external is not None and not isinstance(external, str):
            raise _fail(f"{where} ({name}): external_id must be a string.")
        regions = _regions(table, f"{where} regions") if "regions" in table else ()
        accounts.append(Account(name, role, external, regions))
    if len({a.name for a in accounts}) != len(accounts):
        raise _fail("two [[providers.bedrock.accounts]] share a name; give each its own.")
    return tuple(accounts)


def discovery_timeout() -> float:
    """The hub's deadline for one refresh (``HUB_DISCOVERY_TIMEOUT``), so botocore's timeouts fit inside it."""
    try:
        value = float(os.environ.get("HUB_DISCOVERY_TIMEOUT", "10"))
    except ValueError:
        return 10.0
    return value if value > 0 else 10.0
