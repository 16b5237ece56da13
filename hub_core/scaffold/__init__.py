"""``hub new-plugin NAME``: write a provider-plugin package whose tests pass as generated.

The files come from ``templates/`` (package data), filled in with ``string.Template``.
"""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path
from string import Template

from hub_core import __version__

NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")  # at most 32: the generated lines stay under 120
# template -> where it goes inside hub-NAME/
LAYOUT = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "plugin.py.tmpl": "hub_{name}/__init__.py",
    "test_plugin.py.tmpl": "tests/test_{name}.py",
}


class ScaffoldError(ValueError):
    """A name or directory the scaffold refuses; the message says what to do instead."""


def check_name(name: str) -> None:
    if not NAME.fullmatch(name) or name.endswith("_") or "__" in name:
        hint = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        better = f" such as {hint!r}" if NAME.fullmatch(hint) else ""
        raise ScaffoldError(
            f"{name!r} is not a provider name: use lowercase letters, digits and single underscores, starting with "
            f"a letter, at most 32 characters{better}."
        )
    installed = {ep.name: ep for ep in entry_points(group="hub_core")}
    if name in installed:
        owner = installed[name].dist
        where = f" by {owner.name}" if owner is not None else ""
        raise ScaffoldError(f"provider {name!r} is already installed{where}; pick another name.")


def variables(name: str) -> dict[str, str]:
    major, minor = (int(part) for part in __version__.split(".")[:2])
    return {
        "name": name,
        "module": f"hub_{name}",
        "distribution": f"hub-{name}",
        "env": name.upper(),
        "title": name.replace("_", " ").title(),
        "camel": name.title().replace("_", ""),
        "hub_core_requirement": f"hub-core>={major}.{minor},<{major}.{minor + 1}",
    }


def create_plugin(name: str, directory: Path) -> tuple[Path, list[Path]]:
    """Write ``directory/hub-NAME/``; return it and the files written. Raises ``ScaffoldError``."""
    check_name(name)
    root = directory / f"hub-{name}"
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ScaffoldError(f"{root} already exists and is not empty; remove it or choose another --directory.")
    values = variables(name)
    templates = files("hub_core.scaffold") / "templates"
    written: list[Path] = []
    for template, target in LAYOUT.items():
        path = root / target.format(name=name)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = Template(templates.joinpath(template).read_text(encoding="utf-8")).substitute(values)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return root, written
