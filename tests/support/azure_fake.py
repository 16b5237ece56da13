"""A fake Azure Resource Manager (Microsoft.CognitiveServices, api-version 2024-10-01) and a fake
Microsoft Entra ID token endpoint, both real HTTP servers on 127.0.0.1.

ARM is plain HTTP (the plugin allows http to loopback only). The token endpoint is HTTPS with a
self-signed certificate made per process, because azure-identity refuses an authority that is not
https; the plugin's ``ca_bundle`` setting makes the credential trust it.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from functools import cache
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from hub_core.testing import FakeUpstream
from hub_core.testing.upstream import Reply, Request

API_VERSION = "2024-10-01"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "azure-client-secret-0123456789abcdef"
SUB_A = "00000000-0000-0000-0000-0000000000aa"
SUB_B = "00000000-0000-0000-0000-0000000000bb"
NAMESPACE = "providers/Microsoft.CognitiveServices/accounts"


@cache
def certificate() -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (PEM paths: cert, key), made once per process."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="hub-azure-tls-"))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(folder / "cert.pem"), str(folder / "key.pem")


class TlsUpstream(FakeUpstream):
    """FakeUpstream over HTTPS with :func:`certificate`."""

    def start(self) -> TlsUpstream:
        cert, key = certificate()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-entra", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return super().url.replace("http://", "https://", 1)


class FakeEntra(TlsUpstream):
    """``POST /{tenant}/oauth2/v2.0/token`` (client credentials), as Microsoft Entra ID answers it."""

    def __init__(self, secret: str = CLIENT_SECRET, expires_in: int = 3599) -> None:
        super().__init__()
        self.secret, self.expires_in, self.issued, self.scopes = secret, expires_in, [], []
        self.route("POST", f"/{TENANT}/oauth2/v2.0/token", handler=self._token)

    @property
    def token_calls(self) -> int:
        return self.calls("POST", f"/{TENANT}/oauth2/v2.0/token")

    def _token(self, request: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != CLIENT_ID:
            return Reply({"error": "unauthorized_client", "error_description": "AADSTS700016: unknown app"}, 400)
        if form.get("client_secret") != self.secret:
            description = f"AADSTS7000215: Invalid client secret provided ({form.get('client_secret')})."
            return Reply({"error": "invalid_client", "error_description": description, "error_codes": [7000215]}, 401)
        token = f"eyJ0eXAiOiJKV1QifQ.fake-arm-token-{len(self.issued) + 1:04d}-abcdefghijklmnop"
        self.issued.append(token)
        self.scopes.append(form.get("scope", ""))
        body = {"token_type": "Bearer", "expires_in": self.expires_in, "ext_expires_in": self.expires_in,
                "access_token": token}  # fmt: skip
        return Reply(body)


# -- ARM payloads, shaped as the 2024-10-01 REST reference documents them ----------------------------


def account_id(sub: str, group: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}/{NAMESPACE}/{name}"


def system_data() -> dict[str, Any]:
    return {
        "createdBy": "ops@example.com",
        "createdByType": "User",
        "createdAt": "2025-01-10T09:00:00.0000000Z",
        "lastModifiedBy": "ops@example.com",
        "lastModifiedByType": "User",
        "lastModifiedAt": "2025-02-01T10:30:00.0000000Z",
    }


def account(sub: str, group: str, name: str, *, kind: str = "OpenAI", location: str = "eastus") -> dict[str, Any]:
    host = f"https://{name}.openai.azure.com/" if kind == "OpenAI" else f"https://{name}.cognitiveservices.azure.com/"
    return {
        "id": account_id(sub, group, name),
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts",
        "etag": '"00000000-0000-0000-0000-000000000001"',
        "location": location,
        "kind": kind,
        "sku": {"name": "S0"},
        "tags": {},
        "systemData": system_data(),
        "properties": {
            "provisioningState": "Succeeded",
            "endpoint": host,
            "internalId": "0123456789abcdef0123456789abcdef",
            "customSubDomainName": name,
            "publicNetworkAccess": "Enabled",
            "dateCreated": "2025-01-10T09:00:00.0000000Z",
            "endpoints": {"OpenAI Language Model Instance API": f"https://{name}.openai.azure.com/"},
            "capabilities": [{"name": "VirtualNetworks"}, {"name": "CustomerManagedKey"}],
            "networkAcls": {"defaultAction": "Allow", "virtualNetworkRules": [], "ipRules": []},
        },
    }


def deployment(
    parent: dict[str, Any],
    name: str,
    model: str,
    version: str,
    *,
    sku: str = "Standard",
    capacity: int = 10,
    state: str = "Succeeded",
    capabilities: dict[str, str] | None = None,
) -> dict[str, Any]:
    caps = {"chatCompletion": "true"} if capabilities is None else capabilities
    return {
        "id": f"{parent['id']}/deployments/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "etag": '"00000000-0000-0000-0000-000000000002"',
        "sku": {"name": sku, "capacity": capacity},
        "systemData": system_data(),
        "properties": {
            "model": {"format": "OpenAI", "name": model, "version": version},
            "versionUpgradeOption": "OnceNewDefaultVersionAvailable",
            "capabilities": caps,
            "provisioningState": state,
            "rateLimits": [{"key": "request", "renewalPeriod": 10, "count": capacity}],
            "raiPolicyName": "Microsoft.DefaultV2",
            "currentCapacity": capacity,
        },
    }


def arm_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@dataclass
class FakeArm:
    """Routes for accounts and their deployments, paged by ``$skipToken``, behind a bearer-token check."""

    upstream: FakeUpstream
    entra: FakeEntra | None = None
    page_size: int = 2
    accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seen_tokens: list[str] = field(default_factory=list)
    api_versions: list[str] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)

    def add_account(self, body: dict[str, Any], deployments: list[dict[str, Any]]) -> None:
        sub = body["id"].split("/")[2]
        self.accounts.setdefault(sub, []).append(body)
        self.upstream.route(
            "GET", f"/subscriptions/{sub}/{NAMESPACE}", handler=self._lister(lambda: self.accounts[sub])
        )
        self.upstream.route("GET", body["id"], handler=self._single(body))
        self.upstream.route("GET", f"{body['id']}/deployments", handler=self._lister(lambda: deployments))

    def list_accounts(self, sub: str, bodies: list[dict[str, Any]]) -> None:
        """Serve ``bodies`` as subscription ``sub``'s account list as they are (their ids may name another one)."""
        self.upstream.route("GET", f"/subscriptions/{sub}/{NAMESPACE}", handler=self._lister(lambda: bodies))

    def deny(self, path: str, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        headers["x-ms-failure-cause"] = "gateway"
        self.upstream.route("GET", path, arm_error(code, message), status=status, headers=headers)

    def _authorized(self, request: Request) -> Reply | None:
        query = parse_qs(request.query)
        self.api_versions.append(query.get("api-version", [""])[0])
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        self.seen_tokens.append(token)
        if self.entra is not None and token not in self.entra.issued:
            return Reply(arm_error("InvalidAuthenticationToken", "The access token is invalid."), 401)
        if query.get("api-version") != [API_VERSION]:
            return Reply(arm_error("InvalidApiVersionParameter", "The api-version is invalid."), 400)
        return None

    def _single(self, body: dict[str, Any]) -> Any:
        def handle(request: Request) -> Reply:
            return self._authorized(request) or Reply(body)

        return handle

    def _lister(self, items: Any) -> Any:
        def handle(request: Request) -> Reply:
            refused = self._authorized(request)
            if refused:
                return refused
            start = int(parse_qs(request.query).get("$skipToken", ["0"])[0])
            value = items()
            page: dict[str, Any] = {"value": value[start : start + self.page_size]}
            if start + self.page_size < len(value):
                skip = start + self.page_size
                page["nextLink"] = f"{self.upstream.url}{request.path}?api-version={API_VERSION}&$skipToken={skip}"
            self.responses.append(page)
            return Reply(json.loads(json.dumps(page)))

        return handle


def plugin_settings(arm: FakeArm, entra: FakeEntra, **extra: Any) -> dict[str, Any]:
    """``[providers.azure]`` pointing at the fakes, for subscription ``SUB_A`` unless ``extra`` says otherwise."""
    return {
        "subscriptions": [SUB_A],
        "arm_endpoint": arm.upstream.url,
        "authority_host": entra.url,
        "ca_bundle": certificate()[0],
        **extra,
    }
