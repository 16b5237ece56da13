"""Discovered endpoints -> LiteLLM ``model_list`` deployments.

One deployment per available endpoint: a model group served in several targets
(workspaces) becomes several deployments under one ``model_name``, which LiteLLM's
router load-balances. The provider's ``litellm_params`` hook says how to call an
endpoint; this module names the deployment, adds what the hub knows about the model
(``model_info``) and refuses any deployment that carries a credential value rather
than an ``os.environ/NAME`` reference.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, TypeAdapter

from hub_core.codec import CHUNK
from hub_core.errors import HubError
from hub_core.gcpause import without_gc
from hub_core.models import Endpoint, ModelGroup, Target
from hub_core.views import dump_in_chunks

if TYPE_CHECKING:
    from hub_core.freshness import Freshness
    from hub_core.hub import Hub
    from hub_core.views import ProviderView

logger = logging.getLogger("hub_core.litellm_config")

HOOK = "litellm_params"
ENV_REFERENCE = "os.environ/"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# api_key, client_secret, aws_secret_access_key, aws_session_token, vertex_credentials, azure_password, ...
CREDENTIAL_KEY = re.compile(r"(key|token|credentials?)$|secret|password", re.IGNORECASE)
URL_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@]*@", re.IGNORECASE)
ID_PREFIX = "hub-core"
MEMO = "litellm_model_list"  # the export's name on a provider's view (and in its ETag)
# ModelGroup fields that LiteLLM's ModelInfo reads (costs, limits, capabilities).
MODEL_INFO_FIELDS = (
    "mode",
    "max_input_tokens",
    "max_output_tokens",
    "input_cost_per_token",
    "output_cost_per_token",
    "supports_function_calling",
    "supports_parallel_function_calling",
    "supports_vision",
    "supports_reasoning",
)


class LiteLLMDeployment(BaseModel):
    """One entry of LiteLLM's ``model_list``."""

    model_name: str = Field(description="The hub's model group; what a client sends as `model`.")
    litellm_params: dict[str, Any]
    model_info: dict[str, Any]


class LeftOut(BaseModel):
    """An endpoint, or a whole provider, that is not in the export, and why."""

    provider: str
    target: str | None = None
    endpoint: str | None = None
    reason: str


class LiteLLMModelList(BaseModel):
    """The body of ``/public/<provider>/litellm_model_list`` and of ``hub export litellm-config --json``."""

    model_list: list[LiteLLMDeployment] = Field(default_factory=list)
    left_out: list[LeftOut] = Field(default_factory=list)


DEPLOYMENTS = TypeAdapter(list[LiteLLMDeployment])
LEFT_OUT = TypeAdapter(list[LeftOut])


def deployment_id(provider: str, target: str | None, endpoint: str) -> str:
    """A stable ``model_info.id``: the same endpoint always gets the same deployment id."""
    return f"{ID_PREFIX}:{provider}:{target or '-'}:{endpoint}"


def credential_problem(params: Any, path: str = "litellm_params") -> str | None:
    """Why ``params`` may not be exported (a credential value, not a reference), or None.

    The answer names the key, never its value.
    """
    if isinstance(params, dict):
        for key, value in params.items():
            where = f"{path}.{key}"
            if isinstance(value, (dict, list)):
                problem = credential_problem(value, where)
                if problem:
                    return problem
            elif isinstance(value, str) and CREDENTIAL_KEY.search(str(key)) and not is_env_reference(value):
                return f"{where} holds a value; write an {ENV_REFERENCE}NAME reference instead"
            elif isinstance(value, str) and URL_USERINFO.match(value):
                return f"{where} is a URL with credentials in it"
    elif isinstance(params, list):
        for index, item in enumerate(params):
            problem = credential_problem(item, f"{path}[{index}]")
            if problem:
                return problem
    return None


def is_env_reference(value: str) -> bool:
    return value.startswith(ENV_REFERENCE) and bool(ENV_NAME.match(value[len(ENV_REFERENCE) :]))


def model_info(provider: str, group: ModelGroup, endpoint: Endpoint) -> dict[str, Any]:
    info: dict[str, Any] = {"id": deployment_id(provider, endpoint.target, endpoint.name)}
    for name in MODEL_INFO_FIELDS:
        value = getattr(group, name)
        if value is not None and value is not False:
            info[name] = value
    info["hub_provider"] = provider
    if endpoint.target is not None:
        info["hub_target"] = endpoint.target
    info["hub_endpoint"] = endpoint.name
    return info


