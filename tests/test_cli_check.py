"""`hub check`, run as a real process against fake Databricks workspaces on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace


def hub(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "HUB_"))}
    return subprocess.run(
        [sys.executable, "-m", "hub_core", *args], capture_output=True, text=True, env={**environment, **env},
        timeout=60,
    )  # fmt: skip


def workspaces_toml(tmp_path: Path, **hosts: str) -> str:
    blocks = [
        f'[[providers.databricks.workspaces]]\nname = "{name}"\nhost = "{url}"\nauth = "pat"\ntoken_env = "CHECK_PAT"\n'
        for name, url in hosts.items()
    ]
    path = tmp_path / "hub.toml"
    path.write_text("\n".join(blocks))
    return str(path)


def test_check_calls_each_workspace_once_and_fails_on_the_bad_one(tmp_path):
    with FakeWorkspace(rich_workspace()) as good, FakeWorkspace(rich_workspace(), token="another-pat") as bad:
        config = workspaces_toml(tmp_path, prod=good.url, staging=bad.url)
        table = hub("check", HUB_CONFIG=config, CHECK_PAT=DEFAULT_PAT)
        as_json = hub("check", "--json", HUB_CONFIG=config, CHECK_PAT=DEFAULT_PAT)
        assert (good.list_calls, bad.list_calls) == (2, 2), "one call per workspace per run, none cached"
    assert table.returncode == 1 and as_json.returncode == 1, table.stdout + table.stderr
    rows = {line.split()[1]: line for line in table.stdout.splitlines()[1:]}
    assert " ok " in rows["prod"] and f"{len(rich_workspace())} endpoints listed" in rows["prod"]
    assert " failed " in rows["staging"] and "'staging'" in rows["staging"]
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    by_target = {r["target"]: r for r in report["results"] if r["provider"] == "databricks"}
    assert by_target["prod"]["status"] == "ok" and by_target["prod"]["endpoints"] == len(rich_workspace())
    assert by_target["staging"]["status"] == "failed" and by_target["staging"]["endpoints"] is None
    assert DEFAULT_PAT not in table.stdout + table.stderr + as_json.stdout + as_json.stderr


def test_check_passes_when_every_workspace_answers(tmp_path):
    with FakeWorkspace(rich_workspace()) as one, FakeWorkspace([]) as two:
        result = hub(
            "check", "--json", HUB_CONFIG=workspaces_toml(tmp_path, a=one.url, b=two.url), CHECK_PAT=DEFAULT_PAT
        )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [r["status"] for r in report["results"] if r["provider"] == "databricks"] == ["ok", "ok"]


def test_check_gives_each_upstream_the_deadline(tmp_path):
    with FakeWorkspace(rich_workspace()) as slow:
        slow.inject("hang", times=5)
        started = time.monotonic()
        result = hub(
            "check", "--json", HUB_CONFIG=workspaces_toml(tmp_path, slow=slow.url), CHECK_PAT=DEFAULT_PAT,
            HUB_DISCOVERY_TIMEOUT="1",
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    (row,) = [r for r in json.loads(result.stdout)["results"] if r["provider"] == "databricks"]
    assert row["status"] == "failed" and "1 s deadline" in row["message"]
    assert elapsed < 20


def test_check_without_credentials_reports_the_catalog_and_passes():
    result = hub("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "catalog" in result.stdout and "databricks" in result.stdout
