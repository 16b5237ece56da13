"""Microsoft Entra ID tokens for ARM through azure-identity's async credentials, one credential per target."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from hub_azure.config import PROVIDER, Settings, fail
from hub_azure.logs import guard
from hub_core import ProviderAuthError, ProviderUnavailableError, Redactor

if TYPE_CHECKING:
    from azure.core.credentials_async import AsyncTokenCredential

SERVICE_PRINCIPAL = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")


def auth_method(settings: Settings) -> str:
    """What ``credential = "auto"`` means here: a service principal when its three variables are set."""
    if settings.credential != "auto":
        return settings.credential
    return "client_secret" if all(os.environ.get(name) for name in SERVICE_PRINCIPAL) else "default"


def make_credential(settings: Settings, redactor: Redactor) -> AsyncTokenCredential:
    """A new async credential; azure-identity caches its tokens in memory and refreshes them 5 min early."""
    credential = _credential(settings, redactor)
    guard(redactor)  # after the import and construction, so that every azure.* logger exists
    return credential


def _credential(settings: Settings, redactor: Redactor) -> AsyncTokenCredential:
    from azure.identity.aio import ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential

    # The credential's own HTTP: bounded, one retry (the hub retries discovery itself), a private CA if set.
    options: dict[str, Any] = {
        "connection_timeout": settings.timeout,
        "read_timeout": settings.timeout,
        "retry_total": 1,
    }
    if settings.ca_bundle:
        options["connection_verify"] = settings.ca_bundle
    if settings.authority_host:
        options["authority"] = settings.authority_host
    method = auth_method(settings)
    if method == "client_secret":
        missing = [name for name in SERVICE_PRINCIPAL if not os.environ.get(name)]
        if missing:
            raise fail(f"credential = 'client_secret' needs {', '.join(missing)} to be set.")
        secret = os.environ["AZURE_CLIENT_SECRET"]
        redactor.add_basic(os.environ["AZURE_CLIENT_ID"], secret)
        return ClientSecretCredential(os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"], secret, **options)
    if os.environ.get("AZURE_CLIENT_SECRET"):
        redactor.add(os.environ["AZURE_CLIENT_SECRET"])  # DefaultAzureCredential may read it too
    if method == "managed_identity":
        options.pop("authority", None)
        client_id = settings.managed_identity_client_id or os.environ.get("AZURE_CLIENT_ID")
        return ManagedIdentityCredential(client_id=client_id, **options)
    # Interactive browser sign-in never fits a server; the rest of the chain is tried in order.
    return DefaultAzureCredential(exclude_interactive_browser_credential=True, **options)


async def bearer(credential: AsyncTokenCredential, scope: str, redactor: Redactor, what: str) -> str:
    """A current access token for ``scope``; every token is added to ``redactor`` before it is used."""
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError
    from azure.identity import CredentialUnavailableError

    try:
        token = (await credential.get_token(scope)).token
    except CredentialUnavailableError as error:
        raise ProviderAuthError(
            f"{what}: no Azure credential is available ({_summary(error, redactor)}). Set AZURE_TENANT_ID, "
            "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or run on a managed identity.",
            provider=PROVIDER,
        ) from None
    except ClientAuthenticationError as error:
        raise ProviderAuthError(
            f"{what}: Microsoft Entra ID refused a token ({_summary(error, redactor)}). Check the tenant, "
            "client id and secret (or the managed identity).",
            provider=PROVIDER,
        ) from None
    except (ServiceRequestError, ServiceResponseError) as error:
        raise ProviderUnavailableError(
            f"{what}: Microsoft Entra ID cannot be reached ({type(error).__name__}).",
            provider=PROVIDER,
            retryable=True,
        ) from None
    redactor.add(token)
    return token


def _summary(error: Exception, redactor: Redactor) -> str:
    """The first line of azure-identity's message (an AADSTS code and its text), redacted, then cut."""
    text = " ".join(str(getattr(error, "message", None) or error).split())
    return redactor.redact(text)[:200] or type(error).__name__
