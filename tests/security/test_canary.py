"""The canary test: distinctive fake secrets go in, DEBUG logging is on for every logger, and the
auth, wrong-credential, fault and refusal paths run, in-process and through a real ``hub serve``.
None of the canaries may appear in a log line, a response body or header, or an exception's
text or repr.

How it proves something: each success path asserts the canary credential was really used
(the fake workspace accepted it), and the log checks assert DEBUG records and redacted
access-log lines were really captured, so an empty capture cannot pass for a clean one.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest_helpers import require_sdk
from databricks_hubs import CALLERS_ON
from pydantic import SecretStr
from serving import running_hub_logged

import hub_databricks
from hub_core import Target
from hub_core.logs import LIBRARY_LOGGERS
from hub_core.testing import app_client, make_hub
from hub_databricks import byo
from hub_databricks.client import WorkspaceClient
from hub_databricks.config import WorkspaceConfig, resolve_workspaces
from hub_databricks.testing import FakeWorkspace, rich_workspace

from .conftest import (
    CANARIES,
    CANARY_CALLER_SECRET,
    CANARY_CALLER_TOKEN,
    CANARY_HUB_KEY,
    CANARY_PAT,
    CANARY_QUERY,
    CANARY_SECRET,
    CANARY_WRONG_KEY,
    CLIENT_ID,
    WORKSPACE_HOST,
    StubResolver,
    TransportRecorder,
    leaked,
)

LOGGERS = ("hub_core", "hub_databricks", "uvicorn.access", "uvicorn.error", "httpx", "httpcore", "databricks.sdk")
IN_PROCESS_BASE = "http://hub.test"
FAULTS = ("401", "403", "403_permission", "429", "503", "500", "malformed", "truncated", "huge")
REFUSED_HOSTS = (
    "https://169.254.169.254",
    "https://2852039166",
    "https://0xa9fea9fe",
    "https://[::ffff:169.254.169.254]",
    "http://127.0.0.1:9",
    "https://localhost",
    "https://evil.example",
)
QUERY_NAMES = ("api_key", "api_base", "base_url", "host", "client_id", "client_secret", "token", "API_KEY")


class Evidence:
    """Everything the hub showed the outside world during a test."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def response(self, response: httpx.Response) -> httpx.Response:
        where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
        self.add(where + " body", response.text)
        self.add(where + " headers", repr(response.headers.multi_items()))
        return response

    def exception(self, error: BaseException) -> None:
        self.add(f"{type(error).__name__} str", str(error))
        self.add(f"{type(error).__name__} repr", repr(error))
        self.add(f"{type(error).__name__} traceback", "".join(traceback.format_exception(error)))
        problem = getattr(error, "problem", None)
        if callable(problem):
            self.add(f"{type(error).__name__} problem", repr(problem()))

    def leaks(self) -> list[tuple[str, list[str], str]]:
        return [(where, leaked(text), text[:300]) for where, text in self.texts if leaked(text)]


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """DEBUG on for the root logger and every named one; records of loggers that do not
    propagate are captured too."""
    caplog.set_level(logging.DEBUG)
    # create_app applies the hub's log level (HUB_LOG_LEVEL, DEBUG here) to these loggers;
    # put them back afterwards so later tests do not inherit DEBUG.
    saved = {name: logging.getLogger(name).level for name in (*LOGGERS, *LIBRARY_LOGGERS)}
    attached = []
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
        logger = logging.getLogger(name)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
            attached.append(logger)
    yield caplog
    for logger in attached:
        logger.removeHandler(caplog.handler)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def log_texts(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    texts = []
    for record in caplog.records:
        # The test client's own request lines (the caller's log, not the hub's) carry the
        # query-string canary the test sends on purpose; the hub's side is checked in the
        # subprocess test, whose access log must redact it.
        if record.name == "httpx" and f"{IN_PROCESS_BASE}/" in record.getMessage():
            continue
        texts.append((f"record {record.name}", formatter.format(record)))
        texts.append((f"record {record.name} args", repr(record.args)))
        if record.exc_info:
            texts.append((f"record {record.name} exc", formatter.formatException(record.exc_info)))
    return texts


def fresh_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "HUB_")) and name != "DATABRICKS_CONFIG_FILE":
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


