"""One botocore Bedrock client per region, its paginated list calls, and AWS errors as hub errors."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from hub_bedrock.config import PROVIDER, Account, Settings, discovery_timeout
from hub_bedrock.logs import guard_botocore_logs
from hub_core import ProviderAuthError, ProviderConfigError, ProviderError, ProviderUnavailableError, Redactor

# Operation name -> (botocore method, list member of the reply, paginated).
OPERATIONS: dict[str, tuple[str, str, bool]] = {
    "ListFoundationModels": ("list_foundation_models", "modelSummaries", False),
    "ListInferenceProfiles": ("list_inference_profiles", "inferenceProfileSummaries", True),
    "ListProvisionedModelThroughputs": ("list_provisioned_model_throughputs", "provisionedModelSummaries", True),
    "ListCustomModels": ("list_custom_models", "modelSummaries", True),
    "ListImportedModels": ("list_imported_models", "modelSummaries", True),
}
MAX_PAGES = 100
PAGE_SIZE = 100
# Codes that say the credentials themselves are wrong: every call would fail the same way.
CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "InvalidClientTokenId",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
    "MissingAuthenticationTokenException",
}
THROTTLE_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException", "ServiceQuotaExceededException"}
DENIED_CODES = {"AccessDeniedException", "AccessDenied"}
WHAT_TO_SET = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), AWS_PROFILE or "
    "[providers.bedrock] profile, or run on a role (instance profile, ECS/EKS task role, web identity)"
)


def session(settings: Settings) -> Any:
    """A botocore session on the standard credential chain, with the named profile if there is one."""
    import botocore.exceptions
    import botocore.session

    try:
        return botocore.session.Session(profile=settings.profile)
    except botocore.exceptions.ProfileNotFound:
        raise profile_not_found(settings.profile) from None


def profile_not_found(profile: str | None) -> ProviderConfigError:
    name = profile or os.environ.get("AWS_PROFILE") or "default"
    return ProviderConfigError(
        f"Amazon Bedrock: the AWS profile {name!r} is not in ~/.aws/config or ~/.aws/credentials; fix "
        "[providers.bedrock] profile, BEDROCK_PROFILE or AWS_PROFILE.",
        provider=PROVIDER,
    )


def credentials_of(aws: Any, settings: Settings) -> Any:
    """The chain's credentials, or None when it finds none (a broken SSO cache or profile raises instead)."""
    import botocore.exceptions

    try:
        return aws.get_credentials()
    except botocore.exceptions.ProfileNotFound:
        raise profile_not_found(settings.profile) from None
    except botocore.exceptions.BotoCoreError as error:
        raise ProviderAuthError(
            f"Amazon Bedrock: the AWS credential chain failed ({type(error).__name__}); {WHAT_TO_SET}.",
            provider=PROVIDER,
        ) from None


def secrets_of(credentials: Any) -> list[str | None]:
    """Every secret the client may send: the secret key, a session token, a Bedrock API key."""
    secrets: list[str | None] = [os.environ.get("AWS_BEARER_TOKEN_BEDROCK")]
    if credentials is not None:
        try:
            frozen = credentials.get_frozen_credentials()
        except Exception:  # a refresh that fails now fails again, with its own error, on the first call
            return secrets
        secrets += [frozen.secret_key, frozen.token]
    return secrets


