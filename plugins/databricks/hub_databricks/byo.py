"""Bring your own credentials: list a caller's workspace with the caller's credentials only.

``POST /public/databricks/endpoints/discover`` with a JSON body ``{host, token}`` or
``{host, client_id, client_secret}``. Off unless the operator sets
``HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS=true`` (or ``allow_caller_credentials = true`` in
``[providers.databricks]``; see ``config.caller_settings``). What keeps it from becoming a
way to reach the server's network or its credentials:

* The caller's credentials replace the server's; a fresh ``WorkspaceConfig`` is built from
  the body alone, so nothing of the server's configuration (environment, TOML, SDK
  profile) can be combined with them.
* The host must be ``https://<name>`` under a Databricks workspace domain
  (``*.cloud.databricks.com``, ``*.azuredatabricks.net``, ``*.gcp.databricks.com``) or a
  suffix the operator lists in ``HUB_DATABRICKS_CALLER_HOST_SUFFIXES``. Hosts written as IP addresses,
  in any notation (``169.254.169.254``, ``2852039166``, ``0xa9fea9fe``, ``[::1]``), are refused.
* The name is resolved off the event loop and every address it resolves to must be public:
  no loopback, private, link-local, shared, reserved, multicast or unspecified address,
  no cloud metadata address, and no such address inside IPv6 (``::ffff:169.254.169.254``,
  6to4, NAT64, Teredo).
* The connection goes to the address that was checked (the TCP connect is pinned to it,
  while TLS still verifies the certificate for the host name), so a second DNS answer
  cannot move it elsewhere. Redirects are not followed, and proxies from the environment
  are not used.
* The result is returned to this caller only and never enters the hub's cache.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpcore
import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter

from hub_core import (
    Endpoint,
    EndpointList,
    HubDep,
    HubError,
    ProviderError,
    ProviderUnavailableError,
    problem_responses,
)
from hub_databricks.client import WorkspaceClient
from hub_databricks.config import PROVIDER, WorkspaceConfig, caller_settings, max_endpoints, max_response_bytes
from hub_databricks.parse import parse_endpoints_off_loop

logger = logging.getLogger("hub_databricks.byo")

DEFAULT_HOST_SUFFIXES = ("cloud.databricks.com", "azuredatabricks.net", "gcp.databricks.com")
CALLER_TARGET = "caller"
HTTPS_PORT = 443
RESOLVE_TIMEOUT = 5.0
MAX_TIMEOUT = 15.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud metadata services: AWS, GCP and Azure (IPv4), AWS (IPv6), Alibaba, Oracle.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
NAT64_NETWORKS = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$")


# -- errors -------------------------------------------------------------------------------------


class CallerCredentialsDisabledError(HubError):
    slug = "caller-credentials-disabled"
    title = "Caller credentials are not enabled"
    status = 403


class CallerHostRefusedError(HubError):
    slug = "caller-host-refused"
    title = "The hub does not connect to this host"
    status = 403


class CallerHostUnresolvableError(ProviderError):
    slug = "caller-host-unresolvable"
    title = "The workspace host does not resolve"


RESPONSES = problem_responses(
    {
        400: "The body is not one of the two credential shapes",
        413: "The body is larger than any valid credentials (16 KiB)",
        403: "Caller credentials are off (HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS), or the host is refused",
        502: "The workspace rejected the credentials, failed, or its host does not resolve",
        503: "The workspace did not answer in time, or is rate limiting",
    }
)


# -- the request body -----------------------------------------------------------------------------

_Host = Annotated[
    str,
    Field(
        min_length=1,
        max_length=300,
        description="The workspace URL: https://<workspace host>, no path.",
        examples=["https://adb-1234567890123456.7.azuredatabricks.net"],
    ),
]
_Secret = Annotated[SecretStr, Field(min_length=1, max_length=4096)]


class _Credentials(BaseModel):
    # hide_input_in_errors: a validation error never carries the submitted values.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    host: _Host


class TokenCredentials(_Credentials):
    """A personal access token for the workspace at ``host``."""

    model_config = ConfigDict(title="TokenCredentials")
    token: _Secret


class ClientCredentials(_Credentials):
    """A service principal's OAuth client ID and secret for the workspace at ``host``."""

    model_config = ConfigDict(title="ClientCredentials")
    client_id: Annotated[str, Field(min_length=1, max_length=256)]
    client_secret: _Secret


