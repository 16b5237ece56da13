"""The Dockerfile's Python layer, built here the way the image builds it (Docker cannot run here).

The sources its build stage copies go into a fresh build context, and its install line runs in a
fresh virtual environment with the same pip command; the installed `hub` must then work.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from serving import free_port, wait_for_http

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def build_stage() -> list[str]:
    lines = DOCKERFILE.read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(starts) == 2, "a build stage and a slim runtime stage"
    return lines[starts[0] : starts[1]]


def runtime_exec_form(instruction: str) -> list[str]:
    """The JSON exec form of the runtime stage's ``CMD`` or ``HEALTHCHECK ... CMD`` (continued lines joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    runtime = text[text.rindex("\nFROM ") :]
    line = next(line for line in runtime.splitlines() if line.startswith(instruction + " "))
    command: list[str] = json.loads(line[line.index(" CMD ") + 5 :] if instruction == "HEALTHCHECK" else line[4:])
    return command


def test_runtime_stage_is_slim_non_root_and_checks_healthz():
    text = DOCKERFILE.read_text()
    runtime = text[text.rindex("\nFROM ") :]
    assert runtime.splitlines()[1].startswith("FROM python:") and "-slim" in runtime.splitlines()[1]
    user = next(line.split()[1] for line in runtime.splitlines() if line.startswith("USER "))
    assert user not in ("root", "0")
    assert "HEALTHCHECK" in runtime and "/healthz" in runtime
    assert runtime_exec_form("HEALTHCHECK")[0] == "python" and "/healthz" in runtime_exec_form("HEALTHCHECK")[-1]
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

    # The image's CMD (on a free port of 127.0.0.1) serves, and its HEALTHCHECK says so; then not.
    port = str(free_port())
    cmd = runtime_exec_form("CMD")
    assert cmd[:2] == ["hub", "serve"]
    serve = [
        str(venv / "bin" / "hub"),
        *(port if a == "8000" else "127.0.0.1" if a == "0.0.0.0" else a for a in cmd[1:]),
    ]
    health = [
        str(venv / "bin" / "python"),
        *(a.replace(":8000/", f":{port}/") for a in runtime_exec_form("HEALTHCHECK")[1:]),
    ]
    server = subprocess.Popen(serve, env=clean, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=server)
        assert subprocess.run(health, env=clean, timeout=10).returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=10)
    time.sleep(0.2)
    assert subprocess.run(health, env=clean, timeout=10, capture_output=True).returncode != 0
