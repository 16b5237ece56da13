"""Per-endpoint reuse between two parses of a workspace's list.

Most refreshes of a big workspace find a few endpoints changed and the rest as they were.
An item whose JSON encoding (``orjson.dumps`` of the decoded item, after the secret scan and
any redaction) is byte for byte that of an item of the last list parsed, for the same host,
target name and redactor, gets that item's ``Endpoint`` back; only the others are parsed.

Bytes, not decoded values, are compared: ``1``, ``1.0`` and ``true`` are equal in Python but
parse differently (``entity_version`` ``1`` is version "1", ``1.0`` and ``true`` are none).
``parse_endpoint`` depends on nothing but the item, the target and the host, so equal bytes
give an equal ``Endpoint``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub_core import Endpoint

ParseKey = tuple[bytes, str, str, int]
"""(SHA-256 of the body, host, target name, number of secrets the redactor held)."""


@dataclass(frozen=True, slots=True)
class LastParse:
    """The last list parsed: what from, its endpoints, and each endpoint by its item's bytes.

    ``by_bytes`` is None when the items' bytes are not known (a list too deeply nested for
    orjson); then the next changed list is parsed in full.
    """

    key: ParseKey
    endpoints: list[Endpoint]
    by_bytes: dict[bytes, Endpoint] | None

    def reusable_for(self, key: ParseKey) -> dict[bytes, Endpoint] | None:
        """The map to reuse endpoints from for a list parsed under ``key``, if any."""
        return self.by_bytes if self.key[1:] == key[1:] else None


@dataclass(slots=True)
class Plan:
    """Per item of a list, the endpoint reused for it (or None), and the items left to parse."""

    reused: list[Endpoint | None]
    fresh_positions: list[int]
    fresh_items: list[Any]


def parse_all(items: list[Any]) -> Plan:
    """The plan that reuses nothing."""
    return Plan([None] * len(items), list(range(len(items))), items)


def plan(items: list[Any], encoded: list[bytes], previous: dict[bytes, Endpoint]) -> Plan:
    """Which items of ``items`` (their encodings ``encoded``) get an endpoint from ``previous``.

    Each previous endpoint is given at most once: a second item with the same bytes is parsed
    again, so one list never holds the same ``Endpoint`` object twice. ``previous`` is not changed.
    """
    reused: list[Endpoint | None] = []
    fresh_positions: list[int] = []
    fresh_items: list[Any] = []
    given: set[bytes] = set()
    for position, (item, raw) in enumerate(zip(items, encoded, strict=True)):
        endpoint = previous.get(raw)
        if endpoint is not None and raw not in given:
            given.add(raw)
            reused.append(endpoint)
        else:
            reused.append(None)
            fresh_positions.append(position)
            fresh_items.append(item)
    return Plan(reused, fresh_positions, fresh_items)


def assemble(
    plan: Plan, parsed: list[Endpoint | None], encoded: list[bytes] | None
) -> tuple[list[Endpoint], dict[bytes, Endpoint] | None]:
    """The list's endpoints in its order, and its map of bytes to endpoint for the next parse.

    ``parsed`` answers ``plan.fresh_items`` one for one (None where an item was skipped). The
    map holds the first endpoint for each encoding, and nothing for skipped items.
    """
    slots = plan.reused
    for position, endpoint in zip(plan.fresh_positions, parsed, strict=True):
        slots[position] = endpoint
    endpoints = [e for e in slots if e is not None]
    if encoded is None:
        return endpoints, None
    by_bytes: dict[bytes, Endpoint] = {}
    for raw, endpoint in zip(encoded, slots, strict=True):
        if endpoint is not None:
            by_bytes.setdefault(raw, endpoint)
    return endpoints, by_bytes
