"""The ``hub`` command: serve the hub, or look at providers, endpoints and models."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from hub_core import __version__
from hub_core.errors import HubError
from hub_core.settings import HubSettings, SettingsError

T = TypeVar("T")

app = typer.Typer(
    name="hub",
    help="A model hub whose providers are plugins. Start a plugin of your own with `hub new-plugin NAME`.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion
    pretty_exceptions_enable=False,
)
# Markup, emoji codes and highlighting are off: user and upstream text (a path with brackets,
# "pip install './plugins/databricks[sdk]'") prints exactly as it is. Styles come from Text objects.
out = Console(markup=False, emoji=False, highlight=False)
err = Console(stderr=True, markup=False, emoji=False, highlight=False)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _print_version(value: bool) -> None:
    if value:
        out.print(f"hub-core {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """A model hub whose providers are plugins. Start a plugin of your own with `hub new-plugin NAME`."""


def fail(message: str) -> None:
    err.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)
    raise typer.Exit(1)


def warn(message: str) -> None:
    err.print(Text.assemble(("warning:", "yellow"), " ", message), soft_wrap=True)


def new_table(*columns: Column | str, title: str | None = None) -> Table:
    """A table that fits a terminal, or, in a pipe, plain aligned columns with one row per line."""
    if out.is_terminal:
        return Table(
            *columns, title=title, box=None, pad_edge=False, collapse_padding=True, header_style="bold underline"
        )
    for column in columns:
        if isinstance(column, Column):
            column.no_wrap, column.overflow = True, "ignore"
    return Table(*columns, title=title, box=None, pad_edge=False, show_edge=False, title_justify="left")


def print_table(table: Table) -> None:
    if out.is_terminal:
        out.print(table)
        return
    # In a pipe no row is wrapped or cut, however long (grep and awk see whole names).
    wide = Console(file=io.StringIO(), width=100_000, markup=False, emoji=False, highlight=False, color_system=None)
    wide.print(table)
    text = wide.file.getvalue()  # type: ignore[attr-defined]
    sys.stdout.write("".join(line.rstrip() + "\n" for line in text.splitlines()))


def cells(*values: Any) -> list[Text]:
    return [value if isinstance(value, Text) else Text(str(value)) for value in values]


def load_settings() -> HubSettings:
    try:
        return HubSettings()
    except (SettingsError, ValidationError, ValueError, OSError) as error:
        fail(f"cannot read the hub's settings: {_one_line(error)}")
        raise  # unreachable


def _one_line(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"].removeprefix("Value error, ")
            for e in error.errors(include_input=False)
        )
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def run_with_hub(work: Callable[[Any], Awaitable[T]]) -> T:
    """Build a Hub, run ``work(hub)``, close it; any hub error becomes one line."""
    from hub_core.hub import Hub
    from hub_core.logs import configure_logging

    settings = load_settings()

    async def main() -> T:
        hub = Hub.from_settings(settings)
        try:
            return await work(hub)
        finally:
            await hub.aclose()

    try:
        # A failure is printed once, as the command's own error line; the log's copy of it (a
        # WARNING from the cache) is left out unless HUB_LOG_LEVEL asks for more than INFO does.
        configure_logging(settings.log_level if settings.log_level.upper() != "INFO" else "ERROR", settings.log_format)
        return asyncio.run(main())
    except HubError as error:
        fail(error.message)
    except (ValueError, OSError) as error:
        fail(_one_line(error))
    raise AssertionError("unreachable")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    access_log: Annotated[bool, typer.Option(help="Log one line per request.")] = True,
    root_path: Annotated[str, typer.Option(help="Path prefix the hub is served under behind a proxy.")] = "",
    proxy_headers: Annotated[bool, typer.Option(help="Trust X-Forwarded-Proto/For from --forwarded-allow-ips.")] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(help="Comma-separated proxy IPs to trust ('*' for all); uvicorn's default otherwise."),
    ] = None,
) -> None:
    """Serve the hub over HTTP."""
    import uvicorn

    from hub_core.app import create_app

    settings = load_settings()
    try:
        # Build the app here, so a bad key file, a duplicate provider or (in strict mode) a
        # broken plugin stops `hub serve` with one line rather than a worker's traceback.
        application = create_app(settings)
    except (HubError, ValueError, OSError) as error:
        fail(_one_line(error))
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": settings.log_level.lower(),
        "access_log": access_log,
        "log_config": None,  # create_app set logging up; uvicorn's lines use HUB_LOG_FORMAT too
        "root_path": root_path,
        "proxy_headers": proxy_headers,
    }
    if forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = forwarded_allow_ips
    if workers == 1:
        uvicorn.run(application, **options)
    else:  # each worker process builds its own app
        uvicorn.run("hub_core.app:create_app", factory=True, workers=workers, **options)


@app.command()
def providers(as_json: JsonOption = False) -> None:
    """List installed providers with their version and status."""

    async def work(hub: Any) -> list[dict[str, Any]]:
        return [s.model_dump(mode="json") for s in await hub.statuses()]

    rows = run_with_hub(work)
    failing = [row["name"] for row in rows if row["status"] in FAILING_STATES]
    if as_json:
        print_json(rows)
    elif not rows:
        out.print("No providers installed. Install one from the hub-core checkout: pip install ./plugins/databricks.")
    else:
        table = new_table("provider", "version", "distribution", "status", Column("message", ratio=1))
        colours = {
            "ok": "green",
            "not_configured": "yellow",
            "disabled": "dim",
            "failed_to_load": "red",
            "error": "red",
        }
        for row in rows:
            status = Text(row["status"], style=colours.get(row["status"], ""))
            table.add_row(*cells(row["name"], row["version"] or "", row["distribution"] or "", status, row["message"]))
        print_table(table)
    if failing:  # scripts and health checks see a provider in error
        raise typer.Exit(1)


FAILING_STATES = ("error", "failed_to_load")


@app.command()
def endpoints(
    provider: Annotated[str, typer.Argument(help="Provider name, e.g. databricks.")], as_json: JsonOption = False
) -> None:
    """List a provider's deployed endpoints."""

    async def work(hub: Any) -> dict[str, Any]:
        return dict((await hub.endpoints(provider)).model_dump(mode="json"))

    result = run_with_hub(work)
    if as_json:
        print_json(result)
        return
    table = new_table(
        Column("name", overflow="fold"),
        "mode",
        "state",
        "served by",
        Column("target", overflow="fold"),
        title=f"{provider} ({result['source']})",
    )
    for e in result["endpoints"]:
        if e["state"]:
            state = e["state"]
        elif result["source"] != "live":  # a catalog entry: known, not deployed anywhere the hub looked
            state = "not deployed"
        else:
            state = "READY" if e["available"] else "NOT_READY"
        if e["state_reason"]:
            state += f" ({e['state_reason']})"
        table.add_row(*cells(e["name"], e["mode"] or "-", state, e["served_by"] or "-", e["target"] or "-"))
    print_table(table)
    for message in result.get("errors", []):
        warn(message)


