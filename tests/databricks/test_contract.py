"""hub-databricks passes the hub_core.testing contract suite."""

from __future__ import annotations

import hub_databricks
from hub_core.testing.contract import ProviderContract


class TestDatabricksContract(ProviderContract):
    provider = "databricks"
    plugin = hub_databricks
