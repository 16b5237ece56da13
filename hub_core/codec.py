"""Discoveries to bytes and back, for the shared (Redis) cache."""

from __future__ import annotations

import orjson

from hub_core.models import Discovery, Endpoint

CHUNK = 500
"""Items serialised per call: each call holds the GIL, so a worker thread lets the event loop in between."""


class DiscoveryCodec:
    """A discovery to bytes and back for the shared cache, keeping each endpoint's raw payload.

    Without warnings it is the plain endpoint array; with them, ``{"endpoints": [...], "warnings": [...]}``.
    """

    def encode(self, value: Discovery) -> bytes:
        # ``CHUNK`` endpoints per orjson call (the same bytes as one call), so a worker thread
        # encoding a large list gives the event loop the GIL between calls.
        items = value.endpoints
        parts = [
            orjson.dumps([{**e.model_dump(mode="json"), "raw": e.raw} for e in items[i : i + CHUNK]])[1:-1]
            for i in range(0, len(items), CHUNK)
        ]
        array = b"[" + b",".join(parts) + b"]"
        if not value.warnings:
            return array
        return b'{"warnings":' + orjson.dumps(value.warnings) + b',"endpoints":' + array + b"}"

    def decode(self, payload: bytes) -> Discovery:
        data = orjson.loads(payload)
        if isinstance(data, dict):
            warnings, items = data.get("warnings"), data.get("endpoints")
            if not isinstance(items, list) or not isinstance(warnings, list):
                raise ValueError("a shared discovery holds no endpoint list")
            return Discovery(endpoints=[Endpoint.model_validate(item) for item in items], warnings=warnings)
        return Discovery.model_construct(endpoints=[Endpoint.model_validate(item) for item in data], warnings=[])
