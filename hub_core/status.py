"""What ``/public/providers``, ``hub providers`` and ``/readyz`` say about each provider."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from hub_core.errors import HubError
from hub_core.models import ProviderState, ProviderStatus

if TYPE_CHECKING:
    from hub_core.hub import Hub

logger = logging.getLogger("hub_core.hub")


def _timestamp(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=timezone.utc)


def readiness(hub: Hub) -> dict[str, Any]:
    """``/readyz``: ready once every loaded provider has answered or been reported failing.

    Never waits and never calls an upstream itself: a provider not asked yet gets one
    discovery started in the background and counts as ``pending`` until it ends. Says only
    each provider's state (``ok``, ``stale``, ``catalog``, ``failing``, ``pending``), no messages.
    """
    states: dict[str, str] = {}
    for name, record in hub.registry.records.items():
        if record.state == "failed_to_load":
            states[name] = "failing"
        elif record.state != "disabled":
            states[name] = _provider_state(hub, name)
    for name in [n for n, state in states.items() if state == "pending"]:
        hub.warm(name)
    pending = sorted(n for n, state in states.items() if state == "pending")
    return {
        "status": "starting" if pending else "ready",
        "ready": not pending,
        "pending": pending,
        "failing": sorted(n for n, state in states.items() if state == "failing"),
        "providers": states,
    }


def _provider_state(hub: Hub, provider: str) -> str:
    targets = hub.target_book.known(provider)
    if targets is None:
        return "pending"
    if not isinstance(targets, list):
        return "failing"
    if not targets:
        return "catalog"
    states = {hub.cache.state(f"{provider}:{t.name}") for t in targets}
    if "unknown" in states:
        return "pending"
    if "failing" in states:
        return "failing"
    return "stale" if "stale" in states else "ok"


async def statuses(hub: Hub) -> list[ProviderStatus]:
    names = hub.registry.installed()
    return list(await asyncio.gather(*(provider_status(hub, n) for n in names)))


async def provider_status(hub: Hub, provider: str) -> ProviderStatus:
    record = hub.registry.records[provider]
    base: dict[str, Any] = {
        "name": provider,
        "display_name": record.display_name,
        "distribution": record.distribution,
        "version": record.version,
        "hooks": record.hooks,
    }
    if record.state == "disabled":
        return ProviderStatus(**base, status=ProviderState.disabled, message=f"Disabled: {record.message}.")
    if record.state == "failed_to_load":
        return ProviderStatus(**base, status=ProviderState.failed_to_load, message=f"Failed to load: {record.message}")
    try:
        targets = await hub.targets(provider)
        base["targets"] = [t.name for t in targets]
        view = await hub.view(provider)
    except HubError as error:
        return ProviderStatus(**base, status=ProviderState.error, message=error.message)
    except Exception as error:  # a plugin bug shows as this provider's error, never a 500
        logger.exception("Provider %r failed while reporting its status", provider)
        return ProviderStatus(**base, status=ProviderState.error, message=f"Provider failed: {type(error).__name__}")
    if view.source == "catalog":
        return ProviderStatus(
            **base,
            status=ProviderState.not_configured,
            source="catalog",
            message=f"No credentials configured; serving {len(view.groups)} entries from the bundled catalog.",
        )
    if view.errors:
        return ProviderStatus(
            **base,
            status=ProviderState.error,
            source="live",
            fetched_at=_timestamp(view.fetched_at),
            message="Some targets failed: " + "; ".join(view.errors),
            warnings=view.warnings,
        )
    stale = " (stale; refreshing)" if view.stale else ""
    partial = f"; partial: {len(view.warnings)} warning(s)" if view.warnings else ""
    return ProviderStatus(
        **base,
        status=ProviderState.ok,
        source="live",
        fetched_at=_timestamp(view.fetched_at),
        message=f"{_count(len(view.endpoints), 'endpoint')} from {_count(len(targets), 'target')}{stale}{partial}.",
        warnings=view.warnings,
    )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
