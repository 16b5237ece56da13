"""Raw endpoint JSON -> Endpoint -> model group, over the fake's rich workspace."""

from __future__ import annotations

import copy

import pytest

from hub_core.testing import bundled_catalog
from hub_core.testing.hook_checks import check_fields_valid
from hub_databricks.convert import to_model_group
from hub_databricks.parse import parse_endpoints
from hub_databricks.testing import fixture, many_endpoints, rich_workspace

HOST = "https://example.cloud.databricks.com"


def groups_by_name(items):
    endpoints = parse_endpoints(items, target="default", host=HOST)
    return {
        g.model_group.removeprefix("databricks/"): g for g in (to_model_group(e, bundled_catalog()) for e in endpoints)
    }


@pytest.fixture(scope="module")
def rich():
    return groups_by_name(rich_workspace())


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("databricks-claude-sonnet-4-5", "chat"),
        ("databricks-gte-large-en", "embedding"),
        ("databricks-bge-large-en", "embedding"),
        ("openai-gpt-4o", "chat"),
        ("azure-text-embedding-3-large", "embedding"),
        ("openai-gpt-35-turbo-instruct", "completion"),
        ("anthropic-claude-sonnet", "chat"),
        ("churn-classifier-uc", None),
        ("fraud-scorer", None),
        ("ft-llama-support-bot", "chat"),
        ("agents-support-assistant", "responses"),
    ],
)
def test_modes_come_from_the_task(rich, name, mode):
    assert rich[name].mode == mode


def test_names_urls_and_providers(rich):
    group = rich["openai-gpt-4o"]
    assert group.model_group == "databricks/openai-gpt-4o"
    assert group.providers == ["databricks"]
    assert group.endpoint_url == f"{HOST}/serving-endpoints/openai-gpt-4o/invocations"
    assert group.source == "live" and group.served_by == "external_model"


def test_live_capabilities_win(rich):
    sonnet = rich["databricks-claude-sonnet-4-5"]
    assert sonnet.supports_function_calling and sonnet.supports_vision
    assert sonnet.display_name == "Claude Sonnet 4.5" and sonnet.description


def test_live_false_capability_overrides_catalog():
    [item] = [copy.deepcopy(e) for e in rich_workspace() if e["name"] == "databricks-claude-sonnet-4-5"]
    item["capabilities"] = {"function_calling": False}
    group = groups_by_name([item])["databricks-claude-sonnet-4-5"]
    assert group.supports_function_calling is False  # the catalog says True; the live endpoint says no


def test_external_model_uses_upstream_catalog_entry(rich):
    gpt4o = rich["openai-gpt-4o"]
    catalog_entry = bundled_catalog().get("gpt-4o")
    assert catalog_entry is not None
    assert gpt4o.supports_function_calling is True
    assert gpt4o.max_input_tokens == catalog_entry["max_input_tokens"]
    assert gpt4o.input_cost_per_token == catalog_entry["input_cost_per_token"]


def test_token_limits_from_own_catalog_entry(rich):
    entry = bundled_catalog().get("databricks/databricks-gte-large-en")
    assert entry is not None
    assert rich["databricks-gte-large-en"].max_input_tokens == entry["max_input_tokens"]


def test_custom_model_without_task_is_not_chat_and_keeps_uc_entity(rich):
    churn = rich["churn-classifier-uc"]
    assert churn.mode is None and churn.served_by == "custom_model"
    assert churn.entities[0].name == "main.ml.churn_classifier" and churn.entities[0].version == "3"
    assert churn.display_name == "main.ml.churn_classifier v3"
    assert not churn.supports_function_calling


def test_states(rich):
    failed = rich["fraud-scorer"]
    assert (failed.available, failed.state, failed.state_reason) == (False, "NOT_READY", "UPDATE_FAILED")
    cancelled = rich["openai-completions"]
    assert (cancelled.available, cancelled.state_reason) == (False, "UPDATE_CANCELED")
    updating = rich["ft-llama-support-bot"]
    assert updating.available is True and updating.state == "READY"


def test_agent_endpoint(rich):
    agent = rich["agents-support-assistant"]
    assert agent.served_by == "agent" and agent.mode == "responses"


def test_documented_fields_only_fixture():
    items = fixture("list_documented_fields_only.json")["endpoints"]
    groups = groups_by_name(items)
    assert len(groups) == len(items)
    assert all(g.model_group.startswith("databricks/") for g in groups.values())


MUTATIONS = [
        lambda e: e.update(state={"ready": "SOMETHING_NEW", "config_update": 42}),
        lambda e: e.update(task=123),
        lambda e: e.update(config="not a dict"),
        lambda e: e.update(capabilities=["function_calling"]),
        lambda e: e.update(creation_timestamp="yesterday"),
        lambda e: e.pop("state"),
        lambda e: e.update(config={"served_entities": [None, 5, {"foundation_model": "x"}]}),
        lambda e: e.update(endpoint_type=None, tags="oops"),
        lambda e: e.update(config={"served_entities": [{"entity_name": "m", "entity_version": True}]}),
        lambda e: e.update(config={"served_entities": [{"entity_name": 7, "entity_version": 2.5}]}, task=None),
        lambda e: e.update(capabilities={"function_calling": "yes", "vision": True}, last_updated_timestamp=1e20),
]


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_unknown_values_and_wrong_types_never_fail_the_list(mutation):
    items = rich_workspace()
    mutation(items[0])
    groups = groups_by_name(items)
    assert len(groups) == len(items)


def test_malformed_endpoints_are_skipped_and_logged(caplog):
    items = [*rich_workspace(), {"no": "name"}, "not an object", {"name": ""}, {"name": 5}]
    groups = groups_by_name(items)
    assert len(groups) == len(rich_workspace())
    assert sum("skipped" in r.getMessage() for r in caplog.records) == 4


def test_numeric_string_timestamps():
    [endpoint] = parse_endpoints([{"name": "x", "creation_timestamp": "1700000000000"}], target="d", host=HOST)
    assert endpoint.created_at is not None and endpoint.created_at.year == 2023


def test_many_endpoints_convert():
    groups = groups_by_name(many_endpoints(500))
    assert len(groups) == 500


@pytest.mark.parametrize("mutation", [None, *MUTATIONS])
def test_what_the_parse_and_conversion_build_unvalidated_is_what_validation_gives(mutation):
    """Endpoints and groups are built without pydantic's validation: every field must still hold
    its declared type, whatever the workspace sent."""
    items = [*rich_workspace(), *fixture("list_documented_fields_only.json")["endpoints"], *many_endpoints(50)]
    if mutation is not None:
        for item in items:
            mutation(item)
    endpoints = parse_endpoints(items, target="default", host=HOST)
    assert endpoints
    for endpoint in endpoints:
        check_fields_valid("databricks", "parse", endpoint)
        check_fields_valid("databricks", "to_model_group", to_model_group(endpoint, bundled_catalog()))