async def litellm_model_list(hub: Hub, provider: str | None = None) -> LiteLLMModelList:
    """The available endpoints of ``provider`` (or of every loaded provider) as LiteLLM deployments.

    With ``provider`` given, a provider that cannot be served raises its ``HubError``;
    without it, such a provider is listed in ``left_out``. The deployments are made once
    per refresh and shared by every caller until the next one: read them, do not change them.
    """
    result = LiteLLMModelList()
    names = [provider] if provider is not None else hub.registry.loaded()
    for name in names:
        try:
            export = await provider_export(hub, name)
        except HubError as error:
            if provider is not None:
                raise
            result.left_out.append(LeftOut(provider=name, reason=error.message))
            continue
        result.model_list.extend(export.model_list)
        result.left_out.extend(export.left_out)
    if len(names) > 1:  # each provider's list is sorted already
        result.model_list = await asyncio.to_thread(sorted, result.model_list, key=_order)
    return result


async def litellm_model_list_body(hub: Hub, provider: str) -> tuple[bytes, Freshness | None]:
    """``/public/<provider>/litellm_model_list`` as bytes made once per refresh, and how fresh they are.

    No freshness when there is no discovered data behind the answer (the provider has no hook).
    """
    export, view = await _export_and_view(hub, provider)
    if view is None:
        return export.body, None
    return export.body, hub.freshness([view]).variant(MEMO)


@dataclass(frozen=True)
class ProviderExport:
    """One provider's deployments (sorted), what it left out, and both serialised as a ``LiteLLMModelList``."""

    model_list: list[LiteLLMDeployment]
    left_out: list[LeftOut]
    body: bytes


async def provider_export(hub: Hub, provider: str) -> ProviderExport:
    """The provider's export, built once per refresh of its data: the data is walked, checked and
    serialised in worker threads, a plain hook is called there too, an ``async def`` one on the loop."""
    return (await _export_and_view(hub, provider))[0]


async def _export_and_view(hub: Hub, provider: str) -> tuple[ProviderExport, ProviderView | None]:
    hub.require(provider)
    if not hub.registry.implements(provider, HOOK):
        reason = f"provider {provider!r} has no {HOOK} hook, so it cannot export"
        return _finished([], [LeftOut(provider=provider, reason=reason)]), None
    view = await hub.view(provider)
    if view.source != "live":
        reason = "not configured: it serves the bundled catalog, nothing deployed"
        return _finished([], [LeftOut(provider=provider, reason=reason)]), view
    targets = {t.name: t for t in await hub.targets(provider)}
    # Kept on the view (so it goes with the view), and holding no reference back to it.
    return await view.built(MEMO, lambda: _build(hub, provider, view, targets)), view


async def _build(hub: Hub, provider: str, view: ProviderView, targets: dict[str, Target]) -> ProviderExport:
    steps, calls = await asyncio.to_thread(without_gc, _call_hooks, hub, provider, view, targets)
    try:
        for count, (index, pending) in enumerate(calls, 1):  # async def hooks run here, on the event loop
            step = steps[index]
            assert not isinstance(step, LeftOut)  # only hook calls are awaited
            group, endpoint, _ = step
            try:
                steps[index] = (group, endpoint, await pending)
            except Exception as error:
                steps[index] = (group, endpoint, error)
            if count % CHUNK == 0:
                await asyncio.sleep(0)  # let other requests in between
    finally:
        for _, pending in calls:  # cancelled part-way: no coroutine left never awaited
            if inspect.iscoroutine(pending):
                pending.close()
    return await asyncio.to_thread(without_gc, _finish, provider, steps)


# One step per endpoint of the view, in order: (group, endpoint, the hook's answer), or the
# endpoint's LeftOut. The answer is params, an exception the hook raised, or an awaitable.
Step = tuple[ModelGroup, Endpoint, Any] | LeftOut


def _call_hooks(
    hub: Hub, provider: str, view: ProviderView, targets: dict[str, Target]
) -> tuple[list[Step], list[tuple[int, Awaitable[Any]]]]:
    """In a worker thread: the view's endpoints in order, with a plain hook's answer for each.

    An ``async def`` hook's answer is a coroutine, not yet started: it is run by the caller."""
    hooks = hub.registry.hooks(provider)
    endpoints = {(e.target, e.name): e for e in view.endpoints}
    steps: list[Step] = []
    calls: list[tuple[int, Awaitable[Any]]] = []
    for group in view.groups:
        for deployment in group.deployments:
            endpoint = endpoints.get((deployment.target, deployment.endpoint_name))
            if endpoint is None:
                continue
            if not deployment.available:
                reason = f"not available ({deployment.state_reason or deployment.state or 'not ready'})"
                steps.append(_left_out(endpoint, reason))
                continue
            target = targets.get(endpoint.target or "")
            if target is None:
                steps.append(_left_out(endpoint, "its target is no longer configured"))
                continue
            try:
                answer = hooks.litellm_params(endpoint, target)
            except Exception as error:
                answer = error
            if inspect.isawaitable(answer):
                calls.append((len(steps), answer))
            steps.append((group, endpoint, answer))
    return steps, calls


