"""A fake Amazon Bedrock control plane on 127.0.0.1, speaking REST-JSON as the AWS API reference documents it.

Built on hub_core.testing.FakeUpstream: ``GET /foundation-models``, ``/inference-profiles``,
``/provisioned-model-throughputs``, ``/custom-models`` and ``/imported-models``, paginated with
``nextToken``/``maxResults``; each request's SigV4 scope is checked and recorded; errors have the AWS
shape (``x-amzn-ErrorType`` header, ``{"message": ...}`` body). Data is per region, read from the
credential scope of the Authorization header, as a real regional endpoint would answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from hub_core.testing import FakeUpstream
from hub_core.testing.upstream import Reply, Request

ACCESS_KEY = "AKIAFAKEBEDROCK0001"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEBEDROCK"
ACCOUNT = "123456789012"
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[A-Z0-9]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)"
    r"/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
# Path -> (operation, list member, paginated)
PATHS = {
    "/foundation-models": ("ListFoundationModels", "modelSummaries", False),
    "/inference-profiles": ("ListInferenceProfiles", "inferenceProfileSummaries", True),
    "/provisioned-model-throughputs": ("ListProvisionedModelThroughputs", "provisionedModelSummaries", True),
    "/custom-models": ("ListCustomModels", "modelSummaries", True),
    "/imported-models": ("ListImportedModels", "modelSummaries", True),
}


def foundation_model(
    model_id: str,
    region: str,
    *,
    name: str,
    provider: str,
    outputs: tuple[str, ...] = ("TEXT",),
    inference: tuple[str, ...] = ("ON_DEMAND",),
    status: str = "ACTIVE",
    streaming: bool | None = True,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}",
        "modelId": model_id,
        "modelName": name,
        "providerName": provider,
        "inputModalities": ["TEXT"],
        "outputModalities": list(outputs),
        "customizationsSupported": [],
        "inferenceTypesSupported": list(inference),
        "modelLifecycle": {"status": status},
    }
    if streaming is not None:
        item["responseStreamingSupported"] = streaming
    return item


def system_profile(profile_id: str, region: str, model_id: str, regions: tuple[str, ...]) -> dict[str, Any]:
    return {
        "inferenceProfileName": f"US {model_id}",
        "description": f"Routes requests to {model_id} in {', '.join(regions)}.",
        "createdAt": "2024-08-27T00:00:00Z",
        "updatedAt": "2024-08-27T00:00:00Z",
        "inferenceProfileArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{profile_id}",
        "models": [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model_id}"} for r in regions],
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }


def application_profile(profile_id: str, region: str, model_id: str, name: str) -> dict[str, Any]:
    return {
        "inferenceProfileName": name,
        "createdAt": "2025-01-10T09:30:00Z",
        "inferenceProfileArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:application-inference-profile/{profile_id}",
        "models": [{"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}"}],
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": "APPLICATION",
    }


def provisioned(
    name: str, region: str, model_id: str, *, status: str, units: int, desired: int | None = None, term: str | None
) -> dict[str, Any]:
    model_arn = f"arn:aws:bedrock:{region}::foundation-model/{model_id}"
    item: dict[str, Any] = {
        "provisionedModelName": name,
        "provisionedModelArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:provisioned-model/{name[:6]}x1y2z3",
        "modelArn": model_arn,
        "desiredModelArn": model_arn,
        "foundationModelArn": model_arn,
        "modelUnits": units,
        "desiredModelUnits": desired if desired is not None else units,
        "status": status,
        "creationTime": "2025-03-01T12:00:00Z",
        "lastModifiedTime": "2025-03-02T12:00:00Z",
    }
    if term:
        item["commitmentDuration"] = term
        item["commitmentExpirationTime"] = "2025-04-01T12:00:00Z"
    return item


def custom_model(name: str, region: str, base: str, status: str = "Active") -> dict[str, Any]:
    return {
        "modelArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:custom-model/{base}/{name}",
        "modelName": name,
        "creationTime": "2025-02-01T08:00:00Z",
        "baseModelArn": f"arn:aws:bedrock:{region}::foundation-model/{base}",
        "baseModelName": base,
        "customizationType": "FINE_TUNING",
        "ownerAccountId": ACCOUNT,
        "modelStatus": status,
    }


def imported_model(name: str, region: str) -> dict[str, Any]:
    return {
        "modelArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:imported-model/{name[:4]}abcd1234",
        "modelName": name,
        "creationTime": "2025-02-15T08:00:00Z",
        "instructSupported": True,
        "modelArchitecture": "llama3",
    }


def region_data(region: str) -> dict[str, list[dict[str, Any]]]:
    """A region as an account with on-demand, legacy, provisioned-only, profiled and custom models sees it."""
    claude, titan = "anthropic.claude-3-5-sonnet-20241022-v2:0", "amazon.titan-embed-text-v2:0"
    models = [
        foundation_model(claude, region, name="Claude 3.5 Sonnet v2", provider="Anthropic"),
        foundation_model(titan, region, name="Titan Text Embeddings V2", provider="Amazon",
                         outputs=("EMBEDDING",), streaming=False),
        foundation_model("anthropic.claude-v2:1", region, name="Claude", provider="Anthropic", status="LEGACY"),
        foundation_model("amazon.nova-canvas-v1:0", region, name="Nova Canvas", provider="Amazon",
                         outputs=("IMAGE",), streaming=None),
        foundation_model("cohere.command-text-v14", region, name="Command", provider="Cohere",
                         inference=("PROVISIONED",)),
    ]  # fmt: skip
    return {
        "ListFoundationModels": models,
        "ListInferenceProfiles": [
            system_profile(f"us.{claude}", region, claude, ("us-east-1", "us-west-2")),
            system_profile("us.amazon.nova-pro-v1:0", region, "amazon.nova-pro-v1:0", ("us-east-1", "us-west-2")),
            application_profile("a1b2c3d4e5f6", region, claude, "team-search-claude"),
        ],
        "ListProvisionedModelThroughputs": [
            provisioned("command-pt", region, "cohere.command-text-v14", status="InService", units=2, term="OneMonth"),
            provisioned("claude-pt-new", region, "anthropic.claude-v2:1", status="Creating", units=1, term=None),
            provisioned(
                "claude-pt-grow",
                region,
                "anthropic.claude-v2:1",
                status="Updating",
                units=1,
                desired=3,
                term="SixMonths",
            ),
            provisioned("claude-pt-broken", region, "anthropic.claude-v2:1", status="Failed", units=1, term=None),
        ],
        "ListCustomModels": [custom_model("support-bot-ft", region, "amazon.titan-text-express-v1")],
        "ListImportedModels": [imported_model("llama-3-8b-legal", region)],
    }


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sigv4_signature(request: Request, secret: str, scope: str, signed_headers: list[str]) -> str:
    """The signature AWS computes for ``request`` (Signature Version 4, as the AWS docs spell it out)."""
    headers = {k.lower(): " ".join(v.split()) for k, v in request.headers.items()}
    pairs = sorted(
        (quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~"))
        for k, _, v in (pair.partition("=") for pair in request.query.split("&") if pair)
    )
    payload = headers.get("x-amz-content-sha256") or hashlib.sha256(request.body).hexdigest()
    canonical = "\n".join(
        [
            request.method,
            quote(request.path, safe="/~"),  # the path as sent, encoded once more
            "&".join(f"{k}={v}" for k, v in pairs),
            "".join(f"{name}:{headers.get(name, '')}\n" for name in signed_headers),
            ";".join(signed_headers),
            payload,
        ]
    )
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", headers.get("x-amz-date", ""), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    date, region, service, terminator = scope.split("/")
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), terminator)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def aws_error(status: int, code: str, message: str) -> Reply:
    """An error as Bedrock sends it: the type in ``x-amzn-ErrorType`` and ``{"message": ...}``."""
    return Reply({"message": message}, status, {"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/"})


@dataclass
class Signed:
    """The SigV4 scope of one request."""

    operation: str
    access_key: str
    region: str
    service: str
    signed_headers: list[str]
    verified: bool = False  # the signature matched the fake's secret key


@dataclass
class FakeBedrock:
    """The fake's state: data per region, page size, injected faults, the signatures it saw."""

    upstream: FakeUpstream
    regions: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    page_size: int = 2
    denied: dict[str, str] = field(default_factory=dict)  # operation -> the AccessDenied message
    throttled: dict[str, int] = field(default_factory=dict)  # operation -> how many more 429s
    failing: dict[str, int] = field(default_factory=dict)  # operation -> status of a plain error
    signatures: list[Signed] = field(default_factory=list)
    replies: list[tuple[str, Any]] = field(default_factory=list)  # (operation, body) of every 200
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY  # every signature is checked with it
    down: set[str] = field(default_factory=set)  # regions that answer 503 to everything
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # assumed key -> (secret, session token)
    delay: float = 0.0  # seconds before every answer
    access: dict[str, dict[str, Any]] = field(default_factory=dict)  # model id -> availability fields to change

    @property
    def url(self) -> str:
        return self.upstream.url

    def region(self, name: str) -> dict[str, list[dict[str, Any]]]:
        return self.regions.setdefault(name, region_data(name))

    def deny(self, operation: str, message: str | None = None) -> None:
        default = f"User: arn:aws:iam::{ACCOUNT}:user/hub is not authorized to perform: bedrock:{operation}"
        self.denied[operation] = message or default

    def throttle(self, operation: str, times: int = 100) -> None:
        self.throttled[operation] = times

    def calls(self, operation: str) -> int:
        return sum(1 for s in self.signatures if s.operation == operation)

    def availability(self, request: Request, model_id: str) -> Reply:
        operation = "GetFoundationModelAvailability"
        signed = self.verify(request, operation)
        if isinstance(signed, Reply):
            return signed
        body = availability_reply(model_id, **self.access.get(model_id, {}))
        self.replies.append((operation, body))
        return Reply(body, delay=self.delay)

    def answer(self, request: Request, operation: str, member: str, paginated: bool) -> Reply:
        signed = self.verify(request, operation)
        if isinstance(signed, Reply):
            return signed
        items = self.region(signed.region)[operation]
        if not paginated:
            body: dict[str, Any] = {member: items}
        else:
            query = {k: v[-1] for k, v in parse_qs(request.query).items()}
            start = int(base64.b64decode(query["nextToken"]).decode()) if "nextToken" in query else 0
            size = min(int(query.get("maxResults", 1000)), self.page_size)
            body = {member: items[start : start + size]}
            if start + size < len(items):
                body["nextToken"] = base64.b64encode(str(start + size).encode()).decode()
        self.replies.append((operation, body))
        return Reply(body, delay=self.delay)

    def verify(self, request: Request, operation: str) -> Signed | Reply:
        """The request's SigV4 scope, or the error a real endpoint answers first: unsigned, unknown key, denied,
        throttled, failing."""
        match = AUTHORIZATION.match(request.headers.get("Authorization", ""))
        if not match or "x-amz-date" not in {k.lower() for k in request.headers}:
            return aws_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        signed = Signed(operation, match["key"], match["region"], match["service"], match["signed"].split(";"))
        self.signatures.append(signed)
        secret, token = self.sessions.get(signed.access_key, (self.secret_key, None))
        sent_token = {k.lower(): v for k, v in request.headers.items()}.get("x-amz-security-token")
        if signed.access_key != self.access_key and (signed.access_key not in self.sessions or sent_token != token):
            return aws_error(
                403, "UnrecognizedClientException", "The security token included in the request is invalid."
            )
        scope = f"{match['date']}/{signed.region}/{signed.service}/aws4_request"
        if not hmac.compare_digest(sigv4_signature(request, secret, scope, signed.signed_headers), match["signature"]):
            return aws_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        signed.verified = True
        if signed.region in self.down:
            return aws_error(503, "ServiceUnavailableException", "Service is temporarily unavailable.")
        if operation in self.denied:
            return aws_error(403, "AccessDeniedException", self.denied[operation])
        if self.throttled.get(operation, 0) > 0:
            self.throttled[operation] -= 1
            return aws_error(429, "ThrottlingException", "Too many requests, please wait before trying again.")
        if operation in self.failing:
            return aws_error(self.failing[operation], "InternalServerException", "An internal error occurred.")
        return signed


