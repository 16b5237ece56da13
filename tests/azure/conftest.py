"""Fixtures for hub-azure: a fake Entra ID token endpoint, a fake ARM, and a service principal's variables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure_fake import CLIENT_ID, CLIENT_SECRET, TENANT, FakeArm, FakeEntra

from hub_core.testing import FakeUpstream


@pytest.fixture
def entra() -> Iterator[FakeEntra]:
    with FakeEntra() as fake:
        yield fake


@pytest.fixture
def arm(entra: FakeEntra) -> Iterator[FakeArm]:
    with FakeUpstream() as upstream:
        yield FakeArm(upstream, entra)


@pytest.fixture
def service_principal(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", CLIENT_SECRET)
    return monkeypatch