async def visit(evidence: Evidence, client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> list[int]:
    statuses = []
    for url in (
        "/public/providers",
        "/public/databricks/endpoints",
        "/public/model_hub",
        "/public/model_hub?provider=databricks",
        "/public/databricks/serving_endpoints",
        "/public/v1/model_hub",
        "/public/databricks/litellm_model_list",
    ):
        statuses.append(evidence.response(await client.get(url, headers=headers)).status_code)
    return statuses


# -- in-process --------------------------------------------------------------------------------------


async def test_canaries_never_leak_in_process(debug_logging, monkeypatch):
    evidence = Evidence()
    # log_level: create_app applies it to the hub's and the libraries' loggers, as HUB_LOG_LEVEL does.
    # A generous deadline where the deadline is not what is tested: the SDK's first start-up
    # in a process can take seconds on a loaded machine.
    hub_settings: dict[str, Any] = {"cache_ttl": 0, "stale_ttl": 0, "discovery_timeout": 30.0, "log_level": "DEBUG"}

    # 1. Auth that works: the canary PAT, and the canary client secret (hub's own M2M and the SDK's).
    with FakeWorkspace(rich_workspace(), token=CANARY_PAT, clients={CLIENT_ID: CANARY_SECRET}) as fake:
        fresh_env(monkeypatch, DATABRICKS_HOST=fake.url, DATABRICKS_TOKEN=CANARY_PAT)
        async with app_client(make_hub({"databricks": hub_databricks}, **hub_settings)) as client:
            assert set(await visit(evidence, client)) == {200}
        fresh_env(
            monkeypatch,
            DATABRICKS_HOST=fake.url,
            DATABRICKS_CLIENT_ID=CLIENT_ID,
            DATABRICKS_CLIENT_SECRET=CANARY_SECRET,
        )
        async with app_client(make_hub({"databricks": hub_databricks}, **hub_settings)) as client:
            assert set(await visit(evidence, client)) == {200}
        assert fake.token_calls >= 1, "the canary client secret was used"
        require_sdk()
        monkeypatch.setenv("HUB_DATABRICKS_AUTH", "sdk")
        async with app_client(make_hub({"databricks": hub_databricks}, **hub_settings)) as client:
            assert set(await visit(evidence, client)) == {200}

    # 2. Wrong credentials: the workspace refuses the canaries.
    with FakeWorkspace(rich_workspace(), token="the-real-pat", clients={CLIENT_ID: "the-real-secret"}) as fake:
        for env in (
            {"DATABRICKS_TOKEN": CANARY_PAT},
            {"DATABRICKS_CLIENT_ID": CLIENT_ID, "DATABRICKS_CLIENT_SECRET": CANARY_SECRET},
            {
                "DATABRICKS_CLIENT_ID": CLIENT_ID,
                "DATABRICKS_CLIENT_SECRET": CANARY_SECRET,
                "HUB_DATABRICKS_AUTH": "sdk",
            },
        ):
            fresh_env(monkeypatch, DATABRICKS_HOST=fake.url, **env)
            async with app_client(make_hub({"databricks": hub_databricks}, **hub_settings)) as client:
                statuses = await visit(evidence, client)
            assert 502 in statuses

    # 3. Faults, each in a fresh hub so no remembered failure hides the next one. A short
    # deadline bounds the cache's retries of transient failures.
    hub_settings["discovery_timeout"] = 1.0
    with FakeWorkspace(rich_workspace(), token=CANARY_PAT, clients={CLIENT_ID: CANARY_SECRET}) as fake:
        for fault in FAULTS:
            fresh_env(
                monkeypatch,
                DATABRICKS_HOST=fake.url,
                DATABRICKS_TOKEN=CANARY_PAT,
                HUB_DATABRICKS_MAX_RESPONSE_BYTES="65536",
            )
            fake.clear_faults()
            fake.inject(fault, times=20, retry_after=3)
            async with app_client(make_hub({"databricks": hub_databricks}, **hub_settings)) as client:
                statuses = await visit(evidence, client)
            assert any(s >= 500 for s in statuses), fault
        fake.clear_faults()
        fake.inject("token_503", times=20)
        fresh_env(
            monkeypatch,
            DATABRICKS_HOST=fake.url,
            DATABRICKS_CLIENT_ID=CLIENT_ID,
            DATABRICKS_CLIENT_SECRET=CANARY_SECRET,
        )
        async with app_client(make_hub({"databricks": hub_databricks}, **hub_settings)) as client:
            assert any(s >= 500 for s in await visit(evidence, client))

        # The same failures seen as exceptions, straight from the client.
        fake.clear_faults()
        for fault in ("401", "403", "malformed"):
            fake.inject(fault)
            workspace = WorkspaceConfig(name="w", host=fake.url, auth="pat", token=SecretStr(CANARY_PAT))
            workspace_client = WorkspaceClient(workspace)
            target = Target(name="w", url=fake.url, auth_method="pat", handle=workspace_client)
            for text in (repr(workspace), str(workspace), repr(workspace_client), repr(target), str(target)):
                evidence.add("repr", text)
            try:
                await workspace_client.list_endpoints()
            except Exception as error:
                evidence.exception(error)
            else:
                raise AssertionError(f"fault {fault} did not fail")
            finally:
                await workspace_client.aclose()
        fresh_env(
            monkeypatch,
            DATABRICKS_HOST=fake.url,
            DATABRICKS_CLIENT_ID=CLIENT_ID,
            DATABRICKS_CLIENT_SECRET=CANARY_SECRET,
        )
        for workspace in resolve_workspaces({}, os.environ):
            evidence.add("repr", repr(workspace) + repr(WorkspaceClient(workspace)))

    # 4. Hub API keys, a wrong key, and credentials in the query string.
    fresh_env(monkeypatch)
    async with app_client(
        make_hub({"databricks": hub_databricks}, api_keys=CANARY_HUB_KEY, log_level="DEBUG")
    ) as client:
        for headers in ({}, {"Authorization": f"Bearer {CANARY_WRONG_KEY}"}, {"Authorization": CANARY_WRONG_KEY}):
            evidence.response(await client.get("/public/providers", headers=headers))
        assert set(await visit(evidence, client, {"Authorization": f"Bearer {CANARY_HUB_KEY}"})) == {200}
        for name in QUERY_NAMES:
            for url in ("/public/model_hub", "/public/providers", "/public/databricks/endpoints"):
                response = evidence.response(await client.get(url, params={name: CANARY_QUERY}))
                assert response.status_code == 400

    # 5. Caller credentials: refused hosts, bad bodies, success and a wrong token.
    with FakeWorkspace(rich_workspace()[:2], token=CANARY_CALLER_TOKEN, clients={"sp": CANARY_CALLER_SECRET}) as fake:
        recorder = TransportRecorder(fake.url)
        monkeypatch.setattr(byo, "make_transport", recorder)  # a Python-level mock; see conftest
        monkeypatch.setattr(
            byo,
            "resolver",
            StubResolver({WORKSPACE_HOST: ["52.1.2.3"], "rebind.cloud.databricks.com": ["169.254.169.254"]}),
        )
        hub = make_hub({"databricks": hub_databricks}, **CALLERS_ON, **hub_settings)
        async with app_client(hub) as client:
            url = "/public/databricks/endpoints/discover"
            for host in (*REFUSED_HOSTS, "https://rebind.cloud.databricks.com", "https://nowhere.cloud.databricks.com"):
                for body in (
                    {"host": host, "token": CANARY_CALLER_TOKEN},
                    {"host": host, "client_id": "sp", "client_secret": CANARY_CALLER_SECRET},
                ):
                    assert evidence.response(await client.post(url, json=body)).status_code in (403, 502)
            for body in (
                {"host": CANARY_CALLER_TOKEN},
                {"token": CANARY_CALLER_TOKEN, "client_secret": CANARY_CALLER_SECRET},
                {"host": f"https://{WORKSPACE_HOST}", "token": [CANARY_CALLER_TOKEN], "api_key": CANARY_QUERY},
            ):
                assert evidence.response(await client.post(url, json=body)).status_code == 400
            good = {"host": f"https://{WORKSPACE_HOST}", "token": CANARY_CALLER_TOKEN}
            assert evidence.response(await client.post(url, json=good)).status_code == 200
            m2m = {"host": f"https://{WORKSPACE_HOST}", "client_id": "sp", "client_secret": CANARY_CALLER_SECRET}
            assert evidence.response(await client.post(url, json=m2m)).status_code == 200
            wrong = {"host": f"https://{WORKSPACE_HOST}", "token": CANARY_CALLER_TOKEN + "-wrong"}
            assert evidence.response(await client.post(url, json=wrong)).status_code == 502
            evidence.response(await client.post(url, params={"token": CANARY_QUERY}, json=good))
        assert fake.list_calls >= 2, "the caller canaries were really used"

    for where, text in log_texts(debug_logging):
        evidence.add(where, text)
    assert evidence.leaks() == []
    names = {r.name.split(".")[0] for r in debug_logging.records if r.levelno == logging.DEBUG}
    assert {"httpcore", "hub_databricks"} <= names, f"DEBUG records were captured: {sorted(names)}"
    assert "databricks" in names, "the Databricks SDK's DEBUG records were captured too"


# -- through `hub serve` ------------------------------------------------------------------------------


def workspace_table(name: str, fake: FakeWorkspace, auth: str) -> str:
    lines = ["[[providers.databricks.workspaces]]", f'name = "{name}"', f'host = "{fake.url}"', f'auth = "{auth}"']
    if auth == "pat":
        lines.append('token_env = "CANARY_PAT_VAR"')
    elif auth == "oauth-m2m":
        lines += [f'client_id = "{CLIENT_ID}"', 'client_secret_env = "CANARY_SECRET_VAR"']
    return "\n".join(lines) + "\n"


def await_sdk_workspace(client: httpx.Client, key: dict[str, str], fake: FakeWorkspace, within: float = 90.0) -> None:
    """Wait until the SDK workspace has been listed. Its first start-up in a fresh process
    (importing the SDK, building its config) can outlast the 3 s discovery deadline on a
    loaded machine; the build goes on in the background and a later refresh uses it."""
    deadline = time.monotonic() + within
    while fake.list_calls < 1:
        if time.monotonic() > deadline:
            raise AssertionError(f"the SDK workspace was not listed within {within:g} s")
        client.get("/public/databricks/endpoints", headers=key)
        time.sleep(0.5)


def test_canaries_never_leak_through_hub_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_sdk()
    evidence = Evidence()
    fakes: dict[str, FakeWorkspace] = {}
    tables = []
    plan: list[tuple[str, str, dict[str, Any]]] = [
        ("ok-pat", "pat", {"token": CANARY_PAT}),
        ("ok-m2m", "oauth-m2m", {"clients": {CLIENT_ID: CANARY_SECRET}}),
        ("ok-sdk", "sdk", {"clients": {CLIENT_ID: CANARY_SECRET}}),
        ("wrong-pat", "pat", {"token": "the-real-pat"}),
        ("wrong-m2m", "oauth-m2m", {"clients": {CLIENT_ID: "the-real-secret"}}),
        ("token-503", "oauth-m2m", {"clients": {CLIENT_ID: CANARY_SECRET}}),
        *((f"fault-{f.replace('_', '-')}", "pat", {"token": CANARY_PAT}) for f in FAULTS),
    ]
    try:
        for name, auth, options in plan:
            fake = FakeWorkspace(rich_workspace()[:3], **options).start()
            fakes[name] = fake
            if name.startswith("fault-"):
                fake.inject(
                    name.removeprefix("fault-").replace("403-permission", "403_permission"), times=100, retry_after=2
                )
            if name == "token-503":
                fake.inject("token_503", times=100)
            tables.append(workspace_table(name, fake, auth))
        config = tmp_path / "hub.toml"
        config.write_text("".join(tables))
        fresh_env(monkeypatch)
        env = {
            "HUB_CONFIG": str(config),
            "HUB_LOG_LEVEL": "DEBUG",
            "HUB_API_KEYS": CANARY_HUB_KEY,
            "HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS": "true",
            "HUB_DATABRICKS_MAX_RESPONSE_BYTES": "65536",
            "HUB_DISCOVERY_TIMEOUT": "3",
            "CANARY_PAT_VAR": CANARY_PAT,
            "CANARY_SECRET_VAR": CANARY_SECRET,
            # for the SDK workspace (unified auth reads these)
            "DATABRICKS_CLIENT_ID": CLIENT_ID,
            "DATABRICKS_CLIENT_SECRET": CANARY_SECRET,
        }
        key = {"Authorization": f"Bearer {CANARY_HUB_KEY}"}
        with (
            running_hub_logged(log_file=tmp_path / "hub.log", timeout=60, **env) as served,
            httpx.Client(base_url=served.base, timeout=30) as client,
        ):
            await_sdk_workspace(client, key, fakes["ok-sdk"])
            for url in ("/public/providers", "/public/databricks/endpoints", "/public/model_hub",
                        "/public/databricks/serving_endpoints", "/public/v1/model_hub",
                        "/public/databricks/litellm_model_list"):  # fmt: skip
                evidence.response(client.get(url, headers=key))
            providers = client.get("/public/providers", headers=key).json()
            for headers in ({}, {"Authorization": f"Bearer {CANARY_WRONG_KEY}"}, {"Authorization": CANARY_WRONG_KEY}):
                assert evidence.response(client.get("/public/providers", headers=headers)).status_code == 401
            for name in QUERY_NAMES:
                for url in (
                    "/public/model_hub",
                    "/public/providers",
                    "/public/databricks/endpoints",
                    "/nowhere",
                    "/hub",
                ):
                    evidence.response(client.get(url, params={name: CANARY_QUERY}, headers=key))
            discover = "/public/databricks/endpoints/discover"
            for host in REFUSED_HOSTS:
                for body in (
                    {"host": host, "token": CANARY_CALLER_TOKEN},
                    {"host": host, "client_id": "sp", "client_secret": CANARY_CALLER_SECRET},
                ):
                    assert evidence.response(client.post(discover, json=body, headers=key)).status_code == 403
            for body in ({"host": CANARY_CALLER_TOKEN}, {"token": CANARY_CALLER_TOKEN, "api_key": CANARY_QUERY}):
                assert evidence.response(client.post(discover, json=body, headers=key)).status_code == 400
            evidence.response(client.post(discover, params={"token": CANARY_QUERY}, json={}, headers=key))
            evidence.response(client.post(discover, json={"host": REFUSED_HOSTS[0], "token": CANARY_CALLER_TOKEN}))
        log = served.log()
    finally:
        for fake in fakes.values():
            fake.stop()

    # The canary credentials were really used: the good workspaces answered.
    [row] = [p for p in providers if p["name"] == "databricks"]
    assert row["status"] == "error" and "wrong-pat" in row["message"] and "ok-pat" not in row["message"]
    assert fakes["ok-pat"].list_calls >= 1 and fakes["ok-m2m"].token_calls >= 1 and fakes["ok-sdk"].token_calls >= 1
    # The log really holds DEBUG output and access lines, with the query values redacted.
    assert "DEBUG" in log and "httpcore" in log and "databricks.sdk" in log
    assert '"GET /public/model_hub?api_key=[REDACTED] HTTP/1.1" 400' in log
    assert '"GET /nowhere?client_secret=[REDACTED] HTTP/1.1" 404' in log
    for line_number, line in enumerate(log.splitlines(), 1):
        evidence.add(f"hub serve log line {line_number}", line)
    assert evidence.leaks() == []
    assert not any(c in log for c in CANARIES)
