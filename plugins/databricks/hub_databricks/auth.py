"""Request headers for one workspace: personal access token, OAuth M2M, or the SDK.

Every ``headers()`` is async and never blocks the event loop. Secrets stay inside
``SecretStr`` until the moment a header is built, and no repr shows them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, Protocol

import httpx
from pydantic import SecretStr

from hub_core import ProviderAuthError, ProviderConfigError, ProviderUnavailableError
from hub_databricks.config import PROVIDER, WorkspaceConfig

logger = logging.getLogger("hub_databricks.auth")

TOKEN_PATH = "/oidc/v1/token"
REFRESH_MARGIN = 40.0  # seconds before expiry that a token counts as expired


class Auth(Protocol):
    method: str

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]: ...

    async def invalidate(self) -> bool:
        """Forget cached credentials after a 401; True when a retry may help."""
        ...


class PatAuth:
    method = "pat"

    def __init__(self, workspace: WorkspaceConfig) -> None:
        assert workspace.token is not None
        self._token = workspace.token

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token.get_secret_value()}"}

    async def invalidate(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "PatAuth(token=**********)"


class OAuthM2MAuth:
    """Client-credentials tokens from ``{host}/oidc/v1/token``, cached and refreshed once at a time."""

    method = "oauth-m2m"

    def __init__(self, workspace: WorkspaceConfig, clock: Any = time.monotonic) -> None:
        assert workspace.client_id and workspace.client_secret is not None
        self._workspace = workspace
        self._clock = clock
        self._token: SecretStr | None = None  # the access token is a credential too
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"OAuthM2MAuth(host={self._workspace.host!r}, client_id={self._workspace.client_id!r})"

    def _valid(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at - REFRESH_MARGIN

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        if not self._valid():
            async with self._lock:  # one refresh in flight per workspace
                if not self._valid():
                    await self._fetch(http)
        assert self._token is not None
        return {"Authorization": f"Bearer {self._token.get_secret_value()}"}

    async def invalidate(self) -> bool:
        self._token, self._expires_at = None, 0.0
        return True

    async def _fetch(self, http: httpx.AsyncClient) -> None:
        workspace = self._workspace
        assert workspace.client_id and workspace.client_secret is not None
        self.token_requests += 1
        try:
            response = await http.post(
                workspace.host + TOKEN_PATH,
                data={"grant_type": "client_credentials", "scope": "all-apis"},
                auth=httpx.BasicAuth(workspace.client_id, workspace.client_secret.get_secret_value()),
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as error:
            raise ProviderUnavailableError(
                f"Databricks workspace {workspace.name!r}: cannot reach the OAuth token endpoint "
                f"({type(error).__name__}). Check the host {workspace.host}.",
                provider=PROVIDER,
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After", "")
            raise ProviderUnavailableError(
                f"Databricks workspace {workspace.name!r}: the OAuth token endpoint is unavailable "
                f"({response.status_code}); the credentials were not judged.",
                provider=PROVIDER,
                retryable=True,
                retry_after=min(int(retry_after), 3600) if retry_after.isdigit() else None,
            )
        if response.status_code != 200:
            raise ProviderAuthError(
                f"Databricks workspace {workspace.name!r} refused the OAuth M2M client credentials "
                f"({response.status_code} {_oauth_error(response)}). Check {workspace.credential_source}: the "
                "service principal must exist in this workspace and the secret must be current.",
                provider=PROVIDER,
                auth_method=self.method,
            )
        try:
            body = response.json()
            token = body["access_token"]
            expires_in = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ProviderAuthError(
                f"Databricks workspace {workspace.name!r}: the OAuth token endpoint returned an unusable body.",
                provider=PROVIDER,
                auth_method=self.method,
            ) from None
        if not isinstance(token, str) or not token:
            raise ProviderAuthError(
                f"Databricks workspace {workspace.name!r}: the OAuth token endpoint returned no access_token.",
                provider=PROVIDER,
                auth_method=self.method,
            )
        self._token = SecretStr(token)
        self._expires_at = self._clock() + expires_in
        logger.debug("Fetched an OAuth token for workspace %r, valid %.0f s", workspace.name, expires_in)


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no JSON error"
    code = body.get("error") or body.get("errorCode") if isinstance(body, dict) else None
    return re.sub(r"[^A-Za-z0-9_.:-]", "", str(code))[:80] if code else "no error code"


class SdkAuth:
    """Headers from ``databricks.sdk.core.Config.authenticate()``, run in a worker thread.

    The SDK may retry for up to its ``retry_timeout_seconds``; the hub bounds it with
    its own deadline so no hub request waits on it.
    """

    method = "sdk"

    def __init__(self, workspace: WorkspaceConfig) -> None:
        self._workspace = workspace
        self._config: Any = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SdkAuth(host={self._workspace.host!r}, profile={self._workspace.profile!r})"

    def _build_config(self) -> Any:
        try:
            from databricks.sdk.core import Config
        except ImportError:
            raise ProviderConfigError(
                "Databricks auth 'sdk' needs the Databricks SDK: pip install 'hub-databricks[sdk]'.",
                provider=PROVIDER,
            ) from None
        kwargs: dict[str, Any] = {
            "retry_timeout_seconds": max(1, int(self._workspace.timeout)),
            "http_timeout_seconds": max(1, int(self._workspace.timeout)),
        }
        if self._workspace.host:
            kwargs["host"] = self._workspace.host
        if self._workspace.profile:
            kwargs["profile"] = self._workspace.profile
        return Config(**kwargs)

    async def config(self) -> Any:
        if self._config is None:
            async with self._lock:
                if self._config is None:
                    self._config = await self._in_thread(self._build_config)
        return self._config

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        config = await self.config()
        headers = await self._in_thread(config.authenticate)
        return {str(k): str(v) for k, v in dict(headers).items()}

    async def host(self) -> str:
        config = await self.config()
        return str(config.host).rstrip("/")

    async def invalidate(self) -> bool:
        return False  # the SDK refreshes its own tokens

    async def _in_thread(self, work: Any) -> Any:
        try:
            return await asyncio.wait_for(asyncio.to_thread(work), timeout=self._workspace.timeout)
        except asyncio.TimeoutError:
            raise ProviderUnavailableError(
                f"Databricks workspace {self._workspace.name!r}: the Databricks SDK did not produce credentials "
                f"within {self._workspace.timeout:g} s.",
                provider=PROVIDER,
            ) from None
        except (ProviderConfigError, ProviderUnavailableError):
            raise
        except Exception as error:
            raise ProviderAuthError(
                f"Databricks workspace {self._workspace.name!r}: the Databricks SDK could not authenticate "
                f"({type(error).__name__}: {_first_line(error)}). Check the profile, environment and "
                "https://docs.databricks.com/en/dev-tools/auth.html.",
                provider=PROVIDER,
                auth_method=self.method,
            ) from None


def _first_line(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return text[:200]


def auth_for(workspace: WorkspaceConfig) -> Auth:
    if workspace.auth == "pat":
        return PatAuth(workspace)
    if workspace.auth == "oauth-m2m":
        return OAuthM2MAuth(workspace)
    return SdkAuth(workspace)
