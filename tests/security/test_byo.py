"""Bring your own credentials: opt-in, caller's credentials only, public Databricks hosts only, never cached."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from typing import Any

import httpcore
import httpx
import pytest
from databricks_hubs import CALLERS_ON

from hub_databricks import byo, config
from hub_databricks.testing import FakeWorkspace, rich_workspace

from .conftest import (
    CANARY_CALLER_SECRET,
    CANARY_CALLER_TOKEN,
    CANARY_PAT,
    PROBLEM,
    PUBLIC_ADDRESS,
    WORKSPACE_HOST,
    StubResolver,
)

URL = "/public/databricks/endpoints/discover"
ON = CALLERS_ON
CALLER_ENDPOINTS = [{**rich_workspace()[0], "name": "callers-own-endpoint"}]
SUFFIXES = byo.host_suffixes()


def token_body(host: str = f"https://{WORKSPACE_HOST}", token: str = CANARY_CALLER_TOKEN) -> dict[str, str]:
    return {"host": host, "token": token}


@pytest.fixture
def caller_fake():
    with FakeWorkspace(CALLER_ENDPOINTS, token=CANARY_CALLER_TOKEN, clients={"caller-sp": CANARY_CALLER_SECRET}) as f:
        yield f


# -- the host, without a network -------------------------------------------------------------------

ACCEPTED_HOSTS = [
    (f"https://{WORKSPACE_HOST}", WORKSPACE_HOST),
    ("https://dbc-a1b2c3d4-e5f6.cloud.databricks.com/", "dbc-a1b2c3d4-e5f6.cloud.databricks.com"),
    ("HTTPS://My-Workspace.Cloud.Databricks.com", "my-workspace.cloud.databricks.com"),
    ("https://1234567890123456.7.gcp.databricks.com:443", "1234567890123456.7.gcp.databricks.com"),
]
REFUSED_HOSTS = [
    "http://x.cloud.databricks.com",  # not https
    "ftp://x.cloud.databricks.com",
    "//x.cloud.databricks.com",
    "x.cloud.databricks.com",
    "https://169.254.169.254",  # metadata, as an IP
    "https://2852039166",  # 169.254.169.254 as a decimal integer
    "https://0xa9fea9fe",  # ... as hex
    "https://0251.0376.0251.0376",  # ... as octal
    "https://169.254.43518",  # ... as a.b.c with c = 16 bits
    "https://127.1",
    "https://0x7f.1",
    "https://[::1]",
    "https://[::ffff:169.254.169.254]",
    "https://[::ffff:a9fe:a9fe]",
    "https://localhost",
    "https://metadata.google.internal",
    "https://cloud.databricks.com",  # the suffix itself is not a workspace
    "https://x.cloud.databricks.com.evil.example",
    "https://evil.example/x.cloud.databricks.com",
    "https://x.cloud.databricks.com@evil.example",
    "https://user:pw@x.cloud.databricks.com",
    "https://evil.example#.cloud.databricks.com",
    "https://evil.example?.cloud.databricks.com",
    "https://x.cloud.databricks.com:8443",
    "https://x.cloud.databricks.com/api/2.0/serving-endpoints",
    "https://x.cloud.databricks.com?o=1",
    "https://x.cloud.databricks.com.",
    "https://x\u200b.cloud.databricks.com",  # zero-width space
    "https://x.cloud.databricks.c\u043em",  # Cyrillic o
    "https://x .cloud.databricks.com",
    "https://x.cloud.databricks.com\r\nHost: evil",
    "https://-x.cloud.databricks.com",
    "https://" + "a" * 250 + ".cloud.databricks.com",
    "",
    "https://",
]


@pytest.mark.parametrize(("value", "hostname"), ACCEPTED_HOSTS)
def test_workspace_hosts_are_accepted(value, hostname):
    assert byo.check_host(value, SUFFIXES) == hostname


@pytest.mark.parametrize("value", REFUSED_HOSTS)
def test_other_hosts_are_refused_without_echo(value):
    with pytest.raises(byo.CallerHostRefusedError) as caught:
        byo.check_host(value, SUFFIXES)
    assert caught.value.status == 403
    if len(value) > 12:
        assert value not in caught.value.message


def test_operator_suffixes_extend_the_defaults_and_bad_ones_are_ignored():
    suffixes = byo.host_suffixes("*.dbx.example.com, .other.example.org, com, 10.0.0.1, , x")
    assert suffixes[:3] == byo.DEFAULT_HOST_SUFFIXES
    assert suffixes[3:] == ("dbx.example.com", "other.example.org")
    assert byo.check_host("https://ws1.dbx.example.com", suffixes) == "ws1.dbx.example.com"
    with pytest.raises(byo.CallerHostRefusedError):
        byo.check_host("https://anything.com", suffixes)


REFUSED_ADDRESSES = [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "169.254.1.1", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.0.192", "100.100.100.200", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "fec0::1",
    "::ffff:169.254.169.254", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::169.254.169.254",
    "2002:a9fe:a9fe::1",  # 6to4 around the metadata address
    "64:ff9b::a9fe:a9fe",  # NAT64 around it
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
]  # fmt: skip


@pytest.mark.parametrize("text", REFUSED_ADDRESSES)
def test_non_public_addresses_are_refused(text):
    assert byo.non_public_reason(ipaddress.ip_address(text)) is not None


@pytest.mark.parametrize("text", ["52.1.2.3", "8.8.8.8", "2600:1f18::1"])
def test_public_addresses_pass(text):
    assert byo.non_public_reason(ipaddress.ip_address(text)) is None


def test_metadata_reason_names_it():
    assert byo.non_public_reason(ipaddress.ip_address("::ffff:169.254.169.254")) == "cloud metadata (IPv4 inside IPv6)"


async def test_system_resolver_runs_off_the_event_loop(monkeypatch):
    threads: list[threading.Thread] = []
    loop_thread = threading.current_thread()

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_ADDRESS, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert await byo.system_resolver(WORKSPACE_HOST, 443) == [PUBLIC_ADDRESS]
    assert threads and all(t is not loop_thread for t in threads)


# -- the route ------------------------------------------------------------------------------------


async def test_off_by_default_and_refused_before_anything_else(server_env, network, resolver, open_client):
    async with open_client() as client:
        good = await client.post(URL, json=token_body())
        invalid = await client.post(URL, json={"host": 5, "token": [CANARY_CALLER_TOKEN]})
    for response in (good, invalid):
        assert response.status_code == 403 and response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "urn:hub-core:problem:caller-credentials-disabled"
        assert "HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS" in response.json()["detail"]
        assert CANARY_CALLER_TOKEN not in response.text
    assert resolver.asked == [] and network.quiet and server_env.requests == []


async def test_the_opt_in_is_the_plugins_own_setting_not_the_hubs(server_env, network, resolver, open_client):
    # The hub's settings no longer hold it: passed to HubSettings it is ignored, and the route stays off.
    async with open_client(allow_caller_credentials=True) as client:
        response = await client.post(URL, json=token_body())
    assert response.status_code == 403
    assert response.json()["type"] == "urn:hub-core:problem:caller-credentials-disabled"
    assert resolver.asked == [] and network.quiet


@pytest.mark.parametrize(
    ("env", "table"),
    [
        ({"HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS": "true"}, {}),
        ({}, {"allow_caller_credentials": True}),
        ({"HUB_ALLOW_CALLER_CREDENTIALS": "true"}, {}),  # deprecated, read until the next release
    ],
    ids=["new-variable", "toml-key", "deprecated-variable"],
)
async def test_each_way_to_opt_in_turns_the_route_on(
    server_env, caller_fake, resolver, to_fake, open_client, monkeypatch, env, table
):
    monkeypatch.setattr(config, "_warned", set())
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    to_fake.fake_url = caller_fake.url
    async with open_client(providers={"databricks": table}) as client:
        response = await client.post(URL, json=token_body())
    assert response.status_code == 200, response.text
    assert response.json()["endpoints"][0]["name"] == "callers-own-endpoint"


async def test_a_false_toml_key_wins_over_the_variable(server_env, network, resolver, open_client, monkeypatch):
    monkeypatch.setenv("HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS", "true")
    async with open_client(providers={"databricks": {"allow_caller_credentials": False}}) as client:
        response = await client.post(URL, json=token_body())
    assert response.status_code == 403 and resolver.asked == [] and network.quiet


async def test_an_unreadable_opt_in_is_refused_and_named(server_env, network, resolver, open_client, monkeypatch):
    monkeypatch.setenv("HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS", "sure")
    async with open_client() as client:
        response = await client.post(URL, json=token_body())
    assert response.status_code == 503 and response.json()["type"] == "urn:hub-core:problem:provider-config"
    assert "HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS must be true or false" in response.json()["detail"]
    assert CANARY_CALLER_TOKEN not in response.text
    assert resolver.asked == [] and network.quiet


@pytest.mark.parametrize(
    "host",
    ["https://169.254.169.254", "https://2852039166", "https://0xa9fea9fe", "https://[::ffff:169.254.169.254]",
     "http://127.0.0.1:8080", "https://localhost", "https://evil.example", "https://x.cloud.databricks.com:8443"],
)  # fmt: skip
async def test_refused_hosts_make_no_lookup_and_no_connection(
    server_env, network, resolver, to_fake, open_client, host
):
    async with open_client(**ON) as client:
        response = await client.post(URL, json=token_body(host))
    assert response.status_code == 403, response.text
    assert response.json()["type"] == "urn:hub-core:problem:caller-host-refused"
    assert resolver.asked == [] and to_fake.made == []
    assert network.quiet and server_env.requests == []
    assert CANARY_CALLER_TOKEN not in response.text


@pytest.mark.parametrize(
    "answers",
    [["10.0.0.5"], ["169.254.169.254"], ["::ffff:169.254.169.254"], [PUBLIC_ADDRESS, "127.0.0.1"], ["fd00:ec2::254"]],
)
async def test_hosts_resolving_to_non_public_addresses_are_refused(
    server_env, network, resolver, to_fake, open_client, answers
):
    resolver.answers["rebind.cloud.databricks.com"] = answers
    async with open_client(**ON) as client:
        response = await client.post(URL, json=token_body("https://rebind.cloud.databricks.com"))
    assert response.status_code == 403 and response.json()["type"] == "urn:hub-core:problem:caller-host-refused"
    assert "public addresses only" in response.json()["detail"]
    assert not any(a in response.text for a in answers), "the resolved address is not disclosed"
    assert resolver.asked == ["rebind.cloud.databricks.com"]
    assert to_fake.made == [] and network.quiet and server_env.requests == []


async def test_unresolvable_host(server_env, network, resolver, to_fake, open_client):
    async with open_client(**ON) as client:
        response = await client.post(URL, json=token_body("https://nowhere.cloud.databricks.com"))
    assert response.status_code == 502 and response.json()["type"] == "urn:hub-core:problem:caller-host-unresolvable"
    assert to_fake.made == [] and network.quiet


@pytest.mark.parametrize(
    "body",
    [
        {"host": f"https://{WORKSPACE_HOST}"},  # no credentials: never falls back to the server's
        {"token": CANARY_CALLER_TOKEN},
        {"host": f"https://{WORKSPACE_HOST}", "client_id": "caller-sp"},
        {"host": f"https://{WORKSPACE_HOST}", "token": CANARY_CALLER_TOKEN, "client_secret": CANARY_CALLER_SECRET},
        {"host": f"https://{WORKSPACE_HOST}", "token": CANARY_CALLER_TOKEN, "api_base": "https://evil.example"},
        {"host": f"https://{WORKSPACE_HOST}", "token": ""},
        {"host": [CANARY_CALLER_TOKEN], "token": {"nested": CANARY_CALLER_TOKEN}},
        {"host": f"https://{WORKSPACE_HOST}", "token": CANARY_CALLER_TOKEN * 150},  # over 4096 characters
    ],
)
async def test_invalid_bodies_are_400_without_echo(server_env, network, resolver, open_client, body):
    async with open_client(**ON) as client:
        response = await client.post(URL, json=body)
    assert response.status_code == 400 and response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "urn:hub-core:problem:invalid-parameter"
    for secret in (CANARY_CALLER_TOKEN, CANARY_CALLER_SECRET, "evil.example"):
        assert secret not in response.text
    assert resolver.asked == [] and network.quiet and server_env.requests == []


async def test_non_json_body_is_400(server_env, open_client):
    async with open_client(**ON) as client:
        response = await client.post(URL, content=b"host=x&token=" + CANARY_CALLER_TOKEN.encode())
    assert response.status_code == 400 and CANARY_CALLER_TOKEN not in response.text
    async with open_client(**ON) as client:
        broken = await client.post(URL, content=b'{"host": ', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["detail"]


# The success paths below resolve DNS with the stub resolver and replace the pinned
# transport with ToFakeTransport (a Python-level mock that forwards to the fake workspace
# over plain http), because the fake cannot present a certificate for a public name.


async def test_caller_token_replaces_the_servers_and_is_not_cached(
    server_env, caller_fake, resolver, to_fake, open_client
):
    to_fake.fake_url = caller_fake.url
    async with open_client(**ON) as client:
        first = await client.post(URL, json=token_body())
        second = await client.post(URL, json=token_body())
        servers = (await client.get("/public/databricks/endpoints")).json()
    assert first.status_code == 200, first.text
    body = first.json()
    assert [e["name"] for e in body["endpoints"]] == ["callers-own-endpoint"]
    assert body["endpoints"][0]["target"] == "caller"
    assert (
        body["endpoints"][0]["endpoint_url"]
        == f"https://{WORKSPACE_HOST}/serving-endpoints/callers-own-endpoint/invocations"
    )
    assert second.json()["endpoints"] == body["endpoints"]
    assert caller_fake.list_calls == 2, "each call asks the caller's workspace: nothing is cached"
    # Connections were pinned to the address that was checked.
    assert [(t.hostname, t.addresses) for t in to_fake.made] == [(WORKSPACE_HOST, [PUBLIC_ADDRESS])] * 2
    # Only the caller's token went out with the caller's requests; the server's never did.
    for request in to_fake.sent:
        assert request.headers["authorization"] == f"Bearer {CANARY_CALLER_TOKEN}"
        assert CANARY_PAT not in str(request.headers)
    # The hub's own view is the server's workspace, untouched by the caller's result.
    assert "callers-own-endpoint" not in {e["name"] for e in servers["endpoints"]}
    assert len(servers["endpoints"]) == len(rich_workspace())
    assert [p for _, p in server_env.requests] == ["/api/2.0/serving-endpoints"]


async def test_caller_client_credentials(server_env, caller_fake, resolver, to_fake, open_client):
    to_fake.fake_url = caller_fake.url
    body = {"host": f"https://{WORKSPACE_HOST}", "client_id": "caller-sp", "client_secret": CANARY_CALLER_SECRET}
    async with open_client(**ON) as client:
        response = await client.post(URL, json=body)
    assert response.status_code == 200, response.text
    assert [e["name"] for e in response.json()["endpoints"]] == ["callers-own-endpoint"]
    assert caller_fake.token_calls == 1
    assert [r.url.path for r in to_fake.sent] == ["/oidc/v1/token", "/api/2.0/serving-endpoints"]
    assert server_env.requests == []


async def test_wrong_caller_token_is_a_problem_without_the_token(
    server_env, caller_fake, resolver, to_fake, open_client
):
    to_fake.fake_url = caller_fake.url
    async with open_client(**ON) as client:
        response = await client.post(URL, json=token_body(token="dapi-CANARY-wrong-caller-token"))
    assert response.status_code == 502 and response.json()["type"] == "urn:hub-core:problem:provider-auth"
    assert "request body" in response.json()["detail"]
    assert "dapi-CANARY-wrong-caller-token" not in response.text and CANARY_PAT not in response.text
    assert server_env.requests == []


async def test_redirects_are_not_followed(server_env, resolver, monkeypatch, open_client):
    seen: list[httpx.Request] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    monkeypatch.setattr(byo, "make_transport", lambda hostname, addresses: httpx.MockTransport(redirect))
    async with open_client(**ON) as client:
        response = await client.post(URL, json=token_body())
    assert response.status_code == 502 and response.json()["type"] == "urn:hub-core:problem:provider-error"
    assert [r.url.host for r in seen] == [WORKSPACE_HOST], "the Location was not followed"


async def test_caller_results_respect_the_deadline(server_env, caller_fake, resolver, to_fake, open_client):
    to_fake.fake_url = caller_fake.url
    caller_fake.inject("hang")
    async with open_client(discovery_timeout=0.5, **ON) as client:
        started = asyncio.get_running_loop().time()
        response = await client.post(URL, json=token_body())
        elapsed = asyncio.get_running_loop().time() - started
    assert response.status_code == 503 and elapsed < 10, "the 30 s hang was cut at the 0.5 s deadline"


# -- the pinned connection ---------------------------------------------------------------------------


class RecordingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, fail: set[str] | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.fail = fail or set()

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.calls.append((host, port))
        raise httpcore.ConnectError(f"test backend: no network to {host}")


async def test_pinned_backend_connects_only_the_checked_name_to_the_checked_addresses():
    inner = RecordingBackend()
    backend = byo.PinnedBackend(WORKSPACE_HOST, ["52.1.2.3", "52.1.2.4"], inner=inner)
    with pytest.raises(httpcore.ConnectError, match="cannot connect"):
        await backend.connect_tcp(WORKSPACE_HOST.upper(), 443)
    assert inner.calls == [("52.1.2.3", 443), ("52.1.2.4", 443)], "addresses tried in order, never the name"
    for host, port in [("evil.example", 443), ("169.254.169.254", 443), (WORKSPACE_HOST, 80)]:
        with pytest.raises(httpcore.ConnectError, match="refused"):
            await backend.connect_tcp(host, port)
    with pytest.raises(httpcore.ConnectError, match="refused"):
        await backend.connect_unix_socket("/var/run/docker.sock")
    assert len(inner.calls) == 2


async def test_pinned_transport_never_resolves_the_name_again(network, monkeypatch):
    attempts: list[tuple[str, int]] = []

    async def no_connect(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        attempts.append((host, port))
        raise httpcore.ConnectError("test: no network")

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", no_connect)
    async with httpx.AsyncClient(transport=byo.pinned_transport(WORKSPACE_HOST, [PUBLIC_ADDRESS])) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"https://{WORKSPACE_HOST}/api/2.0/serving-endpoints")
        with pytest.raises(httpx.ConnectError, match="refused"):
            await client.get("https://169.254.169.254/latest/meta-data/")
    assert attempts == [(PUBLIC_ADDRESS, 443)]
    assert network.lookups == [], "the name was not looked up a second time (no DNS rebinding)"


async def test_stub_resolver_is_what_the_route_uses(resolver: StubResolver):
    assert byo.resolver is resolver
    assert await byo.public_addresses(WORKSPACE_HOST) == [PUBLIC_ADDRESS]


async def test_operator_listed_suffix_is_allowed(server_env, caller_fake, resolver, to_fake, open_client):
    to_fake.fake_url = caller_fake.url
    resolver.answers["ws1.dbx.example.com"] = [PUBLIC_ADDRESS]
    table = {"allow_caller_credentials": True, "caller_host_suffixes": ["dbx.example.com"]}
    async with open_client(providers={"databricks": table}) as client:
        allowed = await client.post(URL, json=token_body("https://ws1.dbx.example.com"))
        other = await client.post(URL, json=token_body("https://ws1.other.example.com"))
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["endpoints"][0]["target_url"] == "https://ws1.dbx.example.com"
    assert other.status_code == 403 and "*.dbx.example.com" in other.json()["detail"]
