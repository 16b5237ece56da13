"""The legacy ``serving_endpoints`` shape redacts secret values and keeps names.

Every field the Databricks API (SDK 0.162 ``service/serving.py``) documents as a secret, its
``*_plaintext`` twin, custom-provider auth, header maps and environment variables carry a
distinctive value; none may reach the response, while the names around them stay readable.
"""

from __future__ import annotations

from typing import Any

import pytest
from databricks_hubs import databricks_hub

from hub_core.testing import app_client
from hub_databricks.routes import REDACTED, redact, secret_field
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace

SECRET = "LEAK-ME-{}"
DOCUMENTED = {
    "openai_config": ["openai_api_key", "microsoft_entra_client_secret"],
    "anthropic_config": ["anthropic_api_key"],
    "amazon_bedrock_config": ["aws_access_key_id", "aws_secret_access_key"],
    "cohere_config": ["cohere_api_key"],
    "databricks_model_serving_config": ["databricks_api_token"],
    "google_cloud_vertex_ai_config": ["private_key"],
    "ai21labs_config": ["ai21labs_api_key"],
    "palm_config": ["palm_api_key"],
}
KEPT = {
    "microsoft_entra_client_id": "entra-client-id",
    "uc_service_credential_name": "bedrock-credential",
    "instance_profile_arn": "arn:aws:iam::1:instance-profile/x",
    "openai_api_type": "azure",
    "aws_region": "us-east-1",
}


def _secrets() -> list[str]:
    return [SECRET.format(i) for i in range(200)]


def _served_entities() -> list[dict[str, Any]]:
    counter = iter(_secrets())
    entities: list[dict[str, Any]] = []
    for block, fields in DOCUMENTED.items():
        config: dict[str, Any] = dict(KEPT)
        for field in fields:
            config[field] = next(counter)
            config[f"{field}_plaintext"] = next(counter)
        entities.append({"name": block, "external_model": {"provider": "x", "name": "m", block: config}})
    custom = {
        "custom_provider_url": "https://llm.example/v1",
        "api_key_auth": {"key": "X-Api-Key", "value": next(counter), "value_plaintext": next(counter)},
        "bearer_token_auth": {"token": next(counter), "token_plaintext": next(counter)},
        "headers": {"Authorization": f"Bearer {next(counter)}", "X-Custom": next(counter)},
    }
    external = {"provider": "custom", "name": "c", "custom_provider_config": custom}
    entities.append({"name": "custom", "external_model": external})
    entities.append(
        {
            "name": "uc",
            "entity_name": "main.models.m",
            "environment_vars": {"OPENAI_API_KEY": "{{secrets/scope/" + next(counter) + "}}", "PLAIN": next(counter)},
            "unknown_future": {"session_cookie": next(counter), "refresh_token": [next(counter)], "note": "keep me"},
        }
    )
    return entities


def _walk_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _walk_keys(v)}
    return set()


def test_every_documented_secret_and_its_plaintext_twin_is_redacted():
    entities = _served_entities()
    out = redact(entities)
    text = repr(out)
    leaks = [s for s in _secrets() if s in text]
    assert leaks == [], leaks
    assert _walk_keys(out) == _walk_keys(entities), "every name is kept"
    for name, value in KEPT.items():
        assert text.count(repr(value)) == len(DOCUMENTED), name
    custom = out[len(DOCUMENTED)]["external_model"]["custom_provider_config"]
    assert custom["api_key_auth"] == {"key": "X-Api-Key", "value": REDACTED, "value_plaintext": REDACTED}
    assert custom["headers"] == {"Authorization": REDACTED, "X-Custom": REDACTED}
    assert custom["custom_provider_url"] == "https://llm.example/v1"
    uc = out[-1]
    assert uc["environment_vars"] == {"OPENAI_API_KEY": REDACTED, "PLAIN": REDACTED}
    assert uc["unknown_future"]["note"] == "keep me" and uc["entity_name"] == "main.models.m"


@pytest.mark.parametrize(
    "name",
    ["openai_api_key", "value_plaintext", "token_plaintext", "some_new_plaintext", "mistral_api_key",
     "client_secret", "password", "Authorization", "refresh_token"],
)  # fmt: skip
def test_secret_names(name):
    assert secret_field(name)


@pytest.mark.parametrize(
    "name",
    ["key", "value", "uc_service_credential_name", "microsoft_entra_client_id", "max_tokens", "entity_name",
     "openai_api_base", "tokens"],
)  # fmt: skip
def test_names_that_are_not_secrets(name):
    assert not secret_field(name)


async def test_the_legacy_route_shows_no_secret_value(monkeypatch):
    entities = _served_entities()
    endpoint = {
        "name": "external-everything",
        "task": "llm/v1/chat",
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
        "config": {"served_entities": entities, "served_models": entities},
    }
    with FakeWorkspace([endpoint]) as fake:
        monkeypatch.setenv("DATABRICKS_HOST", fake.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
        async with app_client(databricks_hub()) as client:
            response = await client.get("/public/databricks/serving_endpoints")
    assert response.status_code == 200
    assert [s for s in _secrets() if s in response.text] == []
    served = response.json()["endpoints"][0]["config"]["served_entities"]
    assert served[len(DOCUMENTED)]["external_model"]["custom_provider_config"]["api_key_auth"]["key"] == "X-Api-Key"
    assert "bedrock-credential" in response.text


URL_SECRETS = ("proxy-user", "Pr0xy-Passw0rd", "Query-Key-77aa", "Sas-Sig-88bb")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://proxy-user:Pr0xy-Passw0rd@proxy.example/v1", "https://***@proxy.example/v1"),
        ("https://Pr0xy-Passw0rd@proxy.example", "https://***@proxy.example"),
        (
            "https://proxy.example/v1?api-key=Query-Key-77aa&api-version=2024-02-01",
            "https://proxy.example/v1?api-key=[REDACTED]&api-version=2024-02-01",
        ),
        ("https://blob.example/x?sv=1&sig=Sas-Sig-88bb#frag", "https://blob.example/x?sv=1&sig=[REDACTED]#frag"),
        ("https://api.openai.example/v1", "https://api.openai.example/v1"),
    ],
)
def test_credentials_inside_url_values_are_redacted(url, shown):
    config = {"openai_config": {"openai_api_base": url}, "custom_provider_config": {"custom_provider_url": [url]}}
    redacted = redact({"external_model": config})["external_model"]
    assert redacted["openai_config"]["openai_api_base"] == shown
    assert redacted["custom_provider_config"]["custom_provider_url"] == [shown]
    assert not any(s in str(redacted) for s in URL_SECRETS)
