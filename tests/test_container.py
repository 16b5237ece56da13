"""The Dockerfile's Python layer, built here the way the image builds it (Docker cannot run here).

The sources its build stage copies go into a fresh build context, and its install line runs in a
fresh virtual environment with the same pip command; the installed `hub` must then work.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def build_stage() -> list[str]:
    lines = DOCKERFILE.read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(starts) == 2, "a build stage and a slim runtime stage"
    return lines[starts[0] : starts[1]]


def test_runtime_stage_is_slim_non_root_and_checks_healthz():
    text = DOCKERFILE.read_text()
    runtime = text[text.rindex("\nFROM ") :]
    assert runtime.splitlines()[1].startswith("FROM python:") and "-slim" in runtime.splitlines()[1]
    user = next(line.split()[1] for line in runtime.splitlines() if line.startswith("USER "))
    assert user not in ("root", "0")
    assert "HEALTHCHECK" in runtime and "/healthz" in runtime
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    hubs = [s for name, s in compose["services"].items() if name.startswith("hub-")]
    assert len(hubs) == 2 and all(h["environment"]["HUB_REDIS_URL"].startswith("redis://redis:") for h in hubs)
    assert "redis" in compose["services"]


@pytest.mark.slow
def test_the_images_python_layer_builds_and_runs(tmp_path):
    stage = build_stage()
    context = tmp_path / "src"
    context.mkdir()
    for line in stage:
        if line.startswith("COPY "):
            *sources, _ = shlex.split(line)[1:]
            for source in sources:
                origin = ROOT / source
                target = context / source
                target.parent.mkdir(parents=True, exist_ok=True)
                if origin.is_dir():
                    shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
                else:
                    shutil.copy2(origin, target)
    install = stage[stage.index("# python layer: install") + 1]
    assert install.startswith("RUN ")
    venv = tmp_path / "opt-hub"
    command = install[len("RUN ") :].replace("/opt/hub", str(venv))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    subprocess.run(["bash", "-c", command], cwd=context, env=env, check=True, timeout=600)

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "DATABRICKS_", "PYTHONPATH"))}
    version = subprocess.run([str(venv / "bin" / "hub"), "--version"], capture_output=True, text=True, env=clean)
    assert version.returncode == 0 and version.stdout.startswith("hub-core "), version.stderr
    check = subprocess.run(
        [str(venv / "bin" / "hub"), "check", "--json"], capture_output=True, text=True, env=clean, cwd=tmp_path
    )
    assert check.returncode == 0 and '"catalog"' in check.stdout, check.stdout + check.stderr
    imports = "import hub_core, fastapi_offline, prometheus_client; print(hub_core.__file__)"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", imports],
        capture_output=True, text=True, env=clean, cwd=tmp_path,
    )  # fmt: skip
    assert where.returncode == 0 and str(venv) in where.stdout, where.stdout + where.stderr
