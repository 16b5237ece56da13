"""problem_responses: the one helper that documents problem+json errors, for the hub and its plugins."""

from __future__ import annotations

from databricks_hubs import CALLERS_ON

import hub_core
import hub_databricks
from hub_core.app import create_app
from hub_core.testing import make_hub

PROBLEM = "application/problem+json"


def test_statuses_keep_their_order_and_say_problem_json() -> None:
    documented = hub_core.problem_responses({409: "Conflict here", 400: "Bad"})
    assert list(documented) == [409, 400]
    assert documented[409] == {"description": "Conflict here", "content": {PROBLEM: {"schema": {"type": "object"}}}}


def test_the_schema_documents_core_guard_and_plugin_problems_alike() -> None:
    paths = create_app(hub=make_hub({"databricks": hub_databricks}, **CALLERS_ON)).openapi()["paths"]
    discover = paths["/public/databricks/endpoints/discover"]["post"]["responses"]
    model_hub = paths["/public/model_hub"]["get"]["responses"]
    assert "16 KiB" in discover["413"]["description"]  # the plugin's own
    assert "HUB_API_KEYS" in discover["401"]["description"]  # the guard's, on every route
    assert discover["401"] == model_hub["401"]
    for response in (discover["403"], discover["413"], model_hub["401"], model_hub["503"]):
        assert list(response["content"]) == [PROBLEM]
