"""List a Databricks workspace's model-hub entries with hub-core.

With Databricks settings in the environment (DATABRICKS_HOST + DATABRICKS_TOKEN, OAuth M2M,
an SDK profile, or a HUB_CONFIG file), this talks to that workspace. Without them it starts
the bundled fake workspace and points the hub at it, so it runs anywhere:

    python examples/databricks_model_hub_example.py
"""

from __future__ import annotations

import asyncio
import os
import sys

from hub_core import HubError
from hub_core.hub import Hub
from hub_core.models import ModelGroup, ProviderStatus
from hub_databricks.config import SETTINGS

PROVIDER = "databricks"
# Any of these set means a real workspace is configured (SETTINGS also lists a TOML key).
REAL_SETTINGS = [name for name in SETTINGS if name.isupper()] + ["HUB_CONFIG"]


def flag(value: bool) -> str:
    return "yes" if value else ""


def print_groups(groups: list[ModelGroup]) -> None:
    columns = ("model_group", "mode", "available", "state_reason", "tools", "vision", "reasoning")
    rows = [
        (
            g.model_group,
            g.mode or "-",
            "yes" if g.available else "no",
            g.state_reason or "",
            flag(g.supports_function_calling),
            flag(g.supports_vision),
            flag(g.supports_reasoning),
        )
        for g in groups
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows, strict=True)]
    for row in (columns, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def print_status(status: ProviderStatus) -> None:
    print(f"\nprovider {status.name}: {status.status.value} ({status.source or '-'})")
    print(f"  targets: {', '.join(status.targets) or '-'}")
    print(f"  {status.message}")


async def show() -> bool:
    """Print the model groups and the provider's status; False when discovery failed."""
    hub = Hub.from_settings()
    ok = True
    try:
        try:
            print_groups(await hub.model_groups(PROVIDER))
        except HubError as error:  # e.g. rejected credentials; the status below says why too
            print(f"error: {error}", file=sys.stderr)
            ok = False
        print_status(await hub.status(PROVIDER))
    finally:
        await hub.aclose()
    return ok


def main() -> None:
    fake = None
    if not any(os.environ.get(name) for name in REAL_SETTINGS):
        from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

        fake = FakeWorkspace(rich_workspace()).start()
        os.environ["DATABRICKS_HOST"] = fake.url
        os.environ["DATABRICKS_TOKEN"] = DEFAULT_PAT
        print(f"No Databricks settings found; using a fake workspace at {fake.url}\n")
    try:
        ok = asyncio.run(show())
    finally:
        if fake is not None:
            fake.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
