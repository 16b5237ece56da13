"""A hostile workspace echoes every credential the hub sends, in every form; none comes back out.

The workspace (tests/support/hostile_workspace.py) is a real HTTP server on 127.0.0.1. The
hub reaches it with its own PAT and OAuth M2M auth and through the real databricks-sdk
(a PAT and OAuth M2M). Whatever the upstream echoes (the header as sent, the credential in
upper case, base64, percent-encoded, cut short, or the whole request as JSON), the
credential must not appear in any form in the routes that show upstream text, in the log,
or in the exception, and the error must still say what failed.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from conftest_helpers import require_sdk
from hostile_workspace import FORMS, HostileWorkspace

import hub_databricks
from hub_core.testing import app_client, make_hub

CLIENT_ID = "hostile-sp-client"
SECRET = "Hostile-client-Secret-4d9b2c7e1a"
PAT = "dapi-hostile-pat-9c8b7a6f5e4d3c2b"
ROUTES = (
    "/public/model_hub?provider=databricks",
    "/public/model_hub",
    "/public/providers",
    "/public/databricks/endpoints",
    "/public/databricks/serving_endpoints",
    "/public/v1/model_hub",
)
HUB_SETTINGS: dict[str, Any] = {"cache_ttl": 0, "stale_ttl": 0, "discovery_timeout": 8.0}


def forms_of(secret: str, user: str | None = None) -> list[str]:
    """What finding ``secret`` looks like, worked out independently of hub_core.redact:
    any 10-character piece of it (any case), its base64 and percent-encoded forms, and
    the Basic header value for ``user:secret``."""
    pieces = [secret[i : i + 10].lower() for i in range(len(secret) - 9)]
    encoded = [base64.b64encode(secret.encode()).decode()[:-4], quote(secret, safe="").lower()]
    if user is not None:
        encoded.append(base64.b64encode(f"{user}:{secret}".encode()).decode()[8:-4])
    return pieces + encoded


def leaks(text: str, secrets: dict[str, list[str]]) -> list[str]:
    folded = text.lower()
    return [name for name, forms in secrets.items() if any(f.lower() in folded for f in forms)]


def clean_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "HUB_", "ARM_")) and name != "DATABRICKS_CONFIG_FILE":
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def auth_env(auth: str, url: str) -> dict[str, str]:
    if auth == "pat":
        return {"DATABRICKS_HOST": url, "DATABRICKS_TOKEN": PAT}
    if auth == "oauth-m2m":
        return {"DATABRICKS_HOST": url, "DATABRICKS_CLIENT_ID": CLIENT_ID, "DATABRICKS_CLIENT_SECRET": SECRET}
    if auth == "sdk-pat":
        return {"DATABRICKS_HOST": url, "DATABRICKS_TOKEN": PAT, "HUB_DATABRICKS_AUTH": "sdk"}
    return {
        "DATABRICKS_HOST": url,
        "DATABRICKS_CLIENT_ID": CLIENT_ID,
        "DATABRICKS_CLIENT_SECRET": SECRET,
        "HUB_DATABRICKS_AUTH": "sdk",
    }


def secrets_of(auth: str, fake: HostileWorkspace) -> dict[str, list[str]]:
    found = {"PAT": forms_of(PAT)} if auth.endswith("pat") else {"client secret": forms_of(SECRET, CLIENT_ID)}
    for number, token in enumerate(fake.issued):
        found[f"access token {number}"] = forms_of(token)
    return found


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog


async def shown(fake: HostileWorkspace, caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """What the hub shows about the workspace: every route that carries upstream text, and the log."""
    texts = []
    async with app_client(make_hub({"databricks": hub_databricks}, **HUB_SETTINGS)) as client:
        for route in ROUTES:
            response = await client.get(route)
            texts.append((f"{route} -> {response.status_code}", response.text))
    formatter = logging.Formatter("%(name)s %(message)s")
    texts += [(f"log {r.name}", formatter.format(r)) for r in caplog.records if not r.name.startswith("httpx")]
    return texts


def provider_message(texts: list[tuple[str, str]]) -> str:
    [(_, body)] = [t for t in texts if t[0].startswith("/public/providers ")]
    [row] = [p for p in json.loads(body) if p["name"] == "databricks"]
    return str(row["message"])


# -- the list call echoes the credential the hub sent --------------------------------------------


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("auth", ["pat", "oauth-m2m", "sdk-pat", "sdk-m2m"])
async def test_an_echoing_list_call_never_shows_the_credential(auth, form, monkeypatch, debug_log):
    if auth.startswith("sdk"):
        require_sdk()
    with HostileWorkspace(api_mode="echo", form=form) as fake:
        clean_env(monkeypatch, **auth_env(auth, fake.url))
        texts = await shown(fake, debug_log)
    assert fake.list_calls >= 1 and (fake.issued or auth.endswith("pat")), "the credential was really sent"
    found = secrets_of(auth, fake)
    assert [(where, leaks(text, found)) for where, text in texts if leaks(text, found)] == []
    message = provider_message(texts)
    assert "rejected the hub's" in message and "403 INVALID_TOKEN: Invalid access token" in message


# -- the OAuth token endpoint echoes the client credentials ----------------------------------------


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("mode", ["echo", "echo-text"])
@pytest.mark.parametrize("auth", ["oauth-m2m", "sdk-m2m"])
async def test_an_echoing_token_endpoint_never_shows_the_secret(auth, mode, form, monkeypatch, debug_log):
    if auth.startswith("sdk"):
        require_sdk()
    with HostileWorkspace(token_mode=mode, form=form) as fake:
        clean_env(monkeypatch, **auth_env(auth, fake.url))
        texts = await shown(fake, debug_log)
    assert fake.token_calls >= 1
    found = secrets_of(auth, fake)
    assert [(where, leaks(text, found)) for where, text in texts if leaks(text, found)] == []
    message = provider_message(texts)
    if auth == "oauth-m2m":
        assert "refused the OAuth M2M client credentials (401" in message
        if mode == "echo":
            assert "(401 invalid_client: Client " in message
            assert form == "json" or "[REDACTED]" in message  # the request as JSON is cut before its header
    else:
        assert "the Databricks SDK could not authenticate (" in message


# -- the CLI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "token_mode", "api_mode"),
    [("oauth-m2m", "ok", "echo"), ("oauth-m2m", "echo", "ok"), ("sdk-m2m", "echo", "ok"), ("sdk-pat", "ok", "echo")],
)
def test_the_cli_never_shows_an_echoed_credential(auth, token_mode, api_mode):
    if auth.startswith("sdk"):
        require_sdk()
    outputs = []
    with HostileWorkspace(token_mode=token_mode, api_mode=api_mode, form="header") as fake:
        env = {**os.environ, **auth_env(auth, fake.url), "HUB_LOG_LEVEL": "DEBUG", "COLUMNS": "300"}
        for args in (("endpoints", "databricks", "--json"), ("providers", "--json"), ("providers",)):
            result = subprocess.run(
                [sys.executable, "-m", "hub_core", *args], capture_output=True, text=True, env=env, timeout=60
            )
            outputs += [result.stdout, result.stderr]
    assert fake.token_calls + fake.list_calls >= 3, "the CLI really called the workspace"
    found = secrets_of(auth, fake)
    assert [leaks(text, found) for text in outputs if leaks(text, found)] == []
    assert "REDACTED" in "".join(outputs)


# -- a successful list that carries the echo ----------------------------------------------------


@pytest.mark.parametrize("form", ["header", "raw", "upper", "base64", "urlencoded", "json"])
@pytest.mark.parametrize("auth", ["pat", "oauth-m2m", "sdk-pat"])
async def test_an_echo_inside_a_successful_list_is_redacted(auth, form, monkeypatch, debug_log):
    if auth.startswith("sdk"):
        require_sdk()
    with HostileWorkspace(api_mode="echo-ok", form=form) as fake:
        clean_env(monkeypatch, **auth_env(auth, fake.url))
        texts = await shown(fake, debug_log)
    found = secrets_of(auth, fake)
    assert [(where, leaks(text, found)) for where, text in texts if leaks(text, found)] == []
    [(_, body)] = [t for t in texts if t[0].startswith("/public/databricks/endpoints ")]
    assert [e["creator"] for e in json.loads(body)["endpoints"] if e["name"] == "chat-a"] != []
    assert "[REDACTED]" in body and "echoed one of the hub's credentials" in debug_log.text
