"""The MIT LICENSE, with the bundled catalog's MIT notice, ships in the hub-core wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOG = "hub_core/data/model_prices_and_context_window.json"


def test_license_is_mit_and_carries_the_catalogs_notice() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    notice = text[text.index(CATALOG) :]  # the catalog's own notice follows the hub's
    assert "BerriAI/litellm" in notice and "Copyright (c) 2023 Berri AI" in notice
    assert "The above copyright notice and this permission notice shall be included" in notice
    assert (ROOT / CATALOG).is_file()


@pytest.mark.slow
def test_the_wheel_ships_the_license(tmp_path: Path) -> None:
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT)]
    subprocess.run([*build, "-w", str(tmp_path)], check=True, timeout=300, capture_output=True)
    (wheel,) = tmp_path.glob("hub_core-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (license_file,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        shipped = archive.read(license_file).decode()
    assert shipped == (ROOT / "LICENSE").read_text()
    assert "License-Expression: MIT" in metadata
    assert CATALOG.removeprefix("hub_core/") in " ".join(names)  # the catalog the notice is for ships too
