from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from databricks_hubs import databricks_hub

from hub_core.testing import app_client
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

CLIENT_ID = "hub-sp-client"
CLIENT_SECRET = "hub-sp-secret-value"


@pytest.fixture
def fake() -> Iterator[FakeWorkspace]:
    with FakeWorkspace(rich_workspace(), clients={CLIENT_ID: CLIENT_SECRET}) as workspace:
        yield workspace


@pytest.fixture
def pat_env(fake: FakeWorkspace, monkeypatch: pytest.MonkeyPatch) -> FakeWorkspace:
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
    return fake


@pytest.fixture
def m2m_env(fake: FakeWorkspace, monkeypatch: pytest.MonkeyPatch) -> FakeWorkspace:
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", CLIENT_SECRET)
    return fake


@pytest.fixture
def hub_client() -> Callable[..., Any]:
    @asynccontextmanager
    async def open_client(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with app_client(databricks_hub(**settings)) as client:
            yield client

    return open_client
