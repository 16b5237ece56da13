"""Secrets never leak: SecretStr everywhere, summarised upstream errors, redacted access logs,
no echo in validation errors, and the upstream body limit."""

from __future__ import annotations

import logging
import os

import httpx
import orjson
import pytest
from pydantic import SecretStr

from hub_core import ProviderConfigError, Redactor, Target
from hub_core.app import create_app
from hub_core.logs import REDACTED, RedactQueryFilter, redact_query
from hub_core.settings import HubSettings
from hub_core.testing import make_hub
from hub_databricks import byo
from hub_databricks.auth import OAuthM2MAuth, PatAuth, oauth_error
from hub_databricks.client import WorkspaceClient, summarise_error
from hub_databricks.config import WorkspaceConfig, max_response_bytes, resolve_workspaces
from hub_databricks.testing import FakeWorkspace, rich_workspace

from .conftest import CANARY_CALLER_TOKEN, CANARY_PAT, CANARY_QUERY, CANARY_SECRET, CLIENT_ID, PROBLEM, leaked

# -- the access log ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        ("/public/model_hub", "/public/model_hub"),
        ("/p?provider=databricks&available=true", "/p?provider=databricks&available=true"),
        (f"/public/model_hub?api_key={CANARY_QUERY}", f"/public/model_hub?api_key={REDACTED}"),
        (f"/x?provider=a&API_KEY={CANARY_QUERY}&b=2", f"/x?provider=a&API_KEY={REDACTED}&b=2"),
        (f"/x?api%5Fkey={CANARY_QUERY}", f"/x?api%5Fkey={REDACTED}"),  # percent-encoded name
        (f"/x?client-secret={CANARY_QUERY}", f"/x?client-secret={REDACTED}"),
        (f"/x?token={CANARY_QUERY};host=evil", f"/x?token={REDACTED};host={REDACTED}"),
        (f"/x?access_token={CANARY_QUERY}&X-Amz-Signature=s", f"/x?access_token={REDACTED}&X-Amz-Signature={REDACTED}"),
        (f"/x?password={CANARY_QUERY}&api_base=https%3A%2F%2Fevil", f"/x?password={REDACTED}&api_base={REDACTED}"),
        (f"/x?token={CANARY_QUERY}=more=equals", f"/x?token={REDACTED}"),
        (f"/x?token&api_key={CANARY_QUERY}", f"/x?token={REDACTED}&api_key={REDACTED}"),
    ],
)  # fmt: skip
def test_redact_query(logged, expected):
    assert redact_query(logged) == expected


def uvicorn_record(path: str) -> logging.LogRecord:
    """A record shaped like the one uvicorn's access logger emits."""
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", path, "1.1", 400),
        None,
    )


def test_access_log_filter_rewrites_uvicorn_records():
    record = uvicorn_record(f"/public/model_hub?provider=x&api_key={CANARY_QUERY}")
    assert RedactQueryFilter().filter(record) is True
    assert record.getMessage() == f'127.0.0.1:5 - "GET /public/model_hub?provider=x&api_key={REDACTED} HTTP/1.1" 400'


def test_create_app_attaches_the_filter_once():
    access = logging.getLogger("uvicorn.access")
    for _ in range(2):
        create_app(hub=make_hub({}))
    assert sum(isinstance(f, RedactQueryFilter) for f in access.filters) == 1


def test_uvicorn_access_formatter_output_is_redacted(capsys):
    from uvicorn.logging import AccessFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    logger = logging.getLogger("uvicorn.access")
    create_app(hub=make_hub({}))
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    try:
        path = f"/public/providers?client_secret={CANARY_QUERY}"
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", path, "1.1", 400)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    err = capsys.readouterr().err
    assert "client_secret=[REDACTED]" in err and CANARY_QUERY not in err


# -- upstream errors ------------------------------------------------------------------------------


def test_upstream_error_bodies_are_summarised_not_echoed():
    body = (
        b'{"error_code": "PERMISSION_DENIED", "message": "Invalid header Authorization: Bearer '
        + CANARY_PAT.encode()
        + b" for token dapi0123456789abcdef0123456789abcdef and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig "
        + b"x" * 5000
        + b'", "details": [{"stack": "Traceback ... secret internals"}]}'
    )
    summary = summarise_error(body, 403)
    assert summary.startswith("403 PERMISSION_DENIED: Invalid header Authorization: [REDACTED]")
    assert len(summary) < 200
    for secret in (CANARY_PAT, "dapi0123456789abcdef", "eyJhbGciOiJIUzI1NiJ9", "Traceback", "internals"):
        assert secret not in summary
    assert summarise_error(b"<html>" + CANARY_PAT.encode() + b"</html>", 502) == "502"


