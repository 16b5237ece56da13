"""Every hook has a documentation section headed by its exact signature, and a test_hook_<name>."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from hub_core import hookspecs

DOCS = Path(__file__).resolve().parent.parent / "docs"
TESTS = Path(__file__).resolve().parent
PLUGINS_DOC = DOCS / "plugins.md"
SPEC_MARKER = f"{hookspecs.PROJECT}_spec"  # the attribute pluggy's HookspecMarker sets


def hook_names() -> list[str]:
    return sorted(name for name, fn in vars(hookspecs).items() if callable(fn) and hasattr(fn, SPEC_MARKER))


def heading(name: str) -> str:
    signature = str(inspect.signature(getattr(hookspecs, name))).replace("'", "")
    return f"### `{name}{signature}`"


def test_hookspecs_are_found() -> None:
    assert hook_names(), f"no function in hub_core.hookspecs carries {SPEC_MARKER!r}"


@pytest.mark.parametrize("name", hook_names())
def test_hook_is_documented_with_its_signature(name: str) -> None:
    lines = [line.rstrip() for line in PLUGINS_DOC.read_text(encoding="utf-8").splitlines()]
    expected = heading(name)
    assert expected in lines, f"{PLUGINS_DOC.name} has no section headed exactly:\n{expected}"


def test_documented_hooks_exist() -> None:
    text = PLUGINS_DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `(\w+)\(", text, re.MULTILINE))
    stale = documented - set(hook_names())
    assert not stale, f"{PLUGINS_DOC.name} documents hooks that hub_core.hookspecs no longer has: {sorted(stale)}"


@pytest.mark.parametrize("name", hook_names())
def test_hook_has_a_test(name: str) -> None:
    pattern = re.compile(rf"def test_hook_{name}\b")
    here = Path(__file__).resolve()
    files = [p for p in TESTS.rglob("*.py") if p.resolve() != here]
    found = [p for p in files if pattern.search(p.read_text(encoding="utf-8"))]
    assert found, f"no test function named test_hook_{name} under {TESTS}"
