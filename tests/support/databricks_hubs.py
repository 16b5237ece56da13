"""A hub with the real hub_databricks plugin registered in-process, for tests."""

from __future__ import annotations

from typing import Any

import hub_databricks
from hub_core.hub import Hub
from hub_core.testing import make_hub

# Hub settings that turn on POST /public/databricks/endpoints/discover (the plugin's own setting).
CALLERS_ON: dict[str, Any] = {"providers": {"databricks": {"allow_caller_credentials": True}}}


def databricks_hub(**settings: Any) -> Hub:
    return make_hub({"databricks": hub_databricks}, **settings)
