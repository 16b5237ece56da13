"""OpenTelemetry tracing (HUB_OTEL=1, the hub-core[otel] extra): spans, their attributes, and no import without it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from databricks_hubs import databricks_hub
from serving import running_hub

from hub_core.settings import SettingsError
from hub_core.testing import app_client
from hub_databricks.testing import DEFAULT_PAT

if importlib.util.find_spec("opentelemetry.sdk") is None:  # tox's py env installs hub-core[otel]; CI must have it
    if os.environ.get("CI"):
        pytest.fail("opentelemetry-sdk (the hub-core[otel] extra) is required in CI", pytrace=False)
    pytest.skip("opentelemetry-sdk (the hub-core[otel] extra) is not installed", allow_module_level=True)

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from hub_core.tracing import OTLP_HINT, span_exporters

EXPORTER = InMemorySpanExporter()
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider, set once: the hub's ``install_provider`` then leaves it alone."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    yield EXPORTER
    EXPORTER.clear()


def named(found: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in found if span.name == name]


def assert_secret_free(found: tuple[ReadableSpan, ...], *secrets: str) -> None:
    for span in found:
        text = span.to_json()  # attributes, name, events, links and resource
        for secret in secrets:
            assert secret not in text, f"span {span.name!r} holds {secret!r}"
        for value in (span.attributes or {}).values():
            assert not any(secret in str(value) for secret in secrets)


async def test_a_discovery_and_its_request_are_spans_without_secrets(spans, workspace):
    parent = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
    async with app_client(databricks_hub(otel=True)) as client:
        response = await client.get("/public/model_hub", headers={"traceparent": parent})  # the fast path
        assert response.status_code == 200
        assert (await client.get("/public/databricks/endpoints")).status_code == 200  # cached: no discovery
    found = spans.get_finished_spans()
    [discovery] = named(found, "hub.discover")
    assert discovery.kind is SpanKind.CLIENT
    assert dict(discovery.attributes or {}) == {
        "hub.provider": "databricks",
        "hub.target": "default",
        "hub.outcome": "ok",
        "hub.endpoints": len(workspace.endpoints),
    }
    [request] = named(found, "GET /public/model_hub")
    assert request.kind is SpanKind.SERVER
    assert dict(request.attributes or {}) == {
        "http.request.method": "GET",
        "http.route": "/public/model_hub",
        "http.response.status_code": 200,
    }
    assert f"{request.context.trace_id:032x}" == TRACE_ID, "the caller's traceparent is continued"
    assert discovery.context.trace_id == request.context.trace_id
    assert discovery.parent is not None and discovery.parent.span_id == request.context.span_id
    [routed] = named(found, "GET /public/{provider}/endpoints")
    assert dict(routed.attributes or {})["http.route"] == "/public/{provider}/endpoints"
    assert_secret_free(found, DEFAULT_PAT, workspace.url, "127.0.0.1")


async def test_a_failed_discovery_is_an_error_span_naming_only_the_error_class(spans, workspace):
    workspace.inject("403", times=50)
    async with app_client(databricks_hub(otel=True)) as client:
        response = await client.get("/public/databricks/endpoints?x=1")
        assert response.status_code >= 500
        assert (await client.get("/nowhere/" + DEFAULT_PAT)).status_code == 404
    found = spans.get_finished_spans()
    [discovery] = named(found, "hub.discover")
    attributes = dict(discovery.attributes or {})
    assert attributes["hub.outcome"] == "error" and attributes["error.type"] == "ProviderAuthError"
    assert discovery.status.status_code is StatusCode.ERROR and not discovery.status.description
    assert not discovery.events, "no exception event: its message may quote the upstream"
    [request] = named(found, "GET /public/{provider}/endpoints")
    assert dict(request.attributes or {})["http.response.status_code"] == response.status_code
    assert request.status.status_code is StatusCode.ERROR
    [unmatched] = named(found, "GET unmatched")  # a raw path (here holding a token) is never recorded
    assert dict(unmatched.attributes or {})["http.route"] == "unmatched"
    assert_secret_free(found, DEFAULT_PAT, workspace.url, "x=1")


async def test_a_credential_in_the_query_is_in_no_span(spans, workspace):
    """FastAPI 0.16x would trace this request itself, query included; the hub turns that off."""
    async with app_client(databricks_hub(otel=True)) as client:
        response = await client.get("/public/databricks/endpoints", params={"token": DEFAULT_PAT})
        assert response.status_code == 400  # refused: credentials never go in a query
        assert (await client.get("/healthz", params={"api_key": DEFAULT_PAT})).status_code == 200
    found = spans.get_finished_spans()
    assert_secret_free(found, DEFAULT_PAT)
    assert [span.kind for span in found] == [SpanKind.SERVER, SpanKind.SERVER], "one span per request, the hub's"


async def test_no_spans_and_no_tracer_without_hub_otel(spans, workspace):
    hub = databricks_hub()
    assert hub.tracing is None
    async with app_client(hub) as client:
        assert (await client.get("/public/model_hub")).status_code == 200
    assert spans.get_finished_spans() == ()


def test_the_exporter_is_chosen_by_otel_traces_exporter(monkeypatch):
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    assert [type(e) for e in span_exporters({"OTEL_TRACES_EXPORTER": "console"})] == [ConsoleSpanExporter]
    assert span_exporters({"OTEL_TRACES_EXPORTER": "none"}) == []
    with pytest.raises(SettingsError, match="'jaeger' is not one of otlp, console or none"):
        span_exporters({"OTEL_TRACES_EXPORTER": "jaeger"})
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(SettingsError, match="OTEL_TRACES_EXPORTER=console") as raised:
        span_exporters({})  # otlp is the default
    assert OTLP_HINT in str(raised.value)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_the_standalone_app_sets_an_sdk_provider_that_exports_its_spans():
    result = run_python(
        """
        from fastapi.testclient import TestClient
        from opentelemetry import trace
        from hub_core.app import create_app
        from hub_core.settings import HubSettings

        app = create_app(HubSettings(load_plugins=""))
        provider = trace.get_tracer_provider()
        print("provider:", type(provider).__name__, provider.resource.attributes["service.name"])
        with TestClient(app) as client:  # leaving it runs the lifespan's shutdown, which flushes
            assert client.get("/healthz").status_code == 200
        """,
        HUB_OTEL="1",
        OTEL_TRACES_EXPORTER="console",
        OTEL_SERVICE_NAME="hub-test",
    )
    assert result.returncode == 0, result.stderr
    assert "provider: TracerProvider hub-test" in result.stdout
    exported = json.loads(result.stdout[result.stdout.index("{") : result.stdout.rindex("}") + 1])
    assert exported["name"] == "GET /healthz" and exported["attributes"]["http.response.status_code"] == 200


# FastAPI 0.16x depends on opentelemetry-api and imports it; what the extra adds (the SDK) and the
# hub's tracing module must stay unimported. With an older FastAPI nothing of OpenTelemetry may load.
BLOCKED = ("opentelemetry.sdk", "opentelemetry.exporter", "hub_core.tracing")
if importlib.util.find_spec("fastapi.telemetry") is None:
    BLOCKED = ("opentelemetry", "hub_core.tracing")

# Makes those imports fail and leaves a mark, as if the extra were not installed.
BLOCKER = """
import sys

