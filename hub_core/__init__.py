"""hub-core: a model hub whose providers are plugins.

What plugins may import lives here: the ``hookimpl`` marker, the models and the errors.
"""

from __future__ import annotations

from hub_core.errors import (
    BadRequestError,
    HubError,
    ProviderAuthError,
    ProviderConfigError,
    ProviderError,
    ProviderUnavailableError,
    UnknownProviderError,
)
from hub_core.hookspecs import hookimpl
from hub_core.hub import gc_paused
from hub_core.models import (
    Deployment,
    Endpoint,
    EndpointList,
    ModelGroup,
    ProviderInfo,
    ProviderStatus,
    ServedEntity,
    Target,
    live_model_group,
)
from hub_core.redact import REDACTED, Redactor

__version__ = "0.1.0"

__all__ = [
    "REDACTED",
    "BadRequestError",
    "Deployment",
    "Endpoint",
    "EndpointList",
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
    "__version__",
    "gc_paused",
    "hookimpl",
    "live_model_group",
]
