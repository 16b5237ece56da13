"""A provider's endpoints to its model groups: ``to_model_group`` in its failure boundary, then merged.

Entries of one name merge into one group with a deployment each, unless their ``model`` differs.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from hub_core.catalog import Catalog, catalog_fields
from hub_core.dispatch import Converter, ProviderHooks
from hub_core.gcpause import gc_paused
from hub_core.models import Deployment, Endpoint, ModelGroup, Target, live_model_group, unvalidated

logger = logging.getLogger("hub_core.hub")


async def convert_endpoints(
    hooks: ProviderHooks, endpoints: list[Endpoint], targets: dict[str, Target], catalog: Catalog
) -> list[ModelGroup]:
    """Endpoints to merged model groups. Plain hookimpls run in a worker thread so a big
    workspace never stalls the event loop; ``async def`` ones run on the loop."""
    provider = hooks.provider
    convert = hooks.model_group_converter()
    known = targets
    if convert is not None and hooks.is_async("to_model_group"):
        results = [await _attempt_async(provider, convert, e, catalog, known) for e in endpoints]
        return merge(provider, endpoints, results)

    def in_thread() -> list[ModelGroup]:
        with gc_paused():
            function = convert or (lambda endpoint, catalog, target: default_model_group(endpoint, catalog))
            results = [_attempt(provider, function, e, catalog, known) for e in endpoints]
            return merge(provider, endpoints, results)

    return await asyncio.to_thread(in_thread)


def merge(provider: str, endpoints: list[Endpoint], results: list[Any]) -> list[ModelGroup]:
    """One provider's conversions into its groups, sorted by name; a wrong result is logged and skipped."""
    merged: dict[str, ModelGroup] = {}
    for endpoint, group in zip(endpoints, results, strict=True):
        if group is None:
            continue
        if not isinstance(group, ModelGroup):
            logger.error(
                "Provider %r returned %s instead of ModelGroup for %r; skipped",
                provider,
                type(group).__name__,
                endpoint.name,
            )
            continue
        merge_into(merged, group, endpoint)
    return sorted(merged.values(), key=lambda g: g.model_group)


def _attempt(
    provider: str, convert: Converter, endpoint: Endpoint, catalog: Catalog, targets: dict[str, Target]
) -> Any:
    """One conversion inside its failure boundary: a plugin error skips that endpoint only."""
    try:
        result = convert(endpoint, catalog, targets.get(endpoint.target or ""))
    except Exception:
        logger.exception("Provider %r could not convert endpoint %r; skipped", provider, endpoint.name)
        return None
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        logger.error("Provider %r: to_model_group returned an awaitable from a plain function", provider)
        return None
    return result


async def _attempt_async(
    provider: str, convert: Converter, endpoint: Endpoint, catalog: Catalog, targets: dict[str, Target]
) -> Any:
    try:
        result = convert(endpoint, catalog, targets.get(endpoint.target or ""))
        return await result if inspect.isawaitable(result) else result
    except Exception:
        logger.exception("Provider %r could not convert endpoint %r; skipped", provider, endpoint.name)
        return None


def default_model_group(endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
    """The generic conversion used when a plugin does not implement ``to_model_group``."""
    name = f"{endpoint.provider}/{endpoint.name}"
    fields = catalog_fields(catalog.get(name))
    if endpoint.mode is not None or "mode" not in fields:
        fields["mode"] = endpoint.mode
    return live_model_group(endpoint, model_group=name, providers=[endpoint.provider], validate=False, **fields)


def merge_into(merged: dict[str, ModelGroup], group: ModelGroup, endpoint: Endpoint) -> None:
    """Same model group from several targets: one entry, one deployment per target.

    Two entries of one name but different known ``model`` values are different models (two
    accounts' deployments named alike): the later one keeps its own entry, named
    ``<model_group>@<target>``, and a warning is logged.
    """
    deployment = unvalidated(
        Deployment,
        target=endpoint.target,
        target_url=endpoint.target_url,
        endpoint_name=endpoint.name,
        endpoint_url=group.endpoint_url,
        state=group.state,
        available=group.available,
        state_reason=group.state_reason,
        region=endpoint.region,
        account=endpoint.account,
        sku=endpoint.sku,
        capacity=endpoint.capacity,
        cost_per_hour=group.cost_per_hour,
    )
    existing = merged.get(group.model_group)
    if existing is not None and existing.model and group.model and existing.model != group.model:
        name = group.model_group
        for suffix in (endpoint.target, endpoint.name):
            if suffix and f"{name}@{suffix}" not in merged:
                break
        group.model_group = f"{name}@{suffix}"
        logger.warning(
            "%r names both %r and %r; the second is listed as %r. Give one deployment another name to call them apart.",
            name,
            existing.model,
            group.model,
            group.model_group,
        )
        existing = merged.get(group.model_group)
    if existing is None:
        group.deployments = [deployment]
        merged[group.model_group] = group
        return
    existing.deployments.append(deployment)
    if not existing.available and group.available:
        existing.available = True
        existing.endpoint_url, existing.state, existing.state_reason = group.endpoint_url, group.state, None
        existing.target, existing.cost_per_hour = group.target, group.cost_per_hour