CallerCredentials = TokenCredentials | ClientCredentials
CALLER_CREDENTIALS: TypeAdapter[CallerCredentials] = TypeAdapter(CallerCredentials)
# A valid body is under 5 KB (host 300, secret 4096, client ID 256 characters).
MAX_BODY_BYTES = 16 * 1024


def require_enabled(hub: HubDep) -> None:
    """Refuse (403) before the body is looked at unless the operator turned the route on."""
    if not caller_settings(hub.settings.provider_config(PROVIDER)).enabled:
        raise CallerCredentialsDisabledError(
            "This hub does not accept callers' own credentials. Its operator can allow them with "
            "HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS=true, or allow_caller_credentials = true in "
            "[providers.databricks]; see docs/security.md."
        )


# -- the host -----------------------------------------------------------------------------------


def host_suffixes(extra: str | Iterable[str] = "") -> tuple[str, ...]:
    """The default workspace domains plus the operator's (``HUB_DATABRICKS_CALLER_HOST_SUFFIXES``)."""
    items = extra.split(",") if isinstance(extra, str) else list(extra)
    suffixes = list(DEFAULT_HOST_SUFFIXES)
    for item in items:
        suffix = item.strip().lower().removeprefix("*").strip(".")
        if not suffix:
            continue
        labels = suffix.split(".")
        if len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels) or NUMERIC_HOST.match(suffix):
            logger.warning("Databricks caller_host_suffixes: ignored %r; give domains such as example.com", suffix[:80])
            continue
        if suffix not in suffixes:
            suffixes.append(suffix)
    return tuple(suffixes)


def _refuse(why: str) -> CallerHostRefusedError:
    return CallerHostRefusedError(f"The workspace host {why}.")


def is_ip_literal(hostname: str) -> bool:
    """True for any spelling of an IP address, including integer, octal and hex IPv4 forms."""
    candidate = hostname.strip("[]").split("%", 1)[0]
    try:
        ipaddress.ip_address(candidate)
        return True
    except ValueError:
        pass
    try:
        socket.inet_aton(hostname)  # accepts 2852039166, 0xa9fea9fe, 0251.0376.0251.0376, 127.1
        return True
    except (OSError, UnicodeError, ValueError):
        pass
    return bool(NUMERIC_HOST.match(hostname.lower()))


def check_host(value: str, suffixes: Sequence[str]) -> str:
    """The lower-case host name of ``https://<name>``, or ``CallerHostRefusedError``. Never echoes ``value``."""
    text = value.strip()
    if any(ch.isspace() or ord(ch) < 0x21 for ch in text):
        raise _refuse("contains white space or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _refuse("is not a URL") from None
    if parts.scheme.lower() != "https":
        raise _refuse("must be an https:// URL")
    if "@" in parts.netloc:
        raise _refuse("must not carry user information")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise _refuse("must be the workspace URL alone, with no path or query")
    if port not in (None, HTTPS_PORT):
        raise _refuse("must use the standard https port")
    hostname = (parts.hostname or "").lower()
    if not hostname:
        raise _refuse("is missing")
    if is_ip_literal(hostname) or parts.netloc.startswith("["):
        raise _refuse("is written as an IP address; give the workspace's host name")
    labels = hostname.split(".")
    if len(hostname) > 253 or not all(HOST_LABEL.match(label) for label in labels):
        raise _refuse("is not a valid host name (letters, digits and '-' between dots)")
    if not any(hostname.endswith("." + suffix) for suffix in suffixes):
        allowed = ", ".join("*." + s for s in suffixes)
        raise _refuse(f"is not a Databricks workspace host; this hub allows {allowed}")
    return hostname


# -- addresses ----------------------------------------------------------------------------------


def non_public_reason(address: IPAddress) -> str | None:
    """Why ``address`` is not a public unicast address, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.teredo is not None:
            return "Teredo (tunnelled IPv4)"
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and any(address in net for net in (*NAT64_NETWORKS, IPV4_COMPATIBLE)):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = non_public_reason(embedded)
            if inner is not None:
                return f"{inner} (IPv4 inside IPv6)"
    if address in METADATA_ADDRESSES:
        return "cloud metadata"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("non-public", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(hostname: str, port: int) -> list[str]:
    """getaddrinfo in the event loop's executor: the loop never blocks on DNS."""
    infos = await asyncio.get_running_loop().getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


# Tests replace this (and only this) to answer DNS without a network.
resolver: Resolver = system_resolver


async def public_addresses(hostname: str) -> list[str]:
    """Every address ``hostname`` resolves to, all public, or an error naming the first problem."""
    try:
        found = await asyncio.wait_for(resolver(hostname, HTTPS_PORT), timeout=RESOLVE_TIMEOUT)
    except (OSError, UnicodeError, asyncio.TimeoutError):
        found = []
    if not found:
        raise CallerHostUnresolvableError(
            "The workspace host does not resolve to any address. Check the workspace URL.", provider=PROVIDER
        )
    addresses: list[str] = []
    for text in found:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            raise _refuse("resolves to something that is not an IP address") from None
        reason = non_public_reason(address)
        if reason is not None:
            # The address itself is not shown: it could describe the hub's own network.
            raise _refuse(f"resolves to a {reason} address; the hub connects to public addresses only")
        if str(address) not in addresses:
            addresses.append(str(address))
    return addresses


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections for one host name only, and only to its checked addresses.

    httpcore still performs TLS with ``server_hostname`` set to the host name, so the
    certificate is verified for the name while the socket goes to the pinned address.
    """

    def __init__(
        self, hostname: str, addresses: Sequence[str], inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.hostname = hostname
        self.addresses = tuple(addresses)
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host.lower().rstrip(".") != self.hostname or port != HTTPS_PORT:
            raise httpcore.ConnectError("refused: the hub connects only to the checked workspace host")
        last: Exception | None = None
        for address in self.addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as error:
                last = error
        raise httpcore.ConnectError(f"cannot connect to the workspace host ({type(last).__name__})")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("refused: no unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def pinned_transport(hostname: str, addresses: Sequence[str]) -> httpx.AsyncBaseTransport:
    """An httpx transport whose every connection goes to ``addresses`` for ``hostname``."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx has no public hook for the network backend; replace its (not yet used) pool.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=PinnedBackend(hostname, addresses),
        max_connections=4,
    )
    return transport


