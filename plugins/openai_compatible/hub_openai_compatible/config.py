"""Servers from ``OPENAI_COMPATIBLE_BASE_URL`` and ``[[providers.openai_compatible.servers]]``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from hub_core import ProviderConfigError, Redactor

PROVIDER = "openai_compatible"
KEYS = {"name", "base_url", "api_key_env", "ollama", "catalog_prefixes", "timeout"}
NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass
class Server:
    name: str
    base_url: str  # without a trailing "/v1"
    api_key: str | None = field(default=None, repr=False)
    ollama: bool = False
    catalog_prefixes: list[str] = field(default_factory=list)
    timeout: float = 10.0

    @property
    def redactor(self) -> Redactor:
        return Redactor(self.api_key)


def _fail(message: str) -> ProviderConfigError:
    return ProviderConfigError(f"OpenAI-compatible servers: {message}", provider=PROVIDER)


def _server(table: Mapping[str, Any], where: str) -> Server:
    unknown = sorted(set(table) - KEYS)
    if any(re.search("key|token|secret|password", k, re.I) for k in unknown):
        raise _fail(f"{where} holds an inline secret; put the key in an environment variable and name it in api_key_env.")
    if unknown:
        raise _fail(f"{where} has unknown keys {unknown}; allowed: {sorted(KEYS)}.")
    name, url = table.get("name"), table.get("base_url")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise _fail(f"{where} needs a name of letters, digits, '_', '.' or '-' (at most 64).")
    parts = urlsplit(url if isinstance(url, str) else "")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query:
        raise _fail(f"server {name!r} needs a base_url like http://gpu1:8000 (no credentials or query in it).")
    key_env, key = table.get("api_key_env"), None
    if key_env is not None:
        key = os.environ.get(key_env) if isinstance(key_env, str) else None
        if not key:
            raise _fail(f"server {name!r}: api_key_env names {key_env!r}, which is not set.")
    prefixes = table.get("catalog_prefixes", ["ollama"] if table.get("ollama") else [])
    if not isinstance(prefixes, list) or not all(isinstance(p, str) and p for p in prefixes):
        raise _fail(f"server {name!r}: catalog_prefixes must be a list of catalog provider names, e.g. ['ollama'].")
    timeout = table.get("timeout", 10.0)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 120:
        raise _fail(f"server {name!r}: timeout must be a number of seconds between 0 and 120.")
    base = re.sub(r"/v1$", "", url.rstrip("/")).rstrip("/")  # type: ignore[union-attr]
    return Server(name, base, key, table.get("ollama") is True, prefixes, float(timeout))


def from_environment() -> list[dict[str, Any]]:
    """``OPENAI_COMPATIBLE_BASE_URL`` as one URL (server ``default``) or ``name=url`` pairs, comma-separated."""
    value = os.environ.get("OPENAI_COMPATIBLE_BASE_URL", "").strip()
    if not value:
        return []
    pairs = [p.strip() for p in value.split(",") if p.strip()]
    tables = [dict(zip(("name", "base_url"), p.split("=", 1))) if "=" in p else {"base_url": p} for p in pairs]
    for table in tables:
        table.setdefault("name", "default")
        suffix = "" if table["name"] == "default" else re.sub(r"\W", "_", table["name"]).upper() + "_"
        if os.environ.get(key_env := f"OPENAI_COMPATIBLE_{suffix}API_KEY"):
            table["api_key_env"] = key_env
    return tables


def resolve_servers(config: Mapping[str, Any]) -> list[Server]:
    tables = config.get("servers", [])
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise _fail("[[providers.openai_compatible.servers]] must be an array of tables.")
    servers = [_server(t, f"servers[{i}]") for i, t in enumerate(tables)]
    servers += [_server(t, "OPENAI_COMPATIBLE_BASE_URL") for t in from_environment()]
    names = [s.name for s in servers]
    if len(set(names)) != len(names):
        raise _fail(f"two servers share a name in {names}; give each a unique name.")
    return servers
