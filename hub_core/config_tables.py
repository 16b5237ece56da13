"""A plugin's settings table, validated into a pydantic model with messages that never show values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from hub_core.errors import ProviderConfigError

__all__ = ["settings_table"]

Model = TypeVar("Model", bound=BaseModel)
SECRET_WORDS = re.compile("key|token|secret|password", re.IGNORECASE)


def settings_table(
    model: type[Model], table: Mapping[str, Any], *, provider: str, where: str, env_field: str | None = None
) -> Model:
    """``table`` as ``model``, or a ``ProviderConfigError`` that names ``where`` and each bad field.

    A key the model does not know whose name looks like a secret (``api_key``, ``token``) is
    refused as an inline secret, pointing at ``env_field`` (default ``<key>_env``), the setting
    that names the environment variable to read instead. Messages never quote the values.
    """
    inline = sorted(k for k in set(table) - set(model.model_fields) if SECRET_WORDS.search(str(k)))
    if inline:
        raise ProviderConfigError(
            f"{where} holds {', '.join(inline)} inline; put the secret in an environment variable "
            f"and name the variable with {env_field or inline[0] + '_env'}.",
            provider=provider,
        )
    try:
        return model.model_validate(table)
    except ValidationError as error:
        faults = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_input=False))
        raise ProviderConfigError(f"{where}: {faults}.", provider=provider) from None
