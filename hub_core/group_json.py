"""A model group's JSON, the bytes pydantic's ``dump_json`` gives, made by orjson from its fields.

Serialising groups is a large part of a big workspace's refresh. pydantic walks its schema and
calls back into Python for ``mode``'s serialiser and the two computed fields; orjson encodes the
instance's own ``__dict__`` (which holds the fields in their declared order) about three times
as fast. orjson and pydantic write floats, integers and strings byte for byte alike;
``tests/test_group_json.py`` checks that over random groups. Anything else (a subclass, a
field holding a type orjson does not know, an integer beyond 64 bits) goes to pydantic.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter

from hub_core.models import UNKNOWN_MODE, Deployment, ModelGroup, ServedEntity

MODEL_GROUP = TypeAdapter(ModelGroup)
_FIELD_COUNT = len(ModelGroup.model_fields)
# Models with no serialisers or computed fields of their own, and how many fields each has.
_PLAIN_NESTED = {model: len(model.model_fields) for model in (Deployment, ServedEntity)}


def group_json(group: ModelGroup) -> bytes:
    """``TypeAdapter(ModelGroup).dump_json(group)``, faster for the groups the hub builds."""
    values = group.__dict__
    if type(group) is not ModelGroup or len(values) != _FIELD_COUNT or group.__pydantic_extra__:
        return MODEL_GROUP.dump_json(group)
    data = dict(values)
    if data["mode"] is None:
        data["mode"] = UNKNOWN_MODE
    # The computed fields, last, as pydantic writes them.
    data["health_status"] = group.health_status
    data["health_reason"] = group.health_reason
    try:
        # A copy: orjson's own buffer holds about 8 KB however short the JSON, and groups are kept.
        return memoryview(orjson.dumps(data, default=_nested)).tobytes()
    except TypeError:
        return MODEL_GROUP.dump_json(group)


def _nested(value: Any) -> dict[str, Any]:
    fields = getattr(value, "__dict__", None)
    if _PLAIN_NESTED.get(type(value)) == len(fields or ()) and not value.__pydantic_extra__:
        return fields  # type: ignore[return-value]
    raise TypeError(f"not a plain nested model: {type(value).__name__}")
