"""The caller-credentials settings belong to the Databricks plugin: its TOML table, its variables, and
the old HUB_* names as deprecated aliases that warn once."""

from __future__ import annotations

import logging

import pytest

import hub_databricks
from hub_core import ProviderConfigError
from hub_core.settings import HubSettings
from hub_databricks import config
from hub_databricks.config import CallerSettings, caller_settings

OLD_FLAG, NEW_FLAG = "HUB_ALLOW_CALLER_CREDENTIALS", "HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS"
OLD_SUFFIXES, NEW_SUFFIXES = "HUB_CALLER_HOST_SUFFIXES", "HUB_DATABRICKS_CALLER_HOST_SUFFIXES"


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "_warned", set())


def deprecations(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "hub_databricks.config" and "HUB_" in r.getMessage()]


def test_default_is_off_with_no_extra_suffixes(caplog: pytest.LogCaptureFixture) -> None:
    assert caller_settings({}, {}) == CallerSettings(enabled=False, host_suffixes=())
    assert deprecations(caplog) == []


def test_the_hub_settings_no_longer_hold_them() -> None:
    assert "allow_caller_credentials" not in HubSettings.model_fields
    assert "caller_host_suffixes" not in HubSettings.model_fields


@pytest.mark.parametrize("value", ["true", "1", "yes", "on", " TRUE "])
def test_the_new_variable_turns_it_on(value: str) -> None:
    assert caller_settings({}, {NEW_FLAG: value}).enabled is True


@pytest.mark.parametrize("value", ["false", "0", "no", "off", ""])
def test_the_new_variable_can_leave_it_off(value: str) -> None:
    assert caller_settings({}, {NEW_FLAG: value}).enabled is False


def test_the_toml_key_turns_it_on_and_wins_over_the_variables() -> None:
    assert caller_settings({"allow_caller_credentials": True}, {}).enabled is True
    assert caller_settings({"allow_caller_credentials": False}, {NEW_FLAG: "true", OLD_FLAG: "true"}).enabled is False
    # HUB_PROVIDERS='{"databricks": {"allow_caller_credentials": "true"}}' gives a string.
    assert caller_settings({"allow_caller_credentials": "true"}, {}).enabled is True


def test_suffixes_from_the_toml_list_the_variable_and_a_toml_string() -> None:
    assert caller_settings({"caller_host_suffixes": ["dbx.example.com", " b.example.org "]}, {}).host_suffixes == (
        "dbx.example.com",
        "b.example.org",
    )
    assert caller_settings({}, {NEW_SUFFIXES: "dbx.example.com, ,b.example.org"}).host_suffixes == (
        "dbx.example.com",
        "b.example.org",
    )
    toml_wins = caller_settings({"caller_host_suffixes": "a.example.com"}, {NEW_SUFFIXES: "b.example.com"})
    assert toml_wins.host_suffixes == ("a.example.com",)


def test_the_old_names_still_work_and_warn_once_naming_the_new_ones(caplog: pytest.LogCaptureFixture) -> None:
    environ = {OLD_FLAG: "true", OLD_SUFFIXES: "dbx.example.com"}
    with caplog.at_level(logging.WARNING, logger="hub_databricks.config"):
        first = caller_settings({}, environ)
        second = caller_settings({}, environ)
    assert first == second == CallerSettings(enabled=True, host_suffixes=("dbx.example.com",))
    messages = deprecations(caplog)
    assert len(messages) == 2, messages
    flag, suffixes = sorted(messages)
    assert flag.startswith(f"{OLD_FLAG} is deprecated") and NEW_FLAG in flag and "next release" in flag
    assert suffixes.startswith(f"{OLD_SUFFIXES} is deprecated") and NEW_SUFFIXES in suffixes


def test_an_old_name_shadowed_by_a_new_one_is_ignored_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hub_databricks.config"):
        settings = caller_settings({}, {OLD_FLAG: "true", NEW_FLAG: "false"})
    assert settings.enabled is False
    (message,) = deprecations(caplog)
    assert message.startswith(f"{OLD_FLAG} is ignored") and NEW_FLAG in message


def test_configured_targets_reports_a_deprecated_name_at_start_up(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(OLD_FLAG, "true")
    with caplog.at_level(logging.WARNING, logger="hub_databricks.config"):
        assert hub_databricks.configured_targets({}) == []
        assert hub_databricks.configured_targets({}) == []
    assert len(deprecations(caplog)) == 1


@pytest.mark.parametrize(
    ("table", "environ", "named"),
    [
        ({}, {NEW_FLAG: "sure"}, NEW_FLAG),
        ({}, {OLD_FLAG: "2"}, OLD_FLAG),
        ({"allow_caller_credentials": [True]}, {}, "[providers.databricks] allow_caller_credentials"),
        ({"caller_host_suffixes": [1, 2]}, {}, "[providers.databricks] caller_host_suffixes"),
        ({"caller_host_suffixes": {"a": "b"}}, {}, "[providers.databricks] caller_host_suffixes"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_setting(
    table: dict[str, object], environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ProviderConfigError) as caught:
        caller_settings(table, environ)
    assert caught.value.message.startswith(named) and caught.value.provider == "databricks"


def test_a_bad_value_fails_the_providers_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NEW_FLAG, "sure")
    with pytest.raises(ProviderConfigError, match=NEW_FLAG):
        hub_databricks.configured_targets({})


def test_the_provider_lists_the_new_variables() -> None:
    assert {NEW_FLAG, NEW_SUFFIXES} <= set(hub_databricks.provider_info().settings)
    assert not {OLD_FLAG, OLD_SUFFIXES} & set(hub_databricks.provider_info().settings)
