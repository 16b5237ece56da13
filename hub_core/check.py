"""``hub check``: load the plugins, resolve every target, call each upstream once, report.

Bypasses the discovery cache (so every upstream really is asked) and gives each call the
hub's deadline, ``HUB_DISCOVERY_TIMEOUT``. One row per target; a provider with no targets
(serving the bundled catalog) or that failed before it had any gets one row of its own.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from pydantic import BaseModel

from hub_core.errors import HubError
from hub_core.hub import Hub
from hub_core.models import Target

CheckStatus = Literal["ok", "catalog", "disabled", "failed"]


class CheckResult(BaseModel):
    provider: str
    target: str | None = None
    url: str | None = None
    status: CheckStatus
    endpoints: int | None = None
    seconds: float | None = None
    message: str = ""


async def check_hub(hub: Hub) -> list[CheckResult]:
    """Every installed provider's targets, each asked once, concurrently."""
    rows = await asyncio.gather(*(check_provider(hub, name) for name in hub.registry.installed()))
    return [row for provider_rows in rows for row in provider_rows]


async def check_provider(hub: Hub, provider: str) -> list[CheckResult]:
    record = hub.registry.records[provider]
    if record.state == "disabled":
        return [CheckResult(provider=provider, status="disabled", message=f"Disabled: {record.message}.")]
    if record.state == "failed_to_load":
        return [CheckResult(provider=provider, status="failed", message=f"Failed to load: {record.message}")]
    try:
        targets = await hub.targets(provider)
    except HubError as error:
        return [CheckResult(provider=provider, status="failed", message=error.message)]
    if not targets:
        return [
            CheckResult(
                provider=provider, status="catalog", message="No targets configured; serves the bundled catalog."
            )
        ]
    return list(await asyncio.gather(*(check_target(hub, provider, t) for t in targets)))


async def check_target(hub: Hub, provider: str, target: Target) -> CheckResult:
    deadline = hub.settings.discovery_timeout
    base: dict[str, Any] = {"provider": provider, "target": target.name, "url": target.url}
    started = time.perf_counter()
    try:
        discovery = await asyncio.wait_for(hub._discover(provider, target), timeout=deadline)
    except asyncio.TimeoutError:
        message = f"No answer within the {deadline:g} s deadline (HUB_DISCOVERY_TIMEOUT)."
        return CheckResult(**base, status="failed", seconds=_since(started), message=message)
    except HubError as error:
        return CheckResult(**base, status="failed", seconds=_since(started), message=error.message)
    except Exception as error:  # a plugin bug is this target's failure, not the command's
        message = f"Provider {provider!r} raised {type(error).__name__} while discovering {target.name!r}."
        return CheckResult(**base, status="failed", seconds=_since(started), message=message)
    count = len(discovery.endpoints)
    message = f"{count} endpoint{'' if count == 1 else 's'} listed."
    if discovery.warnings:
        message += " Partial: " + "; ".join(discovery.warnings)
    return CheckResult(**base, status="ok", endpoints=count, seconds=_since(started), message=message)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)
