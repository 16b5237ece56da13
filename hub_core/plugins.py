"""Find, load, isolate and list provider plugins. The only place plugins are loaded.

Plugins register under the entry-point group ``hub_core``; the entry-point name is the
provider name. Each plugin loads inside its own failure boundary: one that fails to
import or register is recorded as ``failed_to_load`` and the others keep working.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import importlib_metadata
import pluggy

from hub_core import hookspecs
from hub_core.dispatch import DEFAULT_THREADS, ProviderHooks
from hub_core.errors import DuplicateProviderError, PluginLoadError
from hub_core.models import ProviderInfo
from hub_core.settings import HubSettings

logger = logging.getLogger("hub_core.plugins")

ENTRY_POINT_GROUP = hookspecs.PROJECT
LoadState = Literal["loaded", "disabled", "failed_to_load"]


@dataclass
class PluginRecord:
    """What the hub knows about one installed plugin, loaded or not."""

    name: str
    state: LoadState
    message: str = ""
    distribution: str | None = None
    version: str | None = None
    plugin: object | None = None
    info: ProviderInfo | None = None
    hooks: list[str] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.info.display_name if self.info else self.name


def new_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager that knows the hub's hook specs and holds no plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


class PluginRegistry:
    """The loaded plugins and dispatch to one provider by name."""

    def __init__(self, pm: pluggy.PluginManager | None = None) -> None:
        self.pm = pm or new_plugin_manager()
        self.records: dict[str, PluginRecord] = {}
        self._hooks: dict[str, ProviderHooks] = {}
        self.threads = DEFAULT_THREADS  # per provider, for its blocking hookimpls

    # -- registration ---------------------------------------------------------------

    def register(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> PluginRecord:
        """Register a plugin object as provider ``name``. Raises on a bad plugin."""
        if name in self.records and self.records[name].state == "loaded":
            raise DuplicateProviderError(
                f"Provider {name!r} is already registered by "
                f"{self.records[name].distribution or 'an in-process plugin'}."
            )
        self.pm.register(plugin, name=name)
        self._hooks.clear()
        try:
            hooks = self._validate(plugin, name)
            info = self._info(name, hooks)
        except Exception:
            self.pm.unregister(plugin)
            self._hooks.clear()
            raise
        record = PluginRecord(
            name=name,
            state="loaded",
            message="loaded",
            distribution=distribution,
            version=version,
            plugin=plugin,
            info=info,
            hooks=hooks,
        )
        self.records[name] = record
        return record

    def unregister(self, name: str) -> None:
        record = self.records.pop(name, None)
        if record and record.plugin is not None:
            self.pm.unregister(record.plugin)
        self._hooks.clear()

    def _validate(self, plugin: object, name: str) -> list[str]:
        """Fail loudly on a hookimpl that matches no spec (a misspelled hook name)."""
        known = [n for n, c in vars(self.pm.hook).items() if isinstance(c, pluggy.HookCaller) and c.has_spec()]
        hooks = []
        for caller in self.pm.get_hookcallers(plugin) or []:
            if not caller.has_spec():
                guess = difflib.get_close_matches(caller.name, known, n=1)
                hint = f" Did you mean {guess[0]!r}?" if guess else ""
                raise pluggy.PluginValidationError(
                    plugin,
                    f"Plugin {name!r} implements {caller.name!r}, which is not a hub_core hook.{hint}",
                )
            hooks.append(caller.name)
        return sorted(hooks)

    def _info(self, name: str, hooks: list[str]) -> ProviderInfo:
        info = ProviderHooks(self.pm, name, hooks, threads=1).provider_info()
        if info is None:
            return ProviderInfo(display_name=name, catalog_providers=[name])
        if not info.catalog_providers:
            info = info.model_copy(update={"catalog_providers": [name]})
        return info

    # -- queries --------------------------------------------------------------------

    def loaded(self) -> list[str]:
        return sorted(n for n, r in self.records.items() if r.state == "loaded")

    def installed(self) -> list[str]:
        return sorted(self.records)

    def implements(self, provider: str, hook: str) -> bool:
        record = self.records.get(provider)
        return bool(record and hook in record.hooks)

    # -- dispatch -------------------------------------------------------------------

    def hooks(self, provider: str) -> ProviderHooks:
        """Typed calls into ``provider``'s hookimpls (made once per registration, then reused)."""
        hooks = self._hooks.get(provider)
        if hooks is None:
            record = self.records.get(provider)
            names = record.hooks if record is not None and record.state == "loaded" else []
            hooks = self._hooks[provider] = ProviderHooks(self.pm, provider, names, threads=self.threads)
        return hooks


def _distribution(ep: importlib_metadata.EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


def load_plugins(
    settings: HubSettings,
    registry: PluginRegistry | None = None,
    entry_points: Iterable[importlib_metadata.EntryPoint] | None = None,
) -> PluginRegistry:
    """Load every installed plugin that the allowlist and blocklist admit."""
    registry = registry or PluginRegistry()
    found = list(entry_points if entry_points is not None else importlib_metadata.entry_points(group=ENTRY_POINT_GROUP))
    allow, block = settings.plugin_allowlist, settings.plugin_blocklist

    by_name: dict[str, list[importlib_metadata.EntryPoint]] = {}
    for ep in found:
        by_name.setdefault(ep.name, []).append(ep)

    unknown = sorted((allow or set()) - set(by_name))
    if unknown:
        logger.warning(
            "HUB_LOAD_PLUGINS names %s, which %s not installed; installed plugins: %s. "
            "Fix the names, or unset HUB_LOAD_PLUGINS to load every installed plugin.",
            ", ".join(unknown),
            "is" if len(unknown) == 1 else "are",
            ", ".join(sorted(by_name)) or "none",
        )
    for name, eps in sorted(by_name.items()):
        distribution, version = _distribution(eps[0])
        if allow is not None and name not in allow:
            reason = "not in HUB_LOAD_PLUGINS"
            registry.records[name] = PluginRecord(name, "disabled", reason, distribution, version)
            registry.pm.set_blocked(name)
            continue
        if name in block:
            registry.records[name] = PluginRecord(name, "disabled", "in HUB_DISABLE_PLUGINS", distribution, version)
            registry.pm.set_blocked(name)
            continue
        dists = sorted({_distribution(ep)[0] or ep.value for ep in eps})
        if len(eps) > 1:
            raise DuplicateProviderError(
                f"Provider name {name!r} is claimed by more than one plugin: {', '.join(dists)}. "
                f"Uninstall one, or disable it with HUB_DISABLE_PLUGINS={name} and install only one."
            )
        _load_one(registry, eps[0], settings.strict_plugins, distribution, version)
    registry.pm.check_pending()  # never raises: _validate already refused such plugins
    return registry


def _load_one(
    registry: PluginRegistry,
    ep: importlib_metadata.EntryPoint,
    strict: bool,
    distribution: str | None,
    version: str | None,
) -> None:
    try:
        plugin = ep.load()
        registry.register(plugin, ep.name, distribution=distribution, version=version)
    except Exception as error:  # the failure boundary: any error stays with this plugin
        reason = f"{type(error).__name__}: {error}"
        if strict:
            raise PluginLoadError(f"Plugin {ep.name!r} ({distribution}) failed to load: {reason}") from error
        logger.error(
            "Plugin %r (%s) failed to load and is skipped: %s. Fix or uninstall it, or set HUB_DISABLE_PLUGINS=%s.",
            ep.name,
            distribution or ep.value,
            reason,
            ep.name,
        )
        registry.records[ep.name] = PluginRecord(ep.name, "failed_to_load", reason, distribution, version)
