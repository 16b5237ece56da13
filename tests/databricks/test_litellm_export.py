"""Databricks endpoints -> LiteLLM deployments: api_base per workspace, credentials named, never copied."""

from __future__ import annotations

import pytest
from databricks_hubs import databricks_hub

from hub_core.litellm_config import litellm_model_list
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

CHAT = "databricks/databricks-meta-llama-3-3-70b-instruct"


async def test_pat_from_the_environment_is_referenced_by_its_variable(pat_env: FakeWorkspace):
    result = await litellm_model_list(databricks_hub(), "databricks")
    deployments = {d.model_name: d for d in result.model_list}
    chat = deployments[CHAT]
    assert chat.litellm_params == {
        "model": CHAT,
        "api_base": f"{pat_env.url}/serving-endpoints",
        "api_key": "os.environ/DATABRICKS_TOKEN",
    }
    assert chat.model_info["id"] == "hub-core:databricks:default:databricks-meta-llama-3-3-70b-instruct"
    assert chat.model_info["mode"] == "chat" and chat.model_info["max_input_tokens"] > 0
    assert deployments["databricks/databricks-gte-large-en"].model_info["mode"] == "embedding"
    reasons = {i.endpoint: i.reason for i in result.left_out}
    assert reasons["fraud-scorer"] == "not available (UPDATE_FAILED)"
    assert reasons["churn-classifier-uc"] == "the provider does not export untyped endpoints"
    assert reasons["openai-gpt-35-turbo-instruct"] == "the provider does not export completion endpoints"
    assert reasons["agents-support-assistant"] == "the provider does not export responses endpoints"
    assert DEFAULT_PAT not in result.model_dump_json()


async def test_one_deployment_per_workspace_each_with_its_own_base_and_variable(monkeypatch: pytest.MonkeyPatch):
    with FakeWorkspace(rich_workspace()) as east, FakeWorkspace(rich_workspace()) as west:
        monkeypatch.setenv("EAST_PAT", DEFAULT_PAT)
        monkeypatch.setenv("WEST_PAT", DEFAULT_PAT)
        workspaces = [
            {"name": "east", "host": east.url, "auth": "pat", "token_env": "EAST_PAT"},
            {"name": "west", "host": west.url, "auth": "pat", "token_env": "WEST_PAT"},
        ]
        result = await litellm_model_list(databricks_hub(providers={"databricks": {"workspaces": workspaces}}))
    chat = [d for d in result.model_list if d.model_name == CHAT]
    assert [(d.model_info["hub_target"], d.litellm_params["api_base"], d.litellm_params["api_key"]) for d in chat] == [
        ("east", f"{east.url}/serving-endpoints", "os.environ/EAST_PAT"),
        ("west", f"{west.url}/serving-endpoints", "os.environ/WEST_PAT"),
    ]
    assert len({d.model_info["id"] for d in result.model_list}) == len(result.model_list)


async def test_oauth_m2m_from_the_standard_variables_has_no_key(m2m_env: FakeWorkspace):
    result = await litellm_model_list(databricks_hub(), "databricks")
    chat = next(d for d in result.model_list if d.model_name == CHAT)
    assert chat.litellm_params == {"model": CHAT, "api_base": f"{m2m_env.url}/serving-endpoints"}


async def test_oauth_m2m_under_other_variable_names_is_left_out_with_the_fix(
    fake: FakeWorkspace, monkeypatch: pytest.MonkeyPatch
):
    from .conftest import CLIENT_ID, CLIENT_SECRET

    monkeypatch.setenv("PROD_SP_SECRET", CLIENT_SECRET)
    workspaces = [
        {"name": "prod", "host": fake.url, "auth": "oauth-m2m", "client_id": CLIENT_ID,
         "client_secret_env": "PROD_SP_SECRET"},
    ]  # fmt: skip
    result = await litellm_model_list(databricks_hub(providers={"databricks": {"workspaces": workspaces}}))
    assert result.model_list == []
    reason = next(i.reason for i in result.left_out if i.endpoint and i.endpoint.endswith("70b-instruct"))
    assert "DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET" in reason and "PROD_SP_SECRET" in reason
    assert CLIENT_SECRET not in result.model_dump_json()
