"""Request headers for one workspace: personal access token, OAuth M2M, or the SDK.

Every ``headers()`` is async and never blocks the event loop. Secrets stay inside
``SecretStr`` until the moment a header is built, and no repr shows them. Each auth holds a
``Redactor`` with every credential it sends or obtains (the OAuth access token, the SDK's
headers), so that no upstream text the plugin shows can carry one back.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import configparser
import logging
import os
import re
import time
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import httpx
import orjson
from pydantic import SecretStr

from hub_core import (
    DaemonWorkers,
    ProviderAuthError,
    ProviderConfigError,
    ProviderError,
    ProviderUnavailableError,
    Redactor,
    WorkersBusyError,
    retry_after_seconds,
)
from hub_databricks.config import PROVIDER, WorkspaceConfig

logger = logging.getLogger("hub_databricks.auth")

TOKEN_PATH = "/oidc/v1/token"
REFRESH_MARGIN = 40.0  # seconds before expiry that a token counts as expired
TOKEN_MAX_BYTES = 1024 * 1024  # a token response is a few kB; never read more than this
OFF_LOOP_BYTES = 64 * 1024  # decode larger token bodies in a thread
SDK_THREADS = 2  # per workspace: how many SDK calls may be stuck at once
BUILD_SECONDS = 60.0  # how long a background SDK start-up may take before it counts as failed
ERROR_TEXT_CHARS = 160


class Auth(Protocol):
    method: str
    redactor: Redactor

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]: ...

    async def invalidate(self) -> bool:
        """Forget cached credentials after a 401; True when a retry may help."""
        ...


class PatAuth:
    method = "pat"

    def __init__(self, workspace: WorkspaceConfig) -> None:
        assert workspace.token is not None
        self._token = workspace.token
        self.redactor = Redactor(workspace.token)

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
        self.redactor = Redactor()
        self.redactor.add_basic(workspace.client_id, workspace.client_secret)

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
        self.token_requests += 1
        try:
            # The whole exchange, body included, fits in the workspace's deadline.
            status, headers, raw = await asyncio.wait_for(self._post_token(http), workspace.timeout)
        except asyncio.TimeoutError:
            raise ProviderUnavailableError(
                f"Databricks workspace {workspace.name!r}: the OAuth token endpoint did not answer within "
                f"{workspace.timeout:g} s.",
                provider=PROVIDER,
                retryable=True,
            ) from None
        except httpx.HTTPError as error:
            raise ProviderUnavailableError(
                f"Databricks workspace {workspace.name!r}: cannot reach the OAuth token endpoint "
                f"({type(error).__name__}). Check the host {workspace.host}.",
                provider=PROVIDER,
            ) from None
        if status == 429 or status >= 500:
            raise ProviderUnavailableError(
                f"Databricks workspace {workspace.name!r}: the OAuth token endpoint is unavailable "
                f"({status}); the credentials were not judged.",
                provider=PROVIDER,
                retryable=True,
                retry_after=retry_after_seconds(headers),
            )
        if status != 200:
            raise ProviderAuthError(
                f"Databricks workspace {workspace.name!r} refused the OAuth M2M client credentials "
                f"({status} {oauth_error(raw, self.redactor)}). Check {workspace.credential_source}: the "
                "service principal must exist in this workspace and the secret must be current.",
                provider=PROVIDER,
                auth_method=self.method,
            )
        try:
            body = orjson.loads(raw) if len(raw) < OFF_LOOP_BYTES else await asyncio.to_thread(orjson.loads, raw)
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
        self.redactor.add(token)  # before anything can echo it
        self._token = SecretStr(token)
        self._expires_at = self._clock() + expires_in
        logger.debug("Fetched an OAuth token for workspace %r, valid %.0f s", workspace.name, expires_in)

    async def _post_token(self, http: httpx.AsyncClient) -> tuple[int, httpx.Headers, bytes]:
        """The token endpoint's status, headers and body, the body read up to its limit only."""
        workspace = self._workspace
        assert workspace.client_id and workspace.client_secret is not None
        request = http.build_request(
            "POST",
            workspace.host + TOKEN_PATH,
            data={"grant_type": "client_credentials", "scope": "all-apis"},
            headers={"Accept": "application/json"},
        )
        # BasicAuth is applied by send(), not build_request().
        auth = httpx.BasicAuth(workspace.client_id, workspace.client_secret.get_secret_value())
        response = await http.send(request, auth=auth, stream=True)
        try:
            limit = min(TOKEN_MAX_BYTES, workspace.max_response_bytes)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise self._too_large(limit)
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise self._too_large(limit)
                chunks.append(chunk)
        finally:
            await response.aclose()
        return response.status_code, response.headers, b"".join(chunks)

    def _too_large(self, limit: int) -> ProviderError:
        return ProviderAuthError(
            f"Databricks workspace {self._workspace.name!r}: the OAuth token endpoint returned a body larger "
            f"than {limit // 1024} KiB; a token response is a few kB, so the host may not be a Databricks "
            "workspace.",
            provider=PROVIDER,
            auth_method=self.method,
        )


