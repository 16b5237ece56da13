"""A contract suite a provider plugin runs against itself: subclass and set ``provider`` and ``plugin``.

class TestAcmeContract(ProviderContract):
    provider = "acme"
    plugin = hub_acme

    def configure(self, monkeypatch, upstream, secret):
        upstream.route("GET", "/v1/models", {"data": [{"id": "chat-small"}]})
        monkeypatch.setenv("ACME_BASE_URL", upstream.url)
        monkeypatch.setenv("ACME_API_KEY", secret)
        return True

``configure`` sets up a healthy upstream; the checks make it fail (401, 500) or hang themselves.
A plugin with a fake server of its own overrides ``open_upstream`` instead (see docs/plugins.md).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar, Protocol

import httpx
import pytest

from hub_core import Endpoint, ProviderError, Target, hookimpl
from hub_core.plugins import PluginRegistry, new_plugin_manager
from hub_core.settings import HubSettings
from hub_core.testing import app_client, bundled_catalog, fresh_registry, make_hub
from hub_core.testing.hook_checks import (
    call_hook,
    check_discovery,
    check_litellm_params,
    check_model_group,
    check_provider_info,
    check_targets,
)
from hub_core.testing.leaks import captured_logs, leaks, record_text, response_text
from hub_core.testing.upstream import FakeUpstream

SECRET = "sk-contract-0123456789abcdef"
HEALTHY = "contract_healthy"
DEADLINE = 1.0
"""HUB_DISCOVERY_TIMEOUT in the hanging-upstream check, in seconds."""
HANG = 6.0
"""How long the hanging upstream waits before answering: beyond ``BOUND``."""
BOUND = 5.0
"""A request for a provider whose upstream hangs must end within this many seconds."""
HOOK_TIMEOUT = 30.0
REQUIRED_HOOKS = frozenset({"configured_targets", "discover_endpoints"})


class ContractUpstream(Protocol):
    """The fake upstream the checks drive, after ``configure`` pointed the plugin at it."""

    def answer(self, status: int = 200, *, delay: float = 0.0) -> None:
        """From now on every request waits ``delay`` s, then gets ``status``; 200 is the healthy answer."""

    def request_count(self) -> int:
        """How many requests the upstream has received."""


class FakeUpstreamControl:
    """``ContractUpstream`` over a :class:`FakeUpstream` whose routes ``configure`` registered."""

    def __init__(self, fake: FakeUpstream) -> None:
        self.fake = fake

    def answer(self, status: int = 200, *, delay: float = 0.0) -> None:
        self.fake.override(None if status == 200 else status, delay=delay)

    def request_count(self) -> int:
        return len(self.fake.requests)


class _Healthy:
    """A second provider that always answers, to show a failure stays with the provider under test."""

    @hookimpl
    def configured_targets(self, config: Any) -> list[Target]:
        return [Target(name="default")]

    @hookimpl
    def discover_endpoints(self, target: Target) -> list[Endpoint]:
        return [Endpoint(provider=HEALTHY, name="ok", target=target.name, mode="chat")]


class ProviderContract:
    """The checks every provider plugin passes; see docs/plugins.md, "The contract suite"."""

    provider: ClassVar[str]
    plugin: ClassVar[Any]
    env_prefixes: ClassVar[tuple[str, ...]] = ()
    """Variables the plugin reads, cleared before each check; default ``<PROVIDER>_`` (and always ``HUB_``)."""

    # -- what a plugin overrides --------------------------------------------------

    def configure(self, monkeypatch: pytest.MonkeyPatch, upstream: FakeUpstream, secret: str) -> bool:
        """Register ``upstream``'s healthy routes (at least one endpoint), point the provider at it with
        credential ``secret`` (``monkeypatch.setenv``), return True. False (the default): checks that
        need an upstream skip."""
        return False

    def open_upstream(
        self, monkeypatch: pytest.MonkeyPatch, secret: str
    ) -> AbstractContextManager[ContractUpstream | None]:
        """A started, healthy fake upstream the provider is pointed at, or None. Override it for a fake
        of the plugin's own; the default is a :class:`FakeUpstream` set up by ``configure``."""
        return self._fake_upstream(monkeypatch, secret)

    def unconfigure(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Leave the provider unconfigured: clear ``HUB_*`` and the ``env_prefixes`` variables."""
        prefixes = ("HUB_", *(self.env_prefixes or (f"{self.provider.upper()}_",)))
        for name in list(os.environ):
            if name.startswith(prefixes):
                monkeypatch.delenv(name, raising=False)

    # -- helpers --------------------------------------------------------------------

    @contextmanager
    def _fake_upstream(self, monkeypatch: pytest.MonkeyPatch, secret: str) -> Iterator[ContractUpstream | None]:
        with FakeUpstream() as fake:
            yield FakeUpstreamControl(fake) if self.configure(monkeypatch, fake, secret) else None

    @contextmanager
    def _configured(self, monkeypatch: pytest.MonkeyPatch, secret: str = SECRET) -> Iterator[ContractUpstream]:
        self.unconfigure(monkeypatch)
        with self.open_upstream(monkeypatch, secret) as upstream:
            if upstream is None:
                pytest.skip(f"{self.provider}: configure() is not implemented for this plugin")
            yield upstream

    def _plugins(self) -> dict[str, object]:
        return {self.provider: self.plugin, HEALTHY: _Healthy()}

    # -- the checks -------------------------------------------------------------------

    def test_registers_in_a_fresh_plugin_manager(self) -> None:
        try:
            registry = fresh_registry({self.provider: self.plugin})
        except Exception as error:
            raise AssertionError(f"{self.provider}: the hub refuses to register it: {error}") from error
        assert self.provider in registry.loaded(), f"{self.provider}: did not load: {registry.records}"
        missing = sorted(REQUIRED_HOOKS - set(registry.records[self.provider].hooks))
        assert not missing, f"{self.provider}: implements no {', '.join(missing)}; a provider needs both"

    def test_provider_info_is_a_provider_info(self) -> None:
        pm = new_plugin_manager()  # not PluginRegistry: it refuses a wrong provider_info while registering
        pm.register(self.plugin, name=self.provider)
        if pm.hook.provider_info.get_hookimpls():
            check_provider_info(self.provider, pm.hook.provider_info()[0])

    async def test_not_configured_serves_the_catalog(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.unconfigure(monkeypatch)
        hub = make_hub({self.provider: self.plugin})
        async with app_client(hub) as client:
            response = await client.get("/public/model_hub", params={"provider": self.provider})
            status = await client.get("/public/providers")
        assert response.status_code == 200, f"{self.provider}: unconfigured, /public/model_hub answered {response.text}"
        sources = {entry.get("source") for entry in response.json()}
        assert sources <= {"catalog"}, f"{self.provider}: unconfigured, it served entries from {sources}, not catalog"
        assert status.status_code == 200, status.text
        states = {row["name"]: row["status"] for row in status.json()}
        assert states.get(self.provider) == "not_configured", (
            f"{self.provider}: unconfigured, /public/providers says {states.get(self.provider)!r}, not "
            "'not_configured'; configured_targets should return [] when nothing is set."
        )

    async def test_hooks_return_the_types_their_specs_allow(self, monkeypatch: pytest.MonkeyPatch) -> None:
        with self._configured(monkeypatch):
            registry = fresh_registry({self.provider: self.plugin})
            assert self.provider in registry.loaded(), f"{self.provider}: did not load"
            config = HubSettings().provider_config(self.provider)
            targets = check_targets(
                self.provider,
                await call_hook(registry, self.provider, "configured_targets", HOOK_TIMEOUT, config=config),
            )
            assert targets, f"{self.provider}: configured, configured_targets returned no target"
            try:
                await self._check_targets(registry, targets)
            finally:
                for target in targets:
                    close = getattr(target.handle, "aclose", None)
                    if close is not None:
                        await close()

    async def _check_targets(self, registry: PluginRegistry, targets: list[Target]) -> None:
        """Each target's endpoints, and each endpoint's model group and LiteLLM params, as the specs allow."""
        name, found = self.provider, 0
        for target in targets:
            result = await call_hook(registry, name, "discover_endpoints", HOOK_TIMEOUT, target=target)
            endpoints = check_discovery(name, target, result)
            found += len(endpoints)
            for endpoint in endpoints:
                if registry.implements(name, "to_model_group"):
                    group = await call_hook(
                        registry, name, "to_model_group", HOOK_TIMEOUT,
                        endpoint=endpoint, catalog=bundled_catalog(), target=target,
                    )  # fmt: skip
                    check_model_group(name, endpoint, group)
                if registry.implements(name, "litellm_params"):
                    try:
                        params = await call_hook(
                            registry, name, "litellm_params", HOOK_TIMEOUT, endpoint=endpoint, target=target
                        )
                    except ProviderError as refused:  # the spec's way to leave one endpoint out, with a reason
                        assert SECRET not in str(refused), f"{name}: litellm_params's refusal quotes the credential"
                        continue
                    check_litellm_params(name, endpoint, params, SECRET)
        assert found, f"{name}: the healthy upstream of configure() listed no endpoint; list at least one"

    async def test_upstream_500_degrades_only_this_provider_and_hides_the_secret(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with self._configured(monkeypatch) as upstream:
            upstream.answer(500)
            hub = make_hub(self._plugins())
            async with app_client(hub) as client:
                answers = [
                    await client.get("/public/model_hub"),
                    await client.get("/public/providers"),
                    await client.get(f"/public/{self.provider}/endpoints"),
                ]
            assert upstream.request_count(), f"{self.provider}: configure() did not point the plugin at the upstream"
        assert answers[0].status_code == 200, f"{self.provider}: an upstream 500 broke /public/model_hub"
        assert HEALTHY in answers[0].text, f"{self.provider}: an upstream 500 hid another provider's entries"
        for answer in answers:
            assert not leaks(response_text(answer), SECRET), f"{self.provider}: the credential leaked in {answer.url}"

    async def test_a_hanging_upstream_ends_within_the_deadline(self, monkeypatch: pytest.MonkeyPatch) -> None:
        with self._configured(monkeypatch) as upstream:
            upstream.answer(200, delay=HANG)
            hub = make_hub(self._plugins(), discovery_timeout=DEADLINE)
            async with app_client(hub) as client:

                async def timed(path: str) -> tuple[httpx.Response, float]:
                    start = time.monotonic()
                    response = await client.get(path, timeout=HANG * 2)
                    return response, time.monotonic() - start

                (mine, mine_took), (other, other_took) = await asyncio.gather(
                    timed(f"/public/model_hub?provider={self.provider}"), timed(f"/public/model_hub?provider={HEALTHY}")
                )
                merged, merged_took = await timed("/public/model_hub")
        name = self.provider
        assert mine_took < BOUND, f"{name}: with its upstream hanging, a request took {mine_took:.1f} s (> {BOUND} s)"
        stale_or_catalog = mine.status_code == 200 and (
            mine.headers.get("X-Hub-Stale") == "true" or all(e.get("source") == "catalog" for e in mine.json())
        )
        assert mine.status_code == 503 or stale_or_catalog, (
            f"{name}: with its upstream hanging, it answered {mine.status_code}, not 503 or a stale/catalog list"
        )
        assert other.status_code == 200 and other_took < DEADLINE, (
            f"{name}: its hanging upstream held up another provider ({other.status_code} after {other_took:.1f} s); "
            "an async hook must not block the event loop"
        )
        assert merged.status_code == 200 and HEALTHY in merged.text and merged_took < BOUND, (
            f"{name}: with its upstream hanging, the merged /public/model_hub answered {merged.status_code} "
            f"after {merged_took:.1f} s"
        )

    async def test_the_secret_never_reaches_logs_or_responses(self, monkeypatch: pytest.MonkeyPatch) -> None:
        found: list[str] = []
        for status in (200, 401, 500):
            with self._configured(monkeypatch) as upstream, captured_logs() as records:
                upstream.answer(status)
                hub = make_hub(self._plugins(), log_level="DEBUG")  # the app sets its libraries' levels
                async with app_client(hub) as client:
                    answers = [
                        await client.get("/public/model_hub", params={"provider": self.provider}),
                        await client.get(f"/public/{self.provider}/endpoints"),
                        await client.get("/public/providers"),
                        await client.get("/public/model_hub"),
                    ]
            for answer in answers:
                found += [
                    f"upstream {status}: {answer.url} holds {form!r}" for form in leaks(response_text(answer), SECRET)
                ]
            for record in records:
                found += [
                    f"upstream {status}: a {record.levelname} record of {record.name!r} holds {form!r}"
                    for form in leaks(record_text(record), SECRET)
                ]
        assert not found, f"{self.provider}: the credential leaked: " + "; ".join(found)
