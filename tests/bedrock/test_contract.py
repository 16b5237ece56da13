"""hub-bedrock passes the hub_core.testing contract suite, against the fake Bedrock control plane."""

from __future__ import annotations

import pytest
from bedrock_fake import install

import hub_bedrock
from hub_core.testing import FakeUpstream
from hub_core.testing.contract import ProviderContract


class TestBedrockContract(ProviderContract):
    provider = "bedrock"
    plugin = hub_bedrock

    def configure(self, monkeypatch: pytest.MonkeyPatch, upstream: FakeUpstream, secret: str) -> bool:
        fake = install(upstream)
        fake.secret_key = secret
        monkeypatch.setenv("HUB_DISCOVERY_TIMEOUT", "2")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", fake.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        monkeypatch.setenv("AWS_SESSION_TOKEN", secret + "-session")
        monkeypatch.setenv("BEDROCK_REGIONS", "us-east-1")
        monkeypatch.setenv("BEDROCK_ENDPOINT_URL", upstream.url)
        return True