@dataclass
class RegionClient:
    """A target's handle: the botocore client for one region and the secrets to keep out of messages."""

    region: str
    client: Any = field(repr=False)
    redactor: Redactor = field(repr=False)
    profile: str | None = None
    check_access: bool = False
    account: str | None = None  # the assumed account's id, for endpoints whose ARNs name none
    role_arn: str | None = None

    @classmethod
    def create(
        cls, aws: Any, region: str, settings: Settings, credentials: Any, account: Account | None = None
    ) -> RegionClient:
        from botocore.config import Config

        deadline = discovery_timeout()
        # Two attempts (botocore's max_attempts counts retries only), each bounded well inside the hub's
        # deadline, so botocore's retry never outlives it and the hub's own retries decide the rest.
        config = Config(
            connect_timeout=max(0.5, min(3.0, deadline / 5)),
            read_timeout=max(1.0, min(10.0, deadline / 4)),
            retries={"max_attempts": 1, "mode": "standard"},
            user_agent_extra="hub-bedrock/0.1.0",
        )
        client = aws.create_client("bedrock", region_name=region, endpoint_url=settings.endpoint_url, config=config)
        redactor = Redactor()
        guard_botocore_logs(redactor, secrets_of(credentials))
        if account is None:
            return cls(region, client, redactor, settings.profile, settings.check_access)
        return cls(
            region, client, redactor, settings.profile, settings.check_access, account.account_id, account.role_arn
        )

    async def aclose(self) -> None:
        self.client.close()

    def list_all(self, operation: str) -> list[dict[str, Any]]:
        """Every item of one list operation, following ``nextToken``; botocore errors are raised as they are."""
        method, member, paginated = OPERATIONS[operation]
        call = getattr(self.client, method)
        if not paginated:
            return _items(call().get(member), operation)
        items: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            reply = call(maxResults=PAGE_SIZE, **({"nextToken": token} if token else {}))
            items += _items(reply.get(member), operation)
            following = reply.get("nextToken")
            if not following:
                return items
            if following == token:
                raise ProviderError(f"Amazon Bedrock {operation} returned the same nextToken twice.", provider=PROVIDER)
            token = following
        raise ProviderError(f"Amazon Bedrock {operation} had more than {MAX_PAGES} pages.", provider=PROVIDER)

    def describe(self, error: BaseException) -> str:
        """A short, redacted text for an error: the AWS code and, cut, its message."""
        code, message = error_code(error), ""
        response = getattr(error, "response", None)
        if isinstance(response, dict):
            message = str(response.get("Error", {}).get("Message") or "")
        text = f"{code}: {message}" if message else code
        return self.redactor.redact(text)[:160]


def _items(value: Any, operation: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProviderError(f"Amazon Bedrock {operation} answered without a list.", provider=PROVIDER)
    return [item for item in value if isinstance(item, dict)]


def error_code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__


def status_of(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status if isinstance(status, int) else None
    return None


def is_transient(error: BaseException) -> bool:
    """Throttling, 5xx, a timeout or a dropped connection: worth asking again."""
    import botocore.exceptions

    if isinstance(
        error,
        botocore.exceptions.ConnectionError
        | botocore.exceptions.HTTPClientError
        | botocore.exceptions.ReadTimeoutError,
    ):
        return True
    status = status_of(error)
    return error_code(error) in THROTTLE_CODES or status == 429 or (status is not None and status >= 500)


def as_hub_error(error: BaseException, handle: RegionClient, operation: str) -> Exception:
    """The hub error for a fault that fails the whole region."""
    import botocore.exceptions

    credential_errors = (
        botocore.exceptions.CredentialRetrievalError,
        botocore.exceptions.TokenRetrievalError,
        botocore.exceptions.SSOError,
        botocore.exceptions.UnauthorizedSSOTokenError,
    )

    where = f"Amazon Bedrock region {handle.region!r}"
    if isinstance(error, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError):
        return ProviderAuthError(f"{where}: no AWS credentials found; {WHAT_TO_SET}.", provider=PROVIDER)
    if isinstance(error, botocore.exceptions.NoAuthTokenError):
        return ProviderAuthError(f"{where}: no Bedrock API key or AWS credentials; {WHAT_TO_SET}.", provider=PROVIDER)
    text = handle.describe(error)
    if getattr(error, "operation_name", None) == "AssumeRole":
        return ProviderAuthError(
            f"{where}: could not assume {handle.role_arn or 'the role'} ({text}); allow the hub's identity "
            "sts:AssumeRole on it and let the role's trust policy name that identity.",
            provider=PROVIDER,
        )
    if isinstance(error, credential_errors) or "credential" in type(error).__name__.lower():
        return ProviderAuthError(f"{where}: {operation} failed ({text}); {WHAT_TO_SET}.", provider=PROVIDER)
    if error_code(error) in CREDENTIAL_CODES:
        return ProviderAuthError(f"{where} rejected the AWS credentials ({text}); {WHAT_TO_SET}.", provider=PROVIDER)
    if error_code(error) in DENIED_CODES:
        return ProviderAuthError(
            f"{where}: {operation} was denied ({text}); grant the identity the bedrock:List* permissions in "
            "docs/bedrock.md.",
            provider=PROVIDER,
        )
    if is_transient(error):
        return ProviderUnavailableError(f"{where}: {operation} failed ({text}).", provider=PROVIDER, retryable=True)
    return ProviderError(f"{where}: {operation} failed ({text}).", provider=PROVIDER)
