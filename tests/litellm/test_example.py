"""examples/litellm_proxy_example.py runs end to end: export, proxy with the hub, a chat completion through it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import EXAMPLES, ISOLATED_PREFIXES, require_litellm

EXAMPLE = EXAMPLES / "litellm_proxy_example.py"


@pytest.fixture(scope="module")
def output() -> str:
    require_litellm()
    env = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED_PREFIXES)}
    result = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_example_ends_with_a_chat_completion_through_the_proxy(output: str) -> None:
    lines = output.strip().splitlines()
    assert lines[-2].startswith("chat completion through the proxy, model databricks/")
    model = lines[-2].removesuffix(":").rsplit("/", 1)[-1]
    assert lines[-1].strip() == f"Hello from {model}. You said: Say hello."
    assert "exported 10 deployments (7 chat), left out 5" in output


def test_example_reads_the_live_model_hub_through_the_proxy(output: str) -> None:
    assert "/public/model_hub?provider=databricks: 15 entries" in output
