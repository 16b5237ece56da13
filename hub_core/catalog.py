"""The bundled price and context-window catalog (LiteLLM's published map, MIT)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from hub_core.models import ModelGroup

BUNDLED_NAME = "model_prices_and_context_window.json"
CAPABILITY_FLAGS = (
    "supports_function_calling",
    "supports_parallel_function_calling",
    "supports_vision",
    "supports_reasoning",
)


class CatalogError(ValueError):
    """The catalog file cannot be read."""


class Catalog:
    """Read-only lookups into the catalog. Keys look like ``databricks/<name>`` or ``gpt-4o``."""

    def __init__(self, entries: dict[str, dict[str, Any]]) -> None:
        self._entries = entries
        self._fields: dict[str, dict[str, Any]] = {}
        self._by_provider: dict[str, list[str]] = {}
        for key, entry in entries.items():
            provider = entry.get("litellm_provider")
            if isinstance(provider, str):
                self._by_provider.setdefault(provider, []).append(key)

    @classmethod
    def load(cls, path: Path | None = None) -> Catalog:
        try:
            if path is None:
                raw = resources.files("hub_core.data").joinpath(BUNDLED_NAME).read_bytes()
            else:
                raw = Path(path).read_bytes()
            data = orjson.loads(raw)
        except (OSError, orjson.JSONDecodeError) as error:
            where = path or "the bundled catalog"
            raise CatalogError(f"Cannot read the catalog at {where}: {error}") from None
        if not isinstance(data, dict):
            raise CatalogError("The catalog must be a JSON object of model entries.")
        entries = {k: v for k, v in data.items() if isinstance(v, dict) and k != "sample_spec"}
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, *keys: str | None) -> dict[str, Any] | None:
        """The first entry found among ``keys``."""
        for key in keys:
            if key and key in self._entries:
                return self._entries[key]
        return None

    def fields(self, *keys: str | None) -> dict[str, Any]:
        """``catalog_fields`` of the first entry found among ``keys``, computed once per entry."""
        for key in keys:
            if key and key in self._entries:
                found = self._fields.get(key)
                if found is None:
                    found = self._fields[key] = catalog_fields(self._entries[key])
                return found
        return {}

    def fields_under(self, names: Iterable[str], prefixes: Iterable[str]) -> dict[str, Any]:
        """A copy of the fields of the first entry a prefix gives a name, prefixes first, or ``{}``.

        For each prefix, each name: the entry ``<prefix>/<name>``, else the entry ``<name>`` if its
        ``litellm_provider`` is that prefix (``openai`` finds ``gpt-4o``). No prefix, no lookup: a
        self-hosted model never gets a cloud's prices by accident.
        """
        names = list(names)
        for prefix in prefixes:
            for name in names:
                if f"{prefix}/{name}" in self._entries:
                    return dict(self.fields(f"{prefix}/{name}"))
                if (self._entries.get(name) or {}).get("litellm_provider") == prefix:
                    return dict(self.fields(name))
        return {}

    def keys_for(self, providers: Iterable[str]) -> Iterator[str]:
        for provider in providers:
            yield from self._by_provider.get(provider, ())

    def model_groups_for(
        self, provider: str, litellm_providers: Iterable[str], exclude: Iterable[str] = ()
    ) -> list[ModelGroup]:
        """Catalog entries of one provider, as model groups marked ``source: catalog``; keys matching
        a glob in ``exclude`` (price variants, say) are left out."""
        patterns = list(exclude)
        groups = []
        for key in self.keys_for(litellm_providers):
            if any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns):
                continue
            entry = self._entries[key]
            name = key if key.startswith(f"{provider}/") else f"{provider}/{key.split('/', 1)[-1]}"
            groups.append(ModelGroup(model_group=name, providers=[provider], source="catalog", **catalog_fields(entry)))
        return groups


def catalog_fields(entry: dict[str, Any] | None) -> dict[str, Any]:
    """The ModelGroup fields a catalog entry supplies (tokens, prices, capabilities, mode)."""
    if not entry:
        return {}
    fields: dict[str, Any] = {}
    for name in ("max_input_tokens", "max_output_tokens"):
        value = entry.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            fields[name] = value
    for name in ("input_cost_per_token", "output_cost_per_token"):
        value = entry.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            fields[name] = float(value)
    for name in CAPABILITY_FLAGS:
        if entry.get(name) is True:
            fields[name] = True
    mode = entry.get("mode")
    if isinstance(mode, str):
        fields["mode"] = mode
    params = entry.get("supported_openai_params")
    if isinstance(params, list) and all(isinstance(p, str) for p in params):
        fields["supported_openai_params"] = params
    return fields