def upstream_text(text: str, redactor: Redactor, limit: int = ERROR_TEXT_CHARS) -> str:
    """Text from an upstream, fit to show: secrets redacted first, then one line, then cut."""
    text = redactor.redact(text[: limit * 8])  # redact before cutting, so no cut leaves a piece
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text[:limit]


def oauth_error(raw: bytes, redactor: Redactor) -> str:
    """``invalid_client: Client authentication failed``, redacted, from an OAuth error body."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "no JSON error"
    if not isinstance(body, dict):
        return "no JSON error"
    code = body.get("error") or body.get("errorCode")
    description = body.get("error_description") or body.get("errorSummary")
    # A code is one word: the first, once redacted, in code characters only.
    words = upstream_text(str(code), redactor, 200).split() if code else []
    # Redacted again once filtered: dropped characters must not join pieces into a secret.
    code_text = redactor.redact(re.sub(r"[^A-Za-z0-9_.:\[\]-]", "", words[0]))[:64] if words else ""
    text = code_text or "no error code"
    if isinstance(description, str) and description.strip():
        text += ": " + upstream_text(description, redactor)
    return text


# SDK config attributes that hold credentials, for when the SDK cannot say itself.
SDK_SENSITIVE = {
    "token": ("DATABRICKS_TOKEN",),
    "password": ("DATABRICKS_PASSWORD",),
    "client_secret": ("DATABRICKS_CLIENT_SECRET",),
    "google_credentials": ("GOOGLE_CREDENTIALS",),
    "azure_client_secret": ("ARM_CLIENT_SECRET",),
    "metadata_service_url": ("DATABRICKS_METADATA_SERVICE_URL",),
}


def sdk_sensitive_attributes() -> dict[str, tuple[str, ...]]:
    """The SDK's sensitive config attributes and their environment variables."""
    try:
        from databricks.sdk.config import Config
    except ImportError:
        return dict(SDK_SENSITIVE)
    found = {
        a.name: tuple(e for e in (a.env, *getattr(a, "env_aliases", ())) if e)
        for a in Config.attributes()
        if getattr(a, "sensitive", False) and a.name
    }
    return found or dict(SDK_SENSITIVE)


def add_url_userinfo(redactor: Redactor, url: object) -> None:
    """Hold the password (and ``user:password``) of a URL like ``https://user:pass@host``."""
    if not isinstance(url, str) or "@" not in url:
        return
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return
    if parts.password:
        redactor.add_basic(unquote(parts.username or ""), unquote(parts.password))
        redactor.add(parts.password, f"{parts.username}:{parts.password}")


def sdk_secrets(redactor: Redactor, environ: Mapping[str, str], config_file: str | None = None) -> None:
    """Hold every credential the SDK may read: its environment variables and every profile's."""
    attributes = sdk_sensitive_attributes()
    for names in attributes.values():
        redactor.add(*(environ.get(n) for n in names))
    add_url_userinfo(redactor, environ.get("DATABRICKS_HOST"))
    path = Path(config_file or environ.get("DATABRICKS_CONFIG_FILE") or "~/.databrickscfg").expanduser()
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, configparser.Error):
        return
    for section in [parser.default_section, *parser.sections()]:
        for name in attributes:
            redactor.add(parser.get(section, name, fallback=None))
        add_url_userinfo(redactor, parser.get(section, "host", fallback=None))


