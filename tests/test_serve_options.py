"""`hub serve` passes its proxy options through to uvicorn, and /hub works under a root path."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub_core.app import create_app
from hub_core.cli import app
from hub_core.settings import HubSettings


def run_serve(monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def fake_run(application: Any, **options: Any) -> None:
        seen.update(options)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 0, result.output
    return seen


def test_proxy_options_reach_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    options = run_serve(
        monkeypatch, "--root-path", "/models", "--no-proxy-headers", "--forwarded-allow-ips", "10.0.0.1,10.0.0.2"
    )
    assert options["root_path"] == "/models"
    assert options["proxy_headers"] is False
    assert options["forwarded_allow_ips"] == "10.0.0.1,10.0.0.2"
    # The options are ones uvicorn.Config really accepts.
    config = uvicorn.Config("hub_core.app:create_app", **options)
    assert config.root_path == "/models" and config.proxy_headers is False


def test_defaults_leave_uvicorn_forwarded_ips_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    options = run_serve(monkeypatch)
    assert options["root_path"] == "" and options["proxy_headers"] is True
    assert "forwarded_allow_ips" not in options


def test_hub_page_behind_a_root_path(workspace: Any) -> None:
    with TestClient(create_app(HubSettings()), root_path="/models") as client:
        response = client.get("/hub")
    assert response.status_code == 200, response.text
    assert "text/html" in response.headers["content-type"]
