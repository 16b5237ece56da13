"""The `hub` command, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace


def hub(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", **env}
    return subprocess.run(
        [sys.executable, "-m", "hub_core", *args], capture_output=True, text=True, env=environment, timeout=60
    )


def test_models_json_from_the_catalog_has_correct_modes():
    result = hub("models", "--provider", "databricks", "--json")
    assert result.returncode == 0, result.stderr
    modes = {g["model_group"]: g["mode"] for g in json.loads(result.stdout)}
    assert modes["databricks/databricks-bge-large-en"] == "embedding"
    assert modes["databricks/databricks-claude-sonnet-4-5"] == "chat"


def test_providers_table_lists_databricks_with_version():
    result = hub("providers")
    assert result.returncode == 0, result.stderr
    assert "databricks" in result.stdout and "0.1.0" in result.stdout


def test_endpoints_table_against_the_fake_workspace():
    with FakeWorkspace(rich_workspace()) as fake:
        result = hub("endpoints", "databricks", DATABRICKS_HOST=fake.url, DATABRICKS_TOKEN=DEFAULT_PAT)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[2:] if line.strip()}
    assert "embedding" in lines["databricks-gte-large-en"] and "foundation_model" in lines["databricks-gte-large-en"]
    assert "external_model" in lines["openai-gpt-4o"]
    assert "custom_model" in lines["churn-classifier-uc"]
    assert "NOT_READY (UPDATE_FAILED)" in lines["fraud-scorer"]


def test_unknown_provider_is_one_line_and_nonzero():
    result = hub("endpoints", "nope")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: No provider named 'nope'")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_bad_settings_are_one_line(tmp_path):
    result = hub("providers", HUB_CONFIG=str(tmp_path / "missing.toml"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "HUB_CONFIG" in result.stderr
    bad = hub("providers", HUB_CACHE_TTL="soon")
    assert bad.returncode == 1 and "cache_ttl" in bad.stderr and "Traceback" not in bad.stderr


def test_ambiguous_databricks_auth_is_reported_not_picked():
    with FakeWorkspace(rich_workspace()) as fake:
        result = hub(
            "endpoints", "databricks", DATABRICKS_HOST=fake.url, DATABRICKS_TOKEN=DEFAULT_PAT,
            DATABRICKS_CLIENT_ID="id", DATABRICKS_CLIENT_SECRET="secret",
        )  # fmt: skip
    assert result.returncode == 1
    assert "More than one Databricks auth method" in result.stderr and "HUB_DATABRICKS_AUTH" in result.stderr


def test_export_litellm_config_is_yaml_with_references_and_reasons(tmp_path):
    import yaml

    with FakeWorkspace(rich_workspace()) as fake:
        result = hub("export", "litellm-config", DATABRICKS_HOST=fake.url, DATABRICKS_TOKEN=DEFAULT_PAT)
        written = hub(
            "export", "litellm-config", "--json", "-o", str(tmp_path / "list.json"),
            DATABRICKS_HOST=fake.url, DATABRICKS_TOKEN=DEFAULT_PAT,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    name = "databricks/databricks-meta-llama-3-3-70b-instruct"
    chat = next(d for d in config["model_list"] if d["model_name"] == name)
    assert chat["litellm_params"] == {
        "model": "databricks/databricks-meta-llama-3-3-70b-instruct",
        "api_base": f"{fake.url}/serving-endpoints",
        "api_key": "os.environ/DATABRICKS_TOKEN",
    }
    assert "left out: databricks default fraud-scorer: not available (UPDATE_FAILED)" in result.stderr
    assert DEFAULT_PAT not in result.stdout + result.stderr
    assert written.returncode == 0, written.stderr
    saved = json.loads((tmp_path / "list.json").read_text())
    assert [d["model_name"] for d in saved["model_list"]] == [d["model_name"] for d in config["model_list"]]
    assert f"wrote {len(saved['model_list'])} deployments" in written.stderr


def test_export_litellm_config_of_an_unknown_provider_is_one_line():
    result = hub("export", "litellm-config", "--provider", "nope")
    assert result.returncode == 1 and result.stderr.strip().startswith("error: No provider named 'nope'")


def without_fetch_times(data: object) -> object:
    """The JSON with every ``fetched_at`` dropped: two processes fetch the list at different times."""
    if isinstance(data, dict):
        return {k: without_fetch_times(v) for k, v in data.items() if k != "fetched_at"}
    if isinstance(data, list):
        return [without_fetch_times(item) for item in data]
    return data


JSON_ROUTES = [
    (("providers",), "/public/providers"),
    (("endpoints", "databricks"), "/public/databricks/endpoints"),
    (("models",), "/public/model_hub"),
    (("models", "--provider", "databricks"), "/public/model_hub?provider=databricks"),
    (("export", "litellm-config", "--provider", "databricks"), "/public/databricks/litellm_model_list"),
]


async def test_json_output_is_the_routes_json(workspace):
    """docs/running.md#the-hub-command names these pairs; hub check and the all-provider export have no route."""
    from hub_core.hub import Hub
    from hub_core.testing import app_client

    async with app_client(Hub.from_settings()) as client:
        for args, route in JSON_ROUTES:
            result = hub(*args, "--json")
            assert result.returncode == 0, result.stderr
            answer = await client.get(route)
            assert answer.status_code == 200, answer.text
            assert without_fetch_times(json.loads(result.stdout)) == without_fetch_times(answer.json()), args
