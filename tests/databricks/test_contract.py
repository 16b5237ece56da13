"""hub-databricks passes the hub_core.testing contract suite, against the fake workspace."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import hub_databricks
from hub_core.testing.contract import ContractUpstream, ProviderContract
from hub_databricks.testing import FakeWorkspace, rich_workspace

FAULT_TIMES = 1000  # every request while the check runs


class WorkspaceControl:
    """The contract's upstream controls over a FakeWorkspace: a status or a hang becomes a queued fault."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self.workspace = workspace

    def answer(self, status: int = 200, *, delay: float = 0.0) -> None:
        self.workspace.clear_faults()
        if delay:
            self.workspace.inject("hang", times=FAULT_TIMES, delay=delay)
        elif status != 200:
            self.workspace.inject(str(status), times=FAULT_TIMES)

    def request_count(self) -> int:
        return len(self.workspace.requests)


class TestDatabricksContract(ProviderContract):
    provider = "databricks"
    plugin = hub_databricks

    def unconfigure(self, monkeypatch: pytest.MonkeyPatch) -> None:
        super().unconfigure(monkeypatch)
        monkeypatch.setenv("DATABRICKS_CONFIG_FILE", "/nonexistent/databrickscfg")  # not the developer's profile

    @contextmanager
    def open_upstream(self, monkeypatch: pytest.MonkeyPatch, secret: str) -> Iterator[ContractUpstream]:
        with FakeWorkspace(rich_workspace(), token=secret) as workspace:
            monkeypatch.setenv("DATABRICKS_HOST", workspace.url)
            monkeypatch.setenv("DATABRICKS_TOKEN", secret)
            yield WorkspaceControl(workspace)
