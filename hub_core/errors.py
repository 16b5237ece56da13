"""The hub's errors. Each maps to one problem+json response with a stable ``type``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

PROBLEM_BASE = "urn:hub-core:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class HubError(Exception):
    """Base class. ``str(error)`` is the human message; it never holds a secret."""

    slug: ClassVar[str] = "hub-error"
    title: ClassVar[str] = "Hub error"
    status: ClassVar[int] = 500

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra
        self.headers: dict[str, str] = {}

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.message,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class BadRequestError(HubError):
    slug = "bad-request"
    title = "Bad request"
    status = 400


class NotFoundError(HubError):
    slug = "not-found"
    title = "Not found"
    status = 404


class UnknownProviderError(NotFoundError):
    slug = "unknown-provider"
    title = "Unknown provider"

    def __init__(self, provider: str, installed: Iterable[str]) -> None:
        names = sorted(installed)
        listing = ", ".join(names) if names else "none"
        super().__init__(
            f"No provider named {provider!r} is installed. Installed providers: {listing}.",
            provider=provider,
            installed=names,
        )


class ProviderError(HubError):
    """Raised by plugins when the upstream refuses or fails. Names the provider.

    ``retryable`` marks a transient fault (429, 503, a dropped connection) that the hub
    may retry within its deadline; ``retry_after`` (seconds) is the upstream's own
    ``Retry-After``, which the hub honours before calling that target again.
    """

    slug = "provider-error"
    title = "Provider error"
    status = 502

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        retryable: bool = False,
        retry_after: int | None = None,
        **extra: Any,
    ) -> None:
        if provider is not None:
            extra["provider"] = provider
        super().__init__(message, **extra)
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)


class ProviderAuthError(ProviderError):
    """The upstream rejected the hub's credentials."""

    slug = "provider-auth"
    title = "Provider rejected the hub's credentials"


class ProviderConfigError(ProviderError):
    """The provider's configuration is wrong or ambiguous."""

    slug = "provider-config"
    title = "Provider is misconfigured"
    status = 503


class ProviderUnavailableError(ProviderError):
    """Nothing to serve right now: the upstream failed and no usable copy is cached."""

    slug = "provider-unavailable"
    title = "Provider unavailable"
    status = 503


class PluginLoadError(HubError):
    """A plugin could not be loaded (raised only in strict mode or for duplicates)."""

    slug = "plugin-load"
    title = "Plugin failed to load"


class DuplicateProviderError(PluginLoadError):
    slug = "duplicate-provider"
    title = "Two plugins claim one provider name"


# -- the hub's providers ----------------------------------------------------------------


class ProviderDisabledError(NotFoundError):
    slug = "provider-disabled"
    title = "Provider disabled"


class ProviderFailedToLoadError(ProviderUnavailableError):
    slug = "provider-failed-to-load"
    title = "Provider failed to load"


class AllProvidersFailedError(ProviderUnavailableError):
    slug = "all-providers-failed"
    title = "Every provider failed"


class HookTypeError(ProviderError, TypeError):
    """A hookimpl returned something its spec does not allow."""

    slug = "provider-hook-type"
    title = "Provider returned the wrong type"


# -- requests -------------------------------------------------------------------------


class InvalidParameterError(BadRequestError):
    """A query parameter's value is wrong; ``parameter`` names it (same type as FastAPI's own 400s)."""

    slug = "invalid-parameter"
    title = "Invalid request parameter"

    def __init__(self, parameter: str, message: str, **extra: Any) -> None:
        super().__init__(f"Invalid value for {parameter}: {message}", parameter=parameter, **extra)
        self.parameter = parameter


class UnknownParameterError(BadRequestError):
    slug = "unknown-query-parameter"
    title = "Unknown query parameter"


class DuplicateParameterError(BadRequestError):
    slug = "duplicate-query-parameter"
    title = "Duplicate query parameter"


class InvalidSortFieldError(InvalidParameterError):
    slug = "invalid-sort-field"
    title = "Invalid sort field"


class DuplicateSortFieldError(InvalidParameterError):
    slug = "duplicate-sort-field"
    title = "Duplicate sort field"


class UnsupportedFilterOperatorError(InvalidParameterError):
    slug = "unsupported-filter-operator"
    title = "Unsupported filter operator"


class CredentialInQueryError(BadRequestError):
    slug = "credential-in-query"
    title = "Credentials and upstream URLs are never accepted in URLs"


class UnauthorizedError(HubError):
    slug = "unauthorized"
    title = "Unauthorized"
    status = 401

    def __init__(self) -> None:
        # One message for a missing and a wrong key: the answer tells a caller nothing about the keys.
        super().__init__("This route needs a hub API key: send the header 'Authorization: Bearer <key>'.")
        self.headers["WWW-Authenticate"] = "Bearer"
