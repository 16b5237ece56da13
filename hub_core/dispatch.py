"""Typed calls into one provider's hookimpls.

Every call goes through pluggy, so its tracing and hook-call monitoring see each one. A
plain (blocking) ``configured_targets`` or ``discover_endpoints`` runs on the provider's own
daemon threads with the deadline applied: it can block without stalling the event loop,
another provider, or the hub's own worker threads. What a hook returns is checked here, so
the hub and the routes get the types the specs promise.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from hub_core.errors import HookTypeError, HubError, ProviderConfigError, ProviderError, ProviderUnavailableError
from hub_core.models import Discovery, Endpoint, ProviderInfo, Target
from hub_core.workers import DaemonWorkers, WorkersBusyError

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hub_core.catalog import Catalog

Converter = Callable[[Endpoint, "Catalog", "Target | None"], Any]
"""``to_model_group`` for one endpoint: a ``ModelGroup``, ``None``, or (async hookimpls) an awaitable."""

DEFAULT_THREADS = 4
MAX_WAITING = 64


class ProviderHooks:
    """One provider's hooks, typed. Made by ``PluginRegistry.hooks(name)``."""

    def __init__(self, pm: pluggy.PluginManager, provider: str, hooks: list[str], *, threads: int) -> None:
        self.provider = provider
        self._pm = pm
        self._hooks = set(hooks)
        self._callers: dict[str, Any] = {}
        self.workers = DaemonWorkers(threads, name=f"hub-{provider}", max_waiting=MAX_WAITING)

    def __repr__(self) -> str:
        return f"ProviderHooks({self.provider!r}, {self.workers!r})"

    # -- plumbing -------------------------------------------------------------------

    def implements(self, hook: str) -> bool:
        return hook in self._hooks

    def _caller(self, hook: str) -> Any:
        """A hook caller that reaches only this provider's hookimpls (made once, then reused)."""
        caller = self._callers.get(hook)
        if caller is None:
            mine = self._pm.get_plugin(self.provider)
            others = [p for p in self._pm.get_plugins() if p is not mine]
            caller = self._callers[hook] = self._pm.subset_hook_caller(hook, remove_plugins=others)
        return caller

    def is_async(self, hook: str) -> bool:
        """Whether this provider's hookimpl for ``hook`` is ``async def``."""
        if not self.implements(hook):
            return False
        return any(inspect.iscoroutinefunction(impl.function) for impl in self._caller(hook).get_hookimpls())

    def _call(self, hook: str, **kwargs: Any) -> Any:
        """The first result of this provider's hookimpl, through pluggy; None when it has none."""
        if not self.implements(hook) or self._pm.get_plugin(self.provider) is None:
            return None
        results = self._caller(hook)(**kwargs)
        return results[0] if results else None

    async def _call_with_deadline(self, hook: str, what: str, timeout: float, **kwargs: Any) -> Any:
        """Await an ``async def`` hookimpl on the loop, or run a plain one on this provider's threads."""
        try:
            if self.is_async(hook):
                result = self._call(hook, **kwargs)
                return await asyncio.wait_for(result, timeout) if inspect.isawaitable(result) else result
            result = await self.workers.run(lambda: self._call(hook, **kwargs), timeout)
            if inspect.isawaitable(result):  # a plain function that returned a coroutine
                return await asyncio.wait_for(result, timeout)
            return result
        except asyncio.TimeoutError:
            raise ProviderUnavailableError(
                f"Provider {self.provider!r} did not {what} within {timeout:g} s (HUB_DISCOVERY_TIMEOUT).",
                provider=self.provider,
                retryable=True,
            ) from None
        except WorkersBusyError as error:
            raise ProviderUnavailableError(
                f"Provider {self.provider!r} cannot {what} now: {error} on its {self.workers.size} threads. "
                "Its upstream is probably hanging; the hub retries once calls return.",
                provider=self.provider,
                retryable=True,
            ) from None

    # -- the hooks ------------------------------------------------------------------

    def provider_info(self) -> ProviderInfo | None:
        info = self._call("provider_info")
        if info is not None and not isinstance(info, ProviderInfo):
            raise HookTypeError(
                f"provider_info of {self.provider!r} returned {type(info).__name__}, not ProviderInfo.",
                provider=self.provider,
            )
        return info

    def provider_routes(self) -> APIRouter | None:
        from fastapi import APIRouter

        router = self._call("provider_routes")
        if router is not None and not isinstance(router, APIRouter):
            raise HookTypeError(
                f"provider_routes of {self.provider!r} returned {type(router).__name__}, not APIRouter.",
                provider=self.provider,
            )
        return router

    async def configured_targets(self, config: Mapping[str, Any], *, timeout: float) -> list[Target]:
        """The provider's targets. ``ProviderConfigError`` passes through; a wrong type is one too."""
        result = await self._call_with_deadline("configured_targets", "read its configuration", timeout, config=config)
        targets = list(result or [])
        wrong = sorted({type(t).__name__ for t in targets if not isinstance(t, Target)})
        if wrong:
            raise ProviderConfigError(
                f"Provider {self.provider!r}: configured_targets returned {', '.join(wrong)}, not Target. "
                "This is a bug in the plugin; report it to its authors.",
                provider=self.provider,
            )
        names = [t.name for t in targets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ProviderConfigError(
                f"Provider {self.provider!r} has more than one target named {', '.join(map(repr, duplicates))}. "
                "Give each target its own name.",
                provider=self.provider,
            )
        return targets

    async def discover_endpoints(self, target: Target, *, timeout: float) -> Discovery:
        """One target's endpoints and warnings. A plugin bug becomes a ``ProviderError`` naming the target."""
        try:
            result = await self._call_with_deadline(
                "discover_endpoints", f"list the endpoints of {target.name!r}", timeout, target=target
            )
        except HubError:
            raise
        except Exception as error:  # a plugin bug fails its provider only
            raise ProviderError(
                f"Provider {self.provider!r} failed while discovering {target.name!r}: {type(error).__name__}. "
                "See the hub's log; this is a bug in the plugin or its upstream's answer.",
                provider=self.provider,
            ) from error
        if isinstance(result, Discovery):
            discovery = result
        elif result is None or isinstance(result, list):
            discovery = Discovery.model_construct(endpoints=list(result or []), warnings=[])
        else:
            raise HookTypeError(
                f"Provider {self.provider!r} returned {type(result).__name__} from discover_endpoints, "
                "not a list of Endpoint or a Discovery.",
                provider=self.provider,
            )
        for endpoint in discovery.endpoints:
            if not isinstance(endpoint, Endpoint):
                raise HookTypeError(
                    f"Provider {self.provider!r} returned {type(endpoint).__name__} instead of Endpoint.",
                    provider=self.provider,
                )
        if not all(isinstance(w, str) for w in discovery.warnings):
            raise HookTypeError(
                f"Provider {self.provider!r} returned warnings that are not text.", provider=self.provider
            )
        return discovery

    def model_group_converter(self) -> Converter | None:
        """``to_model_group`` for one endpoint at a time, or None when the provider lacks it.

        Called once per endpoint, so with one plain hookimpl and no pluggy tracing or
        monitoring enabled, the function is called directly (pluggy's machinery costs more
        than most conversions); otherwise through pluggy, so tracing sees every call.
        """
        if not self.implements("to_model_group"):
            return None
        impls = self._caller("to_model_group").get_hookimpls()
        direct = len(impls) == 1 and not (impls[0].hookwrapper or impls[0].wrapper)

        def convert(endpoint: Endpoint, catalog: Catalog, target: Target | None) -> Any:
            return self._call("to_model_group", endpoint=endpoint, catalog=catalog, target=target)

        if not direct:
            return convert
        function, argnames = impls[0].function, impls[0].argnames

        def convert_directly(endpoint: Endpoint, catalog: Catalog, target: Target | None) -> Any:
            if _monitored(self._pm):
                return convert(endpoint, catalog, target)
            given = {"endpoint": endpoint, "catalog": catalog, "target": target}
            return function(*[given[name] for name in argnames])

        return convert_directly

    def litellm_params(self, endpoint: Endpoint, target: Target) -> Any:
        """The hookimpl's answer as it is: params, ``None``, or (``async def``) an awaitable.

        Called once per endpoint from a worker thread; the caller checks the answer's type.
        """
        return self._call("litellm_params", endpoint=endpoint, target=target)


try:  # pluggy's plain hook executor; tracing and monitoring replace ``pm._inner_hookexec``
    from pluggy._callers import _multicall
except ImportError:  # another pluggy layout: always go through pluggy
    _multicall = None  # type: ignore[assignment]


def _monitored(pm: pluggy.PluginManager) -> bool:
    """Whether ``enable_tracing`` or ``add_hookcall_monitoring`` wraps this manager's hook calls
    (True when that cannot be told, so the direct call is only ever an optimisation)."""
    return _multicall is None or getattr(pm, "_inner_hookexec", None) is not _multicall
