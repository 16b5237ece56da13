"""Every ``pip install`` the docs, errors and hints give names something pip can install.

hub-core and its plugins are on no package index: they install from the checkout (``.``,
``./plugins/databricks[sdk]``). A ``pip install hub-core[otel]`` or ``hub-databricks[sdk]`` fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OWN = re.compile(r"^['\"]?(hub-core|hub-databricks|hub-openai-compatible|hub_core|hub_databricks)\b")
PIP = re.compile(r"pip install ([^`\n;|&)#]*)")  # up to the end of the command (or a comment)
PROSE = {"in", "or", "and", "from", "for", "to", "then", "with", "which", "(needs"}  # the command's arguments end here


def sources() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "Dockerfile"]
    for package in ("hub_core", "plugins"):
        files += [p for p in sorted((ROOT / package).rglob("*")) if p.suffix in (".py", ".js", ".md", ".html")]
    return [p for p in files if ".venv" not in p.parts and "__pycache__" not in p.parts]


def own_packages_named(text: str) -> list[str]:
    found = []
    for match in PIP.finditer(text):
        for word in match.group(1).split():
            if word in PROSE:
                break
            if not word.startswith("-") and OWN.match(word):
                found.append(match.group(0).strip())
    return found


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("pip install 'hub-core[otel]'", True),
        ("run pip install hub-core ./plugins/databricks", True),
        ("pip install hub-databricks[sdk]", True),
        ("pip install './plugins/databricks[sdk]' in the checkout", False),
        ("pip install '.[otel]' in the hub-core checkout", False),  # the word after the command is not a package
        ("pip install -e . ruff", False),
    ],
)
def test_the_check_itself(text: str, bad: bool) -> None:
    assert bool(own_packages_named(text)) is bad


def test_no_install_command_names_a_package_that_is_on_no_index() -> None:
    offenders = {
        str(path.relative_to(ROOT)): hits for path in sources() if (hits := own_packages_named(path.read_text()))
    }
    assert not offenders, offenders
