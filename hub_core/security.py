"""Safe-by-default request guards: no credentials in URLs, and optional hub API keys.

Both guards are router-level dependencies that ``hub_core.app.build_router`` adds, so they
apply to every hub route, including each provider's own routes and the hub mounted in a
gateway with ``include_hub``. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Request
from pydantic import SecretStr

from hub_core.api.problems import problem_responses
from hub_core.errors import CredentialInQueryError, UnauthorizedError
from hub_core.settings import HubSettings, SettingsError

# Query parameters that name credentials or an upstream. The design this project replaces
# accepted them, which let any caller send the server's token to a host of their choice.
FORBIDDEN_QUERY_PARAMETERS = frozenset(
    {"api_key", "api_base", "base_url", "host", "client_id", "client_secret", "token"}
)

# Paths (route templates) that never need a hub API key. /healthz and /docs live on the
# standalone app, outside the hub's router; they are listed for routers that include them.
OPEN_PATHS = frozenset({"/healthz", "/hub", "/hub/", "/openapi.json", "/docs"})
OPEN_PREFIXES = ("/hub/", "/static/")
# Anonymous unless HUB_REQUIRE_KEY_FOR_MODEL_HUB=true: the model hub lists what can be
# called, not who deployed it or where.
MODEL_HUB_PATHS = frozenset({"/public/model_hub", "/public/v1/model_hub"})
MODEL_HUB_PREFIXES = ("/public/v1/model_hub/",)


# Errors every hub route may answer with, for the OpenAPI schema (added by build_router).
SECURITY_PROBLEM_RESPONSES = problem_responses(
    {
        400: "Bad request: an invalid parameter, or a credential or upstream URL in the query string",
        401: "A hub API key is required (HUB_API_KEYS is set) and none or a wrong one was sent",
    }
)


def _normalise_name(name: str) -> str:
    return name.strip().lower().replace("-", "_")


async def refuse_credentials_in_query(request: Request) -> None:
    """400 for a request whose query string names a credential or an upstream, before any work is done."""
    refused = sorted(
        {_normalise_name(name) for name in request.query_params} & FORBIDDEN_QUERY_PARAMETERS  # names only
    )
    if refused:
        raise CredentialInQueryError(
            f"The query string carries {', '.join(refused)}. The hub never takes credentials or upstream URLs "
            "from a URL: URLs end up in access logs and browser histories, and a caller-chosen upstream could "
            "receive the server's own credentials. Remove these parameters. The hub uses only the credentials "
            "its operator configured; where the operator allows it, send your own workspace credentials in the "
            "JSON body of POST /public/databricks/endpoints/discover.",
            parameters=refused,
        )


def load_api_keys(settings: HubSettings) -> tuple[SecretStr, ...]:
    """The hub API keys from ``HUB_API_KEYS``: ``k1,k2``, or ``@/path/to/file`` with one key per line.

    An empty tuple means key auth is off. A file that cannot be read, or that holds no key,
    raises ``SettingsError``: the hub refuses to start rather than run without the keys the
    operator asked for. In a file, blank lines and lines starting with ``#`` are ignored.
    """
    raw = settings.api_keys.get_secret_value().strip() if settings.api_keys is not None else ""
    if not raw:
        return ()
    if raw.startswith("@"):
        path = Path(raw[1:].strip()).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise SettingsError(f"HUB_API_KEYS names the file {str(path)!r}, which cannot be read: {reason}.") from None
        keys = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
        where = f"the file {str(path)!r}"
    else:
        keys = [part.strip() for part in raw.split(",") if part.strip()]
        where = "HUB_API_KEYS"
    if not keys:
        raise SettingsError(f"{where} holds no API key; unset HUB_API_KEYS to turn key auth off.")
    return tuple(SecretStr(key) for key in keys)


def _digest(value: str) -> bytes:
    # Comparing fixed-length digests keeps even a key's length out of the timing.
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()


def key_matches(presented: str, keys: tuple[SecretStr, ...]) -> bool:
    """Constant-time: compares against every key, with no early exit."""
    candidate = _digest(presented)
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(candidate, _digest(key.get_secret_value()))
    return matched


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def route_path(request: Request) -> str:
    """The matched route's template (``/public/{provider}/endpoints``), else the request path."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else request.url.path


def needs_key(path: str, *, require_key_for_model_hub: bool) -> bool:
    """Whether a route needs a hub API key once keys are on. Anything not listed as open needs one."""
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return False
    if path in MODEL_HUB_PATHS or path.startswith(MODEL_HUB_PREFIXES):
        return require_key_for_model_hub
    return True


def api_key_dependency(
    settings: HubSettings, route_path: Callable[[Request], str] = route_path
) -> Callable[[Request], Awaitable[None]]:
    """The hub's own key check. Reads the keys once, now, so a bad key file stops start-up.

    ``route_path`` gives the matched route's template as if the API were at ``/public``."""
    keys = load_api_keys(settings)
    require_for_model_hub = settings.require_key_for_model_hub

    async def require_api_key(request: Request) -> None:
        if not keys or not needs_key(route_path(request), require_key_for_model_hub=require_for_model_hub):
            return
        presented = _bearer(request)
        # A missing key is compared too (as an empty string), so both cases take the same path.
        matched = key_matches(presented or "", keys)
        if presented is None or not matched:
            raise UnauthorizedError()

    return require_api_key
