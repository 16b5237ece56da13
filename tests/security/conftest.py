"""Shared pieces of the security tests: canaries, a network spy, DNS and transport stand-ins."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
import pytest
from databricks_hubs import databricks_hub

from hub_core.hub import Hub
from hub_core.testing import app_client
from hub_databricks import byo
from hub_databricks.testing import FakeWorkspace, rich_workspace

PROBLEM = "application/problem+json"
# Distinctive values: if one shows up anywhere it was leaked, not produced by chance.
CANARY_PAT = "dapi-CANARY-pat-7b1e4f0c2d9a"
CANARY_SECRET = "CANARY-client-secret-a1c3e5g7"
CANARY_HUB_KEY = "CANARY-hub-key-q8w6e4r2"
CANARY_WRONG_KEY = "CANARY-wrong-key-z9x7c5v3"
CANARY_CALLER_TOKEN = "dapi-CANARY-caller-token-k2m4"
CANARY_CALLER_SECRET = "CANARY-caller-secret-p3o5i7"
CANARY_QUERY = "CANARY-in-query-u1y3t5"
CANARIES = (
    CANARY_PAT,
    CANARY_SECRET,
    CANARY_HUB_KEY,
    CANARY_WRONG_KEY,
    CANARY_CALLER_TOKEN,
    CANARY_CALLER_SECRET,
    CANARY_QUERY,
)
CLIENT_ID = "canary-sp-client"
WORKSPACE_HOST = "adb-1234567890123456.7.azuredatabricks.net"
PUBLIC_ADDRESS = "52.1.2.3"  # what the stub resolver answers for a "good" workspace host


def leaked(text: str) -> list[str]:
    return [c for c in CANARIES if c in text]


@dataclass
class NetworkSpy:
    """Records every DNS lookup and every outbound TCP connect the hub's HTTP stack makes."""

    lookups: list[str] = field(default_factory=list)
    connects: list[tuple[str, int]] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        return not self.lookups and not self.connects


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> NetworkSpy:
    """Spies on ``socket.getaddrinfo`` (asyncio's and anyio's resolvers call it) and on
    httpcore's TCP connect (httpx's only way out). Calls still go through."""
    spy = NetworkSpy()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = httpcore.AnyIOBackend.connect_tcp

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        spy.lookups.append(str(host))
        return real_getaddrinfo(host, *args, **kwargs)

    async def connect_tcp(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        spy.connects.append((host, port))
        return await real_connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect_tcp)
    return spy


@dataclass
class StubResolver:
    """Stands in for DNS in BYO tests: answers from a table, records what was asked."""

    answers: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def __call__(self, hostname: str, port: int) -> list[str]:
        self.asked.append(hostname)
        if hostname not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.answers[hostname])


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> StubResolver:
    stub = StubResolver({WORKSPACE_HOST: [PUBLIC_ADDRESS]})
    monkeypatch.setattr(byo, "resolver", stub)
    return stub


class ToFakeTransport(httpx.AsyncBaseTransport):
    """A Python-level stand-in for the pinned transport: sends ``https://<host>/path`` to the
    fake workspace (plain http on 127.0.0.1) and records what the hub sent.

    Used only for BYO success paths, because the fake cannot serve TLS for a public
    workspace name. The real pinned transport is tested on its own in test_byo.py.
    """

    def __init__(self, fake_url: str, hostname: str, addresses: Sequence[str]) -> None:
        self.fake = httpx.URL(fake_url)
        self.hostname = hostname
        self.addresses = list(addresses)
        self.sent: list[httpx.Request] = []
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.scheme == "https" and request.url.host == self.hostname
        self.sent.append(request)
        forwarded = httpx.Request(
            request.method,
            request.url.copy_with(scheme="http", host=self.fake.host, port=self.fake.port),
            headers=request.headers,
            content=await request.aread(),
        )
        return await self.inner.handle_async_request(forwarded)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class TransportRecorder:
    fake_url: str = ""
    made: list[ToFakeTransport] = field(default_factory=list)

    def __call__(self, hostname: str, addresses: Sequence[str]) -> httpx.AsyncBaseTransport:
        transport = ToFakeTransport(self.fake_url, hostname, addresses)
        self.made.append(transport)
        return transport

    @property
    def sent(self) -> list[httpx.Request]:
        return [r for t in self.made for r in t.sent]


@pytest.fixture
def to_fake(monkeypatch: pytest.MonkeyPatch) -> TransportRecorder:
    recorder = TransportRecorder()
    monkeypatch.setattr(byo, "make_transport", recorder)
    return recorder


@pytest.fixture
def server_fake() -> Iterator[FakeWorkspace]:
    """The server's own workspace, reached with the server's PAT (CANARY_PAT)."""
    with FakeWorkspace(rich_workspace(), token=CANARY_PAT, clients={CLIENT_ID: CANARY_SECRET}) as fake:
        yield fake


@pytest.fixture
def server_env(server_fake: FakeWorkspace, monkeypatch: pytest.MonkeyPatch) -> FakeWorkspace:
    monkeypatch.setenv("DATABRICKS_HOST", server_fake.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", CANARY_PAT)
    return server_fake


@pytest.fixture
def open_client() -> Callable[..., Any]:
    @asynccontextmanager
    async def opener(hub: Hub | None = None, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with app_client(hub or databricks_hub(**settings)) as client:
            yield client

    return opener
