"""Which Databricks workspaces to discover, and how to authenticate to each.

Sources, highest first:
1. ``[[providers.databricks.workspaces]]`` tables in the hub's TOML file. When present,
   they are the whole list and the ``DATABRICKS_*`` environment variables are ignored.
2. The environment, for one workspace named ``default``.

Each workspace uses exactly one auth method. Set it with ``auth`` (TOML) or
``HUB_DATABRICKS_AUTH`` (environment); otherwise it is detected, and finding two is
an error, never a silent pick.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr, TypeAdapter, ValidationError

from hub_core import ProviderConfigError, secret_from_env

logger = logging.getLogger("hub_databricks.config")

AuthMethod = Literal["pat", "oauth-m2m", "sdk"]
AUTH_METHODS: tuple[str, ...] = ("pat", "oauth-m2m", "sdk")
PROVIDER = "databricks"
WORKSPACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
HOST_PATTERN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(:\d{1,5})?$")
INLINE_SECRET_KEYS = ("token", "api_key", "client_secret", "password")
DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024
# The list API is not paginated: a workspace's whole list is one body, so the body limit follows the
# endpoint limit. Real endpoints take about 1 KB of JSON each; 4 KiB leaves room for rich ones.
BYTES_PER_ENDPOINT = 4096
# 5x Databricks' default quota of 1,000 serving endpoints per workspace, and the size the hub is
# benchmarked at; about 80 MB of memory (see docs/benchmarks.md). A longer list is a provider error.
DEFAULT_MAX_ENDPOINTS = 5000

SETTINGS = [
    "DATABRICKS_HOST",
    "DATABRICKS_TOKEN",
    "DATABRICKS_API_BASE",
    "DATABRICKS_API_KEY",
    "DATABRICKS_CLIENT_ID",
    "DATABRICKS_CLIENT_SECRET",
    "DATABRICKS_CONFIG_PROFILE",
    "HUB_DATABRICKS_AUTH",
    "HUB_DATABRICKS_MAX_RESPONSE_BYTES",
    "HUB_DATABRICKS_MAX_ENDPOINTS",
    "HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS",
    "HUB_DATABRICKS_CALLER_HOST_SUFFIXES",
    "[providers.databricks] workspaces",
]
# Hub settings until the plugin owned them: still read, with a warning, until the next release.
DEPRECATED_ENV = {
    "HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS": "HUB_ALLOW_CALLER_CREDENTIALS",
    "HUB_DATABRICKS_CALLER_HOST_SUFFIXES": "HUB_CALLER_HOST_SUFFIXES",
}
_BOOLEAN: TypeAdapter[bool] = TypeAdapter(bool)
_warned: set[str] = set()  # deprecated names already logged by this process
_warned_lock = threading.Lock()  # configured_targets runs in a worker thread, the route on the loop


class WorkspaceConfig(BaseModel):
    """One workspace, resolved: host, auth method and the credentials it needs."""

    model_config = ConfigDict(frozen=True)

    name: str
    host: str
    auth: AuthMethod
    token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    profile: str | None = None
    credential_source: str = ""  # which settings supplied the credentials, for error messages
    # The environment variables holding the PAT or client secret, and the client id (for LiteLLM exports).
    secret_env: str | None = None
    client_id_env: str | None = None
    timeout: float = 10.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_endpoints: int = DEFAULT_MAX_ENDPOINTS


def normalise_host(value: str) -> str:
    """``https://x.cloud.databricks.com/serving-endpoints/`` -> ``https://x.cloud.databricks.com``."""
    host = value.strip().rstrip("/")
    for suffix in ("/api/2.0/serving-endpoints", "/serving-endpoints"):
        if host.endswith(suffix):
            host = host[: -len(suffix)].rstrip("/")
    if "://" not in host:
        host = "https://" + host
    if host.endswith(":443") and host.startswith("https://"):
        host = host[:-4]
    if not HOST_PATTERN.match(host):
        hint = " without a user name or password" if "@" in value else ""
        raise ProviderConfigError(
            f"Databricks host {shown_url(value)!r} is not a workspace URL; use e.g. "
            f"https://<workspace>.cloud.databricks.com{hint}.",
            provider=PROVIDER,
        )
    return host


