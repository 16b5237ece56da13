"""pytest fixtures for provider plugins, loaded automatically through the ``pytest11`` entry point.

- ``isolated_env``: the test sees no ``HUB_*`` variable, nor any variable starting with a prefix
  listed in the ini option ``hub_env_prefixes`` (e.g. ``ACME_``); all are restored after.
- ``fake_upstream``: a started :class:`hub_core.testing.FakeUpstream`, stopped after the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from hub_core.testing.upstream import FakeUpstream


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("hub_env_prefixes", "environment prefixes isolated_env clears besides HUB_", type="linelist")


def env_prefixes(config: pytest.Config) -> tuple[str, ...]:
    """``HUB_`` plus the prefixes the project lists in ``hub_env_prefixes``."""
    listed = config.getini("hub_env_prefixes") or []
    return ("HUB_", *(str(prefix) for prefix in listed))


@pytest.fixture
def isolated_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Clear HUB_* and the project's provider variables for one test; yields monkeypatch to set new ones."""
    prefixes = env_prefixes(request.config)
    for name in list(os.environ):
        if name.startswith(prefixes):
            monkeypatch.delenv(name, raising=False)
    yield monkeypatch


@pytest.fixture
def fake_upstream() -> Iterator[FakeUpstream]:
    """A fake upstream server on 127.0.0.1, stopped after the test."""
    with FakeUpstream() as upstream:
        yield upstream
