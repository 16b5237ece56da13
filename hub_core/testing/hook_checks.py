"""What each hook may return, checked on one provider's raw answers (for the contract suite).

Each ``check_*`` raises ``AssertionError`` naming the provider, the hook and what to fix;
``call_hook`` calls one provider's hookimpl through pluggy, off the event loop when it is plain.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

from pydantic import BaseModel, ValidationError

from hub_core.models import Discovery, Endpoint, ModelGroup, ProviderInfo, Target
from hub_core.plugins import PluginRegistry


async def call_hook(registry: PluginRegistry, provider: str, hook: str, timeout: float, **kwargs: Any) -> Any:
    """The first result of ``provider``'s hookimpl for ``hook`` (awaited if it is a coroutine), as it is."""
    pm = registry.pm
    mine = pm.get_plugin(provider)
    caller = pm.subset_hook_caller(hook, remove_plugins=[p for p in pm.get_plugins() if p is not mine])
    results = await asyncio.wait_for(asyncio.to_thread(lambda: caller(**kwargs)), timeout)
    result = results[0] if results else None
    return await asyncio.wait_for(result, timeout) if inspect.isawaitable(result) else result


def check_provider_info(provider: str, info: Any) -> None:
    assert isinstance(info, ProviderInfo), (
        f"{provider}: provider_info returned {type(info).__name__}; return a hub_core.ProviderInfo."
    )


def check_targets(provider: str, targets: Any) -> list[Target]:
    assert isinstance(targets, list), (
        f"{provider}: configured_targets returned {type(targets).__name__}; return a list of hub_core.Target."
    )
    wrong = sorted({type(t).__name__ for t in targets if not isinstance(t, Target)})
    assert not wrong, f"{provider}: configured_targets returned {', '.join(wrong)} items; return only Target."
    names = [t.name for t in targets]
    twice = sorted({n for n in names if names.count(n) > 1})
    assert not twice, f"{provider}: configured_targets returned two targets named {twice}; give each its own name."
    return targets


def check_discovery(provider: str, target: Target, result: Any) -> list[Endpoint]:
    assert isinstance(result, (list, Discovery)), (
        f"{provider}: discover_endpoints({target.name!r}) returned {type(result).__name__}; "
        "return a list of hub_core.Endpoint or a hub_core.Discovery."
    )
    endpoints = result.endpoints if isinstance(result, Discovery) else result
    for endpoint in endpoints:
        assert isinstance(endpoint, Endpoint), (
            f"{provider}: discover_endpoints({target.name!r}) returned a {type(endpoint).__name__} item, not Endpoint."
        )
        assert endpoint.provider == provider, (
            f"{provider}: endpoint {endpoint.name!r} says provider={endpoint.provider!r}; set it to {provider!r}."
        )
        assert endpoint.target == target.name, (
            f"{provider}: endpoint {endpoint.name!r} from target {target.name!r} says target={endpoint.target!r}; "
            "set it to the target's name."
        )
        check_fields_valid(provider, f"discover_endpoints({target.name!r})", endpoint)
    return list(endpoints)


def check_fields_valid(provider: str, hook: str, model: BaseModel) -> None:
    """A model built with ``unvalidated`` (or changed after validation) holds what validation would
    give: the same fields, serialised to the same JSON."""
    try:
        again = type(model).model_validate(dict(model.__dict__))
    except ValidationError as error:
        fields = sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]})
        raise AssertionError(
            f"{provider}: {hook} returned {type(model).__name__} whose field(s) {', '.join(fields)} do not have "
            "their declared types; build it with validation, or give unvalidated() values of the right types."
        ) from None
    assert again.model_dump_json() == model.model_dump_json(), (
        f"{provider}: {hook} returned {type(model).__name__} that validation would change; "
        'give unvalidated() values of the declared types (8192, not "8192").'
    )


def check_model_group(provider: str, endpoint: Endpoint, group: Any) -> None:
    assert group is None or isinstance(group, ModelGroup), (
        f"{provider}: to_model_group({endpoint.name!r}) returned {type(group).__name__}; "
        "return a hub_core.ModelGroup, or None to hide the endpoint."
    )
    if group is not None:
        assert provider in group.providers, (
            f"{provider}: to_model_group({endpoint.name!r}) returned providers={group.providers!r}; "
            f"include {provider!r}."
        )
        check_fields_valid(provider, f"to_model_group({endpoint.name!r})", group)


def check_litellm_params(provider: str, endpoint: Endpoint, params: Any, secret: str) -> None:
    from hub_core.litellm_config import credential_problem

    assert params is None or isinstance(params, dict), (
        f"{provider}: litellm_params({endpoint.name!r}) returned {type(params).__name__}; return a dict or None."
    )
    if params is None:
        return
    assert isinstance(params.get("model"), str) and params["model"], (
        f"{provider}: litellm_params({endpoint.name!r}) has no text 'model'; LiteLLM needs one."
    )
    problem = credential_problem(params)
    assert problem is None, f"{provider}: litellm_params({endpoint.name!r}): {problem}."
    assert secret not in json.dumps(params, default=str), (
        f"{provider}: litellm_params({endpoint.name!r}) holds the credential's value; "
        "write an os.environ/NAME reference instead."
    )
