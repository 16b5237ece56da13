"""hub-openai-compatible passes the hub_core.testing contract suite."""

from __future__ import annotations

import pytest

import hub_openai_compatible
from hub_core.testing import FakeUpstream
from hub_core.testing.contract import ProviderContract


class TestOpenAICompatibleContract(ProviderContract):
    provider = "openai_compatible"
    plugin = hub_openai_compatible

    def configure(self, monkeypatch: pytest.MonkeyPatch, upstream: FakeUpstream, secret: str) -> bool:
        upstream.route("GET", "/v1/models", {"object": "list", "data": [{"id": "llama-3.1-8b", "object": "model"}]})
        monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", f"gpu={upstream.url}")
        monkeypatch.setenv("OPENAI_COMPATIBLE_GPU_API_KEY", secret)
        return True
