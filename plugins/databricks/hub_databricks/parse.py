"""Tolerant parsing of raw serving-endpoint JSON into hub ``Endpoint`` objects.

Unknown enum values and missing optional fields never fail the list: a field that
cannot be read is left empty. Only an item without a usable ``name`` is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from hub_core import Endpoint, ServedEntity, gc_paused, unvalidated
from hub_databricks.config import PROVIDER

logger = logging.getLogger("hub_databricks.parse")

TASK_MODES = {
    "llm/v1/chat": "chat",
    "llm/v1/completions": "completion",
    "llm/v1/embeddings": "embedding",
    "agent/v1/responses": "responses",
}
ENDPOINT_TYPES = {
    "FOUNDATION_MODEL_API": "foundation_model",
    "EXTERNAL_MODEL": "external_model",
    "CUSTOM_MODEL": "custom_model",
}
NOT_READY_REASONS = ("UPDATE_FAILED", "UPDATE_CANCELED", "IN_PROGRESS")
MAX_NAME = 512
UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")
"""What ``quote(name, safe='')`` leaves as it is: most names, which then skip it."""


def _str(value: Any, limit: int = 4096) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list_of_dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _timestamp(value: Any) -> datetime | None:
    """Epoch milliseconds, as an int or a numeric string (the SDK accepts both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, (int, float)) and 0 <= value < 1e15:
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    return None


def invocations_url(host: str, name: str) -> str:
    """``{host}/serving-endpoints/{name}/invocations`` with ``name`` as one escaped path segment.

    A name such as ``../../api/2.0/token/create?x=`` must not reach another API.
    """
    segment = name if UNRESERVED.fullmatch(name) else quote(name, safe="")
    return f"{host}/serving-endpoints/{segment}/invocations"


def mode_for(task: str | None) -> str | None:
    if task is None:
        return None
    return TASK_MODES.get(task, task.rsplit("/", 1)[-1] if task.startswith("llm/") else None)


def served_entities(raw: dict[str, Any]) -> list[dict[str, Any]]:
    config = _dict(raw.get("config"))
    return _list_of_dicts(config.get("served_entities")) or _list_of_dicts(config.get("served_models"))


def _entity(item: dict[str, Any]) -> ServedEntity | None:
    foundation, external = _dict(item.get("foundation_model")), _dict(item.get("external_model"))
    name = (
        _str(item.get("entity_name"))
        or _str(item.get("model_name"))
        or _str(foundation.get("name"))
        or _str(external.get("name"))
        or _str(item.get("name"))
    )
    if name is None:
        return None
    version = item.get("entity_version", item.get("model_version"))
    kind = _str(item.get("type"), 64)
    if kind is None:
        kind = "FOUNDATION_MODEL" if foundation else "EXTERNAL_MODEL" if external else None
    return unvalidated(
        ServedEntity,
        name=name,
        version=str(version)[:64] if isinstance(version, (str, int)) and not isinstance(version, bool) else None,
        type=kind,
        external_provider=_str(external.get("provider"), 64),
    )


def _served_by(raw: dict[str, Any], entities: list[dict[str, Any]], task: str | None) -> str:
    endpoint_type = ENDPOINT_TYPES.get(str(raw.get("endpoint_type")))
    if endpoint_type:
        return endpoint_type
    if any(_dict(e.get("foundation_model")) for e in entities):
        return "foundation_model"
    if any(_dict(e.get("external_model")) for e in entities):
        return "external_model"
    if (task or "").startswith("agent/") or raw.get("tile_endpoint_metadata"):
        return "agent"
    return "custom_model"


