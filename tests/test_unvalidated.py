"""``unvalidated`` builds the model validation would, from values that already have their types."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hub_core import Deployment, Endpoint, ModelGroup, ServedEntity, live_model_group, unvalidated
from hub_core.views import MODEL_GROUPS

ENDPOINT = {
    "provider": "acme",
    "name": "chat",
    "target": "prod",
    "mode": "chat",
    "entities": [ServedEntity(name="m", version="1")],
    "created_at": datetime(2026, 1, 2, tzinfo=timezone.utc),
    "capabilities": {"function_calling": True},
    "raw": {"name": "chat"},
}


def test_an_endpoint_equals_the_validated_one_and_serialises_alike() -> None:
    built = unvalidated(Endpoint, **ENDPOINT)
    validated = Endpoint(**ENDPOINT)
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == set(Endpoint.model_fields)  # every field counts as set
    assert built.raw == {"name": "chat"}


def test_assignment_and_copies_behave_as_on_a_validated_model() -> None:
    first, second = unvalidated(Endpoint, provider="acme", name="a"), unvalidated(Endpoint, provider="acme", name="b")
    first.available = False
    copied = second.model_copy(update={"name": "c"})
    assert (first.available, second.available, copied.name, second.name) == (False, True, "c", "b")
    assert second.model_fields_set == set(Endpoint.model_fields)


def test_defaults_are_filled_and_factories_give_each_model_its_own() -> None:
    first, second = unvalidated(Endpoint, provider="acme", name="a"), unvalidated(Endpoint, provider="acme", name="b")
    assert first.available is True and first.mode is None and first.entities == []
    assert first.entities is not second.entities and first.raw is not second.raw
    first.entities.append(ServedEntity(name="x"))
    assert second.entities == []


def test_unknown_and_missing_fields_are_type_errors() -> None:
    with pytest.raises(TypeError, match=r"Endpoint has no field.* colour"):
        unvalidated(Endpoint, provider="acme", name="a", colour="red")
    with pytest.raises(TypeError, match="Deployment needs the field 'endpoint_name'"):
        unvalidated(Deployment, target="prod")


@pytest.mark.parametrize(
    ("fields", "params"),
    [
        ({"mode": "chat", "supports_function_calling": True}, ["tools", "tool_choice"]),
        ({"mode": "completion"}, []),
        ({"mode": "unknown"}, None),
        ({"mode": "embedding", "supported_openai_params": ["dimensions"]}, None),
    ],
)
def test_a_model_group_follows_the_models_own_rules(fields: dict[str, object], params: list[str] | None) -> None:
    built = unvalidated(ModelGroup, model_group="acme/x", providers=["acme"], **fields)
    validated = ModelGroup(model_group="acme/x", providers=["acme"], **fields)
    assert built == validated
    assert MODEL_GROUPS.dump_json([built]) == MODEL_GROUPS.dump_json([validated])
    if fields["mode"] == "unknown":
        assert built.mode is None
    if params:
        assert set(params) <= set(built.supported_openai_params or [])


def test_live_model_group_without_validation_matches_with_it() -> None:
    endpoint = Endpoint(**ENDPOINT, state="NOT_READY", available=False, state_reason="UPDATE_FAILED", cost_per_hour=2.5)
    fields = {"mode": "chat", "max_input_tokens": 8192, "input_cost_per_token": 1e-6, "supports_vision": True}
    fast = live_model_group(endpoint, model_group="acme/chat", providers=["acme"], validate=False, **fields)
    slow = live_model_group(endpoint, model_group="acme/chat", providers=["acme"], **fields)
    assert fast == slow
    assert MODEL_GROUPS.dump_json([fast]) == MODEL_GROUPS.dump_json([slow])
    assert fast.entities is not endpoint.entities  # its own list


def test_live_model_group_refuses_a_field_it_sets_itself() -> None:
    endpoint = Endpoint(**ENDPOINT)
    for validate in (True, False):
        with pytest.raises(TypeError, match="multiple values"):
            live_model_group(endpoint, model_group="acme/chat", providers=["acme"], validate=validate, state="X")


def test_the_merge_builds_each_deployment_with_every_field_in_order() -> None:
    from hub_core.conversion import _deployment

    endpoint = unvalidated(Endpoint, **ENDPOINT, region="eu", sku="s", capacity=2)
    group = live_model_group(endpoint, model_group="acme/chat", providers=["acme"], cost_per_hour=1.5)
    built = _deployment(endpoint, group)
    assert list(built.__dict__) == list(Deployment.model_fields)  # a new Deployment field must be set here
    assert built == Deployment.model_validate(built.model_dump())
    assert (built.endpoint_name, built.region, built.capacity, built.cost_per_hour) == ("chat", "eu", 2, 1.5)
