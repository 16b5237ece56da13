"""What an operator is told: errors name their variable, config= is honoured, ETags and states mean what they say."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub_core.settings import HubSettings, SettingsError


def test_unparseable_providers_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_PROVIDERS", "not json")
    with pytest.raises(SettingsError) as caught:
        HubSettings()
    assert "HUB_PROVIDERS" in str(caught.value) and "JSON" in str(caught.value)


def test_config_keyword_reads_the_toml_file(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('cache_ttl = 42\n[providers.databricks]\nhost = "https://adb-1.azuredatabricks.net"\n')
    settings = HubSettings(config=toml)
    assert settings.cache_ttl == 42
    assert settings.providers["databricks"]["host"] == "https://adb-1.azuredatabricks.net"


def test_config_keyword_wins_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_env, given = tmp_path / "env.toml", tmp_path / "given.toml"
    from_env.write_text("cache_ttl = 1\n")
    given.write_text("cache_ttl = 2\n")
    monkeypatch.setenv("HUB_CONFIG", str(from_env))
    assert HubSettings(config=given).cache_ttl == 2


def test_config_keyword_naming_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"HubSettings\(config=\.\.\.\)"):
        HubSettings(config=tmp_path / "absent.toml")


async def test_availability_etags_say_what_they_select() -> None:
    from hub_core.hub import Hub

    hub = Hub.from_settings(HubSettings(load_plugins=""))
    try:
        etags = {available: (await hub.model_hub_body(available=available))[1].etag for available in (True, False)}
    finally:
        await hub.aclose()
    assert etags[True].endswith("-available") and etags[False].endswith("-unavailable")


def test_refresh_ahead_past_the_ttl_names_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from hub_core.cli import app

    monkeypatch.setenv("HUB_REFRESH_AHEAD", "400")
    result = CliRunner().invoke(app, ["providers"])
    assert result.exit_code != 0
    assert "HUB_REFRESH_AHEAD (400 s) must be shorter than HUB_CACHE_TTL (300 s)" in result.output
    assert ": Value error" not in result.output


def test_catalog_entries_are_not_shown_as_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from hub_core.cli import app

    monkeypatch.setenv("HUB_LOAD_PLUGINS", "databricks")  # installed, no workspace configured
    result = CliRunner().invoke(app, ["endpoints", "databricks"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "catalog" in result.output and "not deployed" in result.output
    assert "READY" not in result.output