def shown_url(value: str) -> str:
    """``value`` fit for a message: no user name or password, no query or fragment, 100 characters at most.

    ``https://user:pa/ss@host/x?token=t`` -> ``https://***@host/x``. Everything before the
    last ``@`` goes, since a password may itself hold ``/``, ``?`` or ``#``.
    """
    text = "".join(ch for ch in value.strip() if ch.isprintable())
    if "@" in text:
        scheme, sep, _ = text.partition("://")
        prefix = f"{scheme}://" if sep and "@" not in scheme else ""
        text = prefix + "***@" + text.rsplit("@", 1)[1]
    for mark in ("?", "#"):
        text = text.split(mark, 1)[0]
    return text[:100]


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _one_host(environ: Mapping[str, str]) -> tuple[str | None, str]:
    base, host = _env(environ, "DATABRICKS_API_BASE"), _env(environ, "DATABRICKS_HOST")
    if base and host and normalise_host(base) != normalise_host(host):
        raise ProviderConfigError(
            "DATABRICKS_API_BASE and DATABRICKS_HOST name different workspaces; unset one of them.",
            provider=PROVIDER,
        )
    if base:
        return normalise_host(base), "DATABRICKS_API_BASE"
    if host:
        return normalise_host(host), "DATABRICKS_HOST"
    return None, ""


def from_environment(environ: Mapping[str, str]) -> list[WorkspaceConfig]:
    """The ``default`` workspace from ``DATABRICKS_*`` variables, or [] when none are set."""
    api_key, token = _env(environ, "DATABRICKS_API_KEY"), _env(environ, "DATABRICKS_TOKEN")
    if api_key and token and api_key != token:
        raise ProviderConfigError(
            "DATABRICKS_API_KEY and DATABRICKS_TOKEN are both set, to different values; unset one of them.",
            provider=PROVIDER,
        )
    pat_source = "DATABRICKS_API_KEY" if api_key else "DATABRICKS_TOKEN"
    pat = api_key or token
    client_id, client_secret = _env(environ, "DATABRICKS_CLIENT_ID"), _env(environ, "DATABRICKS_CLIENT_SECRET")
    profile = _env(environ, "DATABRICKS_CONFIG_PROFILE")
    host, host_source = _one_host(environ)
    chosen = _env(environ, "HUB_DATABRICKS_AUTH")

    found: list[str] = []
    if pat:
        found.append("pat")
    if client_id or client_secret:
        found.append("oauth-m2m")
    if profile:
        found.append("sdk")

    if chosen is None:
        if not found:
            return []
        if len(found) > 1:
            raise ProviderConfigError(
                f"More than one Databricks auth method is configured ({' and '.join(found)}). "
                "Set HUB_DATABRICKS_AUTH to one of pat, oauth-m2m or sdk, or unset the others.",
                provider=PROVIDER,
            )
        chosen = found[0]
    if chosen not in AUTH_METHODS:
        raise ProviderConfigError(
            f"HUB_DATABRICKS_AUTH={chosen!r} is not an auth method; use pat, oauth-m2m or sdk.", provider=PROVIDER
        )
    if chosen == "sdk":
        return [
            WorkspaceConfig(
                name="default",
                host=host or "",
                auth="sdk",
                profile=profile,
                credential_source="the Databricks SDK's unified auth",
            )
        ]
    if chosen == "pat" and not pat:
        raise ProviderConfigError(
            "HUB_DATABRICKS_AUTH=pat needs DATABRICKS_TOKEN (or DATABRICKS_API_KEY).", provider=PROVIDER
        )
    if chosen == "oauth-m2m" and not (client_id and client_secret):
        missing = [
            n for n, v in (("DATABRICKS_CLIENT_ID", client_id), ("DATABRICKS_CLIENT_SECRET", client_secret)) if not v
        ]
        raise ProviderConfigError(f"OAuth M2M needs {' and '.join(missing)}.", provider=PROVIDER)
    if host is None:
        raise ProviderConfigError(
            f"Databricks {chosen} credentials are set but no workspace host: set DATABRICKS_HOST "
            "(or DATABRICKS_API_BASE).",
            provider=PROVIDER,
        )
    if chosen == "pat":
        assert pat is not None
        return [
            WorkspaceConfig(
                name="default",
                host=host,
                auth="pat",
                token=SecretStr(pat),
                credential_source=f"{pat_source} with {host_source}",
                secret_env=pat_source,
            )
        ]
    assert client_id and client_secret
    return [
        WorkspaceConfig(
            name="default",
            host=host,
            auth="oauth-m2m",
            client_id=client_id,
            client_secret=SecretStr(client_secret),
            credential_source="DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET",
            secret_env="DATABRICKS_CLIENT_SECRET",
            client_id_env="DATABRICKS_CLIENT_ID",
        )
    ]