# Tests replace this to route to a fake workspace (the fake serves plain http on 127.0.0.1).
make_transport: Callable[[str, Sequence[str]], httpx.AsyncBaseTransport] = pinned_transport


# -- discovery ----------------------------------------------------------------------------------


def caller_workspace(credentials: CallerCredentials, host: str, *, timeout: float, limit: int) -> WorkspaceConfig:
    """A workspace built from the request body alone: never the server's credentials."""
    common: dict[str, Any] = {"name": CALLER_TARGET, "host": host, "timeout": timeout, "max_response_bytes": limit}
    if isinstance(credentials, TokenCredentials):
        return WorkspaceConfig(
            **common, auth="pat", token=credentials.token, credential_source="the token in the request body"
        )
    return WorkspaceConfig(
        **common,
        auth="oauth-m2m",
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        credential_source="the client_id and client_secret in the request body",
    )


async def discover(
    credentials: CallerCredentials,
    settings: Any,
    provider_config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> EndpointList:
    """The caller's workspace's endpoints, listed with the caller's credentials. Not cached."""
    env = os.environ if environ is None else environ
    extra = caller_settings(provider_config or {}, env).host_suffixes
    hostname = check_host(credentials.host, host_suffixes(extra))
    addresses = await public_addresses(hostname)
    host = f"https://{hostname}"
    deadline = min(float(getattr(settings, "discovery_timeout", 10.0)), MAX_TIMEOUT)
    limit = max_response_bytes(provider_config or {}, env)
    workspace = caller_workspace(credentials, host, timeout=deadline, limit=limit)
    workspace = workspace.model_copy(update={"max_endpoints": max_endpoints(provider_config or {}, env)})
    client = WorkspaceClient(workspace, transport=make_transport(hostname, addresses))

    async def listed() -> list[Endpoint]:
        items = await client.list_endpoints()
        return await parse_endpoints_off_loop(items, target=CALLER_TARGET, host=host)

    try:
        endpoints = await asyncio.wait_for(listed(), timeout=deadline)
    except asyncio.TimeoutError:
        raise ProviderUnavailableError(
            f"The workspace did not answer within {deadline:g} s.", provider=PROVIDER
        ) from None
    finally:
        await client.aclose()
    return EndpointList(
        provider=PROVIDER,
        endpoints=endpoints,
        source="live",
        fetched_at=datetime.now(timezone.utc),
    )
