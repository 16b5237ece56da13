"""Which workspaces and auth methods the environment and hub.toml select."""

from __future__ import annotations

import sys

import pytest

from hub_core import ProviderConfigError
from hub_databricks.config import normalise_host, resolve_workspaces

HOST = "https://adb-123.azuredatabricks.net"


@pytest.mark.parametrize(
    "given",
    [
        "https://adb-123.azuredatabricks.net",
        "https://adb-123.azuredatabricks.net/",
        "https://adb-123.azuredatabricks.net/serving-endpoints",
        "https://adb-123.azuredatabricks.net/serving-endpoints/",
        "adb-123.azuredatabricks.net",
        "https://adb-123.azuredatabricks.net:443",
        "  https://adb-123.azuredatabricks.net/api/2.0/serving-endpoints ",
    ],
)
def test_host_normalisation(given):
    assert normalise_host(given) == HOST


@pytest.mark.parametrize("bad", ["https://", "https://a b.com", "https://host/with/path", "https://u:p@host"])
def test_bad_hosts_are_refused(bad):
    with pytest.raises(ProviderConfigError, match="not a workspace URL"):
        normalise_host(bad)


def test_nothing_set_means_not_configured():
    assert resolve_workspaces({}, {}) == []


def test_litellm_style_pat():
    [w] = resolve_workspaces({}, {"DATABRICKS_API_KEY": "k", "DATABRICKS_API_BASE": HOST + "/serving-endpoints"})
    assert (w.name, w.host, w.auth, w.token.get_secret_value()) == ("default", HOST, "pat", "k")


def test_sdk_style_pat():
    [w] = resolve_workspaces({}, {"DATABRICKS_TOKEN": "k", "DATABRICKS_HOST": HOST})
    assert w.auth == "pat" and w.credential_source == "DATABRICKS_TOKEN with DATABRICKS_HOST"


def test_oauth_m2m():
    env = {"DATABRICKS_CLIENT_ID": "id", "DATABRICKS_CLIENT_SECRET": "s", "DATABRICKS_HOST": HOST}
    [w] = resolve_workspaces({}, env)
    assert w.auth == "oauth-m2m" and w.client_id == "id"


def test_sdk_profile():
    [w] = resolve_workspaces({}, {"DATABRICKS_CONFIG_PROFILE": "prod"})
    assert w.auth == "sdk" and w.profile == "prod"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABRICKS_TOKEN": "k", "DATABRICKS_CLIENT_ID": "i", "DATABRICKS_CLIENT_SECRET": "s",
             "DATABRICKS_HOST": HOST},
            "More than one Databricks auth method",
        ),
        ({"DATABRICKS_TOKEN": "k", "DATABRICKS_CONFIG_PROFILE": "p", "DATABRICKS_HOST": HOST}, "pat and sdk"),
        ({"DATABRICKS_API_KEY": "a", "DATABRICKS_TOKEN": "b", "DATABRICKS_HOST": HOST}, "different values"),
        (
            {"DATABRICKS_TOKEN": "k", "DATABRICKS_HOST": HOST, "DATABRICKS_API_BASE": "https://other.cloud.databricks.com"},
            "different workspaces",
        ),
        ({"DATABRICKS_TOKEN": "k"}, "no workspace host"),
        ({"DATABRICKS_CLIENT_ID": "i", "DATABRICKS_HOST": HOST}, "DATABRICKS_CLIENT_SECRET"),
        ({"HUB_DATABRICKS_AUTH": "magic", "DATABRICKS_HOST": HOST}, "not an auth method"),
    ],
)  # fmt: skip
def test_ambiguous_or_partial_configuration_is_a_clear_error(env, message):
    with pytest.raises(ProviderConfigError, match=message):
        resolve_workspaces({}, env)