def _finish(provider: str, steps: list[Step]) -> ProviderExport:
    """In a worker thread: check each answer, make the deployments, sort and serialise."""
    model_list: list[LiteLLMDeployment] = []
    left_out: list[LeftOut] = []
    for step in steps:
        made = step if isinstance(step, LeftOut) else _deployment(provider, *step)
        if isinstance(made, LeftOut):
            left_out.append(made)
        else:
            model_list.append(made)
    model_list.sort(key=_order)
    return _finished(model_list, left_out)


def _finished(model_list: list[LiteLLMDeployment], left_out: list[LeftOut]) -> ProviderExport:
    body = (
        b'{"model_list":'
        + dump_in_chunks(DEPLOYMENTS, model_list)
        + b',"left_out":'
        + dump_in_chunks(LEFT_OUT, left_out)
        + b"}"
    )
    return ProviderExport(model_list, left_out, body)


def _order(deployment: LiteLLMDeployment) -> tuple[str, str]:
    return deployment.model_name, str(deployment.model_info.get("hub_target"))


def _deployment(provider: str, group: ModelGroup, endpoint: Endpoint, params: Any) -> LiteLLMDeployment | LeftOut:
    if isinstance(params, HubError):
        return _left_out(endpoint, params.message)
    if isinstance(params, Exception):  # a plugin bug leaves out that endpoint only
        logger.error(
            "Provider %r failed to give LiteLLM parameters for %r",
            provider,
            endpoint.name,
            exc_info=(type(params), params, params.__traceback__),
        )
        return _left_out(endpoint, f"the provider's {HOOK} hook failed: {type(params).__name__}")
    if params is None:
        return _left_out(endpoint, f"the provider does not export {endpoint.mode or 'untyped'} endpoints")
    if not isinstance(params, dict) or not isinstance(params.get("model"), str) or not params["model"]:
        logger.error("Provider %r: %s returned no 'model' for %r", provider, HOOK, endpoint.name)
        return _left_out(endpoint, f"the provider's {HOOK} hook returned no 'model'")
    problem = credential_problem(params)
    if problem:
        logger.error("Provider %r: refused the LiteLLM deployment of %r: %s", provider, endpoint.name, problem)
        return _left_out(endpoint, f"refused: {problem}")
    return LiteLLMDeployment(
        model_name=group.model_group, litellm_params=dict(params), model_info=model_info(provider, group, endpoint)
    )


def _left_out(endpoint: Endpoint, reason: str) -> LeftOut:
    return LeftOut(provider=endpoint.provider, target=endpoint.target, endpoint=endpoint.name, reason=reason)


def to_yaml(model_list: LiteLLMModelList) -> str:
    """A LiteLLM config file holding ``model_list``; what was left out is listed in comments.

    Every scalar is written as JSON, which YAML reads as the same value, so no quoting
    rule of YAML can change a name or a URL.
    """
    lines = ["# LiteLLM model_list made by `hub export litellm-config`."]
    lines += [
        f"# left out: {_comment(' '.join(filter(None, [item.provider, item.target, item.endpoint])))}: "
        f"{_comment(item.reason)}"
        for item in model_list.left_out
    ]
    if not model_list.model_list:
        lines.append("model_list: []")
        return "\n".join(lines) + "\n"
    lines.append("model_list:")
    for deployment in model_list.model_list:
        lines.append(f"  - model_name: {json.dumps(deployment.model_name)}")
        for section in ("litellm_params", "model_info"):
            lines.append(f"    {section}:")
            for key, value in getattr(deployment, section).items():
                lines.append(f"      {json.dumps(key)}: {_scalar(value)}")
    return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    return " ".join(text.split())


def _scalar(value: Any) -> str:
    """JSON, except that a float in exponent form gets a '.', without which PyYAML reads a string."""
    if isinstance(value, float):
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"
        return text
    return json.dumps(value)
