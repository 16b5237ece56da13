from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def no_openai_compatible_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's OPENAI_COMPATIBLE_* settings."""
    for name in list(os.environ):
        if name.startswith("OPENAI_COMPATIBLE_"):
            monkeypatch.delenv(name, raising=False)
    yield
