"""hub-azure passes the hub_core.testing contract suite, against the fake Entra ID and a fake ARM."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure_fake import CLIENT_ID, SUB_A, TENANT, FakeArm, FakeEntra, account, certificate, deployment

import hub_azure
from hub_core.testing import FakeUpstream
from hub_core.testing.contract import ProviderContract


class TestAzureContract(ProviderContract):
    provider = "azure"
    plugin = hub_azure
    entra: FakeEntra

    @pytest.fixture(autouse=True)
    def _entra(self) -> Iterator[None]:
        with FakeEntra(secret="sk-contract-0123456789abcdef") as fake:  # contract.SECRET
            self.entra = fake
            yield

    def configure(self, monkeypatch: pytest.MonkeyPatch, upstream: FakeUpstream, secret: str) -> bool:
        assert secret == self.entra.secret
        arm = FakeArm(upstream, entra=self.entra)
        parent = account(SUB_A, "rg", "contract-aoai")
        arm.add_account(parent, [deployment(parent, "chat", "gpt-4o", "2024-08-06")])
        for name, value in (
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", CLIENT_ID),
            ("AZURE_CLIENT_SECRET", secret),
        ):
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUB_A)
        monkeypatch.setenv("AZURE_AUTHORITY_HOST", self.entra.url)  # azure-identity's own override
        toml = Path(tempfile.mkdtemp(prefix="hub-azure-contract-")) / "hub.toml"
        toml.write_text(f'[providers.azure]\narm_endpoint = "{upstream.url}"\nca_bundle = "{certificate()[0]}"\n')
        monkeypatch.setenv("HUB_CONFIG", str(toml))
        return True