def from_table(table: Mapping[str, Any], environ: Mapping[str, str]) -> WorkspaceConfig:
    """One ``[[providers.databricks.workspaces]]`` table. Secrets are env-var names."""
    name = str(table.get("name", ""))
    where = f"workspace {name!r}" if name else "a workspace table"
    if not WORKSPACE_NAME.match(name):
        raise ProviderConfigError(f"{where} needs a name of letters, digits, '.', '_' or '-'.", provider=PROVIDER)
    inline = [k for k in INLINE_SECRET_KEYS if k in table]
    if inline:
        raise ProviderConfigError(
            f"{where} writes a secret inline ({', '.join(inline)}). Name an environment variable instead, "
            f'e.g. {inline[0]}_env = "DATABRICKS_{name.upper().replace("-", "_")}_{inline[0].upper()}".',
            provider=PROVIDER,
        )
    auth = table.get("auth")
    if auth not in AUTH_METHODS:
        raise ProviderConfigError(f'{where} needs auth = "pat", "oauth-m2m" or "sdk".', provider=PROVIDER)
    host_value = table.get("host")
    host = normalise_host(str(host_value)) if host_value else ""
    if not host and auth != "sdk":
        raise ProviderConfigError(f'{where} needs host = "https://...".', provider=PROVIDER)
    common: dict[str, Any] = {"name": name, "host": host, "auth": auth}
    if isinstance(table.get("timeout"), (int, float)):
        common["timeout"] = float(table["timeout"])

    def secret(key: str) -> tuple[SecretStr, str]:
        var = table.get(f"{key}_env")
        if not var:
            raise ProviderConfigError(f'{where} needs {key}_env = "<ENVIRONMENT VARIABLE>".', provider=PROVIDER)
        value = secret_from_env(table, key, provider=PROVIDER, table=where, environ=environ)
        assert value is not None and isinstance(var, str)  # a variable that is not a name, or is unset, raised
        return value, var.strip()

    if auth == "pat":
        token, var = secret("token")
        return WorkspaceConfig(**common, token=token, credential_source=var, secret_env=var)
    if auth == "oauth-m2m":
        client_secret, var = secret("client_secret")
        client_id = table.get("client_id") or _env(environ, str(table.get("client_id_env", "")))
        if not isinstance(client_id, str) or not client_id:
            raise ProviderConfigError(f"{where} needs client_id or client_id_env.", provider=PROVIDER)
        id_env = table.get("client_id_env") if not table.get("client_id") else None
        return WorkspaceConfig(
            **common,
            client_id=client_id,
            client_secret=client_secret,
            credential_source=f"client_id and {var}",
            secret_env=var,
            client_id_env=id_env if isinstance(id_env, str) else None,
        )
    profile = table.get("profile")
    return WorkspaceConfig(
        **common,
        profile=profile if isinstance(profile, str) else None,
        credential_source="the Databricks SDK's unified auth",
    )


def _whole_number(
    config: Mapping[str, Any], environ: Mapping[str, str], key: str, minimum: int, unit: str
) -> int | None:
    """``[providers.databricks] <key>``, else ``HUB_DATABRICKS_<KEY>``, as a whole number of at least
    ``minimum``; ``None`` when neither is set."""
    value: Any = config.get(key)
    where = f"[providers.databricks] {key}"
    if value is None:
        where = f"HUB_DATABRICKS_{key.upper()}"
        value = _env(environ, where)
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = minimum - 1
    if isinstance(value, bool) or number < minimum:
        raise ProviderConfigError(f"{where} must be a whole number of {unit}, at least {minimum}.", provider=PROVIDER)
    return number


def max_response_bytes(config: Mapping[str, Any], environ: Mapping[str, str]) -> int:
    """The largest upstream body read, in bytes: ``[providers.databricks] max_response_bytes``,
    else ``HUB_DATABRICKS_MAX_RESPONSE_BYTES``, else 4 KiB per endpoint the endpoint limit allows
    and at least 20 MiB (20 MiB at the default 5,000). A larger body is refused unread."""
    limit = _whole_number(config, environ, "max_response_bytes", 1024, "bytes")
    if limit is None:
        return max(DEFAULT_MAX_RESPONSE_BYTES, max_endpoints(config, environ) * BYTES_PER_ENDPOINT)
    return limit


