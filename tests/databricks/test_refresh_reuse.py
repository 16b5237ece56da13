"""A refresh of an unchanged workspace reuses the last parse, conversion and body, byte for byte."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from databricks_hubs import databricks_hub

from hub_core import Endpoint
from hub_core.hub import Hub
from hub_databricks.client import WorkspaceClient
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, many_endpoints, rich_workspace


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWorkspace]:
    with FakeWorkspace(rich_workspace() + many_endpoints(600)) as fake:
        monkeypatch.setenv("DATABRICKS_HOST", fake.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
        yield fake


async def bodies(hub: Hub) -> dict[str, bytes]:
    """Every body made from a refresh's view, the endpoint list without its ``fetched_at``."""
    found = {}
    for available in (None, True, False):
        found[f"model_hub {available}"] = (await hub.model_hub_body("databricks", available=available))[0]
    endpoints, _ = await hub.endpoints_body("databricks")
    found["endpoints"] = endpoints[endpoints.index(b'"endpoints":') :]
    return found


async def fresh_bodies() -> dict[str, bytes]:
    hub = databricks_hub()
    try:
        return await bodies(hub)
    finally:
        await hub.aclose()


async def client_of(hub: Hub) -> WorkspaceClient:
    """The one workspace's client, as its target holds it."""
    [target] = await hub.targets("databricks")
    client: WorkspaceClient = target.handle
    return client


async def refreshed(hub: Hub) -> dict[str, bytes]:
    hub.cache.invalidate()
    return await bodies(hub)


def converted_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import hub_databricks.convert

    calls: list[str] = []
    convert = hub_databricks.convert.to_model_group

    def counting(endpoint: Any, catalog: Any) -> Any:
        calls.append(endpoint.name)
        return convert(endpoint, catalog)

    monkeypatch.setattr(hub_databricks.convert, "to_model_group", counting)
    return calls


async def test_an_unchanged_list_keeps_its_endpoints_groups_and_bytes(workspace, monkeypatch):
    calls = converted_calls(monkeypatch)
    hub = databricks_hub()
    try:
        first = await bodies(hub)
        view = await hub.view("databricks")
        assert len(calls) == len(view.endpoints) > 600
        again = await refreshed(hub)
        later = await hub.view("databricks")
        assert workspace.list_calls == 2  # it was asked again
        assert later is not view and later.fetched_at is not None and later.fetched_at >= (view.fetched_at or 0)
        assert all(new is old for new, old in zip(later.endpoints, view.endpoints, strict=True))
        assert later.groups is view.groups
        assert len(calls) == len(view.endpoints)  # no endpoint converted twice
    finally:
        await hub.aclose()
    assert again == first == await fresh_bodies()


async def test_a_changed_endpoint_rebuilds_the_list_as_a_new_hub_would(workspace, monkeypatch):
    calls = converted_calls(monkeypatch)
    hub = databricks_hub()
    try:
        first = await bodies(hub)
        count = len(calls)
        changed = copy.deepcopy(workspace.endpoints)
        changed[0]["state"] = {"ready": "NOT_READY", "config_update": "UPDATE_FAILED"}
        changed[-1]["task"] = "llm/v1/completions"
        del changed[3]
        workspace.endpoints[:] = changed
        after = await refreshed(hub)
        # The two changed endpoints are parsed and converted again; the rest keep their groups.
        assert sorted(calls[count:]) == sorted([changed[0]["name"], changed[-1]["name"]])
    finally:
        await hub.aclose()
    assert after != first
    assert after == await fresh_bodies()


async def test_a_credential_added_since_the_last_list_has_it_checked_again(workspace):
    hub = databricks_hub()
    try:
        await bodies(hub)
        before = await hub.view("databricks")
        client = await client_of(hub)
        client.auth.redactor.add("a-newly-minted-credential-0123456789")
        await refreshed(hub)
        after = await hub.view("databricks")
    finally:
        await hub.aclose()
    assert after.groups is not before.groups
    assert not any(new is old for new, old in zip(after.endpoints, before.endpoints, strict=True))


async def test_the_same_bytes_for_another_target_name_are_parsed_again(workspace):
    hub = databricks_hub()
    try:
        await bodies(hub)
        client = await client_of(hub)
        first = await client.discover("default")
        again = await client.discover("default")
        other = await client.discover("elsewhere")
    finally:
        await hub.aclose()
    assert all(a is b for a, b in zip(first, again, strict=True))
    assert not any(a is b for a, b in zip(first, other, strict=True))
    assert {e.target for e in other} == {"elsewhere"}


