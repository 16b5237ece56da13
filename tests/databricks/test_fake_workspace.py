"""Tests for the fake Databricks workspace (hub_databricks.testing)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub_databricks import testing as fk

PAT = fk.DEFAULT_PAT
CLIENT_ID = "sp-client-id"
CLIENT_SECRET = "sp-client-secret"
LIST = "/api/2.0/serving-endpoints"
AUTH = {"Authorization": f"Bearer {PAT}"}


@pytest.fixture
def ws() -> Iterator[fk.FakeWorkspace]:
    with fk.FakeWorkspace(fk.rich_workspace(), clients={CLIENT_ID: CLIENT_SECRET}) as fake:
        yield fake


@pytest.fixture
def client(ws: fk.FakeWorkspace) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ws.url, timeout=5, trust_env=False) as c:
        yield c


def _names(ws: fk.FakeWorkspace) -> list[str]:
    return [e["name"] for e in ws.endpoints]


def _token(client: httpx.Client, **form: str) -> httpx.Response:
    data = {"grant_type": "client_credentials", **form}
    return client.post("/oidc/v1/token", data=data)


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


# ---------------------------------------------------------------- list / get


def test_list_with_pat(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    headers = {**AUTH, "X-Databricks-Workspace-Id": ws.workspace_id}
    r = client.get(LIST, params={"ignored": "yes"}, headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert [e["name"] for e in r.json()["endpoints"]] == _names(ws)
    assert ws.list_calls == 1
    assert ws.requests == [("GET", LIST)]
    # keep-alive: a second request on the same pooled client still works
    assert client.get(LIST, headers=AUTH).status_code == 200
    assert ws.list_calls == 2


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {PAT}"},
        {"Authorization": PAT},
    ],
)
def test_bad_or_missing_bearer_is_401(client: httpx.Client, headers: dict[str, str]) -> None:
    r = client.get(LIST, headers=headers)
    assert r.status_code == 401
    body = r.json()
    assert body["error_code"] == 401 and isinstance(body["error_code"], int)
    assert body["message"].startswith("Credential was not sent")


def test_token_none_accepts_no_pat() -> None:
    with fk.FakeWorkspace(fk.rich_workspace(), token=None) as fake:
        r = httpx.get(fake.url + LIST, headers=AUTH, trust_env=False)
    assert r.status_code == 401


def test_get_by_name_details_and_404(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    r = client.get(f"{LIST}/fraud-scorer", headers=AUTH)
    assert r.status_code == 200 and r.json()["state"]["config_update"] == "UPDATE_FAILED"
    assert "config" not in r.json()

    ws.details = fk.rich_details()
    r = client.get(f"{LIST}/openai-gpt-4o", headers=AUTH)
    assert r.json()["config"]["traffic_config"]["routes"][0]["traffic_percentage"] == 100

    r = client.get(f"{LIST}/no%20such", headers=AUTH)
    assert r.status_code == 404
    assert r.json() == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": "Endpoint with name 'no such' does not exist.",
    }
    assert client.get(f"{LIST}/nope", headers={}).status_code == 401
    assert ws.list_calls == 0


def test_empty_workspace_returns_empty_object() -> None:
    with fk.FakeWorkspace(fk.empty_workspace()) as fake:
        r = httpx.get(fake.url + LIST, headers=AUTH, trust_env=False)
    assert r.status_code == 200
    assert r.content == b"{}"


def test_endpoints_can_change_between_calls(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    ws.endpoints = ws.endpoints[:2]
    assert len(client.get(LIST, headers=AUTH).json()["endpoints"]) == 2
    ws.endpoints.append({"name": "late-arrival", "state": {"ready": "READY"}})
    names = [e["name"] for e in client.get(LIST, headers=AUTH).json()["endpoints"]]
    assert names[-1] == "late-arrival"
    ws.endpoints.clear()
    assert client.get(LIST, headers=AUTH).json() == {}


def test_unknown_routes_are_databricks_404(client: httpx.Client) -> None:
    for method, path in [("GET", "/api/2.0/clusters/list"), ("POST", LIST), ("GET", "/")]:
        r = client.request(method, path, headers=AUTH)
        assert r.status_code == 404, (method, path)
        assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_request_log_has_no_secrets(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    client.get(LIST, headers=AUTH)
    _token(client, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert ws.requests == [("GET", LIST), ("POST", "/oidc/v1/token")]
    assert PAT not in repr(ws.requests) and CLIENT_SECRET not in repr(ws.requests)


# ---------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("fault", "options", "status", "code", "headers"),
    [
        ("401", {}, 401, 401, {}),
        ("403", {}, 403, 403, {"x-databricks-reason-phrase": "Invalid access token."}),
        ("403_permission", {}, 403, "PERMISSION_DENIED", {}),
        ("429", {}, 429, "REQUEST_LIMIT_EXCEEDED", {"retry-after": "1"}),
        ("429", {"retry_after": 7}, 429, "REQUEST_LIMIT_EXCEEDED", {"retry-after": "7"}),
        ("503", {}, 503, "TEMPORARILY_UNAVAILABLE", {}),
        ("500", {}, 500, "INTERNAL_ERROR", {}),
    ],
)
def test_error_faults_are_consumed(
    ws: fk.FakeWorkspace,
    client: httpx.Client,
    fault: str,
    options: dict[str, Any],
    status: int,
    code: Any,
    headers: dict[str, str],
) -> None:
    ws.inject(fault, times=2, **options)
    for _ in range(2):
        r = client.get(LIST, headers=AUTH)
        assert r.status_code == status
        assert r.json()["error_code"] == code
        for key, value in headers.items():
            assert r.headers[key] == value
    assert ws.pending_faults() == []
    assert client.get(LIST, headers=AUTH).status_code == 200
    assert ws.list_calls == 3


def test_faults_hit_get_by_name_but_not_token_route(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    ws.inject("503")
    assert _token(client, client_id=CLIENT_ID, client_secret=CLIENT_SECRET).status_code == 200
    assert client.get(f"{LIST}/openai-gpt-4o", headers=AUTH).status_code == 503
    assert client.get(f"{LIST}/openai-gpt-4o", headers=AUTH).status_code == 200


def test_token_fault(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    ws.inject("token_503")
    r = _token(client, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert r.status_code == 503
    assert client.get(LIST, headers=AUTH).status_code == 200
    assert _token(client, client_id=CLIENT_ID, client_secret=CLIENT_SECRET).status_code == 200


def test_inject_validation_and_clear(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    with pytest.raises(ValueError):
        ws.inject("teapot")
    with pytest.raises(ValueError):
        ws.inject("500", times=0)
    ws.inject("500", times=3)
    ws.inject("token_503")
    assert ws.pending_faults() == ["500", "500", "500", "token_503"]
    ws.clear_faults()
    assert client.get(LIST, headers=AUTH).status_code == 200


def test_slow_fault(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    ws.inject("slow", delay=0.3)
    start = time.monotonic()
    r = client.get(LIST, headers=AUTH)
    assert r.status_code == 200
    assert time.monotonic() - start >= 0.3
    with pytest.raises(httpx.ReadTimeout):
        ws.inject("slow", delay=1)
        client.get(LIST, headers=AUTH, timeout=0.2)


def test_hang_fault_closes_without_answer(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    ws.inject("hang", delay=0.2)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(LIST, headers=AUTH)
    assert client.get(LIST, headers=AUTH).status_code == 200


def test_stop_is_prompt_during_hang() -> None:
    fake = fk.FakeWorkspace(fk.rich_workspace()).start()
    fake.inject("hang")  # default 30 s
    errors: list[BaseException] = []

    def call() -> None:
        try:
            httpx.get(fake.url + LIST, headers=AUTH, timeout=10, trust_env=False)
        except httpx.HTTPError as exc:
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    deadline = time.monotonic() + 20
    while fake.list_calls == 0 and time.monotonic() < deadline:  # the request is being held
        time.sleep(0.01)
    assert fake.list_calls == 1
    start = time.monotonic()
    fake.stop()
    worker.join(timeout=20)
    assert time.monotonic() - start < 10, "stop() did not wait out the 30 s hang"
    assert not worker.is_alive()
    assert errors and isinstance(errors[0], httpx.TransportError)


def test_malformed_fault(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    ws.inject("malformed")
    r = client.get(LIST, headers=AUTH)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


def test_truncated_fault(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    ws.inject("truncated")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(LIST, headers=AUTH)
    assert client.get(LIST, headers=AUTH).status_code == 200


def test_huge_fault_streams_exact_size(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    size = 1_000_003
    ws.inject("huge", size=size)
    with client.stream("GET", LIST, headers=AUTH) as r:
        assert r.status_code == 200
        assert int(r.headers["content-length"]) == size
        body = b"".join(r.iter_bytes())
    assert len(body) == size
    assert body.startswith(b'{"endpoints": [')
    assert len(json.loads(body)["endpoints"]) > 1000
    assert client.get(LIST, headers=AUTH).status_code == 200


# ---------------------------------------------------------------- OAuth


def test_oauth_basic_and_form(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    r = client.post(
        "/oidc/v1/token",
        data={"grant_type": "client_credentials", "scope": "all-apis"},
        headers=_basic(CLIENT_ID, CLIENT_SECRET),
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "all-apis"

    r2 = _token(client, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, scope="sql")
    assert r2.status_code == 200 and r2.json()["scope"] == "sql"
    assert r2.json()["access_token"] != body["access_token"]
    assert ws.token_calls == 2
    assert set(ws.issued_tokens) == {body["access_token"], r2.json()["access_token"]}

    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get(LIST, headers=bearer).status_code == 200
    ws.issued_tokens[body["access_token"]] = time.time() - 1
    r3 = client.get(LIST, headers=bearer)
    assert r3.status_code == 401 and r3.json()["error_code"] == 401


@pytest.mark.parametrize(
    "kwargs",
    [
        {"headers": _basic(CLIENT_ID, "wrong")},
        {"headers": _basic("unknown", CLIENT_SECRET)},
        {"form": {"client_id": CLIENT_ID, "client_secret": "wrong"}},
        {"form": {"client_id": CLIENT_ID}},
        {},
    ],
)
def test_oauth_bad_client(client: httpx.Client, kwargs: dict[str, Any]) -> None:
    data = {"grant_type": "client_credentials", **kwargs.get("form", {})}
    r = client.post("/oidc/v1/token", data=data, headers=kwargs.get("headers"))
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed",
    }


def test_oauth_requires_client_credentials_grant(client: httpx.Client) -> None:
    for grant in ("authorization_code", ""):
        r = client.post(
            "/oidc/v1/token",
            data={"grant_type": grant, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
        assert r.status_code == 400
        assert r.json()["error"] in {"unsupported_grant_type", "invalid_request"}


def test_token_ttl_is_reported() -> None:
    clients = {CLIENT_ID: CLIENT_SECRET}
    fake = fk.FakeWorkspace(token_ttl=5, clients=clients)
    with fake, httpx.Client(base_url=fake.start().url, trust_env=False) as c:
        r = _token(c, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert r.json()["expires_in"] == 5
    (expiry,) = fake.issued_tokens.values()
    assert 3 < expiry - time.time() <= 5


def test_well_known_routes(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    meta = client.get("/.well-known/databricks-config").json()
    assert meta == {
        "oidc_endpoint": f"{ws.url}/oidc",
        "workspace_id": "1234567890123456",
        "cloud": "AWS",
        "host_type": "workspace",
    }
    disco = client.get("/oidc/.well-known/oauth-authorization-server").json()
    assert disco["token_endpoint"] == f"{ws.url}/oidc/v1/token"
    assert disco["authorization_endpoint"] == f"{ws.url}/oidc/v1/authorize"
    assert disco["issuer"] == f"{ws.url}/oidc"

    with fk.FakeWorkspace(well_known=False) as fake:
        r = httpx.get(fake.url + "/.well-known/databricks-config", trust_env=False)
    assert r.status_code == 404


# ---------------------------------------------------------------- scenarios


def test_rich_fixture_matches_generator() -> None:
    assert fk.fixture("list_rich_workspace.json") == {"endpoints": fk.rich_workspace()}


def test_rich_workspace_coverage() -> None:
    eps = {e["name"]: e for e in fk.rich_workspace()}
    fmapi = [e for e in eps.values() if e.get("endpoint_type") == "FOUNDATION_MODEL_API"]
    assert len(fmapi) == 6
    externals = {
        n: e["config"]["served_entities"][0]["external_model"]
        for n, e in eps.items()
        if e.get("endpoint_type") == "EXTERNAL_MODEL"
    }
    assert externals["openai-gpt-4o"]["task"] == "llm/v1/chat"
    assert externals["azure-text-embedding-3-large"]["openai_config"]["openai_api_type"] == "azure"
    assert externals["openai-gpt-35-turbo-instruct"]["task"] == "llm/v1/completions"
    assert externals["anthropic-claude-sonnet"]["provider"] == "anthropic"
    churn = eps["churn-classifier-uc"]
    assert "task" not in churn and "endpoint_type" not in churn
    assert churn["config"]["served_models"][0]["model_name"] == "main.ml.churn_classifier"
    assert "config" not in eps["fraud-scorer"]
    assert eps["ft-llama-support-bot"]["state"] == {
        "ready": "READY",
        "config_update": "IN_PROGRESS",
        "suspend": "NOT_SUSPENDED",
        "system_update_failure": False,
    }
    assert eps["agents-support-assistant"]["config"] == {}
    assert eps["openai-completions"]["state"]["config_update"] == "UPDATE_CANCELED"
    # fresh lists every call
    first = fk.rich_workspace()
    first[0]["name"] = "mutated"
    assert fk.rich_workspace()[0]["name"] != "mutated"


def test_many_endpoints_unique_and_deterministic() -> None:
    many = fk.many_endpoints(5000)
    names = [e["name"] for e in many]
    assert len(names) == 5000 == len(set(names))
    assert many == fk.many_endpoints(5000)
    assert {e.get("task") for e in many} == {"llm/v1/chat", "llm/v1/embeddings", None}
    assert fk.many_endpoints(3) == many[:3]


def test_many_endpoints_served(client: httpx.Client, ws: fk.FakeWorkspace) -> None:
    ws.endpoints = fk.many_endpoints(5000)
    r = client.get(LIST, headers=AUTH)
    assert len(r.json()["endpoints"]) == 5000


# ---------------------------------------------------------------- real SDK


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The real databricks SDK; missing is a skip locally, a failure in CI."""
    try:
        import databricks.sdk
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("databricks-sdk must be installed in CI for the fidelity tests")
        pytest.skip("databricks-sdk not installed")
    for key in list(os.environ):
        if key.startswith(("DATABRICKS_", "ARM_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return databricks.sdk


def test_sdk_pat_list_and_get(sdk: Any, ws: fk.FakeWorkspace) -> None:
    from databricks.sdk.core import Config
    from databricks.sdk.errors import NotFound, PermissionDenied

    cfg = Config(host=ws.url, token=PAT, auth_type="pat", retry_timeout_seconds=5)
    w = sdk.WorkspaceClient(config=cfg)
    assert [e.name for e in w.serving_endpoints.list()] == _names(ws)

    got = w.serving_endpoints.get("openai-gpt-4o")
    assert got.name == "openai-gpt-4o"
    assert got.config.served_entities[0].external_model.name == "gpt-4o"
    with pytest.raises(NotFound):
        w.serving_endpoints.get("does-not-exist")

    ws.inject("403_permission")
    with pytest.raises(PermissionDenied):
        list(w.serving_endpoints.list())

    ws.inject("429", retry_after=0)
    assert len(list(w.serving_endpoints.list())) == len(ws.endpoints)
    assert ("GET", "/.well-known/databricks-config") in ws.requests


def test_sdk_oauth_m2m_lists(sdk: Any, ws: fk.FakeWorkspace) -> None:
    from databricks.sdk.core import Config

    cfg = Config(
        host=ws.url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        auth_type="oauth-m2m",
        retry_timeout_seconds=5,
    )
    w = sdk.WorkspaceClient(config=cfg)
    assert [e.name for e in w.serving_endpoints.list()] == _names(ws)
    assert [e.name for e in w.serving_endpoints.list()] == _names(ws)
    assert ws.token_calls == 1
    assert len(ws.issued_tokens) == 1


def test_sdk_oauth_bad_secret(sdk: Any, ws: fk.FakeWorkspace) -> None:
    from databricks.sdk.core import Config

    cfg = Config(
        host=ws.url,
        client_id=CLIENT_ID,
        client_secret="wrong",
        auth_type="oauth-m2m",
        retry_timeout_seconds=5,
    )
    with pytest.raises(ValueError, match="invalid_client"):
        list(sdk.WorkspaceClient(config=cfg).serving_endpoints.list())


# ---------------------------------------------------------------- querying endpoints

CHAT = "databricks-meta-llama-3-3-70b-instruct"
EMBED = "databricks-gte-large-en"


def test_chat_completions_route_answers_an_openai_chat_completion(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    body = {"model": CHAT, "messages": [{"role": "user", "content": "hello there"}]}
    response = client.post("/serving-endpoints/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 200
    answer = response.json()
    assert answer["object"] == "chat.completion" and answer["model"] == CHAT
    [choice] = answer["choices"]
    assert choice["message"] == {"role": "assistant", "content": f"Hello from {CHAT}. You said: hello there"}
    assert choice["finish_reason"] == "stop"
    assert answer["usage"]["total_tokens"] == answer["usage"]["prompt_tokens"] + answer["usage"]["completion_tokens"]
    assert ws.queries == [(CHAT, body)]


def test_invocations_route_answers_by_the_endpoints_task(ws: fk.FakeWorkspace, client: httpx.Client) -> None:
    chat = client.post(f"/serving-endpoints/{CHAT}/invocations", json={"messages": [{"content": "hi"}]}, headers=AUTH)
    assert chat.status_code == 200 and chat.json()["choices"][0]["message"]["role"] == "assistant"
    embed = client.post(f"/serving-endpoints/{EMBED}/invocations", json={"input": ["a", "b"]}, headers=AUTH)
    assert embed.status_code == 200
    assert [d["index"] for d in embed.json()["data"]] == [0, 1]
    same = client.post("/serving-endpoints/embeddings", json={"model": EMBED, "input": ["a", "b"]}, headers=AUTH)
    assert same.json()["data"] == embed.json()["data"], "the vectors are deterministic"


def test_queries_need_auth_and_a_ready_endpoint_of_the_right_task(client: httpx.Client) -> None:
    chat = {"model": CHAT, "messages": [{"role": "user", "content": "x"}]}
    assert client.post("/serving-endpoints/chat/completions", json=chat).json()["error_code"] == 401
    missing = client.post("/serving-endpoints/chat/completions", json={**chat, "model": "nope"}, headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "'nope'" in missing.json()["message"]
    down = client.post("/serving-endpoints/fraud-scorer/invocations", json={}, headers=AUTH)
    assert down.status_code == 503 and down.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    wrong = client.post("/serving-endpoints/chat/completions", json={**chat, "model": EMBED}, headers=AUTH)
    assert wrong.status_code == 400 and wrong.json()["error_code"] == "BAD_REQUEST"
    custom = client.post("/serving-endpoints/churn-classifier-uc/invocations", json={}, headers=AUTH)
    assert custom.status_code == 400
    garbage = client.post("/serving-endpoints/chat/completions", content=b"[1]", headers=AUTH)
    assert garbage.status_code == 400


def test_streamed_chat_is_server_sent_chunks_of_the_same_reply(client: httpx.Client) -> None:
    body = {"model": CHAT, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    response = client.post("/serving-endpoints/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 200 and response.headers["content-type"] == "text/event-stream"
    events = [line.removeprefix("data: ") for line in response.text.split("\n\n") if line]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == f"Hello from {CHAT}. You said: hi"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["usage"]["total_tokens"] > 0
