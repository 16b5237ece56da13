"""hub-core: a model hub whose providers are plugins.

What plugins may import lives here: the ``hookimpl`` marker, the models, the errors,
``Catalog``, helpers for upstream calls (``get_json``, ``error_for_status``,
``secret_from_env``) and, for ``provider_routes``, ``HubDep`` (a FastAPI dependency that
reaches the hub), ``cached_response`` (freshness headers and 304s) and ``problem_responses``
(documenting a route's problem+json errors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub_core.config_tables import settings_table
from hub_core.env_secrets import secret_from_env
from hub_core.errors import (
    PROBLEM_MEDIA_TYPE,
    BadRequestError,
    HubError,
    ProviderAuthError,
    ProviderConfigError,
    ProviderError,
    ProviderUnavailableError,
    UnknownProviderError,
)
from hub_core.gcpause import gc_paused, without_gc
from hub_core.hookspecs import hookimpl
from hub_core.models import (
    Deployment,
    Discovery,
    Endpoint,
    EndpointList,
    ModelGroup,
    ProviderInfo,
    ProviderStatus,
    ServedEntity,
    Target,
    live_model_group,
    unvalidated,
)
from hub_core.redact import REDACTED, Redactor
from hub_core.upstream_errors import MAX_RETRY_AFTER, error_for_status, retry_after_seconds
from hub_core.workers import DaemonWorkers, WorkersBusyError

if TYPE_CHECKING:
    from hub_core.api.bodies import body_schema, json_body
    from hub_core.api.deps import HubDep
    from hub_core.api.problems import problem_responses
    from hub_core.api.public import cached_response
    from hub_core.catalog import CAPABILITY_FLAGS, Catalog
    from hub_core.http import get_json

__version__ = "0.1.0"

__all__ = [
    "CAPABILITY_FLAGS",
    "MAX_RETRY_AFTER",
    "PROBLEM_MEDIA_TYPE",
    "REDACTED",
    "BadRequestError",
    "Catalog",
    "DaemonWorkers",
    "Deployment",
    "Discovery",
    "Endpoint",
    "EndpointList",
    "HubDep",
    "HubError",
    "ModelGroup",
    "ProviderAuthError",
    "ProviderConfigError",
    "ProviderError",
    "ProviderInfo",
    "ProviderStatus",
    "ProviderUnavailableError",
    "Redactor",
    "ServedEntity",
    "Target",
    "UnknownProviderError",
    "WorkersBusyError",
    "__version__",
    "body_schema",
    "cached_response",
    "error_for_status",
    "gc_paused",
    "get_json",
    "hookimpl",
    "json_body",
    "live_model_group",
    "problem_responses",
    "retry_after_seconds",
    "secret_from_env",
    "settings_table",
    "unvalidated",
    "without_gc",
]
# Imported on first use, so that ``import hub_core`` does not import FastAPI.
_LAZY = {
    "CAPABILITY_FLAGS": "hub_core.catalog",
    "Catalog": "hub_core.catalog",
    "HubDep": "hub_core.api.deps",
    "body_schema": "hub_core.api.bodies",
    "cached_response": "hub_core.api.public",
    "get_json": "hub_core.http",
    "json_body": "hub_core.api.bodies",
    "problem_responses": "hub_core.api.problems",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hub_core' has no attribute {name!r}")
