"""The 2024-10-01 field lists (tests/azure/cognitiveservices_2024-10-01.json) and a checker for payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPEC = json.loads((Path(__file__).parents[1] / "azure" / "cognitiveservices_2024-10-01.json").read_text())
DEFS: dict[str, Any] = SPEC["definitions"]
SCALARS: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
}


def faults(value: Any, kind: Any, where: str = "$") -> list[str]:
    """Where ``value`` strays from ``kind``: unknown fields, missing required ones, wrong types."""
    if isinstance(kind, list):
        if not isinstance(value, list):
            return [f"{where}: expected an array"]
        return [f for i, item in enumerate(value) for f in faults(item, kind[0], f"{where}[{i}]")]
    if isinstance(kind, dict):  # {"enum": [...]}: a string from the list
        return [] if value in kind["enum"] else [f"{where}: {value!r} is not one of {kind['enum']}"]
    if kind.startswith("map<"):
        if not isinstance(value, dict):
            return [f"{where}: expected a map"]
        return [f for k, item in value.items() for f in faults(item, kind[4:-1], f"{where}[{k!r}]")]
    if kind in SCALARS:
        ok = isinstance(value, SCALARS[kind]) and not (kind in ("integer", "number") and isinstance(value, bool))
        return [] if ok else [f"{where}: expected {kind}"]
    definition = DEFS[kind]
    if not isinstance(value, dict):
        return [f"{where}: expected a {kind} object"]
    found = [f"{where}.{k}: not a field of {kind}" for k in value if k not in definition["properties"]]
    found += [f"{where}.{k}: required by {kind}" for k in definition["required"] if k not in value]
    for key, item in value.items():
        if key in definition["properties"]:
            found += faults(item, definition["properties"][key], f"{where}.{key}")
    return found
