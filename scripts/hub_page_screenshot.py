"""Screenshot the /hub page against the fake Databricks workspace, for the docs.

    python scripts/hub_page_screenshot.py [--out docs/hub-page.png] [--width 1280] [--chromium /usr/bin/chromium]

Starts the fake workspace (rich scenario) and a real ``hub serve`` pointed at it, then
drives Chromium through Playwright (``executable_path``; nothing is downloaded).
Run it with the README's install (hub-core and the databricks plugin, plus playwright): any other
provider installed (openai_compatible in a development venv) adds its "not configured" banner.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

from browser import CHROMIUM_ARGS  # noqa: E402


def main() -> None:
    from playwright.sync_api import sync_playwright
    from serving import running_hub

    from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "hub-page.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    parser.add_argument("--full-page", action="store_true", help="capture the whole page, not just the viewport")
    args = parser.parse_args()

    env = {"DATABRICKS_HOST": "", "DATABRICKS_TOKEN": DEFAULT_PAT, "HUB_LOG_LEVEL": "WARNING"}
    with FakeWorkspace(rich_workspace()) as fake:
        env["DATABRICKS_HOST"] = fake.url
        with running_hub(**env) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height}, color_scheme="light")
            page.goto(f"{base}/hub")
            page.wait_for_selector("body[data-ready=true]")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=args.full_page)
            browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