def max_endpoints(config: Mapping[str, Any], environ: Mapping[str, str]) -> int:
    """The most endpoints one workspace may list: ``[providers.databricks] max_endpoints``, else
    ``HUB_DATABRICKS_MAX_ENDPOINTS``, else 5,000. A longer list fails that workspace, unparsed."""
    limit = _whole_number(config, environ, "max_endpoints", 1, "endpoints")
    return DEFAULT_MAX_ENDPOINTS if limit is None else limit


def resolve_workspaces(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> list[WorkspaceConfig]:
    environ = os.environ if environ is None else environ
    limits = {
        "max_response_bytes": max_response_bytes(config, environ),
        "max_endpoints": max_endpoints(config, environ),
    }
    defaults = {"max_response_bytes": DEFAULT_MAX_RESPONSE_BYTES, "max_endpoints": DEFAULT_MAX_ENDPOINTS}
    if limits != defaults:
        return [w.model_copy(update=limits) for w in _resolve(config, environ)]
    return _resolve(config, environ)


def _resolve(config: Mapping[str, Any], environ: Mapping[str, str]) -> list[WorkspaceConfig]:
    tables = config.get("workspaces")
    if tables is None:
        return from_environment(environ)
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise ProviderConfigError("[providers.databricks] workspaces must be a list of tables.", provider=PROVIDER)
    workspaces = [from_table(t, environ) for t in tables]
    names = [w.name for w in workspaces]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ProviderConfigError(f"Workspace names must be unique: {', '.join(duplicates)}.", provider=PROVIDER)
    return workspaces


# -- callers' own credentials (POST /public/databricks/endpoints/discover) -------------------------


class CallerSettings(BaseModel):
    """Whether callers may discover with their own credentials, and the host suffixes they may add."""

    model_config = ConfigDict(frozen=True)

    enabled: bool = False
    host_suffixes: tuple[str, ...] = ()


def _warn_deprecated(old: str, new: str, key: str, *, shadowed: bool) -> None:
    """One warning per process for each deprecated variable found set."""
    with _warned_lock:
        if old in _warned:
            return
        _warned.add(old)
    if shadowed:
        logger.warning("%s is ignored: %s (or [providers.databricks] %s) is set; unset %s.", old, new, key, old)
    else:
        logger.warning(
            "%s is deprecated and stops working in the next release; rename it to %s "
            "(or set %s in [providers.databricks]).",
            old,
            new,
            key,
        )


def _caller_setting(config: Mapping[str, Any], environ: Mapping[str, str], key: str) -> tuple[Any, str] | None:
    """``[providers.databricks] <key>``, else ``HUB_DATABRICKS_<KEY>``, else the deprecated ``HUB_<KEY>``:
    the value and the name it came from, or ``None`` when none is set."""
    new = f"HUB_DATABRICKS_{key.upper()}"
    old = DEPRECATED_ENV[new]
    found: tuple[Any, str] | None = None
    value = _env(environ, new)
    if config.get(key) is not None:
        found = (config[key], f"[providers.databricks] {key}")
    elif value is not None:
        found = (value, new)
    old_value = _env(environ, old)
    if old_value is not None:
        _warn_deprecated(old, new, key, shadowed=found is not None)
        found = found or (old_value, old)
    return found


def _flag(value: Any, where: str) -> bool:
    try:
        return _BOOLEAN.validate_python(value.strip() if isinstance(value, str) else value)
    except ValidationError:
        raise ProviderConfigError(
            f"{where} must be true or false (1/0, yes/no and on/off work too).", provider=PROVIDER
        ) from None


def _suffix_list(value: Any, where: str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ProviderConfigError(
            f'{where} must be a list of domains, e.g. ["dbx.example.com"], or one comma-separated string.',
            provider=PROVIDER,
        )
    return tuple(item.strip() for item in items if item.strip())


def caller_settings(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> CallerSettings:
    """``[providers.databricks] allow_caller_credentials`` / ``caller_host_suffixes`` (TOML wins), else
    ``HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS`` / ``HUB_DATABRICKS_CALLER_HOST_SUFFIXES``, else the deprecated
    ``HUB_ALLOW_CALLER_CREDENTIALS`` / ``HUB_CALLER_HOST_SUFFIXES``. Off, with no extra suffixes, by default."""
    environ = os.environ if environ is None else environ
    enabled = _caller_setting(config, environ, "allow_caller_credentials")
    suffixes = _caller_setting(config, environ, "caller_host_suffixes")
    return CallerSettings(
        enabled=_flag(*enabled) if enabled else False,
        host_suffixes=_suffix_list(*suffixes) if suffixes else (),
    )