# -- per-endpoint reuse: a list that changed in a few endpoints parses only those ---------------


def parsed_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The name of each item ``parse_endpoint`` is called with, from now on."""
    import hub_databricks.parse

    calls: list[Any] = []
    parse = hub_databricks.parse.parse_endpoint

    def counting(raw: Any, *, target: str, host: str) -> Any:
        calls.append(raw.get("name") if isinstance(raw, dict) else raw)
        return parse(raw, target=target, host=host)

    monkeypatch.setattr(hub_databricks.parse, "parse_endpoint", counting)
    return calls


def by_name(endpoints: list[Endpoint]) -> dict[str, Endpoint]:
    found = {e.name: e for e in endpoints}
    assert len(found) == len(endpoints)
    return found


def custom(endpoints: list[dict[str, Any]], name: str = "custom-model-00003") -> dict[str, Any]:
    [item] = [e for e in endpoints if e["name"] == name]
    return item


async def test_a_changed_list_parses_only_its_changed_items_and_keeps_the_others(workspace, monkeypatch):
    hub = databricks_hub()
    try:
        await bodies(hub)
        before = by_name((await hub.view("databricks")).endpoints)
        calls = parsed_calls(monkeypatch)
        changed = copy.deepcopy(workspace.endpoints)
        custom(changed)["state"] = {"ready": "NOT_READY", "config_update": "UPDATE_FAILED"}
        added = copy.deepcopy(custom(changed, "custom-model-00007"))
        added["name"] = "a-new-endpoint"
        changed.insert(5, added)
        removed = changed.pop(10)["name"]
        custom(changed, "openai-gpt-4o-00002")["name"] = "renamed-endpoint"
        workspace.endpoints[:] = changed
        after = await refreshed(hub)
        endpoints = (await hub.view("databricks")).endpoints
    finally:
        await hub.aclose()
    assert sorted(calls) == sorted(["custom-model-00003", "a-new-endpoint", "renamed-endpoint"])
    assert [e.name for e in endpoints] == [e["name"] for e in changed]  # the body's order
    unchanged = set(before) - {"custom-model-00003", "openai-gpt-4o-00002", removed}
    now = by_name(endpoints)
    assert all(now[name] is before[name] for name in unchanged)
    assert now["custom-model-00003"] is not before["custom-model-00003"]
    assert now["custom-model-00003"].state_reason == "UPDATE_FAILED"
    assert after == await fresh_bodies()


@pytest.mark.parametrize("other", [1.0, True, "1"])
async def test_a_value_equal_in_python_but_not_in_json_is_parsed_again(workspace, other):
    custom(workspace.endpoints)["config"]["served_entities"][0]["entity_version"] = 1
    hub = databricks_hub()
    try:
        await bodies(hub)
        client = await client_of(hub)
        first = by_name(await client.discover("default"))
        assert first["custom-model-00003"].entities[0].version == "1"
        custom(workspace.endpoints)["config"]["served_entities"][0]["entity_version"] = other
        second = by_name(await client.discover("default"))
        custom(workspace.endpoints)["config"]["served_entities"][0]["entity_version"] = 1
        third = by_name(await client.discover("default"))
    finally:
        await hub.aclose()
    assert second["custom-model-00003"] is not first["custom-model-00003"]
    assert second["custom-model-00003"].entities[0].version == ("1" if other == "1" else None)
    assert third["custom-model-00003"] is not second["custom-model-00003"]
    assert third["custom-model-00003"].entities[0].version == "1"
    assert all(second[name] is first[name] is third[name] for name in first if name != "custom-model-00003")


async def test_a_credential_added_to_the_redactor_makes_a_changed_list_parsed_in_full(workspace, monkeypatch):
    hub = databricks_hub()
    try:
        await bodies(hub)
        client = await client_of(hub)
        client.auth.redactor.add("a-newly-minted-credential-0123456789")
        custom(workspace.endpoints)["description"] = "changed"
        calls = parsed_calls(monkeypatch)
        after = await refreshed(hub)
    finally:
        await hub.aclose()
    assert len(calls) == len(workspace.endpoints)
    assert after == await fresh_bodies()


async def test_a_credential_echoed_in_one_endpoint_is_redacted_and_the_rest_reused(workspace, monkeypatch):
    hub = databricks_hub()
    try:
        await bodies(hub)
        before = by_name((await hub.view("databricks")).endpoints)
        calls = parsed_calls(monkeypatch)
        custom(workspace.endpoints)["description"] = f"token {DEFAULT_PAT} in a description"
        echoed = await refreshed(hub)
        middle = by_name((await hub.view("databricks")).endpoints)
        assert calls == ["custom-model-00003"]
        # The echo stays; another endpoint changes: the redacted item's own bytes are reused too.
        custom(workspace.endpoints, "custom-model-00007")["description"] = "changed"
        again = await refreshed(hub)
        now = by_name((await hub.view("databricks")).endpoints)
    finally:
        await hub.aclose()
    assert calls == ["custom-model-00003", "custom-model-00007"]
    assert middle["custom-model-00003"].description == "token [REDACTED] in a description"
    assert now["custom-model-00003"] is middle["custom-model-00003"]
    changed = ("custom-model-00003", "custom-model-00007")
    assert all(now[n] is middle[n] is before[n] for n in before if n not in changed)
    for found in (echoed, again):
        assert not any(DEFAULT_PAT.encode() in body for body in found.values())
    assert again == await fresh_bodies()


async def test_a_duplicated_item_is_parsed_again_not_shared(workspace, monkeypatch):
    hub = databricks_hub()
    try:
        await bodies(hub)
        client = await client_of(hub)
        first = await client.discover("default")
        calls = parsed_calls(monkeypatch)
        twice = copy.deepcopy(custom(workspace.endpoints))
        workspace.endpoints.append(twice)
        second = await client.discover("default")
        assert calls == ["custom-model-00003"]
        custom(workspace.endpoints, "custom-model-00007")["description"] = "changed"
        third = await client.discover("default")
        after = await refreshed(hub)
    finally:
        await hub.aclose()
    # The duplicate is parsed again each time: the map holds one endpoint for its bytes, given once.
    assert calls == ["custom-model-00003", "custom-model-00007", "custom-model-00003"]
    copies = [e for e in second if e.name == "custom-model-00003"]
    assert len(copies) == 2 and copies[0] is not copies[1]
    assert copies[0] is next(e for e in first if e.name == "custom-model-00003")
    later = [e for e in third if e.name == "custom-model-00003"]
    assert later[0] is copies[0] and later[1] is not copies[1] and later[1] is not later[0]
    assert after == await fresh_bodies()


def test_the_per_item_scan_checks_the_same_bytes_as_the_whole_chunk(workspace):
    import orjson

    from hub_databricks.config import WorkspaceConfig

    items = many_endpoints(1200)
    client = WorkspaceClient(WorkspaceConfig(name="default", host=workspace.url, auth="pat", token=DEFAULT_PAT))
    kept, encoded = client._without_secrets(items)
    assert kept is items
    assert encoded == [orjson.dumps(item) for item in items]
    assert b"[" + b",".join(encoded[:500]) + b"]" == orjson.dumps(items[:500])


def test_the_kept_item_bytes_take_about_their_length_in_memory(workspace):
    """orjson's output holds about 8 KB whatever its length; the bytes kept per item are copies."""
    import tracemalloc

    from hub_databricks.config import WorkspaceConfig

    items = many_endpoints(1000)
    client = WorkspaceClient(WorkspaceConfig(name="default", host=workspace.url, auth="pat", token=DEFAULT_PAT))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        _, encoded = client._without_secrets(items)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert encoded is not None
    length = sum(len(e) for e in encoded)
    assert grown < 1.5 * length + 100_000, (grown, length)


async def test_a_list_too_deep_for_orjson_is_parsed_in_full_each_time(workspace, monkeypatch):
    deep: Any = "bottom"
    for _ in range(300):
        deep = {"d": deep}
    custom(workspace.endpoints)["tags"] = [deep]
    hub = databricks_hub()
    try:
        await bodies(hub)
        client = await client_of(hub)
        await client.discover("default")
        assert client._last is not None and client._last.by_bytes is None
        calls = parsed_calls(monkeypatch)
        custom(workspace.endpoints, "custom-model-00007")["description"] = "changed"
        await client.discover("default")
    finally:
        await hub.aclose()
    assert len(calls) == len(workspace.endpoints)
