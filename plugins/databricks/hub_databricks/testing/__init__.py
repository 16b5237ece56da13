"""Test support for the Databricks provider: a fake workspace and the endpoint lists it serves.

Nothing in the provider's runtime modules imports this package; tests, examples, benchmarks and
local development do::

    from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

    with FakeWorkspace(rich_workspace()) as fake:
        ...  # DATABRICKS_HOST=fake.url, DATABRICKS_TOKEN=DEFAULT_PAT

``python -m hub_databricks.testing --help`` serves one from the command line.
"""

from __future__ import annotations

from .cli import main
from .scenarios import (
    FIXTURES_DIR,
    SCENARIOS,
    build,
    empty_workspace,
    fixture,
    many_endpoints,
    rich_details,
    rich_workspace,
    tiny_endpoints,
    write_rich_fixture,
)
from .server import (
    API_FAULTS,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PAT,
    FAULTS,
    TOKEN_FAULTS,
    FakeWorkspace,
)

__all__ = [
    "API_FAULTS",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_PAT",
    "FAULTS",
    "FIXTURES_DIR",
    "SCENARIOS",
    "TOKEN_FAULTS",
    "FakeWorkspace",
    "build",
    "empty_workspace",
    "fixture",
    "main",
    "many_endpoints",
    "rich_details",
    "rich_workspace",
    "tiny_endpoints",
    "write_rich_fixture",
]
