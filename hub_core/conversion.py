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
from hub_core.models import Deployment, Endpoint, ModelGroup, Target, complete, live_model_group

logger = logging.getLogger("hub_core.hub")


Reusable = dict[int, tuple[Endpoint, Any]]
"""Last build's conversions by endpoint object: ``id(endpoint) -> (endpoint, what it became)``."""
FAILED: Any = object()
"""What an endpoint whose conversion raised became: skipped, and converted again next time."""


async def convert_endpoints(
    hooks: ProviderHooks,
    endpoints: list[Endpoint],
    targets: dict[str, Target],
    catalog: Catalog,
    previous: Reusable | None = None,
) -> tuple[list[ModelGroup], list[Any]]:
    """Endpoints to merged model groups, and what each endpoint became (for ``previous`` next time).

    An endpoint found in ``previous`` (the very same object, converted with the same target and
    catalog) keeps what it became then: ``to_model_group`` runs for the others only. Plain
    hookimpls run in a worker thread so a big workspace never stalls the event loop; ``async def``
    ones run on the loop.
    """
    provider = hooks.provider
    convert = hooks.model_group_converter()
    known = targets
    if convert is not None and hooks.is_async("to_model_group"):
        results = [
            _reused(previous, e) or (await _attempt_async(provider, convert, e, catalog, known), True)
            for e in endpoints
        ]
        return merge(provider, endpoints, results)

    def in_thread() -> tuple[list[ModelGroup], list[Any]]:
        with gc_paused():
            function = convert or (lambda endpoint, catalog, target: default_model_group(endpoint, catalog))
            results = [
                _reused(previous, e) or (_attempt(provider, function, e, catalog, known), True) for e in endpoints
            ]
            return merge(provider, endpoints, results)

    return await asyncio.to_thread(in_thread)


def _reused(previous: Reusable | None, endpoint: Endpoint) -> tuple[Any, bool] | None:
    """``(what the endpoint became last time, False)``, or None when it must be converted."""
    if previous is None:
        return None
    found = previous.get(id(endpoint))
    if found is None or found[0] is not endpoint or found[1] is FAILED:
        return None
    return found[1], False


def merge(
    provider: str, endpoints: list[Endpoint], results: list[tuple[Any, bool]]
) -> tuple[list[ModelGroup], list[Any]]:
    """One provider's conversions into its groups, sorted by name, and what each endpoint became.

    ``results`` holds, per endpoint, its conversion and whether it is new (else it is what the
    endpoint became in an earlier build). A new group is given its own deployment, and is then
    never changed again: groups merged from several deployments, or renamed, are copies. So
    what an endpoint became can be kept and merged again in a later build. A wrong result is
    logged and skipped.
    """
    merged: dict[str, ModelGroup] = {}
    copies: set[int] = set()  # ids of the groups this merge made, which it may change
    claimed: set[int] = set()  # new groups given a deployment in this merge
    became: list[Any] = []
    for endpoint, (group, new) in zip(endpoints, results, strict=True):
        if group is FAILED:
            became.append(FAILED)
            continue
        if group is not None and not isinstance(group, ModelGroup):
            if new:
                logger.error(
                    "Provider %r returned %s instead of ModelGroup for %r; skipped",
                    provider,
                    type(group).__name__,
                    endpoint.name,
                )
            group = None
        if group is not None and new:
            if id(group) in claimed:  # the plugin returned one object for two endpoints
                group = group.model_copy()
            claimed.add(id(group))
            group.__dict__["deployments"] = [_deployment(endpoint, group)]
        became.append(group)
        if group is not None:
            merge_into(merged, group, endpoint, copies)
    return sorted(merged.values(), key=lambda g: g.model_group), became


def _attempt(
    provider: str, convert: Converter, endpoint: Endpoint, catalog: Catalog, targets: dict[str, Target]
) -> Any:
    """One conversion inside its failure boundary: a plugin error skips that endpoint only."""
    try:
        result = convert(endpoint, catalog, targets.get(endpoint.target or ""))
    except Exception:
        logger.exception("Provider %r could not convert endpoint %r; skipped", provider, endpoint.name)
        return FAILED
    if result is None or type(result) is ModelGroup:
        return result
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
        return FAILED


def default_model_group(endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
    """The generic conversion used when a plugin does not implement ``to_model_group``."""
    name = f"{endpoint.provider}/{endpoint.name}"
    fields = catalog_fields(catalog.get(name))
    if endpoint.mode is not None or "mode" not in fields:
        fields["mode"] = endpoint.mode
    return live_model_group(endpoint, model_group=name, providers=[endpoint.provider], validate=False, **fields)


def _deployment(endpoint: Endpoint, group: ModelGroup) -> Deployment:
    """Where ``group`` (converted from ``endpoint``) is served. Every field, in order, typed by the
    endpoint's and the group's own: built without validation."""
    return complete(
        Deployment,
        {
            "target": endpoint.target,
            "target_url": endpoint.target_url,
            "endpoint_name": endpoint.name,
            "endpoint_url": group.endpoint_url,
            "state": group.state,
            "available": group.available,
            "state_reason": group.state_reason,
            "region": endpoint.region,
            "account": endpoint.account,
            "sku": endpoint.sku,
            "capacity": endpoint.capacity,
            "cost_per_hour": group.cost_per_hour,
        },
    )


def merge_into(merged: dict[str, ModelGroup], group: ModelGroup, endpoint: Endpoint, copies: set[int]) -> None:
    """Same model group from several targets: one entry, one deployment per target.

    ``group`` holds its own deployment and is not changed: an entry that takes a second
    deployment becomes a copy first (its id goes in ``copies``), and so does a renamed one.
    Two entries of one name but different known ``model`` values are different models (two
    accounts' deployments named alike): the later one keeps its own entry, named
    ``<model_group>@<target>``, and a warning is logged.
    """
    existing = merged.get(group.model_group)
    if existing is not None and existing.model and group.model and existing.model != group.model:
        name = group.model_group
        for suffix in (endpoint.target, endpoint.name):
            if suffix and f"{name}@{suffix}" not in merged:
                break
        group = group.model_copy(update={"model_group": f"{name}@{suffix}"})
        logger.warning(
            "%r names both %r and %r; the second is listed as %r. Give one deployment another name to call them apart.",
            name,
            existing.model,
            group.model,
            group.model_group,
        )
        existing = merged.get(group.model_group)
    if existing is None:
        merged[group.model_group] = group
        return
    if id(existing) not in copies:
        existing = existing.model_copy(update={"deployments": list(existing.deployments)})
        copies.add(id(existing))
        merged[existing.model_group] = existing
    values = existing.__dict__
    values["deployments"].extend(group.deployments)
    if not existing.available and group.available:
        values.update(
            available=True,
            endpoint_url=group.endpoint_url,
            state=group.state,
            state_reason=None,
            target=group.target,
            cost_per_hour=group.cost_per_hour,
        )
