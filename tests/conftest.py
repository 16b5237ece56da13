from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

ISOLATED_PREFIXES = (
    "HUB_",
    "DATABRICKS_",
    "ARM_",
    "OPENAI_COMPATIBLE_",
    "AZURE_",
    "IDENTITY_",
    "MSI_",
    "AWS_",
    "BEDROCK_",
)

# tests/litellm needs litellm[proxy]; `tox -e litellm` installs it and sets HUB_TEST_LITELLM.
collect_ignore = [] if os.environ.get("HUB_TEST_LITELLM") else ["litellm"]


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test sees the developer's hub, Databricks, OpenAI-compatible or Azure settings, or their ~/.databrickscfg."""
    for name in list(os.environ):
        if name.startswith(ISOLATED_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path_factory.getbasetemp() / "no-databrickscfg"))
    # No ~/.aws files and no instance metadata service: botocore's chain finds only what a test sets.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path_factory.getbasetemp() / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path_factory.getbasetemp() / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWorkspace]:
    """The fake workspace's rich scenario, with DATABRICKS_HOST and DATABRICKS_TOKEN pointing at it."""
    with FakeWorkspace(rich_workspace()) as fake:
        monkeypatch.setenv("DATABRICKS_HOST", fake.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
        yield fake
