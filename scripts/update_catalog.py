"""Regenerate the bundled model catalog from LiteLLM's PyPI distribution.

LiteLLM (MIT licence) publishes a price and context-window map inside its wheel as
``litellm/model_prices_and_context_window_backup.json``. This script downloads one
wheel with pip (no dependencies, nothing installed), extracts that file, drops the
documentation-only ``sample_spec`` entry and writes it, with a provenance record,
into ``hub_core/data/``.

    python scripts/update_catalog.py            # newest litellm
    python scripts/update_catalog.py 1.110.2    # a pinned version
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from datetime import date
from pathlib import Path

MEMBER = "litellm/model_prices_and_context_window_backup.json"
DATA_DIR = Path(__file__).resolve().parent.parent / "hub_core" / "data"


def download_wheel(version: str | None, into: Path) -> Path:
    requirement = f"litellm=={version}" if version else "litellm"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--quiet",
            "--dest",
            str(into),
            requirement,
        ],
        check=True,
    )
    wheels = sorted(into.glob("litellm-*.whl"))
    if not wheels:
        raise SystemExit("pip downloaded no litellm wheel")
    return wheels[-1]


def main(argv: list[str]) -> None:
    version = argv[0] if argv else None
    with tempfile.TemporaryDirectory() as tmp:
        wheel = download_wheel(version, Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            raw = archive.read(MEMBER)
    catalog = json.loads(raw)
    catalog.pop("sample_spec", None)
    body = json.dumps(catalog, separators=(",", ":"), sort_keys=True).encode()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    (DATA_DIR / "model_prices_and_context_window.json").write_bytes(body)
    source = {
        "distribution": "litellm",
        "wheel": wheel.name,
        "member": MEMBER,
        "licence": "MIT",
        "upstream": "https://github.com/BerriAI/litellm",
        "sha256": hashlib.sha256(body).hexdigest(),
        "entries": len(catalog),
        "generated": date.today().isoformat(),
    }
    (DATA_DIR / "catalog_source.json").write_text(json.dumps(source, indent=2) + "\n")
    print(f"wrote {len(catalog)} entries from {wheel.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
