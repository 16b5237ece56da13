"""hub_databricks.testing stays test support: runtime modules never import it, and its CLI and fixtures ship."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import hub_databricks
import hub_databricks.testing as fake_pkg
from hub_databricks.testing import scenarios

# Imports every runtime module of the provider (all but the testing subpackage), then reports
# which hub_databricks.testing modules ended up loaded.
_PROBE = """
import json, pkgutil, sys, importlib
import hub_databricks
# iter_modules, not walk_packages: walking would import the testing subpackage itself.
runtime = [m.name for m in pkgutil.iter_modules(hub_databricks.__path__, "hub_databricks.")
           if m.name != "hub_databricks.testing"]
for name in runtime:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.startswith("hub_databricks.testing"))
print(json.dumps({"runtime": runtime, "loaded": loaded}))
"""


def _python(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, check=False)


def test_runtime_modules_do_not_import_the_testing_package() -> None:
    result = _python("-c", _PROBE)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "hub_databricks.client" in report["runtime"]  # the walk really found the runtime modules
    assert report["loaded"] == []


def test_cli_help_exits_zero() -> None:
    result = _python("-m", "hub_databricks.testing", "--help")
    assert result.returncode == 0, result.stderr
    assert "python -m hub_databricks.testing" in result.stdout
    assert "--scenario" in result.stdout


def test_cli_serves_a_workspace() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hub_databricks.testing", "--port", "0", "--scenario", "tiny", "--count", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "(tiny, 3 endpoints)" in banner, banner
        url = banner.rsplit(" at ", 1)[1].strip()
        headers = {"Authorization": f"Bearer {fake_pkg.DEFAULT_PAT}"}
        response = httpx.get(f"{url}/api/2.0/serving-endpoints", headers=headers, timeout=5, trust_env=False)
        assert response.status_code == 200
        assert [e["name"] for e in response.json()["endpoints"]] == ["e-0000000", "e-0000001", "e-0000002"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_fixtures_ship_inside_the_testing_package() -> None:
    provider_dir = Path(next(iter(hub_databricks.__path__))).resolve()
    fixtures_dir = fake_pkg.FIXTURES_DIR
    assert fixtures_dir == provider_dir / "testing" / "fixtures"
    assert (fake_pkg.FIXTURES_DIR / "errors" / "401_unauthenticated.json").is_file()
    assert not (provider_dir / "fixtures").exists()  # no stale copy left in the runtime package
    assert fake_pkg.fixture("list_empty.json") == {}


def test_build_names_the_known_scenarios() -> None:
    assert len(scenarios.build("many", 8)) == 8
    assert scenarios.build("empty") == []
    with pytest.raises(ValueError, match=r"unknown fake workspace scenario 'nope'.*'rich'"):
        scenarios.build("nope")
