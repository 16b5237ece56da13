"""Endpoint lists for the fake Databricks workspace, and the JSON fixtures they build on.

The fixtures (``fixtures/*.json``, described in ``fixtures/README.md``) are real wire shapes;
the builders here mix them with hand-written and synthetic endpoints: a realistic mixed
workspace (:func:`rich_workspace`), an empty one, and ``n`` deterministic endpoints for
scale tests (:func:`many_endpoints`, :func:`tiny_endpoints`). Standard library only.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "FIXTURES_DIR",
    "RICH_FIXTURE",
    "SCENARIOS",
    "build",
    "empty_workspace",
    "envelope",
    "fixture",
    "many_endpoints",
    "rich_details",
    "rich_workspace",
    "tiny_endpoints",
    "write_rich_fixture",
]

JSONDict = dict[str, Any]

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
RICH_FIXTURE = "list_rich_workspace.json"


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@functools.cache
def _fixture_text(name: str) -> str:
    """Read a fixture file once; callers parse a fresh copy each time."""
    return (FIXTURES_DIR / name).read_text(encoding="utf-8")


def fixture(name: str) -> Any:
    """Load a JSON fixture (path relative to the fixtures dir) as a fresh object."""
    return json.loads(_fixture_text(name))


def envelope(name: str) -> tuple[int, dict[str, str], JSONDict]:
    """Split an ``{"_http": {status, headers}, "body": ...}`` fixture."""
    raw = fixture(name)
    http = raw["_http"]
    return int(http["status"]), dict(http["headers"]), raw["body"]


# --------------------------------------------------------------------------
# Scenario data
# --------------------------------------------------------------------------


def _state(ready: str = "READY", config_update: str = "NOT_UPDATING", custom: bool = False) -> JSONDict:
    state: JSONDict = {"ready": ready, "config_update": config_update}
    if custom:
        state.update({"suspend": "NOT_SUSPENDED", "system_update_failure": False})
    return state


def _owner(email: str, display_name: str, kind: str = "User") -> JSONDict:
    return {"creator": email, "creator_display_name": display_name, "creator_kind": kind}


def _external(
    name: str,
    endpoint_id: str,
    entity: str,
    external_model: JSONDict,
    *,
    owner: JSONDict,
    created: int,
    updated: int,
    permission: str,
    description: str,
    tags: list[JSONDict],
) -> JSONDict:
    """A list-shaped EXTERNAL_MODEL endpoint."""
    return {
        "name": name,
        "id": endpoint_id,
        **owner,
        "creation_timestamp": created,
        "last_updated_timestamp": updated,
        "state": _state(),
        "config": {"served_entities": [{"name": entity, "type": "EXTERNAL_MODEL", "external_model": external_model}]},
        "tags": tags,
        "task": external_model["task"],
        "endpoint_type": "EXTERNAL_MODEL",
        "permission_level": permission,
        "route_optimized": False,
        "description": description,
    }


def _uc_config(served_name: str, entity_name: str, version: str) -> JSONDict:
    """List-shaped config of a Unity Catalog model (entities + legacy models)."""
    return {
        "served_entities": [
            {
                "name": served_name,
                "entity_name": entity_name,
                "entity_version": version,
                "type": "UC_MODEL",
            }
        ],
        "served_models": [
            {
                "name": served_name,
                "model_name": entity_name,
                "model_version": version,
                "type": "UC_MODEL",
            }
        ],
    }


def _external_endpoints() -> list[JSONDict]:
    """OpenAI chat, Azure OpenAI embeddings, OpenAI completions, Anthropic chat."""
    return [
        _external(
            "openai-gpt-4o",
            "88fd3f75a0d24b0380ddc40484d7a31b",
            "gpt-4o",
            {
                "provider": "openai",
                "name": "gpt-4o",
                "task": "llm/v1/chat",
                "openai_config": {
                    "openai_api_key": "{{secrets/genai/openai-key}}",
                    "openai_api_type": "openai",
                    "openai_api_base": "https://api.openai.com/v1",
                },
            },
            owner=_owner("alice@example.com", "Alice"),
            created=1731000000000,
            updated=1731000000000,
            permission="CAN_MANAGE",
            description="OpenAI GPT-4o via AI Gateway",
            tags=[{"key": "team", "value": "platform"}],
        ),
        _external(
            "azure-text-embedding-3-large",
            "3a7c9e21b45d4f6089ab12cd34ef5678",
            "text-embedding-3-large",
            {
                "provider": "openai",
                "name": "text-embedding-3-large",
                "task": "llm/v1/embeddings",
                "openai_config": {
                    "openai_api_key": "{{secrets/genai/azure-openai-key}}",
                    "openai_api_type": "azure",
                    "openai_api_base": "https://example-genai.openai.azure.com/",
                    "openai_api_version": "2024-06-01",
                    "openai_deployment_name": "text-embedding-3-large",
                },
            },
            owner=_owner("bob@example.com", "Bob"),
            created=1733100000000,
            updated=1736200000000,
            permission="CAN_QUERY",
            description="Azure OpenAI embeddings for RAG",
            tags=[{"key": "team", "value": "search"}, {"key": "cost-center", "value": "4711"}],
        ),
        _external(
            "openai-gpt-35-turbo-instruct",
            "c04b7d2e9f1a4e58b6d3a0f27c9e4b11",
            "gpt-35-turbo-instruct",
            {
                "provider": "openai",
                "name": "gpt-3.5-turbo-instruct",
                "task": "llm/v1/completions",
                "openai_config": {"openai_api_key": "{{secrets/genai/openai-key}}"},
            },
            owner=_owner("alice@example.com", "Alice"),
            created=1719800000000,
            updated=1719800000000,
            permission="CAN_QUERY",
            description="",
            tags=[],
        ),
        _external(
            "anthropic-claude-sonnet",
            "5e2f8a0c7b3d4a9e8f1c6b2d0a4e7f93",
            "claude-sonnet",
            {
                "provider": "anthropic",
                "name": "claude-sonnet-4-5",
                "task": "llm/v1/chat",
                "anthropic_config": {"anthropic_api_key": "{{secrets/genai/anthropic-key}}"},
            },
            owner=_owner("erin@example.com", "Erin"),
            created=1759800000000,
            updated=1760400000000,
            permission="CAN_QUERY",
            description="Anthropic Claude Sonnet 4.5 (direct)",
            tags=[{"key": "team", "value": "support"}],
        ),
    ]


def _custom_endpoints() -> list[JSONDict]:
    """UC custom model, failed first deploy, fine-tune mid-update, agent tile."""
    churn: JSONDict = {
        "name": "churn-classifier-uc",
        "id": "9b1d4f6a2c8e4d7b9a0f3e5c7d1b2a46",
        **_owner("dave@example.com", "Dave"),
        "creation_timestamp": 1741000000000,
        "last_updated_timestamp": 1744000000000,
        "state": _state(custom=True),
        "config": _uc_config("churn_classifier-3", "main.ml.churn_classifier", "3"),
        "tags": [{"key": "domain", "value": "customer"}],
        "permission_level": "CAN_MANAGE",
        "route_optimized": False,
        "description": "",
    }
    fraud: JSONDict = {
        "name": "fraud-scorer",
        "id": "2f6e0a9d4c1b4e8a8d7c5b3a1e9f0c24",
        **_owner("frank@example.com", "Frank"),
        "creation_timestamp": 1747000000000,
        "last_updated_timestamp": 1747000600000,
        "state": _state("NOT_READY", "UPDATE_FAILED", custom=True),
        "tags": [],
        "endpoint_type": "CUSTOM_MODEL",
        "permission_level": "CAN_VIEW",
        "route_optimized": False,
        "description": "first deploy failed: container build error",
    }
    fine_tune: JSONDict = {
        "name": "ft-llama-support-bot",
        "id": "d83a5c1e7f2b4096a4e8c0b6d2f1a735",
        **_owner("grace@example.com", "Grace"),
        "creation_timestamp": 1750000000000,
        "last_updated_timestamp": 1762000000000,
        "state": _state("READY", "IN_PROGRESS", custom=True),
        "config": _uc_config("llama_support_bot-2", "main.ft.llama_support_bot", "2"),
        "tags": [{"key": "team", "value": "support"}],
        "task": "llm/v1/chat",
        "permission_level": "CAN_MANAGE",
        "route_optimized": False,
        "description": "Llama 3.1 8B fine-tuned on support transcripts",
    }
    agent: JSONDict = {
        "name": "agents-support-assistant",
        "id": "6c0e2b8f4a9d4c3e8b7a1f5d9e0c2b68",
        **_owner("heidi@example.com", "Heidi"),
        "creation_timestamp": 1758000000000,
        "last_updated_timestamp": 1761000000000,
        "state": _state(),
        "config": {},
        "tags": [],
        "task": "agent/v1/responses",
        "permission_level": "CAN_QUERY",
        "tile_endpoint_metadata": {
            "tile_id": "0b7e4c2a-91d3-4f6e-a8b5-3c2d1e0f9a87",
            "tile_model_name": "support-assistant",
            "problem_type": "MULTI_AGENT_SUPERVISOR",
        },
        "description": "Agent Bricks supervisor for support",
    }
    return [churn, fraud, fine_tune, agent]


def _update_canceled_external() -> JSONDict:
    """The NOT_READY/UPDATE_CANCELED external endpoint from the SDK-only fixture."""
    items = fixture("list_documented_fields_only.json")["endpoints"]
    return next(e for e in items if e["state"]["config_update"] == "UPDATE_CANCELED")


def rich_workspace() -> list[JSONDict]:
    """A realistic mixed workspace (FMAPI, external, custom, agent, broken)."""
    fmapi: list[JSONDict] = fixture("list_fmapi_payg_workspace.json")["endpoints"]
    return [
        *fmapi,
        *_external_endpoints(),
        *_custom_endpoints(),
        _update_canceled_external(),
    ]


def rich_details() -> dict[str, JSONDict]:
    """Detailed GET bodies for the rich endpoints that have a ``get_*`` fixture."""
    names = ["openai-gpt-4o", "databricks-meta-llama-3-3-70b-instruct"]
    return {name: fixture(f"get_{name}.json") for name in names}


def empty_workspace() -> list[JSONDict]:
    """A workspace with no serving endpoints."""
    return []


def write_rich_fixture(path: Path | None = None) -> Path:
    """(Re)generate ``fixtures/list_rich_workspace.json`` from rich_workspace()."""
    target = path or FIXTURES_DIR / RICH_FIXTURE
    text = json.dumps({"endpoints": rich_workspace()}, indent=2, ensure_ascii=False)
    target.write_text(text + "\n", encoding="utf-8")
    return target


def _hex_id(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]


def _synthetic_fmapi(i: int, task: str) -> JSONDict:
    kind = "chat" if task == "llm/v1/chat" else "embed"
    name = f"databricks-synthetic-{kind}-{i:05d}"
    model = f"system.ai.synthetic_{kind}_{i:05d}"
    chat = kind == "chat"
    return {
        "name": name,
        "creation_timestamp": 1_700_000_000_000 + i * 60_000,
        "last_updated_timestamp": 1_700_000_000_000 + i * 60_000,
        "state": _state(),
        "config": {
            "served_entities": [
                {
                    "name": name,
                    "entity_name": model,
                    "type": "FOUNDATION_MODEL",
                    "foundation_model": {
                        "name": model,
                        "display_name": f"Synthetic {'Chat' if chat else 'Embedding'} {i:05d}",
                        "docs": "https://docs.databricks.com/machine-learning/foundation-models/supported-models.html",
                        "description": "Synthetic pay-per-token model. This endpoint is hosted by Databricks.",
                        "price": f"{(i % 97) + 1.5:.3f}",
                        "input_price": f"{(i % 31) + 0.5:.3f}",
                        "price_unit": "DBUs per 1M tokens",
                        "pricing_model": "Pay-per-token",
                        "model_class": "llama" if chat else "gte",
                        "api_types": ["mlflow/v1/chat/completions" if chat else "mlflow/v1/embeddings"],
                        "ai_gateway_v2_supported": True,
                    },
                }
            ]
        },
        "task": task,
        "endpoint_type": "FOUNDATION_MODEL_API",
        "permission_level": "CAN_QUERY",
        "capabilities": {"function_calling": i % 2 == 0} if chat else {},
    }


def _synthetic_external(i: int) -> JSONDict:
    name = f"openai-gpt-4o-{i:05d}"
    user = f"user{i % 50:02d}"
    return _external(
        name,
        _hex_id(name),
        f"gpt-4o-{i:05d}",
        {
            "provider": "openai",
            "name": "gpt-4o-mini" if i % 3 else "gpt-4o",
            "task": "llm/v1/chat",
            "openai_config": {"openai_api_key": f"{{{{secrets/team{i % 7}/openai-key}}}}"},
        },
        owner=_owner(f"{user}@example.com", user.capitalize()),
        created=1_710_000_000_000 + i * 60_000,
        updated=1_710_000_000_000 + i * 120_000,
        permission=("CAN_MANAGE", "CAN_QUERY", "CAN_VIEW")[i % 3],
        description="",
        tags=[],
    )


def _synthetic_custom(i: int) -> JSONDict:
    name = f"custom-model-{i:05d}"
    user = f"user{i % 50:02d}"
    ready = "NOT_READY" if i % 7 == 0 else "READY"
    return {
        "name": name,
        "id": _hex_id(name),
        **_owner(f"{user}@example.com", user.capitalize()),
        "creation_timestamp": 1_720_000_000_000 + i * 60_000,
        "last_updated_timestamp": 1_720_000_000_000 + i * 60_000,
        "state": _state(ready, "UPDATE_FAILED" if ready == "NOT_READY" else "NOT_UPDATING", custom=True),
        "config": _uc_config(f"model_{i:05d}-1", f"main.ml.model_{i:05d}", "1"),
        "tags": [],
        "permission_level": "CAN_MANAGE",
        "route_optimized": False,
        "description": "",
    }


def many_endpoints(n: int = 5000) -> list[JSONDict]:
    """``n`` deterministic endpoints with unique names (FMAPI, external, custom)."""
    out: list[JSONDict] = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            out.append(_synthetic_fmapi(i, "llm/v1/chat"))
        elif kind == 1:
            out.append(_synthetic_fmapi(i, "llm/v1/embeddings"))
        elif kind == 2:
            out.append(_synthetic_external(i))
        else:
            out.append(_synthetic_custom(i))
    return out


def tiny_endpoints(n: int = 5000) -> list[JSONDict]:
    """``n`` minimal endpoints (a name and a state, about 50 bytes of JSON each), for memory tests."""
    return [{"name": f"e-{i:07d}", "state": {"ready": "READY"}} for i in range(n)]


# Scenario name -> builder; the sized ones take the endpoint count.
SCENARIOS: dict[str, Callable[..., list[JSONDict]]] = {
    "rich": rich_workspace,
    "empty": empty_workspace,
    "many": many_endpoints,
    "tiny": tiny_endpoints,
}
_SIZED = frozenset({"many", "tiny"})


def build(scenario: str, count: int = 5000) -> list[JSONDict]:
    """The endpoints of a named scenario; ``count`` sizes the 'many' and 'tiny' ones."""
    try:
        builder = SCENARIOS[scenario]
    except KeyError:
        raise ValueError(f"unknown fake workspace scenario {scenario!r}; expected one of {sorted(SCENARIOS)}") from None
    return builder(count) if scenario in _SIZED else builder()
