"""hub-openai-compatible passes the hub_core.testing contract suite."""

from __future__ import annotations

import hub_openai_compatible
from hub_core.testing.contract import ProviderContract


class TestOpenAICompatibleContract(ProviderContract):
    provider = "openai_compatible"
    plugin = hub_openai_compatible