class _NoOtel:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in {blocked!r}):
            with open({mark!r}, "a") as mark:
                mark.write(name + "\\n")
            raise ImportError(name + " is blocked for this test")
        return None

sys.meta_path.insert(0, _NoOtel())
"""


def blocked_env(tmp_path: Path, blocked: tuple[str, ...] = BLOCKED) -> tuple[dict[str, str], Path]:
    mark = tmp_path / "otel-imports"
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER.format(blocked=blocked, mark=str(mark)))
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH", "")]))
    return {"PYTHONPATH": path}, mark


def test_import_hub_core_imports_nothing_of_opentelemetry():
    result = run_python(
        """
        import sys
        import hub_core, hub_core.settings
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_import_and_create_app_without_the_extra_never_import_opentelemetry(tmp_path):
    env, mark = blocked_env(tmp_path)
    result = run_python(
        """
        import sys
        import hub_core, hub_core.cli
        from hub_core.app import create_app
        from hub_core.settings import HubSettings

        create_app(HubSettings(load_plugins=""))
        print(sorted(m for m in sys.modules if m.startswith(("opentelemetry.sdk", "hub_core.tracing"))))
        """,
        **env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert not mark.exists(), mark.read_text()


def test_hub_serve_without_the_extra_serves_and_never_imports_opentelemetry(tmp_path, workspace):
    env, mark = blocked_env(tmp_path)
    with running_hub(DATABRICKS_HOST=workspace.url, DATABRICKS_TOKEN=DEFAULT_PAT, **env) as base:
        assert httpx.get(f"{base}/public/model_hub", timeout=30).status_code == 200
        assert httpx.get(f"{base}/metrics", timeout=30).status_code == 200
    assert workspace.list_calls == 1
    assert not mark.exists(), mark.read_text()


def test_hub_serve_with_hub_otel_but_without_the_extra_stops_with_the_install_hint(tmp_path):
    env, _ = blocked_env(tmp_path, tuple(name for name in BLOCKED if name != "hub_core.tracing"))
    result = subprocess.run(
        [sys.executable, "-m", "hub_core", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env, "HUB_OTEL": "1", "HUB_LOAD_PLUGINS": ""},
    )
    assert result.returncode != 0
    assert "HUB_OTEL is on but" in result.stderr and "pip install '.[otel]' in the hub-core checkout" in result.stderr
    assert "or unset HUB_OTEL." in result.stderr
    assert "Traceback" not in result.stderr