def parse_endpoint(raw: Any, *, target: str, host: str) -> Endpoint | None:
    """One endpoint, or None (logged) when it has no usable name."""
    if not isinstance(raw, dict):
        logger.warning("Workspace %r: skipped an endpoint that is not a JSON object", target)
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip(" .") or len(name) > MAX_NAME:
        logger.warning("Workspace %r: skipped an endpoint without a usable name", target)
        return None
    entities = served_entities(raw)
    first = entities[0] if entities else {}
    foundation = _dict(first.get("foundation_model"))
    external = _dict(first.get("external_model"))
    task = _str(raw.get("task"), 128) or _str(external.get("task"), 128)

    state = _dict(raw.get("state"))
    ready = _str(state.get("ready"), 64)
    config_update = _str(state.get("config_update"), 64)
    available = ready == "READY"
    reason = None
    if not available:
        reason = config_update if config_update in NOT_READY_REASONS else (ready or "STATE_UNKNOWN")

    parsed = []
    for item in entities:
        entity = _entity(item)
        if entity is not None:
            parsed.append(entity)
    display_name = _str(foundation.get("display_name"), 256)
    if display_name is None and parsed and parsed[0].type == "UC_MODEL":
        version = f" v{parsed[0].version}" if parsed[0].version else ""
        display_name = f"{parsed[0].name}{version}"
    capabilities = {k: v for k, v in _dict(raw.get("capabilities")).items() if isinstance(v, bool)}

    # Every value below has its field's type already, so pydantic's validation is skipped.
    return unvalidated(
        Endpoint,
        provider=PROVIDER,
        name=name,
        target=target,
        target_url=host,
        endpoint_url=invocations_url(host, name),
        task=task,
        mode=mode_for(task),
        served_by=_served_by(raw, entities, task),
        entities=parsed,
        state=ready,
        config_update=config_update,
        available=available,
        state_reason=reason,
        display_name=display_name,
        description=_str(foundation.get("description")) or _str(raw.get("description")),
        creator=_str(raw.get("creator"), 256),
        created_at=_timestamp(raw.get("creation_timestamp")),
        updated_at=_timestamp(raw.get("last_updated_timestamp")),
        capabilities=capabilities,
        raw=raw,
    )


OFF_LOOP_ITEMS = 200
CHECK_EVERY = 256


def parse_endpoints(items: list[Any], *, target: str, host: str) -> list[Endpoint]:
    """Every usable endpoint in ``items``, in order."""
    return [e for e in parse_each(items, target=target, host=host) if e is not None]


async def parse_endpoints_off_loop(items: list[Any], *, target: str, host: str) -> list[Endpoint]:
    """``parse_endpoints`` in a worker thread for big lists (see ``parse_each_off_loop``)."""
    return [e for e in await parse_each_off_loop(items, target=target, host=host) if e is not None]


def parse_each(
    items: list[Any], *, target: str, host: str, stop: threading.Event | None = None
) -> list[Endpoint | None]:
    """One answer per item in ``items``' order: its endpoint, or None for an item without a usable
    name or that could not be parsed (logged). The per-endpoint reuse in ``hub_databricks.reuse``
    needs to know which item each endpoint came from. With ``stop`` set, returns early (a shorter,
    partial list that its caller, gone past its deadline, discards)."""
    with gc_paused():
        return _parse_each(items, target=target, host=host, stop=stop)


async def parse_each_off_loop(items: list[Any], *, target: str, host: str) -> list[Endpoint | None]:
    """``parse_each`` in a worker thread for big lists, so the event loop keeps serving.

    When the awaiting task is cancelled (the discovery deadline), the thread stops within
    ``CHECK_EVERY`` items instead of finishing work nobody will use.
    """
    if len(items) < OFF_LOOP_ITEMS:
        return parse_each(items, target=target, host=host)
    stop = threading.Event()
    try:
        return await asyncio.to_thread(parse_each, items, target=target, host=host, stop=stop)
    finally:
        stop.set()


def _parse_each(items: list[Any], *, target: str, host: str, stop: threading.Event | None) -> list[Endpoint | None]:
    endpoints: list[Endpoint | None] = []
    for index, item in enumerate(items):
        if stop is not None and index % CHECK_EVERY == 0 and stop.is_set():
            logger.info("Workspace %r: parsing abandoned after %d of %d endpoints", target, index, len(items))
            break
        try:
            endpoint = parse_endpoint(item, target=target, host=host)
        except Exception:  # belt and braces: one bad item never fails the list
            logger.warning("Workspace %r: skipped an endpoint that could not be parsed", target, exc_info=True)
            endpoint = None
        endpoints.append(endpoint)
    return endpoints
