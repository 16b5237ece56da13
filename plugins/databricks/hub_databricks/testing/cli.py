"""Command line: serve a fake Databricks workspace on 127.0.0.1 until Ctrl-C.

Run it with ``python -m hub_databricks.testing --port 8765 --scenario rich``; point the hub at
the printed ``DATABRICKS_HOST`` with the fake PAT or service principal it prints.
"""

from __future__ import annotations

import argparse
import copy
import threading
from collections.abc import Sequence

from .scenarios import RICH_FIXTURE, SCENARIOS, build, rich_details, write_rich_fixture
from .server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PAT, FakeWorkspace

__all__ = ["main"]

PROG = "python -m hub_databricks.testing"


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description="Serve a fake Databricks workspace on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="rich")
    parser.add_argument("--count", type=int, default=5000, help="endpoints in the 'many' and 'tiny' scenarios")
    parser.add_argument("--token-ttl", type=int, default=3600, help="OAuth access token lifetime (s)")
    parser.add_argument("--write-fixture", action="store_true", help=f"regenerate fixtures/{RICH_FIXTURE} and exit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a fake workspace until Ctrl-C."""
    args = _parse_args(argv)
    if args.write_fixture:
        print(f"wrote {write_rich_fixture()}")
        return 0
    fake = FakeWorkspace(
        copy.deepcopy(build(args.scenario, args.count)),
        clients={DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET},
        token_ttl=args.token_ttl,
        port=args.port,
    )
    if args.scenario == "rich":
        fake.details = rich_details()
    with fake:
        print(f"fake Databricks workspace ({args.scenario}, {len(fake.endpoints)} endpoints) at {fake.url}")
        print(f"  DATABRICKS_HOST={fake.url}")
        print(f"  DATABRICKS_TOKEN={DEFAULT_PAT}   (fake PAT)")
        print(
            f"  DATABRICKS_CLIENT_ID={DEFAULT_CLIENT_ID}  DATABRICKS_CLIENT_SECRET={DEFAULT_CLIENT_SECRET}  (fake SP)"
        )
        print("Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping")
    return 0
