"""The ``hub`` command: serve the hub, or look at providers, endpoints and models."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from hub_core import __version__
from hub_core.errors import HubError
from hub_core.settings import HubSettings, SettingsError

T = TypeVar("T")

app = typer.Typer(
    name="hub",
    help="A model hub whose providers are plugins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(1)


def load_settings() -> HubSettings:
    try:
        return HubSettings()
    except (SettingsError, ValidationError, ValueError, OSError) as error:
        fail(f"cannot read the hub's settings: {_one_line(error)}")
        raise  # unreachable


def _one_line(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_input=False))
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
        configure_logging(settings.log_level if settings.log_level.upper() != "INFO" else "WARNING")
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
    }
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
    if as_json:
        print_json(rows)
        return
    table = Table("provider", "version", "distribution", "status", Column("message", overflow="fold", ratio=1))
    colours = {"ok": "green", "not_configured": "yellow", "disabled": "dim", "failed_to_load": "red", "error": "red"}
    for row in rows:
        colour = colours.get(row["status"], "white")
        table.add_row(
            row["name"],
            row["version"] or "",
            row["distribution"] or "",
            f"[{colour}]{row['status']}[/]",
            row["message"],
        )
    out.print(table if rows else "No providers installed. Install one, e.g. pip install hub-databricks.")


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
    table = Table(
        Column("name", overflow="fold"),
        "mode",
        "state",
        "served by",
        "target",
        title=f"{provider} ({result['source']})",
    )
    for e in result["endpoints"]:
        state = e["state"] or ("READY" if e["available"] else "NOT_READY")
        if e["state_reason"]:
            state += f" ({e['state_reason']})"
        table.add_row(e["name"], e["mode"] or "-", state, e["served_by"] or "-", e["target"] or "-")
    out.print(table)
    for message in result.get("errors", []):
        err.print(f"[yellow]warning:[/] {message}")


@app.command()
def models(
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List model-hub entries."""

    async def work(hub: Any) -> list[dict[str, Any]]:
        return [g.model_dump(mode="json") for g in await hub.model_groups(provider)]

    groups = run_with_hub(work)
    if as_json:
        print_json(groups)
        return
    table = Table(Column("model group", overflow="fold"), "mode", "available", "source", "max input", "tools", "vision")
    for g in groups:
        table.add_row(
            g["model_group"],
            g["mode"] or "-",
            "yes" if g["available"] else "no",
            g["source"],
            str(g["max_input_tokens"] or "-"),
            "yes" if g["supports_function_calling"] else "",
            "yes" if g["supports_vision"] else "",
        )
    out.print(table)


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
        err.print(f"[yellow]left out:[/] {escape(where)}: {escape(item.reason)}", highlight=False, soft_wrap=True)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        fail(f"cannot write {output}: {_one_line(error)}")
    err.print(f"wrote {len(result.model_list)} deployments to {output}", highlight=False)


@app.command()
def version() -> None:
    """Print the hub's version."""
    out.print(f"hub-core {__version__}")


def main() -> None:
    app()
