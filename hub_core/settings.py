"""Hub settings: ``HUB_*`` environment variables, then the TOML file named by ``HUB_CONFIG``.

Precedence (highest first): keyword arguments, environment, the TOML file, defaults.
The TOML file holds hub settings at its top level (without the ``HUB_`` prefix)
and one ``[providers.<name>]`` table per provider.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class SettingsError(ValueError):
    """The hub's settings cannot be read; the message says which and why."""


class _NamedEnvSource(EnvSettingsSource):
    """The environment source, with a parse error that names the variable and what to set instead."""

    def __call__(self) -> dict[str, Any]:
        try:
            return super().__call__()
        except ValueError as error:
            found = re.search(r'field "(\w+)"', str(error))
            name = f"HUB_{found.group(1).upper()}" if found else "A HUB_* variable"
            raise SettingsError(
                f"{name} cannot be parsed: it takes JSON (for example HUB_PROVIDERS='{{\"databricks\": {{}}}}'). "
                "Fix or unset it, or move the value into the TOML file named by HUB_CONFIG."
            ) from None


def _split(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore", validate_default=True)

    config: Path | None = Field(default=None, description="TOML file with settings and providers.")
    load_plugins: str | None = Field(
        default=None, description="Allowlist of plugin names, comma-separated; empty loads none."
    )
    disable_plugins: str = Field(default="", description="Blocklist of plugin names, comma-separated.")
    strict_plugins: bool = Field(default=False, description="Make a plugin that fails to load fatal.")
    log_level: str = "INFO"
    gzip_min_bytes: int = Field(
        default=1024, ge=0, description="Gzip response bodies of at least this many bytes, when the client accepts it."
    )
    log_format: str = Field(default="text", description="Log lines as 'text' or 'json' (one object per line).")
    catalog_path: Path | None = Field(default=None, description="Replace the bundled catalog.")
    discovery_timeout: float = Field(default=10.0, gt=0, description="Seconds one refresh may take.")
    targets_ttl: float = Field(
        default=300.0, ge=0, description="Re-read each provider's targets this often, in seconds; 0 reads them once."
    )
    provider_threads: int = Field(
        default=4, ge=1, le=64, description="Threads per provider for its blocking hookimpls (SDK calls)."
    )
    cache_ttl: float = Field(default=300.0, ge=0)
    stale_ttl: float = Field(default=3600.0, ge=0)
    refresh_ahead: float = Field(
        default=0.0, ge=0, description="Refresh this many seconds before a cached list goes stale."
    )
    redis_url: SecretStr | None = None
    redis_signing_key: SecretStr | None = Field(
        default=None,
        description="Sign shared-cache entries with this key (HMAC-SHA256); unsigned or mis-signed ones are ignored.",
    )
    api_keys: SecretStr | None = Field(
        default=None,
        description="Hub API keys, comma-separated or @/path/to/file (one per line); set to require a bearer key.",
    )
    require_key_for_model_hub: bool = Field(
        default=False, description="With HUB_API_KEYS set, require a key for the model hub too."
    )
    max_request_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest request body a hub route accepts, in bytes; a larger one is 413, unread.",
    )
    otel: bool = Field(
        default=False,
        description="Trace discoveries and requests with OpenTelemetry (needs the hub-core[otel] extra).",
    )
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        env = _NamedEnvSource(settings_cls) if isinstance(env_settings, EnvSettingsSource) else env_settings
        sources: list[PydanticBaseSettingsSource] = [init_settings, env]
        # HubSettings(config=...) names the TOML file as HUB_CONFIG does, and wins over it.
        given = getattr(init_settings, "init_kwargs", {}).get("config")
        toml_path = str(given) if given else os.environ.get("HUB_CONFIG")
        if toml_path:
            if not Path(toml_path).is_file():
                where = "HubSettings(config=...)" if given else "HUB_CONFIG"
                raise SettingsError(f"{where} names {toml_path!r}, which is not a readable file.")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)

    @model_validator(mode="after")
    def _refresh_ahead_inside_ttl(self) -> HubSettings:
        if self.refresh_ahead and self.refresh_ahead >= self.cache_ttl:
            raise ValueError(
                f"HUB_REFRESH_AHEAD ({self.refresh_ahead:g} s) must be shorter than HUB_CACHE_TTL "
                f"({self.cache_ttl:g} s): it is how long before a list goes stale to refresh it"
            )
        return self

    @property
    def plugin_allowlist(self) -> set[str] | None:
        """None means every installed plugin; an empty set means none."""
        return None if self.load_plugins is None else set(_split(self.load_plugins))

    @property
    def plugin_blocklist(self) -> set[str]:
        return set(_split(self.disable_plugins))

    def provider_config(self, provider: str) -> dict[str, Any]:
        return dict(self.providers.get(provider, {}))
