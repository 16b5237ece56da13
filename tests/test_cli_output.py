"""What the `hub` command prints: text exactly as given, one line per error, tables that fit."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
import typer
from rich.console import Console

from hub_core import __version__, cli
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

DOWN = "http://127.0.0.1:9"  # nothing listens on the discard port


def hub(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    environment.pop("COLUMNS", None)  # a pipe, as a script sees it
    return subprocess.run(
        [sys.executable, "-m", "hub_core", *args], capture_output=True, text=True, env=environment, timeout=60
    )


def test_bracketed_config_path_is_printed_literally_not_a_markup_traceback(tmp_path):
    for path in (tmp_path / "[" / "x].toml", tmp_path / "[providers.openai_compatible]" / "[sdk].toml"):
        result = hub("providers", HUB_CONFIG=str(path))
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr and "MarkupError" not in result.stderr
        assert str(path) in result.stderr, result.stderr


def test_error_text_and_table_cells_are_literal(monkeypatch):
    monkeypatch.setattr(cli, "err", Console(file=io.StringIO(), width=200, markup=False, highlight=False))
    with pytest.raises(typer.Exit):
        cli.fail("install 'hub-databricks[sdk]' and set [providers.openai_compatible] :smile:")
    assert cli.err.file.getvalue().strip() == (  # type: ignore[attr-defined]
        "error: install 'hub-databricks[sdk]' and set [providers.openai_compatible] :smile:"
    )
    group = {"model_group": "[bold]x[/bold]", "mode": "[chat]", "max_input_tokens": None, "source": "live",
             "available": True, "supports_function_calling": False, "supports_vision": False}  # fmt: skip
    monkeypatch.setattr(cli, "out", Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None))
    cli.print_table(cli.models_table([group]))
    assert "[bold]x[/bold]" in cli.out.file.getvalue() and "[chat]" in cli.out.file.getvalue()  # type: ignore[attr-defined]


def test_an_upstream_failure_prints_one_error_line_and_no_log_warning():
    result = hub("endpoints", "databricks", DATABRICKS_HOST=DOWN, DATABRICKS_TOKEN=DEFAULT_PAT)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Databricks workspace 'default'"), result.stderr
    assert "WARNING" not in result.stderr


def test_version_option():
    result = hub("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"hub-core {__version__}"


def test_providers_exits_nonzero_when_a_provider_is_in_error():
    failing = hub("providers", DATABRICKS_HOST=DOWN, DATABRICKS_TOKEN=DEFAULT_PAT)
    assert failing.returncode == 1 and "error" in failing.stdout, failing.stdout
    with FakeWorkspace(rich_workspace()) as fake:
        good = hub("providers", DATABRICKS_HOST=fake.url, DATABRICKS_TOKEN=DEFAULT_PAT)
    assert good.returncode == 0, good.stdout + good.stderr


def test_models_in_a_pipe_are_one_whole_row_per_line():
    names = [g["model_group"] for g in json.loads(hub("models", "--json").stdout)]
    result = hub("models")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert not any(ch in result.stdout for ch in "│┃━─") and len(lines) == len(names) + 1
    for name, line in zip(names, lines[1:], strict=True):
        assert line.split()[0] == name


def test_models_fit_a_terminal_80_columns_wide(monkeypatch):
    # The default install's providers: hub-bedrock's catalog fallback holds LiteLLM's price rows, whose keys
    # (bedrock/<region>/1-month-commitment/<model>, up to 68 characters) cannot fit 80 columns whole.
    groups = json.loads(hub("models", "--json", HUB_LOAD_PLUGINS="databricks,openai_compatible").stdout)
    monkeypatch.setattr(cli, "out", Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None))
    cli.print_table(cli.models_table(groups))
    lines = cli.out.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert max(len(line) for line in lines) <= 80
    starts = {line.split()[0] for line in lines if line.strip()}
    assert all(g["model_group"] in starts for g in groups)  # every name whole, on its own line


def test_show_completion_prints_a_bash_script() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "from hub_core.cli import main; main()", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "complete" in result.stdout and "_HUB_COMPLETE" in result.stdout.upper()


def test_upstream_text_reaches_tables_and_errors_literally() -> None:
    """The real consoles, end to end: a model id and an upstream error that look like rich markup."""
    from hub_core.testing import FakeUpstream

    model = "[bold]m[/bold]:smile:"
    with FakeUpstream() as upstream:
        upstream.route("GET", "/v1/models", {"object": "list", "data": [{"id": model, "object": "model"}]})
        env = {"OPENAI_COMPATIBLE_BASE_URL": upstream.url, "HUB_LOAD_PLUGINS": "openai_compatible"}
        listed = hub("models", **env)
        endpoints = hub("endpoints", "openai_compatible", **env)
        upstream.route("GET", "/v1/models", {"error": "[red]bad[/red] [sdk]"}, status=500)
        failing = hub("providers", **env)
        check = hub("check", **env)
    assert listed.returncode == 0 and f"openai_compatible/{model}" in listed.stdout, listed.stderr
    assert endpoints.returncode == 0 and model in endpoints.stdout, endpoints.stderr
    for result in (failing, check):
        assert result.returncode == 1 and "answered 500: [red]bad[/red] [sdk]." in result.stdout, result.stdout
        assert "Traceback" not in result.stderr
