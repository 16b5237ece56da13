"""A host URL with a user name and password in it is refused without being echoed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from databricks_hubs import databricks_hub

from hub_core import ProviderConfigError
from hub_core.testing import app_client
from hub_databricks.config import normalise_host, resolve_workspaces, shown_url

PASSWORD = "hunter2-Pa55word-e1f2"
USER = "alice-admin"
HOSTS = [
    f"https://{USER}:{PASSWORD}@adb-1.2.azuredatabricks.net",
    f"https://{USER}:{PASSWORD}@adb-1.2.azuredatabricks.net/serving-endpoints",
    f"{USER}:{PASSWORD}@adb-1.2.azuredatabricks.net",
    f"https://{USER}:{PASSWORD.replace('-', '/')}@adb-1.2.azuredatabricks.net",  # a '/' in the password
    f"https://{USER}:{PASSWORD.replace('-', '#')}@adb-1.2.azuredatabricks.net",
    f"https://{USER}:{PASSWORD.replace('-', '?')}@adb-1.2.azuredatabricks.net",
    f"https://adb-1.2.azuredatabricks.net/?token={PASSWORD}",
    f"https://adb-1.2.azuredatabricks.net#{PASSWORD}",
]


def shows_credentials(text: str) -> bool:
    pieces = [p for p in PASSWORD.replace("/", "-").replace("#", "-").replace("?", "-").split("-") if len(p) > 4]
    return USER in text or any(p in text for p in pieces)


@pytest.mark.parametrize("host", HOSTS)
def test_a_host_with_userinfo_is_refused_and_not_echoed(host):
    with pytest.raises(ProviderConfigError) as caught:
        normalise_host(host)
    message = str(caught.value)
    assert not shows_credentials(message), message
    assert "is not a workspace URL" in message and "adb-1.2.azuredatabricks.net" in message
    if "@" in host:
        assert "***@adb-1.2.azuredatabricks.net" in message and "without a user name or password" in message


@pytest.mark.parametrize("variable", ["DATABRICKS_HOST", "DATABRICKS_API_BASE"])
def test_environment_hosts_are_not_echoed(variable):
    environ = {variable: HOSTS[0], "DATABRICKS_TOKEN": "dapi-some-token-value"}
    with pytest.raises(ProviderConfigError) as caught:
        resolve_workspaces({}, environ)
    assert not shows_credentials(str(caught.value))


def test_a_toml_host_is_not_echoed():
    table = {"name": "w", "host": HOSTS[3], "auth": "pat", "token_env": "T"}
    with pytest.raises(ProviderConfigError) as caught:
        resolve_workspaces({"workspaces": [table]}, {"T": "dapi-some-token-value"})
    assert not shows_credentials(str(caught.value))


def test_shown_url_keeps_what_helps():
    assert shown_url("https://u:p@host.example/x?token=t#f") == "https://***@host.example/x"
    assert shown_url("https://host.example/serving-endpoints") == "https://host.example/serving-endpoints"
    assert shown_url("ftp://host\x00.example") == "ftp://host.example"
    assert len(shown_url("https://" + "a" * 500)) == 100


async def test_provider_status_and_the_cli_do_not_echo_userinfo(monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", HOSTS[0])
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-some-token-value")
    async with app_client(databricks_hub()) as client:
        providers = (await client.get("/public/providers")).text
        endpoints = (await client.get("/public/databricks/endpoints")).text
    assert "***@adb-1.2.azuredatabricks.net" in providers
    assert not shows_credentials(providers) and not shows_credentials(endpoints)
    result = subprocess.run(
        [sys.executable, "-m", "hub_core", "providers", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )
    assert "***@adb-1.2.azuredatabricks.net" in result.stdout + result.stderr
    assert not shows_credentials(result.stdout + result.stderr)