@pytest.mark.parametrize("separator", [",", "'", '"', "!", ";", "(", "/", "+"])
def test_an_error_code_cannot_reassemble_a_secret_from_pieces(separator):
    """The code is filtered to code characters; pieces too short to be recognised on their own,
    joined by characters the filter drops, must not come out as the secret."""
    redactor = Redactor(CANARY_PAT, CANARY_SECRET)
    for secret in (CANARY_PAT, CANARY_SECRET):
        pieces = separator.join(secret[i : i + 5] for i in range(0, len(secret), 5))
        raw = orjson.dumps({"error_code": pieces, "message": "no", "error": pieces, "error_description": "no"})
        shown = [summarise_error(raw, 403, redactor), oauth_error(raw, redactor)]
        assert not any(secret[:10].lower() in text.lower() or secret[-10:].lower() in text.lower() for text in shown)


async def test_a_workspace_echoing_its_own_token_never_shows_it():
    def echo(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        return httpx.Response(403, json={"error_code": "X", "message": f"token {token} is not allowed ({token})"})

    workspace = WorkspaceConfig(
        name="w", host="https://w.cloud.databricks.com", auth="pat", token=SecretStr(CANARY_PAT)
    )
    client = WorkspaceClient(workspace, transport=httpx.MockTransport(echo))
    with pytest.raises(Exception) as caught:
        await client.list_endpoints()
    await client.aclose()
    assert leaked(str(caught.value)) == [] and leaked(repr(caught.value)) == []
    assert leaked(str(caught.value.problem())) == []  # type: ignore[attr-defined]


# -- secrets at rest --------------------------------------------------------------------------------


def test_credentials_are_secretstr_and_hidden_from_reprs(monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", "https://w.cloud.databricks.com")
    monkeypatch.setenv("DATABRICKS_TOKEN", CANARY_PAT)
    [pat] = resolve_workspaces({}, os.environ)
    monkeypatch.delenv("DATABRICKS_TOKEN")
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", CANARY_SECRET)
    [m2m] = resolve_workspaces({}, os.environ)
    assert isinstance(pat.token, SecretStr) and isinstance(m2m.client_secret, SecretStr)
    caller = byo.TokenCredentials(host="https://w.cloud.databricks.com", token=SecretStr(CANARY_CALLER_TOKEN))
    texts = [repr(pat), str(pat), repr(m2m), pat.model_dump_json(), repr(caller), str(caller.model_dump())]
    for workspace in (pat, m2m):
        client = WorkspaceClient(workspace)
        target = Target(name=workspace.name, url=workspace.host, auth_method=workspace.auth, handle=client)
        texts += [repr(client), repr(client.auth), repr(target), str(target), target.model_dump_json()]
    texts += [repr(PatAuth(pat)), repr(OAuthM2MAuth(m2m)), repr(HubSettings(api_keys=CANARY_PAT))]
    for text in texts:
        assert leaked(text) == [], text


async def test_the_oauth_access_token_is_kept_as_a_secret_too(monkeypatch):
    with FakeWorkspace(rich_workspace(), clients={CLIENT_ID: CANARY_SECRET}) as fake:
        workspace = WorkspaceConfig(
            name="w", host=fake.url, auth="oauth-m2m", client_id=CLIENT_ID, client_secret=SecretStr(CANARY_SECRET)
        )
        client = WorkspaceClient(workspace)
        await client.list_endpoints()
        [issued] = list(fake.issued_tokens)
        await client.aclose()
    assert issued not in repr(client.auth) and issued not in repr(vars(client.auth))


# -- the upstream body limit ------------------------------------------------------------------------


def test_body_limit_defaults_to_20_mib_and_is_configurable():
    assert max_response_bytes({}, {}) == 20 * 1024 * 1024
    assert max_response_bytes({}, {"HUB_DATABRICKS_MAX_RESPONSE_BYTES": "4096"}) == 4096
    assert max_response_bytes({"max_response_bytes": 8192}, {"HUB_DATABRICKS_MAX_RESPONSE_BYTES": "4096"}) == 8192
    for bad in ("lots", "0", "-1", "1023"):
        with pytest.raises(ProviderConfigError, match="at least 1024"):
            max_response_bytes({}, {"HUB_DATABRICKS_MAX_RESPONSE_BYTES": bad})
    with pytest.raises(ProviderConfigError):
        max_response_bytes({"max_response_bytes": True}, {})


async def test_configured_body_limit_is_enforced(server_env, monkeypatch, open_client):
    monkeypatch.setenv("HUB_DATABRICKS_MAX_RESPONSE_BYTES", "4096")
    server_env.inject("huge", size=64 * 1024)
    async with open_client() as client:
        response = await client.get("/public/databricks/endpoints")
    assert response.status_code == 502 and response.headers["content-type"] == PROBLEM
    assert "4096 byte limit" in response.json()["detail"]
