"""`hub new-plugin NAME`: the package it writes installs, finds its entry point and passes its own tests."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hub_core
from hub_core.cli import app
from hub_core.scaffold import LAYOUT, create_plugin
from hub_core.testing import FakeUpstream

ROOT = Path(__file__).resolve().parent.parent
# The contract suite's seven, the unconfigured check, two secret-setting checks and discovery against fake_upstream.
GENERATED_TESTS = 11


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, env={**os.environ, **env}, timeout=300
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """hub-acme written by the real CLI, then pip-installed into its own site directory."""
    work = tmp_path_factory.mktemp("scaffold")
    made = run("-m", "hub_core", "new-plugin", "acme", "--directory", str(work))
    assert made.returncode == 0, made.stderr
    root, site = work / "hub-acme", work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target",
         str(site), str(root)],
        check=True,
        timeout=300,
    )  # fmt: skip
    # Without the source package, the tests can only import the installed one.
    shutil.rmtree(root / "hub_acme")
    return root, site


def test_the_cli_writes_the_package_layout(installed: tuple[Path, Path]) -> None:
    root, _ = installed
    for target in ("pyproject.toml", "README.md", "tests/test_acme.py"):
        assert (root / target).is_file(), target
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "hub-acme"' in pyproject
    assert '[project.entry-points.hub_core]\nacme = "hub_acme"' in pyproject


def test_the_generated_tests_pass_against_the_installed_package(installed: tuple[Path, Path]) -> None:
    root, site = installed
    result = run("-m", "pytest", "-p", "no:cacheprovider", "-q", "tests", cwd=root, PYTHONPATH=str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{GENERATED_TESTS} passed" in result.stdout, result.stdout
    assert "skipped" not in result.stdout, "the contract's secret check must run, not skip"


def test_hub_providers_finds_the_plugin_through_its_entry_point(installed: tuple[Path, Path]) -> None:
    _, site = installed
    result = run("-m", "hub_core", "providers", "--json", PYTHONPATH=str(site))
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["acme"]["distribution"] == "hub-acme"
    assert rows["acme"]["version"] == "0.1.0"
    assert rows["acme"]["status"] == "not_configured"


def test_the_installed_plugin_lists_what_its_upstream_lists(installed: tuple[Path, Path]) -> None:
    _, site = installed
    with FakeUpstream() as upstream:
        upstream.route("GET", "/v1/models", {"data": [{"id": "tiny-chat"}, {"object": "no id"}]})
        result = run("-m", "hub_core", "endpoints", "acme", "--json", PYTHONPATH=str(site), ACME_BASE_URL=upstream.url)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert [e["name"] for e in body["endpoints"]] == ["tiny-chat"]
    assert body["source"] == "live"


def test_the_generated_plugin_imports_only_public_names(tmp_path: Path) -> None:
    root, _ = create_plugin("acme", tmp_path)
    tree = ast.parse((root / "hub_acme" / "__init__.py").read_text(encoding="utf-8"))
    imported = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    modules = {a.name for n in imported if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in imported if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in modules if m.startswith("hub_core.")}
    names = {a.name for n in imported if isinstance(n, ast.ImportFrom) and n.module == "hub_core" for a in n.names}
    assert {"hookimpl", "get_json", "Endpoint"} <= names <= set(hub_core.__all__)


def test_the_wheel_ships_the_templates(tmp_path: Path) -> None:
    builder = pytest.importorskip("hatchling.builders.wheel")
    [wheel] = [Path(p) for p in builder.WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])]
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    for template in LAYOUT:
        assert f"hub_core/scaffold/templates/{template}" in shipped, template


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


# The longest name the scaffold accepts must still give lines that fit ruff's 120 columns.
@pytest.mark.parametrize("name", ["acme", "a_provider_name_of_32_characters"])
def test_the_generated_code_passes_ruff(tmp_path: Path, name: str) -> None:
    ruff = _tool("ruff")
    root, _ = create_plugin(name, tmp_path)
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run([ruff, *command], cwd=root, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_generated_code_passes_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    root, _ = create_plugin("acme", tmp_path)
    cache = str(tmp_path / "mypy-cache")
    result = run("-m", "mypy", "--strict", "--cache-dir", cache, "hub_acme", "tests", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_empty_existing_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "hub-acme").mkdir()
    root, written = create_plugin("acme", tmp_path)
    assert root == tmp_path / "hub-acme"
    assert sorted(p.relative_to(root).as_posix() for p in written) == sorted(
        target.format(name="acme") for target in LAYOUT.values()
    )


def new_plugin(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["new-plugin", *args])
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("Acme", "such as 'acme'"),
        ("my-cloud", "such as 'my_cloud'"),
        ("1acme", "starting with a letter"),
        ("acme_", "single underscores"),
        ("a" * 33, "at most 32 characters"),
        ("hub_core.x", "such as 'hub_core_x'"),
    ],
)
def test_a_bad_name_is_refused_in_one_line(tmp_path: Path, name: str, hint: str) -> None:
    code, stderr = new_plugin(name, "--directory", str(tmp_path))
    assert code == 1
    assert stderr.startswith(f"error: {name!r} is not a provider name") and hint in stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


def test_an_installed_provider_name_is_refused(tmp_path: Path) -> None:
    code, stderr = new_plugin("databricks", "--directory", str(tmp_path))
    assert code == 1
    assert "provider 'databricks' is already installed by hub-databricks; pick another name." in stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_non_empty_directory_is_left_alone(tmp_path: Path) -> None:
    mine = tmp_path / "hub-acme" / "notes.txt"
    mine.parent.mkdir()
    mine.write_text("keep me", encoding="utf-8")
    code, stderr = new_plugin("acme", "--directory", str(tmp_path))
    assert code == 1
    expected = f"error: {mine.parent} already exists and is not empty; remove it or choose another --directory."
    assert stderr.strip() == expected
    assert [p.name for p in mine.parent.iterdir()] == ["notes.txt"]
    assert mine.read_text(encoding="utf-8") == "keep me"


def test_an_unwritable_directory_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, stderr = new_plugin("acme", "--directory", str(blocker))
    assert code == 1
    assert stderr.startswith("error: cannot write the plugin package:") and "Traceback" not in stderr


def test_the_cli_help_mentions_the_scaffold() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "hub new-plugin NAME" in result.stdout
    assert "new-plugin" in result.stdout.split("Commands")[-1]
