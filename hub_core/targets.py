"""Each provider's targets: asked of its plugin, re-read on a TTL or on demand, closed when gone.

A ``ProviderConfigError`` is remembered until the TTL; any other error while reading targets
is transient (retried once, then reported, and asked again shortly). A target whose name, URL
and auth method are unchanged keeps its ``Target`` (and handle) across re-reads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub_core.cache import DiscoveryCache
from hub_core.errors import HubError, ProviderConfigError, ProviderUnavailableError
from hub_core.models import Target
from hub_core.plugins import PluginRegistry
from hub_core.settings import HubSettings

logger = logging.getLogger("hub_core.targets")

TARGETS_RETRY_PAUSE = 0.5
"""Seconds between the two tries of a transient failure while reading targets."""
TARGETS_RETRY_SECONDS = 5.0
"""After both tries failed, requests get the error for this long before the targets are asked again."""


@dataclass
class _KnownTargets:
    """A provider's targets (or why it has none) and when they were read (``time.monotonic()``)."""

    value: list[Target] | HubError
    read_at: float
    retry_at: float = 0.0

    def expired(self, now: float, ttl: float) -> bool:
        return bool(ttl) and now - self.read_at >= ttl


def _same_target(old: Target, new: Target) -> bool:
    return (old.url, old.auth_method) == (new.url, new.auth_method)


def _transient_targets_error(provider: str, error: BaseException) -> ProviderUnavailableError:
    if isinstance(error, ProviderUnavailableError):
        return error
    reason = error.message if isinstance(error, HubError) else f"{type(error).__name__}: {error}"
    return ProviderUnavailableError(
        f"Provider {provider!r} could not read its configuration ({reason}). The hub asks again shortly.",
        provider=provider,
        retryable=True,
    )


class TargetBook:
    """The targets of every provider, as ``await book.get(provider)``."""

    def __init__(
        self,
        settings: HubSettings,
        registry: PluginRegistry,
        cache: DiscoveryCache[Any],
        require: Callable[[str], None],
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._cache = cache
        self._require = require  # raises when the provider is not loaded
        self._known: dict[str, _KnownTargets] = {}
        self._reading: dict[str, asyncio.Task[list[Target]]] = {}
        self._background: set[asyncio.Task[Any]] = set()

    def known(self, provider: str) -> list[Target] | HubError | None:
        """What is known now, without asking: the targets, why there are none, or None (never read)."""
        entry = self._known.get(provider)
        return None if entry is None else entry.value

    def forget(self, provider: str) -> None:
        self._known.pop(provider, None)

    async def aclose(self) -> None:
        """Stop re-reads and pending closes, and close every target's handle (``handle.aclose()``)."""
        for task in [*self._reading.values(), *self._background]:
            task.cancel()
        for provider, entry in self._known.items():
            await self._close_targets(provider, entry.value if isinstance(entry.value, list) else [])

    async def get(self, provider: str) -> list[Target]:
        """The provider's configured targets, re-read every ``targets_ttl`` seconds.

        A list past its TTL is served while it is re-read in the background. A
        ``ProviderConfigError`` is remembered until the TTL; any other error is transient:
        retried once, then raised as ``ProviderUnavailableError`` and asked again after a
        short pause, never remembered as a configuration error.
        """
        known = self._known.get(provider)
        now = time.monotonic()
        if known is not None:
            if isinstance(known.value, list):
                if known.expired(now, self._settings.targets_ttl):
                    self._reread_in_background(provider)
                return known.value
            if now < known.retry_at:
                raise known.value
        self._require(provider)
        return await self._read_targets(provider)

    async def reload(self, provider: str) -> list[Target]:
        """Read the provider's targets now (on demand), whatever their age."""
        self._require(provider)
        return await self._read_targets(provider)

    def _reread_in_background(self, provider: str) -> None:
        if provider in self._reading:
            return
        task = asyncio.get_running_loop().create_task(self._read_targets(provider))
        task.add_done_callback(lambda t: None if t.cancelled() else t.exception())  # reported in _read_targets

    async def _read_targets(self, provider: str) -> list[Target]:
        """One read at a time per provider; concurrent callers share it."""
        task = self._reading.get(provider)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._read_targets_once(provider))
            self._reading[provider] = task
            task.add_done_callback(lambda _: self._reading.pop(provider, None))
        return await asyncio.shield(task)

    async def _read_targets_once(self, provider: str) -> list[Target]:
        hooks = self._registry.hooks(provider)
        config = self._settings.provider_config(provider)
        timeout = self._settings.discovery_timeout
        previous = self._known.get(provider)
        for attempt in (1, 2):
            try:
                targets = await hooks.configured_targets(config, timeout=timeout)
            except ProviderConfigError as error:
                self._known[provider] = _KnownTargets(error, time.monotonic(), retry_at=time.monotonic() + self._ttl())
                if previous is not None and isinstance(previous.value, list):
                    self._close_later(provider, previous.value)
                    self._cache.invalidate_prefix(f"{provider}:")
                raise
            except Exception as error:  # transient: retried, never remembered as configuration
                transient = _transient_targets_error(provider, error)
                logger.warning("%s", transient.message)
                if attempt == 2:
                    if previous is not None and isinstance(previous.value, list):
                        previous.read_at = time.monotonic()  # keep serving them; ask again after the TTL
                        return previous.value
                    self._known[provider] = _KnownTargets(
                        transient, time.monotonic(), retry_at=time.monotonic() + TARGETS_RETRY_SECONDS
                    )
                    raise transient from None
                await asyncio.sleep(TARGETS_RETRY_PAUSE)
                continue
            self._adopt_targets(provider, previous.value if previous is not None else None, targets)
            return self._known[provider].value  # type: ignore[return-value]  # a list: just adopted
        raise AssertionError("unreachable")

    def _ttl(self) -> float:
        return self._settings.targets_ttl or float("inf")

    def _adopt_targets(self, provider: str, previous: list[Target] | HubError | None, targets: list[Target]) -> None:
        """Take a fresh target list, keeping the old ``Target`` (and its handle) of an unchanged target."""
        old = {t.name: t for t in previous} if isinstance(previous, list) else {}
        kept, dropped = [], []
        for target in targets:
            same = old.get(target.name)
            if same is not None and _same_target(same, target):
                kept.append(same)
                if target.handle is not same.handle:
                    dropped.append(target)
            else:
                kept.append(target)
        names = {t.name for t in kept}
        gone = [t for t in old.values() if t.name not in names or all(k is not t for k in kept)]
        for target in gone:
            self._cache.invalidate(f"{provider}:{target.name}")
        self._known[provider] = _KnownTargets(kept, time.monotonic())
        if gone:
            logger.info("Provider %r targets changed: now %s", provider, ", ".join(sorted(names)) or "none (catalog)")
        self._close_later(provider, [*gone, *dropped])

    def _close_later(self, provider: str, targets: list[Target]) -> None:
        """Close handles no longer used, after in-flight discoveries had their deadline to finish."""
        handles = [t for t in targets if getattr(t.handle, "aclose", None) is not None]
        if not handles:
            return

        async def close() -> None:
            await asyncio.sleep(self._settings.discovery_timeout)
            await self._close_targets(provider, handles)

        task = asyncio.get_running_loop().create_task(close())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _close_targets(self, provider: str, targets: list[Target]) -> None:
        for target in targets:
            close = getattr(target.handle, "aclose", None)
            if close is None:
                continue
            try:
                await close()
            except Exception:  # a plugin's shutdown never blocks ours
                logger.exception("Provider %r failed to close target %r", provider, target.name)
