"""Plugin loading: failure boundaries, allow/block lists, strict mode, duplicates, dispatch."""

from __future__ import annotations

import logging

import importlib_metadata
import pluggy
import pytest
from hubtest_plugins import MisspelledProvider, StaticProvider

from hub_core.errors import DuplicateProviderError, PluginLoadError
from hub_core.plugins import PluginRegistry, load_plugins
from hub_core.settings import HubSettings
from hub_core.testing import fresh_registry


def ep(name: str, value: str) -> importlib_metadata.EntryPoint:
    return importlib_metadata.EntryPoint(name=name, value=value, group="hub_core")


GOOD = "hubtest_entrypoints:good"
BROKEN = "hubtest_entrypoints_broken:plugin"


@pytest.fixture(autouse=True)
def entrypoint_modules(tmp_path, monkeypatch):
    """Two importable plugin modules: one fine, one that raises on import and leaves a marker."""
    marker = tmp_path / "broken-was-imported"
    (tmp_path / "hubtest_entrypoints.py").write_text(
        "from hubtest_plugins import StaticProvider\ngood = StaticProvider('good')\n"
    )
    (tmp_path / "hubtest_entrypoints_broken.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nraise RuntimeError('this plugin is broken')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in ("hubtest_entrypoints", "hubtest_entrypoints_broken"):
        monkeypatch.delitem(__import__("sys").modules, module, raising=False)
    return marker


def test_broken_plugin_is_reported_and_others_load(caplog, entrypoint_modules):
    caplog.set_level(logging.ERROR, logger="hub_core.plugins")
    registry = load_plugins(HubSettings(), entry_points=[ep("good", GOOD), ep("broken", BROKEN)])
    assert registry.loaded() == ["good"]
    record = registry.records["broken"]
    assert record.state == "failed_to_load"
    assert "this plugin is broken" in record.message
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "'broken'" in errors[0].getMessage()


def test_strict_mode_makes_a_broken_plugin_fatal():
    with pytest.raises(PluginLoadError, match="broken"):
        load_plugins(HubSettings(strict_plugins=True), entry_points=[ep("good", GOOD), ep("broken", BROKEN)])


def test_allowlist_never_imports_unlisted_plugins(entrypoint_modules):
    registry = load_plugins(HubSettings(load_plugins="good"), entry_points=[ep("good", GOOD), ep("broken", BROKEN)])
    assert registry.loaded() == ["good"]
    assert registry.records["broken"].state == "disabled"
    assert not entrypoint_modules.exists(), "an unlisted plugin was imported"


def test_empty_allowlist_loads_nothing(entrypoint_modules):
    registry = load_plugins(HubSettings(load_plugins=""), entry_points=[ep("good", GOOD), ep("broken", BROKEN)])
    assert registry.loaded() == []
    assert {r.state for r in registry.records.values()} == {"disabled"}
    assert not entrypoint_modules.exists()


def test_blocklist_disables_and_does_not_import(entrypoint_modules):
    registry = load_plugins(
        HubSettings(disable_plugins="broken, other"), entry_points=[ep("good", GOOD), ep("broken", BROKEN)]
    )
    assert registry.loaded() == ["good"]
    assert registry.records["broken"].state == "disabled"
    assert "HUB_DISABLE_PLUGINS" in registry.records["broken"].message
    assert not entrypoint_modules.exists()


def test_duplicate_provider_names_stop_startup_naming_both_distributions():
    first = importlib_metadata.EntryPoint(name="dup", value=GOOD, group="hub_core")
    second = importlib_metadata.EntryPoint(name="dup", value="hubtest_entrypoints:other", group="hub_core")
    with pytest.raises(DuplicateProviderError) as caught:
        load_plugins(HubSettings(), entry_points=[first, second])
    assert "hubtest_entrypoints:good" in str(caught.value) and "hubtest_entrypoints:other" in str(caught.value)


def test_duplicate_names_found_through_distributions(monkeypatch):
    class FakeDist:
        def __init__(self, name: str) -> None:
            self.metadata = {"Name": name}
            self.version = "1.0"

    eps = [ep("dup", GOOD), ep("dup", GOOD)]
    eps = [e._for(FakeDist(n)) for e, n in zip(eps, ["hub-dup-one", "hub-dup-two"], strict=True)]  # type: ignore[attr-defined]
    with pytest.raises(DuplicateProviderError, match="hub-dup-one, hub-dup-two"):
        load_plugins(HubSettings(), entry_points=eps)


def test_misspelled_hookimpl_fails_loudly():
    registry = PluginRegistry()
    with pytest.raises(pluggy.PluginValidationError, match=r"discover_endpoint.*Did you mean 'discover_endpoints'"):
        registry.register(MisspelledProvider(), "typo")
    assert "typo" not in registry.records
    registry.pm.check_pending()  # nothing left pending


def test_misspelled_hookimpl_through_entry_point_is_failed_to_load(tmp_path, monkeypatch):
    (tmp_path / "hubtest_typo.py").write_text(
        "from hubtest_plugins import MisspelledProvider\nplugin = MisspelledProvider()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = load_plugins(HubSettings(), entry_points=[ep("typo", "hubtest_typo:plugin"), ep("good", GOOD)])
    assert registry.records["typo"].state == "failed_to_load"
    assert "Did you mean 'discover_endpoints'" in registry.records["typo"].message
    assert registry.loaded() == ["good"]


def test_dispatch_is_by_provider_name_not_registration_order():
    registry = fresh_registry({"first": StaticProvider("first"), "second": StaticProvider("second")})
    assert registry.hooks("first").provider_info().display_name == "Static first"
    assert registry.hooks("second").provider_info().display_name == "Static second"
    assert registry.hooks("missing").provider_info() is None


def test_registering_the_same_name_twice_in_process_is_refused():
    registry = fresh_registry({"x": StaticProvider("x")})
    with pytest.raises(DuplicateProviderError):
        registry.register(StaticProvider("x"), "x")


def test_an_allowlist_naming_no_installed_plugin_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hub_core.plugins"):
        registry = load_plugins(HubSettings(load_plugins="nope"), entry_points=[ep("good", GOOD)])
    assert registry.loaded() == []
    (record,) = [r for r in caplog.records if "HUB_LOAD_PLUGINS" in r.getMessage()]
    assert "nope" in record.getMessage() and "installed plugins: good" in record.getMessage()


def test_an_allowlist_of_installed_plugins_is_not_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hub_core.plugins"):
        load_plugins(HubSettings(load_plugins="good"), entry_points=[ep("good", GOOD)])
    assert not [r for r in caplog.records if "HUB_LOAD_PLUGINS" in r.getMessage()]
