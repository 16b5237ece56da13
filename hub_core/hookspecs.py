# mypy: disable-error-code="empty-body"
"""The hooks a provider plugin implements. Specs only; see docs/plugins.md.

Every hook is called with keyword arguments, on one provider at a time (dispatch
is by provider name, never by registration order), and a hookimpl may accept any
subset of the arguments listed here. ``configured_targets``, ``discover_endpoints``,
``to_model_group`` and ``litellm_params`` may be ``async def``; ``provider_info`` and ``provider_routes``
run while the app is being built, outside any event loop, and must be plain functions.

A plain (blocking) ``configured_targets`` or ``discover_endpoints`` runs on the provider's own
few daemon threads with the hub's deadline applied, so it can block without stalling the event
loop or another provider. ``async def`` ones run on the event loop and must not block.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hub_core.catalog import Catalog
    from hub_core.models import Discovery, Endpoint, ModelGroup, ProviderInfo, Target

PROJECT = "hub_core"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def provider_info() -> ProviderInfo:
    """Return who this provider is: display name, description, settings it reads.

    Called once when the plugin loads. Optional: without it the entry-point name
    is used as the display name.
    """


@hookspec
def configured_targets(config: Mapping[str, Any]) -> list[Target] | Awaitable[list[Target]]:
    """Return the places this provider discovers endpoints in (workspaces, regions).

    An empty list means "installed but not configured": the hub then serves the
    bundled catalog's entries for this provider. Raise ``ProviderConfigError``
    for a configuration that is wrong or ambiguous (remembered until the targets are
    next re-read); any other error counts as transient and is retried on the next request.
    The hub asks again every ``HUB_TARGETS_TTL`` seconds, so targets may change without a restart.

    :param config: this provider's table from the hub's TOML file
        (``[providers.<name>]``), or an empty mapping.
    """


@hookspec
def discover_endpoints(
    target: Target,
) -> list[Endpoint] | Discovery | Awaitable[list[Endpoint]] | Awaitable[Discovery]:
    """Return the endpoints deployed in one target, as they are right now.

    Raise ``ProviderError`` (or a subclass) with a message for humans when the
    upstream refuses or fails; the hub reports it for this provider only. Return a
    ``Discovery`` with ``warnings`` for a partial answer (one list call denied, the rest fine).

    :param target: one of the targets returned by ``configured_targets``.
    """


@hookspec
def to_model_group(
    endpoint: Endpoint, catalog: Catalog, target: Target | None
) -> ModelGroup | Awaitable[ModelGroup | None] | None:
    """Return the model-hub entry for one endpoint, or ``None`` to hide it.

    Optional: without it the hub builds the entry from the endpoint's generic
    fields and the catalog. Entries of one provider with the same ``model_group`` are
    merged into one, with one deployment each, unless their ``model`` differs.

    :param endpoint: an endpoint returned by ``discover_endpoints``.
    :param catalog: the price and context-window catalog, for lookups.
    :param target: the target the endpoint was discovered in (``None`` for catalog entries).
    """


@hookspec
def provider_routes() -> APIRouter | None:
    """Return extra HTTP routes, mounted under ``/public/<provider>``.

    Optional. Use it for provider-specific views, such as a compatibility route.
    """


@hookspec
def litellm_params(endpoint: Endpoint, target: Target) -> dict[str, Any] | Awaitable[dict[str, Any] | None] | None:
    """Return the LiteLLM ``litellm_params`` that call one endpoint, or ``None`` to leave it out.

    ``hub export litellm-config`` and ``/public/<provider>/litellm_model_list`` turn each
    available endpoint into one LiteLLM deployment with these parameters. Optional: a
    provider without it exports nothing. Credentials must be ``os.environ/NAME``
    references, never values; a deployment holding a value is refused. Raise
    ``ProviderError`` with a message for humans to leave the endpoint out with a reason.
    Called once per endpoint per refresh of the provider's data (the export is kept until the
    next one): a plain function in a worker thread, an ``async def`` one on the event loop.

    :param endpoint: an available endpoint returned by ``discover_endpoints``.
    :param target: the target (workspace, region) the endpoint was discovered in.
    """