def add_header_secrets(redactor: Redactor, headers: Mapping[str, str]) -> None:
    """Hold the credentials in headers the SDK built: bearer tokens, Basic pairs, any other value."""
    for value in headers.values():
        scheme, _, credential = value.strip().partition(" ")
        redactor.add(value)
        if scheme.lower() == "bearer":
            redactor.add(credential.strip())
        elif scheme.lower() == "basic":
            redactor.add(credential.strip())
            try:
                user, _, password = base64.b64decode(credential.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue
            redactor.add_basic(user, password)


class SdkAuth:
    """Headers from ``databricks.sdk.core.Config.authenticate()``, run on the plugin's own threads.

    The SDK may retry for up to its ``retry_timeout_seconds``, and its token request has no
    timeout at all; the hub bounds every call with its own deadline, and a call that hangs
    past it occupies one of this workspace's ``SDK_THREADS`` daemon threads, never one of
    the hub's.
    """

    method = "sdk"

    def __init__(self, workspace: WorkspaceConfig, environ: Mapping[str, str] | None = None) -> None:
        self._workspace = workspace
        self._environ = os.environ if environ is None else environ
        self._config: Any = None
        self._building: asyncio.Future[Any] | None = None
        self.redactor = Redactor()
        self.workers = DaemonWorkers(SDK_THREADS, name=f"hub-databricks-sdk-{workspace.name}")

    def __repr__(self) -> str:
        return f"SdkAuth(host={self._workspace.host!r}, profile={self._workspace.profile!r})"

    def _build_config(self) -> Any:
        sdk_secrets(self.redactor, self._environ)  # before the SDK can fail with one in its message
        try:
            from databricks.sdk.core import Config
        except ImportError:
            raise ProviderConfigError(
                "Databricks auth 'sdk' needs the Databricks SDK: pip install './plugins/databricks[sdk]' "
                "in the hub-core checkout, or pip install 'databricks-sdk>=0.100'.",
                provider=PROVIDER,
            ) from None
        kwargs: dict[str, Any] = {
            "retry_timeout_seconds": max(1, int(self._workspace.timeout)),
            "http_timeout_seconds": max(1, int(self._workspace.timeout)),
            # Refresh in the calling thread (one of ours), not in the SDK's own non-daemon pool.
            "disable_async_token_refresh": True,
        }
        if self._workspace.host:
            kwargs["host"] = self._workspace.host
        if self._workspace.profile:
            kwargs["profile"] = self._workspace.profile
        config = Config(**kwargs)
        for name in sdk_sensitive_attributes():
            value = getattr(config, name, None)
            self.redactor.add(value if isinstance(value, str) else None)
        add_url_userinfo(self.redactor, getattr(config, "host", None))
        return config

    def _authenticate(self) -> dict[str, str]:
        headers = {str(k): str(v) for k, v in dict(self._config.authenticate()).items()}
        add_header_secrets(self.redactor, headers)
        return headers

    async def config(self) -> Any:
        """The SDK's ``Config``, built once. A build that outlives one caller's deadline goes
        on (importing the SDK and its start-up can take seconds in a fresh process), and a
        later caller gets its result; a build that failed is tried again."""
        if self._config is None:
            building = self._building
            if building is None or (building.done() and (building.cancelled() or building.exception())):
                building = asyncio.ensure_future(self.workers.run(self._build_config, BUILD_SECONDS))
                building.add_done_callback(_retrieve)
                self._building = building
            self._config = await self._bounded(asyncio.shield(building), self._workspace.timeout)
        return self._config

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        await self.config()
        headers: dict[str, str] = await self._in_thread(self._authenticate)
        return headers

    async def host(self) -> str:
        config = await self.config()
        return str(config.host).rstrip("/")

    async def invalidate(self) -> bool:
        return False  # the SDK refreshes its own tokens

    async def _in_thread(self, work: Any) -> Any:
        return await self._bounded(self.workers.run(work, self._workspace.timeout))

    async def _bounded(self, call: Awaitable[Any], timeout: float | None = None) -> Any:
        """``call``'s result, or a provider error that names the workspace and says what to do."""
        name, timeout_text = self._workspace.name, f"{self._workspace.timeout:g}"
        try:
            return await (call if timeout is None else asyncio.wait_for(call, timeout))
        except (asyncio.TimeoutError, WorkersBusyError):
            stuck = self.workers.busy
            raise ProviderUnavailableError(
                f"Databricks workspace {name!r}: the Databricks SDK did not produce credentials within "
                f"{timeout_text} s" + (f" ({stuck} earlier SDK calls have not returned)" if stuck else "") + ".",
                provider=PROVIDER,
            ) from None
        except (ProviderConfigError, ProviderUnavailableError):
            raise
        except Exception as error:
            raise ProviderAuthError(
                f"Databricks workspace {name!r}: the Databricks SDK could not authenticate "
                f"({type(error).__name__}: {_first_line(error, self.redactor)}). Check the profile, environment "
                "and https://docs.databricks.com/en/dev-tools/auth.html.",
                provider=PROVIDER,
                auth_method=self.method,
            ) from None


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a background build's failure as seen; the next ``config()`` reports and retries it."""
    if not future.cancelled():
        future.exception()


def _first_line(error: BaseException, redactor: Redactor) -> str:
    """The first line of an SDK exception, redacted, at most 200 characters."""
    text = str(error)[:4000]
    text = redactor.redact(text)  # whole first: a line break or the cut could split a secret
    first = text.strip().splitlines()[0] if text.strip() else ""
    return upstream_text(first, redactor, 200)


def auth_for(workspace: WorkspaceConfig) -> Auth:
    if workspace.auth == "pat":
        return PatAuth(workspace)
    if workspace.auth == "oauth-m2m":
        return OAuthM2MAuth(workspace)
    return SdkAuth(workspace)
