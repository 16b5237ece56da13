"""A refresh of an unchanged workspace reuses the last parse, conversion and body, byte for byte."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from databricks_hubs import databricks_hub

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
        assert len(calls) == count + len(changed)
    finally:
        await hub.aclose()
    assert after != first
    assert after == await fresh_bodies()


async def test_a_credential_added_since_the_last_list_has_it_checked_again(workspace):
    hub = databricks_hub()
    try:
        await bodies(hub)
        before = await hub.view("databricks")
        [target] = await hub.targets("databricks")
        client: WorkspaceClient = target.handle
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
        [target] = await hub.targets("databricks")
        client: WorkspaceClient = target.handle
        first = await client.discover("default")
        again = await client.discover("default")
        other = await client.discover("elsewhere")
    finally:
        await hub.aclose()
    assert all(a is b for a, b in zip(first, again, strict=True))
    assert not any(a is b for a, b in zip(first, other, strict=True))
    assert {e.target for e in other} == {"elsewhere"}