def install(server: FakeUpstream) -> FakeBedrock:
    """Serve the Bedrock list operations on a started ``server``; every region asked about gets ``region_data``."""
    fake = FakeBedrock(server)
    for path, (operation, member, paginated) in PATHS.items():
        server.route("GET", path, handler=lambda r, o=operation, m=member, p=paginated: fake.answer(r, o, m, p))
    for model in region_data("us-east-1")["ListFoundationModels"]:
        path = f"/foundation-model-availability/{quote(model['modelId'], safe='')}"  # botocore encodes ':'
        server.route("GET", path, handler=lambda r, i=model["modelId"]: fake.availability(r, i))
    return fake


@dataclass
class FakeSts:
    """STS's AssumeRole (query protocol, XML reply) on its own server; the keys it hands out open ``bedrock``."""

    upstream: FakeUpstream
    bedrock: FakeBedrock
    assumed: list[dict[str, str]] = field(default_factory=list)  # the form of every AssumeRole call
    refused: set[str] = field(default_factory=set)  # role ARNs whose trust policy does not name the caller

    @property
    def url(self) -> str:
        return self.upstream.url

    def answer(self, request: Request) -> Reply:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        match = AUTHORIZATION.match(request.headers.get("Authorization", ""))
        if not match or match["service"] != "sts" or match["key"] != self.bedrock.access_key:
            return Reply(b"<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>", 403)
        scope = f"{match['date']}/{match['region']}/sts/aws4_request"
        if sigv4_signature(request, self.bedrock.secret_key, scope, match["signed"].split(";")) != match["signature"]:
            return Reply(b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>", 403)
        self.assumed.append(form)
        if form.get("RoleArn") in self.refused:
            message = f"User: arn:aws:iam::{ACCOUNT}:user/hub is not authorized to perform: sts:AssumeRole"
            error = f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{message}</Message>"
            return Reply(f"{error}</Error><RequestId>1</RequestId></ErrorResponse>".encode(), 403)
        number = len(self.assumed)
        key, secret, token = (
            f"ASIAFAKEASSUMED{number:05d}",
            f"assumed/Secret+{number:05d}FAKEKEYabcdefgh",
            f"FwoGZXIvYXdzEFAKE{number:05d}",
        )
        self.bedrock.sessions[key] = (secret, token)
        account = form["RoleArn"].split(":")[4]
        body = f"""<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>AROAFAKE{number:05d}:{form["RoleSessionName"]}</AssumedRoleId>
      <Arn>arn:aws:sts::{account}:assumed-role/reader/{form["RoleSessionName"]}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>{key}</AccessKeyId>
      <SecretAccessKey>{secret}</SecretAccessKey>
      <SessionToken>{token}</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>"""
        return Reply(body.encode(), headers={"Content-Type": "text/xml"})


@contextmanager
def fake_sts(bedrock: FakeBedrock) -> Iterator[FakeSts]:
    with FakeUpstream() as server:
        sts = FakeSts(server, bedrock)
        server.route("POST", "/", handler=sts.answer)
        yield sts


def availability_reply(model_id: str, **changes: Any) -> dict[str, Any]:
    """GetFoundationModelAvailability's answer for a model the account may call, with ``changes``."""
    return {
        "modelId": model_id,
        "agreementAvailability": {"status": "AVAILABLE"},
        "authorizationStatus": "AUTHORIZED",
        "entitlementAvailability": "AVAILABLE",
        "regionAvailability": "AVAILABLE",
        **changes,
    }


@contextmanager
def fake_bedrock() -> Iterator[FakeBedrock]:
    """A started fake Bedrock control plane, stopped afterwards."""
    with FakeUpstream() as server:
        yield install(server)


def aws_environment(monkeypatch: Any, fake: FakeBedrock, regions: str = "us-east-1", secret: str = SECRET_KEY) -> None:
    """Environment credentials and BEDROCK_* settings pointing the plugin at ``fake``, and no ~/.aws."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", fake.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("BEDROCK_REGIONS", regions)
    monkeypatch.setenv("BEDROCK_ENDPOINT_URL", fake.url)