def test_explicit_choice_resolves_ambiguity():
    env = {"DATABRICKS_TOKEN": "k", "DATABRICKS_CLIENT_ID": "i", "DATABRICKS_CLIENT_SECRET": "s",
           "DATABRICKS_HOST": HOST, "HUB_DATABRICKS_AUTH": "oauth-m2m"}  # fmt: skip
    [w] = resolve_workspaces({}, env)
    assert w.auth == "oauth-m2m"


def test_same_pat_under_both_names_is_fine():
    [w] = resolve_workspaces({}, {"DATABRICKS_API_KEY": "k", "DATABRICKS_TOKEN": "k", "DATABRICKS_HOST": HOST})
    assert w.auth == "pat"


def test_several_workspaces_from_toml_ignore_the_environment():
    config = {
        "workspaces": [
            {"name": "prod", "host": HOST, "auth": "pat", "token_env": "PROD_TOKEN"},
            {"name": "dev", "host": "dev.cloud.databricks.com", "auth": "oauth-m2m", "client_id": "cid",
             "client_secret_env": "DEV_SECRET"},
            {"name": "lab", "auth": "sdk", "profile": "lab"},
        ]
    }  # fmt: skip
    env = {"PROD_TOKEN": "p", "DEV_SECRET": "s", "DATABRICKS_TOKEN": "ignored"}
    prod, dev, lab = resolve_workspaces(config, env)
    assert (prod.name, prod.auth, prod.token.get_secret_value()) == ("prod", "pat", "p")
    assert (dev.host, dev.auth, dev.client_secret.get_secret_value()) == (
        "https://dev.cloud.databricks.com",
        "oauth-m2m",
        "s",
    )
    assert (lab.auth, lab.profile) == ("sdk", "lab")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"name": "p", "host": HOST, "auth": "pat", "token": "dapi-inline"}, "secret inline"),
        ({"name": "p", "host": HOST, "auth": "oauth-m2m", "client_id": "c", "client_secret": "x"}, "secret inline"),
        ({"name": "p", "host": HOST, "auth": "pat", "token_env": "MISSING_VAR"}, "MISSING_VAR is not set"),
        ({"name": "p", "host": HOST, "auth": "pat"}, "token_env"),
        ({"name": "p", "auth": "pat", "token_env": "X"}, "needs host"),
        ({"name": "bad name!", "host": HOST, "auth": "pat"}, "needs a name"),
        ({"name": "p", "host": HOST, "auth": "basic"}, "needs auth"),
    ],
)
def test_bad_workspace_tables(table, message):
    with pytest.raises(ProviderConfigError, match=message) as caught:
        resolve_workspaces({"workspaces": [table]}, {"X": "x"})
    assert "dapi-inline" not in str(caught.value)


def test_duplicate_workspace_names():
    table = {"name": "p", "host": HOST, "auth": "pat", "token_env": "X"}
    with pytest.raises(ProviderConfigError, match="unique"):
        resolve_workspaces({"workspaces": [table, table]}, {"X": "x"})


def test_workspace_config_repr_hides_secrets():
    [w] = resolve_workspaces({}, {"DATABRICKS_TOKEN": "dapi-secret-canary", "DATABRICKS_HOST": HOST})
    assert "dapi-secret-canary" not in repr(w) and "dapi-secret-canary" not in str(w.model_dump())


def test_sdk_auth_without_the_sdk_names_an_installable_extra(monkeypatch):
    """hub-databricks is not on a package index: the hint names the plugin's directory, and the SDK itself."""
    from hub_databricks.auth import SdkAuth

    monkeypatch.setitem(sys.modules, "databricks.sdk.core", None)  # `import` of a None entry raises ImportError
    [w] = resolve_workspaces({}, {"DATABRICKS_CONFIG_PROFILE": "prod", "DATABRICKS_HOST": HOST})
    with pytest.raises(ProviderConfigError) as raised:
        SdkAuth(w)._build_config()
    assert "pip install './plugins/databricks[sdk]'" in raised.value.message
    assert "hub-databricks[sdk]" not in raised.value.message
