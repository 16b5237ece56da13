"""``group_json`` writes the bytes pydantic's ``dump_json`` writes, for any model group."""

from __future__ import annotations

import warnings
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from pydantic_core import PydanticSerializationError

from hub_core import Deployment, ModelGroup, ServedEntity, unvalidated
from hub_core.group_json import group_json

PYDANTIC = TypeAdapter(ModelGroup)

TEXT = st.none() | st.text(max_size=12) | st.sampled_from(["", "é", "\u2028", "\x00\x1f\x7f", '"\\/', "😀"])
FLOATS = st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e-06, 2.5e-07, 0.0, -0.0])
INTS = st.none() | st.integers(min_value=-(2**70), max_value=2**70)
ENTITIES = st.builds(ServedEntity, name=st.text(max_size=8), version=TEXT, type=TEXT, external_provider=TEXT)
DEPLOYMENTS = st.builds(
    Deployment,
    target=TEXT,
    target_url=TEXT,
    endpoint_name=st.text(max_size=8),
    endpoint_url=TEXT,
    state=TEXT,
    available=st.booleans(),
    state_reason=TEXT,
    region=TEXT,
    capacity=INTS,
    cost_per_hour=FLOATS,
)
GROUPS = st.builds(
    ModelGroup,
    model_group=st.text(max_size=16),
    providers=st.lists(st.text(max_size=6), max_size=2),
    mode=st.none() | st.sampled_from(["chat", "completion", "embedding", "unknown", "x"]),
    max_input_tokens=INTS,
    max_output_tokens=INTS,
    input_cost_per_token=FLOATS,
    output_cost_per_token=FLOATS,
    cost_per_hour=FLOATS,
    supports_function_calling=st.booleans(),
    supports_vision=st.booleans(),
    supports_reasoning=st.booleans(),
    supported_openai_params=st.none() | st.lists(st.text(max_size=6), max_size=3),
    source=st.sampled_from(["live", "catalog"]),
    state=TEXT,
    available=st.booleans(),
    state_reason=TEXT,
    display_name=TEXT,
    description=TEXT,
    endpoint_url=TEXT,
    served_by=TEXT,
    entities=st.lists(ENTITIES, max_size=2),
    target=TEXT,
    model=TEXT,
    deployments=st.lists(DEPLOYMENTS, max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(group=GROUPS)
def test_any_group_serialises_to_pydantic_bytes(group: ModelGroup) -> None:
    assert group_json(group) == PYDANTIC.dump_json(group)


@settings(max_examples=100, deadline=None)
@given(group=GROUPS)
def test_an_unvalidated_copy_serialises_alike(group: ModelGroup) -> None:
    values: dict[str, Any] = dict(group.__dict__)
    values["deployments"] = [unvalidated(Deployment, **d.__dict__) for d in group.deployments]
    values["entities"] = [unvalidated(ServedEntity, **e.__dict__) for e in group.entities]
    assert group_json(unvalidated(ModelGroup, **values)) == PYDANTIC.dump_json(group)


def test_the_fast_path_is_taken_for_a_plain_group(monkeypatch: pytest.MonkeyPatch) -> None:
    import hub_core.group_json as module

    group = ModelGroup(model_group="p/a", providers=["p"], deployments=[Deployment(endpoint_name="a")])
    expected = PYDANTIC.dump_json(group)
    monkeypatch.setattr(module, "MODEL_GROUP", None)  # any use of pydantic would now raise
    assert group_json(group) == expected


class Subclass(ModelGroup):
    extra_note: str = "x"


class Unknown:
    """A value neither orjson nor pydantic can encode."""


@pytest.mark.parametrize(
    "group",
    [
        Subclass(model_group="p/sub", providers=["p"]),
        ModelGroup(model_group="p/big", providers=["p"], max_input_tokens=2**80),
        ModelGroup.model_construct(model_group="p/short", providers=["p"]),  # fields missing from __dict__
    ],
    ids=["subclass", "int-beyond-64-bits", "missing-fields"],
)
def test_what_orjson_cannot_write_alike_goes_to_pydantic(group: ModelGroup) -> None:
    assert group_json(group) == PYDANTIC.dump_json(group)


def test_an_unknown_key_in_the_dict_or_a_nested_model_goes_to_pydantic() -> None:
    group = ModelGroup(model_group="p/a", providers=["p"], deployments=[Deployment(endpoint_name="a")])
    stray = group.model_copy()
    stray.__dict__["stray"] = 1
    assert group_json(stray) == PYDANTIC.dump_json(stray)
    nested = group.model_copy(update={"deployments": [Deployment(endpoint_name="a")]})
    nested.deployments[0].__dict__["stray"] = 1
    assert b"stray" not in group_json(nested)


def test_a_value_of_an_unknown_type_fails_as_in_pydantic() -> None:
    group = ModelGroup(model_group="p/a", providers=["p"])
    group.__dict__["description"] = Unknown()
    with pytest.raises(PydanticSerializationError, match="Unknown"):
        group_json(group)


def test_a_tuple_where_a_list_belongs_is_written_as_pydantic_writes_it() -> None:
    group = ModelGroup(model_group="p/a", providers=["p"])
    group.__dict__["providers"] = ("p", "q")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns of the unexpected type
        expected = PYDANTIC.dump_json(group)
    assert group_json(group) == expected
    assert orjson.loads(expected)["providers"] == ["p", "q"]


def test_a_kept_group_json_takes_about_its_length_in_memory() -> None:
    """orjson's output holds about 8 KB whatever its length; what ``group_json`` returns is a copy."""
    import tracemalloc

    groups = [
        ModelGroup(model_group=f"p/{i}", providers=["p"], deployments=[Deployment(endpoint_name="a")])
        for i in range(500)
    ]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [group_json(group) for group in groups]
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    length = sum(len(k) for k in kept)
    assert grown < 1.5 * length + 50_000, (grown, length)
