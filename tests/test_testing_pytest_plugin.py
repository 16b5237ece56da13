"""The pytest11 plugin: isolated_env clears HUB_* and listed prefixes; fake_upstream serves."""

from __future__ import annotations

import os
from importlib.metadata import entry_points

import httpx
import pytest

from hub_core.testing import FakeUpstream


def test_registered_as_pytest11_entry_point() -> None:
    names = {ep.value for ep in entry_points(group="pytest11")}
    assert "hub_core.testing.pytest_plugin" in names


def test_isolated_env_clears_hub_variables(request: pytest.FixtureRequest) -> None:
    with pytest.MonkeyPatch.context() as outer:
        outer.setenv("HUB_SECRET_TEST", "x")
        outer.setenv("UNRELATED_TEST_VAR", "y")
        inner = request.getfixturevalue("isolated_env")
        assert "HUB_SECRET_TEST" not in os.environ
        assert os.environ["UNRELATED_TEST_VAR"] == "y"
        inner.undo()
        assert os.environ["HUB_SECRET_TEST"] == "x"


def test_fake_upstream_fixture(fake_upstream: FakeUpstream) -> None:
    fake_upstream.route("GET", "/ping", {"ok": True})
    assert httpx.get(f"{fake_upstream.url}/ping").json() == {"ok": True}
