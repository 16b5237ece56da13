"""Shared helpers for tests (importable because tests/support is on the path)."""

from __future__ import annotations

import importlib.util
import os

import pytest


def require_service(name: str, available: bool) -> None:
    """Skip when a service is missing on a laptop; fail in CI, where it must exist."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI but is not available")
    pytest.skip(f"{name} is not available")


def require_sdk() -> None:
    require_service("databricks-sdk", importlib.util.find_spec("databricks.sdk") is not None)
