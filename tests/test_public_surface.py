"""Plugins import only the public names ``hub_core`` exports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hub_core

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_FILES = sorted(ROOT.glob("plugins/*/hub_*/**/*.py"))


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("hub_core.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("hub_core."):
                found.append(node.module)
            elif node.module == "hub_core":
                found += [f"hub_core.{a.name}" for a in node.names if a.name not in hub_core.__all__]
    return [f"{path.name}:{name}" for name in found]


def test_plugin_files_are_found() -> None:
    assert PLUGIN_FILES


@pytest.mark.parametrize("path", PLUGIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_public_names(path: Path) -> None:
    assert _violations(path) == []


def test_checker_catches_a_submodule_import(tmp_path: Path) -> None:
    bad = tmp_path / "_probe.py"
    bad.write_text("from hub_core.catalog import Catalog\nfrom hub_core import Hub\n")
    assert len(_violations(bad)) == 2


@pytest.mark.parametrize("name", hub_core.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    assert getattr(hub_core, name) is not None
