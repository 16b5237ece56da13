"""Property tests: the Databricks parser never raises past its boundary and never drops a valid
endpoint because of an invalid neighbour. Valid = the originals of ``hub_databricks.testing.rich_workspace()``."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hub_databricks
from hub_core.testing import app_client, make_hub
from hub_databricks.parse import parse_endpoint, parse_endpoints
from hub_databricks.testing import FakeWorkspace, rich_workspace

from .conftest import CANARY_PAT

TARGET, HOST = "prod", "https://prod.cloud.databricks.com"
ORIGINALS = rich_workspace()
EXPECTED = [parse_endpoint(e, target=TARGET, host=HOST) for e in ORIGINALS]
ENUM_PATHS = [("state", "ready"), ("state", "config_update"), ("task",), ("endpoint_type",)]
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def nest(depth: int, leaf: Any = "leaf") -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["READY", "NOT_READY", "SOMETHING_NEW", "llm/v9/teleport", "UPDATE_FAILED", "", "\x00", "🦄"]),
)
huge_strings = st.integers(min_value=10_000, max_value=2_000_000).map(lambda n: "x" * n)
deep_values = st.integers(min_value=10, max_value=600).map(nest)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
)
junk = st.one_of(json_values, huge_strings, deep_values)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path inside ``value`` (not the root)."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def parent_of(root: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        root = root[key]
    return root


@st.composite
def mutated_endpoint(draw: st.DrawFn) -> Any:
    """An original endpoint with keys deleted, values replaced by junk, unknown keys added."""
    item = copy.deepcopy(draw(st.sampled_from(ORIGINALS)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        where = paths(item)
        if not where:
            break
        path = draw(st.sampled_from(where))
        parent = parent_of(item, path)
        op = draw(st.sampled_from(["delete", "replace", "add"]))
        if op == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(junk)
        else:
            parent[path[-1]] = draw(junk)
    return item


neighbours = st.one_of(junk, mutated_endpoint())


@PROPERTY_SETTINGS
@given(data=st.data())
def test_valid_endpoints_survive_any_neighbours(data):
    mixed: list[Any] = []
    for original in ORIGINALS:
        mixed.extend(data.draw(st.lists(neighbours, max_size=2)))
        mixed.append(original)
    mixed.extend(data.draw(st.lists(neighbours, max_size=2)))
    result = parse_endpoints(mixed, target=TARGET, host=HOST)
    # Every valid original comes out exactly as it does alone, in its input order.
    remaining = iter(result)
    for expected in EXPECTED:
        assert any(got == expected for got in remaining), f"{expected.name} was dropped or changed"


@PROPERTY_SETTINGS
@given(item=st.one_of(junk, mutated_endpoint()))
def test_any_item_alone_gives_zero_or_one_endpoint_and_never_raises(item):
    result = parse_endpoints([item], target=TARGET, host=HOST)
    assert len(result) <= 1
    if result:
        assert isinstance(item, dict) and result[0].name == item["name"]
        result[0].model_dump(mode="json")  # serialisable, as the routes need


@PROPERTY_SETTINGS
@given(data=st.data())
def test_unknown_enum_values_never_drop_an_endpoint(data):
    items = copy.deepcopy(ORIGINALS)
    for item in items:
        for path in data.draw(st.lists(st.sampled_from(ENUM_PATHS), max_size=4)):
            target = item
            for key in path[:-1]:
                target = target.setdefault(key, {}) if isinstance(target.get(key), dict) else target
            target[path[-1]] = data.draw(st.one_of(st.text(max_size=40), scalars))
    result = parse_endpoints(items, target=TARGET, host=HOST)
    assert [e.name for e in result] == [e["name"] for e in ORIGINALS]


def test_container_shapes_that_are_not_lists_of_objects():
    odd = [None, 1, "x", [], [[]], {}, {"name": None}, {"name": ""}, {"name": "   "}, {"name": "n" * 513}, {"name": 7}]
    assert parse_endpoints(odd + ORIGINALS, target=TARGET, host=HOST) == EXPECTED


@pytest.mark.parametrize("depth", [40, 600])
async def test_deeply_nested_upstream_data_is_served_not_crashed(monkeypatch, depth):
    """Through the routes, including the legacy one that walks served models to redact them."""
    deep = {**copy.deepcopy(ORIGINALS[0]), "name": "deep", "tags": nest(depth)}
    deep["config"] = {"served_models": [{"name": "m", "nested": nest(depth), "api_key": "k"}]}
    with FakeWorkspace([deep, *ORIGINALS], token=CANARY_PAT) as fake:
        monkeypatch.setenv("DATABRICKS_HOST", fake.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", CANARY_PAT)
        async with app_client(make_hub({"databricks": hub_databricks})) as client:
            for url in ("/public/databricks/endpoints", "/public/databricks/serving_endpoints", "/public/model_hub"):
                response = await client.get(url)
                assert response.status_code == 200, (url, response.text[:300])
            legacy = (await client.get("/public/databricks/serving_endpoints")).json()
    [item] = [e for e in legacy["endpoints"] if e["name"] == "deep"]
    assert item["config"]["served_models"][0]["api_key"] == "[REDACTED]"