@app.command()
def models(
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List model-hub entries."""

    async def work(hub: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
        views = await hub.model_hub_views(provider)
        return [g.model_dump(mode="json") for v in views for g in v.groups], dict(views.left_out)

    groups, left_out = run_with_hub(work)
    if as_json:
        print_json(groups)
    else:
        print_table(models_table(groups))
    for name, why in left_out.items():
        warn(f"provider {name!r} left out: {why}")


def models_table(groups: list[dict[str, Any]]) -> Table:
    """Model groups in four columns, so the longest name still fits on one line at 80 columns:
    the max input tokens are shortened (128k, 1.05M) and the source and flags share one column."""
    table = new_table(
        Column("model group", no_wrap=True),
        Column("mode", no_wrap=True),
        Column("input", justify="right", no_wrap=True),
        Column("notes", min_width=7),
    )
    for g in groups:
        notes = [g["source"]]
        if not g["available"]:
            notes.append("offline")
        if g["supports_function_calling"]:
            notes.append("tools")
        if g["supports_vision"]:
            notes.append("vision")
        table.add_row(*cells(g["model_group"], g["mode"] or "-", _tokens(g["max_input_tokens"]), " ".join(notes)))
    return table


def _tokens(count: int | None) -> str:
    if not count:
        return "-"
    if count >= 1_000_000:
        return f"{count / 1_000_000:.3g}M"
    return f"{count / 1000:.3g}k" if count >= 100_000 else str(count)  # at most five characters


@app.command()
def check(as_json: JsonOption = False) -> None:
    """Load the plugins, resolve every target and call each upstream once; exit 1 on any failure."""
    from hub_core.check import check_hub

    async def work(hub: Any) -> list[dict[str, Any]]:
        return [row.model_dump(mode="json") for row in await check_hub(hub)]

    rows = run_with_hub(work)
    passed = all(row["status"] != "failed" for row in rows)
    if as_json:
        print_json({"ok": passed, "results": rows})
    else:
        table = new_table("provider", "target", "status", Column("endpoints", justify="right"), "seconds", "message")
        colours = {"ok": "green", "catalog": "yellow", "disabled": "dim", "failed": "red"}
        for row in rows:
            status = Text(row["status"], style=colours[row["status"]])
            seconds = "-" if row["seconds"] is None else f"{row['seconds']:.2f}"
            endpoints = "-" if row["endpoints"] is None else row["endpoints"]
            table.add_row(*cells(row["provider"], row["target"] or "-", status, endpoints, seconds, row["message"]))
        print_table(table)
    if not passed:
        raise typer.Exit(1)


export_app = typer.Typer(help="Export what the hub discovered, for other tools.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("litellm-config")
def export_litellm_config(
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to this file instead of standard output.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print a LiteLLM config whose model_list calls the discovered, available endpoints.

    One deployment per endpoint and workspace; credentials are os.environ/NAME references.
    """
    from hub_core.litellm_config import litellm_model_list, to_yaml

    async def work(hub: Any) -> Any:
        return await litellm_model_list(hub, provider)

    result = run_with_hub(work)
    text = json.dumps(result.model_dump(mode="json"), indent=2) + "\n" if as_json else to_yaml(result)
    for item in result.left_out:
        where = " ".join(filter(None, [item.provider, item.target, item.endpoint]))
        err.print(Text.assemble(("left out:", "yellow"), f" {where}: {item.reason}"), soft_wrap=True)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        fail(f"cannot write {output}: {_one_line(error)}")
    err.print(f"wrote {len(result.model_list)} deployments to {output}", highlight=False)


@app.command("new-plugin")
def new_plugin(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Provider name, e.g. acme: a-z, 0-9 and _, at most 32 characters.")
    ],
    directory: Annotated[
        Path, typer.Option("--directory", "-d", help="Where to write hub-NAME/; the current directory by default.")
    ] = Path("."),
) -> None:
    """Write hub-NAME/, a provider-plugin package (hooks, tests, pyproject.toml) whose tests pass as generated."""
    from hub_core.scaffold import ScaffoldError, create_plugin

    try:
        root, written = create_plugin(name, directory)
    except ScaffoldError as error:
        fail(str(error))
        raise  # unreachable
    except OSError as error:
        fail(f"cannot write the plugin package: {_one_line(error)}")
        raise  # unreachable
    for path in written:
        out.print(f"created {path}")
    out.print(f"next: cd {root} && pip install -e '.[test]' && python -m pytest")


@app.command()
def version() -> None:
    """Print the hub's version."""
    out.print(f"hub-core {__version__}")


def main() -> None:
    app(prog_name="hub")
