"""The contract suite can fail: each check catches an in-process plugin broken in the way it checks.

``Acme`` is a small, correct plugin (``TestAcmeContract`` runs the whole suite on it); each
``Broken*`` class breaks one rule, and the check for that rule must raise on it.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
import pytest

from hub_core import (
    Catalog,
    Discovery,
    Endpoint,
    ModelGroup,
    ProviderError,
    ProviderInfo,
    Redactor,
    Target,
    get_json,
    hookimpl,
    live_model_group,
    unvalidated,
)
from hub_core.testing import FakeUpstream
from hub_core.testing.contract import ProviderContract
from hub_core.testing.leaks import leaks, secret_forms

PROVIDER = "acme"
MODELS = {"data": [{"id": "chat-small"}, {"id": "embed-large"}]}
logger = logging.getLogger("acme_test_plugin")


class Acme:
    """Lists ``$ACME_BASE_URL/v1/models`` with the bearer key in ``$ACME_API_KEY``."""

    @hookimpl
    def provider_info(self) -> ProviderInfo:
        return ProviderInfo(display_name="Acme", settings=["ACME_BASE_URL", "ACME_API_KEY"])

    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        url = os.environ.get("ACME_BASE_URL")
        return [Target(name="default", url=url, auth_method="bearer")] if url else []

    def key(self) -> str:
        return os.environ["ACME_API_KEY"]

    async def models(self, target: Target) -> Any:
        async with httpx.AsyncClient(timeout=30) as http:
            return await get_json(
                http,
                f"{target.url}/v1/models",
                provider=PROVIDER,
                what=f"Acme {target.name!r}",
                headers={"Authorization": f"Bearer {self.key()}"},
                redactor=Redactor(self.key()),
            )

    def endpoint(self, item: dict[str, Any], target: Target) -> Endpoint:
        return Endpoint(provider=PROVIDER, name=item["id"], target=target.name, target_url=target.url)

    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint] | Discovery:
        body = await self.models(target)
        return [self.endpoint(item, target) for item in body["data"]]

    @hookimpl
    def to_model_group(self, endpoint: Endpoint, catalog: Catalog) -> Any:
        return live_model_group(endpoint, model_group=f"{PROVIDER}/{endpoint.name}", providers=[PROVIDER])

    @hookimpl
    def litellm_params(self, endpoint: Endpoint, target: Target) -> Any:
        return {"model": f"openai/{endpoint.name}", "api_base": target.url, "api_key": "os.environ/ACME_API_KEY"}


class AcmeContract(ProviderContract):
    provider = PROVIDER
    plugin: ClassVar[Any] = Acme()

    def configure(self, monkeypatch: pytest.MonkeyPatch, upstream: FakeUpstream, secret: str) -> bool:
        upstream.route("GET", "/v1/models", MODELS)
        monkeypatch.setenv("ACME_BASE_URL", upstream.url)
        monkeypatch.setenv("ACME_API_KEY", secret)
        return True


class TestAcmeContract(AcmeContract):
    """The correct plugin passes every check, so a failure below comes from the break alone."""


# -- plugins broken in one way each ------------------------------------------------------------


class BrokenInfo(Acme):
    @hookimpl
    def provider_info(self) -> Any:
        return {"display_name": "Acme"}


class DuplicateTargets(Acme):
    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        return super().configured_targets(config) * 2


class TupleDiscovery(Acme):
    @hookimpl
    async def discover_endpoints(self, target: Target) -> Any:
        return tuple(await super().discover_endpoints(target))  # type: ignore[arg-type]


class DictEndpoints(Acme):
    @hookimpl
    async def discover_endpoints(self, target: Target) -> Any:
        return [e.model_dump() for e in await super().discover_endpoints(target)]  # type: ignore[union-attr]


class WrongProvider(Acme):
    def endpoint(self, item: dict[str, Any], target: Target) -> Endpoint:
        return super().endpoint(item, target).model_copy(update={"provider": "openai"})


class WrongTarget(Acme):
    def endpoint(self, item: dict[str, Any], target: Target) -> Endpoint:
        return super().endpoint(item, target).model_copy(update={"target": None})


class UnvalidatedWrongType(Acme):
    def endpoint(self, item: dict[str, Any], target: Target) -> Endpoint:
        # A string where a bool belongs, which validation would have refused.
        return unvalidated(Endpoint, provider=PROVIDER, name=item["id"], target=target.name, available="maybe")


class UnvalidatedTextTokens(Acme):
    @hookimpl
    def to_model_group(self, endpoint: Endpoint, catalog: Catalog) -> Any:
        # Digits where an int belongs: validation would have made it 8192.
        fields = {"model_group": f"{PROVIDER}/{endpoint.name}", "max_input_tokens": "8192"}
        return live_model_group(endpoint, providers=[PROVIDER], validate=False, **fields)


class EmptyDiscovery(Acme):
    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        return []


class DictGroup(Acme):
    @hookimpl
    def to_model_group(self, endpoint: Endpoint, catalog: Catalog) -> Any:
        group: ModelGroup = super().to_model_group(endpoint, catalog)
        return group.model_dump()


class GroupOfAnotherProvider(Acme):
    @hookimpl
    def to_model_group(self, endpoint: Endpoint, catalog: Catalog) -> Any:
        return live_model_group(endpoint, model_group=f"openai/{endpoint.name}", providers=["openai"])


class ParamsWithoutModel(Acme):
    @hookimpl
    def litellm_params(self, endpoint: Endpoint, target: Target) -> Any:
        return {"api_base": target.url}


class ParamsAsList(Acme):
    @hookimpl
    def litellm_params(self, endpoint: Endpoint, target: Target) -> Any:
        return [("model", endpoint.name)]


class LiteralApiKey(Acme):
    @hookimpl
    def litellm_params(self, endpoint: Endpoint, target: Target) -> Any:
        return {"model": f"openai/{endpoint.name}", "api_key": self.key()}


class KeyInAHeader(Acme):
    """A value under a name the credential check does not know: only the secret search finds it."""

    @hookimpl
    def litellm_params(self, endpoint: Endpoint, target: Target) -> Any:
        return {"model": f"openai/{endpoint.name}", "extra_headers": {"X-Acme-Auth": self.key()}}


class TargetWithoutSettings(Acme):
    """Claims a target when nothing is set, so an unconfigured hub fails instead of serving the catalog."""

    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        return [Target(name="default", url=os.environ.get("ACME_BASE_URL", "http://127.0.0.1:9"))]


class LiveWithoutSettings(Acme):
    """Serves made-up live entries when unconfigured."""

    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        return [Target(name="default")]

    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        return [Endpoint(provider=PROVIDER, name="made-up", target=target.name)]


class BlocksTheLoop(Acme):
    """An ``async def`` hook that calls a blocking client: the deadline cannot interrupt it."""

    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        headers = {"Authorization": f"Bearer {self.key()}"}
        body = httpx.get(f"{target.url}/v1/models", headers=headers, timeout=30).json()
        return [self.endpoint(item, target) for item in body["data"]]


class LogsTheKey(Acme):
    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        logger.debug("Acme: listing models with key %s", self.key())
        return await super().discover_endpoints(target)  # type: ignore[return-value]


class LogsTheKeyInBase64(Acme):
    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        try:
            return await super().discover_endpoints(target)  # type: ignore[return-value]
        except ProviderError:
            logger.warning("Acme refused %s", base64.b64encode(self.key().encode()).decode())
            raise


class KeyInTheError(Acme):
    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        try:
            return await super().discover_endpoints(target)  # type: ignore[return-value]
        except ProviderError as error:
            raise ProviderError(f"Acme failed with key {self.key()}: {error}", provider=PROVIDER) from None


class MisspelledHook(Acme):
    @hookimpl
    def discover_endpoint(self, target: Target) -> list[Endpoint]:
        return []


class NoDiscovery:
    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        return []


def contract(plugin: object) -> AcmeContract:
    """The contract suite pointed at ``plugin``, to call one check at a time."""
    subclass = type(f"{type(plugin).__name__}Contract", (AcmeContract,), {"plugin": plugin})
    return subclass()


CAUGHT: list[tuple[str, type[Any], str]] = [  # check, plugin, what its message says
    ("test_registers_in_a_fresh_plugin_manager", MisspelledHook, "refuses to register"),
    ("test_registers_in_a_fresh_plugin_manager", NoDiscovery, "implements no discover_endpoints"),
    ("test_provider_info_is_a_provider_info", BrokenInfo, "provider_info returned dict"),
    ("test_hooks_return_the_types_their_specs_allow", DuplicateTargets, "two targets named"),
    ("test_hooks_return_the_types_their_specs_allow", TupleDiscovery, "returned tuple"),
    ("test_hooks_return_the_types_their_specs_allow", DictEndpoints, "a dict item, not Endpoint"),
    ("test_hooks_return_the_types_their_specs_allow", WrongProvider, "provider='openai'"),
    ("test_hooks_return_the_types_their_specs_allow", WrongTarget, "says target=None"),
    ("test_hooks_return_the_types_their_specs_allow", EmptyDiscovery, "listed no endpoint"),
    ("test_hooks_return_the_types_their_specs_allow", UnvalidatedWrongType, "field.s. available do not have"),
    ("test_hooks_return_the_types_their_specs_allow", UnvalidatedTextTokens, "validation would change"),
    ("test_hooks_return_the_types_their_specs_allow", DictGroup, "to_model_group.*returned dict"),
    ("test_hooks_return_the_types_their_specs_allow", GroupOfAnotherProvider, r"providers=\['openai'\]"),
    ("test_hooks_return_the_types_their_specs_allow", ParamsWithoutModel, "no text 'model'"),
    ("test_hooks_return_the_types_their_specs_allow", ParamsAsList, "returned list"),
    ("test_hooks_return_the_types_their_specs_allow", LiteralApiKey, "api_key holds a value"),
    ("test_hooks_return_the_types_their_specs_allow", KeyInAHeader, "holds the credential's value"),
    ("test_not_configured_serves_the_catalog", TargetWithoutSettings, "unconfigured, /public/model_hub answered"),
    ("test_not_configured_serves_the_catalog", LiveWithoutSettings, r"entries from \{'live'\}"),
    ("test_a_hanging_upstream_ends_within_the_deadline", BlocksTheLoop, "a request took"),
    ("test_upstream_500_degrades_only_this_provider_and_hides_the_secret", KeyInTheError, "leaked in http"),
    ("test_the_secret_never_reaches_logs_or_responses", LogsTheKey, "DEBUG record of 'acme_test_plugin'"),
    ("test_the_secret_never_reaches_logs_or_responses", LogsTheKeyInBase64, "WARNING record of 'acme_test_plugin'"),
    ("test_the_secret_never_reaches_logs_or_responses", KeyInTheError, "upstream 401: http"),
]


@pytest.mark.parametrize(("check", "broken", "says"), CAUGHT, ids=[f"{c[5:]}-{b.__name__}" for c, b, _ in CAUGHT])
async def test_the_check_catches_the_broken_plugin(
    check: str, broken: type[Any], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = getattr(contract(broken()), check)
    plain = {"test_provider_info_is_a_provider_info", "test_registers_in_a_fresh_plugin_manager"}
    arguments = [] if check in plain else [monkeypatch]
    with pytest.raises(AssertionError, match=f"^{PROVIDER}: .*{says}"):
        result = run(*arguments)
        if result is not None:
            await result


def test_every_check_is_shown_to_fail() -> None:
    checks = {name for name in dir(ProviderContract) if name.startswith("test_")}
    caught = {check for check, _, _ in CAUGHT}
    assert checks == caught, f"checks without a broken plugin, or rows naming no check: {checks ^ caught}"


def test_without_configure_the_upstream_checks_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    bare = type("BareContract", (ProviderContract,), {"provider": PROVIDER, "plugin": Acme()})()
    with pytest.raises(pytest.skip.Exception, match="configure"), bare._configured(monkeypatch):
        pass


def test_secret_forms_cover_url_and_base64_encodings() -> None:
    secret = "s3cr3t/with+signs="
    forms = secret_forms(secret)
    assert "s3cr3t%2Fwith%2Bsigns%3D" in forms
    assert base64.b64encode(secret.encode()).decode().rstrip("=") in forms
    assert leaks(f"Authorization: Basic {base64.b64encode(secret.encode()).decode()}", secret)
    assert not leaks("nothing here", secret)
