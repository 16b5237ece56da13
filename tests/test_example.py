"""The Databricks example runs end to end against the fake workspace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "databricks_model_hub_example.py"


def test_databricks_example_runs_against_the_fake_workspace() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "DATABRICKS_", "ARM_"))}
    result = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in ("databricks-meta-llama-3-3-70b-instruct", "openai-gpt-4o", "fraud-scorer"):
        assert f"databricks/{name}" in out
    assert "embedding" in out
    assert "UPDATE_FAILED" in out
    assert "provider databricks: ok (live)" in out
