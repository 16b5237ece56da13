"""A secret read from the environment variable a settings table names, never from the table itself."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from hub_core.errors import ProviderConfigError

__all__ = ["secret_from_env"]


def secret_from_env(
    config: Mapping[str, Any],
    key: str,
    *,
    provider: str,
    env_default: str | None = None,
    table: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> SecretStr | None:
    """The secret in the variable ``config[f"{key}_env"]`` names, or else ``env_default``.

    ``table`` names ``config`` in messages (default ``[providers.<provider>]``); ``environ`` defaults
    to ``os.environ``. The value is stripped and held as a ``SecretStr``, so no repr shows it.
    Raises ``ProviderConfigError`` when ``config`` holds ``key`` itself (a secret written inline),
    when ``<key>_env`` is not a variable name, or when the variable it names is unset or empty.
    Returns None when there is no ``<key>_env`` and ``env_default`` is None or unset: the secret is
    optional, so the caller decides whether going without it is an error.
    """
    where = table or f"[providers.{provider}]"
    option = f"{key}_env"
    if key in config:  # never echo the value: it is the secret
        raise ProviderConfigError(
            f"{where} holds {key} inline. Put the secret in an environment variable and name that variable "
            f'with {option} = "...".',
            provider=provider,
        )
    named = config.get(option)
    if named is None and env_default is None:
        return None
    variable = env_default if named is None else named
    if not isinstance(variable, str) or not variable.strip():
        raise ProviderConfigError(f"{where}: {option} must be the name of an environment variable.", provider=provider)
    variable = variable.strip()
    value = (os.environ if environ is None else environ).get(variable, "").strip()
    if value:
        return SecretStr(value)
    if named is None:
        return None  # the default variable is unset: go without the secret
    raise ProviderConfigError(
        f"{where}: environment variable {variable} is not set ({option} names it). Set it, or change {option}.",
        provider=provider,
    )
