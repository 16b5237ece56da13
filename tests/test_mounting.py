"""The hub mounted into a host FastAPI app that has its own /public routes, its own exception classes,
its own 404 and its own auth: appended, ahead of the host (``override=True``), under another prefix,
and as a sub-app. The host keeps exactly its behaviour wherever no hub route matched."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from hubtest_plugins import StaticProvider
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub_core.app import include_hub
from hub_core.hub import Hub
from hub_core.testing import make_hub

PROBLEM = "application/problem+json"
KEY = {"Authorization": "Bearer host-key"}


class HostError(Exception):
    """The host's own exception class, with the host's own handler (like LiteLLM's ProxyException)."""


async def host_auth(authorization: Annotated[str | None, Header()] = None) -> None:
    if authorization != "Bearer host-key":
        raise HostError("no key")


def host_app() -> FastAPI:
    app = FastAPI()

    @app.exception_handler(HostError)
    async def host_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": {"message": str(exc), "by": "host"}}, status_code=401)

    @app.exception_handler(StarletteHTTPException)
    async def host_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse({"host_detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def host_crash(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"host_crash": type(exc).__name__}, status_code=500)

    @app.get("/public/model_hub")
    async def host_model_hub() -> list[dict[str, str]]:
        return [{"model_group": "host-model"}]

    @app.get("/public/host_only")
    async def host_only(n: int) -> dict[str, int]:
        return {"n": n}

    @app.get("/public/host_crash")
    async def crash() -> None:
        raise RuntimeError("host bug")

    @app.get("/public/host_refuses", dependencies=[Depends(host_auth)])
    async def guarded() -> dict[str, bool]:
        return {"ok": True}

    return app


def hub() -> Hub:
    return make_hub({"s": StaticProvider("s")})


@asynccontextmanager
async def client(app: FastAPI, *hubs: Hub) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://host.test") as http:
        try:
            yield http
        finally:
            for one in hubs:
                await one.aclose()


async def assert_host_behaviour(http: httpx.AsyncClient, base: str = "") -> None:
    """What the host answers by itself, unchanged by the hub."""
    invalid = await http.get(f"{base}/public/host_only?n=abc")
    assert invalid.status_code == 422 and invalid.headers["content-type"] == "application/json"
    assert invalid.json()["detail"][0]["loc"] == ["query", "n"]
    missing = await http.get(f"{base}/public/no_such_route")
    assert (missing.status_code, missing.json()) == (404, {"host_detail": "Not Found"})
    crash = await http.get(f"{base}/public/host_crash")
    assert (crash.status_code, crash.json()) == (500, {"host_crash": "RuntimeError"})
    refused = await http.get(f"{base}/public/host_refuses")
    assert (refused.status_code, refused.json()["error"]["by"]) == (401, "host")


async def test_appended_hub_leaves_the_hosts_routes_and_errors_alone():
    app, one = host_app(), hub()
    include_hub(app, hub=one, dependencies=[Depends(host_auth)])
    async with client(app, one) as http:
        await assert_host_behaviour(http)
        # The host's /public/model_hub answers first; the hub's v1 route has no host twin.
        assert (await http.get("/public/model_hub", headers=KEY)).json() == [{"model_group": "host-model"}]
        page = await http.get("/public/v1/model_hub", headers=KEY)
        assert page.status_code == 200 and page.json()["meta"]["total_count"] == 2
        # The host's auth raising its own class inside a hub route: the host's answer, never a hub 500.
        refused = await http.get("/public/v1/model_hub")
        assert (refused.status_code, refused.json()) == (401, {"error": {"message": "no key", "by": "host"}})
        # A hub route's own errors are problems.
        unknown = await http.get("/public/nope/endpoints", headers=KEY)
        assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM
        assert unknown.json()["type"] == "urn:hub-core:problem:unknown-provider"
        bad = await http.get("/public/v1/model_hub?page=0", headers=KEY)
        assert bad.status_code == 400 and bad.json()["type"] == "urn:hub-core:problem:invalid-parameter"
        wrong_method = await http.post("/public/v1/model_hub", headers=KEY)
        assert wrong_method.status_code == 405 and wrong_method.headers["content-type"] == PROBLEM


async def test_a_failure_inside_hub_code_is_a_hub_500(monkeypatch):
    app, one = host_app(), hub()
    include_hub(app, hub=one, dependencies=[Depends(host_auth)])

    async def broken() -> None:
        raise RuntimeError("hub bug")

    monkeypatch.setattr(one, "statuses", broken)
    async with client(app, one) as http:
        response = await http.get("/public/providers", headers=KEY)
        crash = await http.get("/public/host_crash")
    assert response.status_code == 500 and response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "urn:hub-core:problem:internal" and "hub bug" not in response.text
    assert crash.json() == {"host_crash": "RuntimeError"}


async def test_override_puts_the_hubs_routes_ahead_of_the_hosts():
    app, one = host_app(), hub()
    include_hub(app, hub=one, dependencies=[Depends(host_auth)], override=True)
    async with client(app, one) as http:
        groups = (await http.get("/public/model_hub", headers=KEY)).json()
        assert [g["model_group"] for g in groups] == ["s/alpha", "s/beta"]
        await assert_host_behaviour(http)  # only the paths the hub defines changed hands


async def test_prefix_moves_the_api_and_the_page_follows():
    app, one = host_app(), hub()
    include_hub(app, hub=one, dependencies=[Depends(host_auth)], prefix="/hub-core")
    async with client(app, one) as http:
        assert (await http.get("/public/model_hub", headers=KEY)).json() == [{"model_group": "host-model"}]
        assert [g["model_group"] for g in (await http.get("/hub-core/model_hub", headers=KEY)).json()] == [
            "s/alpha",
            "s/beta",
        ]
        page = await http.get("/hub-core/v1/model_hub/providers", headers=KEY)
        assert page.json()["data"] == ["s"]
        assert page.json()["links"]["self"] == "/hub-core/v1/model_hub/providers?page=1"
        html = (await http.get("/hub")).text
        assert '<meta name="hub-api-prefix" content="/hub-core">' in html
        schema = (await http.get("/openapi.json")).json()
        assert "/hub-core/v1/model_hub" in schema["paths"] and "/public/v1/model_hub" not in schema["paths"]
        await assert_host_behaviour(http)


async def test_the_hubs_own_key_check_follows_the_prefix():
    app = FastAPI()
    one = make_hub({"s": StaticProvider("s")}, api_keys="k1")
    include_hub(app, hub=one, prefix="/models")
    async with client(app, one) as http:
        assert (await http.get("/models/model_hub")).status_code == 200  # anonymous, as at /public
        assert (await http.get("/models/v1/model_hub/modes")).status_code == 200
        assert (await http.get("/models/providers")).status_code == 401
        assert (await http.get("/models/providers", headers={"Authorization": "Bearer k1"})).status_code == 200
        assert (await http.get("/hub")).status_code == 200


async def test_as_a_sub_app_the_hosts_exceptions_reach_the_hosts_handlers():
    app, sub, one = host_app(), FastAPI(), hub()
    include_hub(sub, hub=one, dependencies=[Depends(host_auth)])
    app.mount("/hc", sub)
    async with client(app, one) as http:
        refused = await http.get("/hc/public/v1/model_hub")
        assert (refused.status_code, refused.json()) == (401, {"error": {"message": "no key", "by": "host"}})
        allowed = await http.get("/hc/public/v1/model_hub", headers=KEY)
        assert allowed.status_code == 200 and allowed.json()["links"]["self"] == "/hc/public/v1/model_hub?page=1"
        missing = await http.get("/hc/public/no_such_route")
        assert (missing.status_code, missing.json()) == (404, {"host_detail": "Not Found"})
        problem = await http.get("/hc/public/nope/endpoints", headers=KEY)
        assert problem.status_code == 404 and problem.json()["type"] == "urn:hub-core:problem:unknown-provider"
        html = await http.get("/hc/hub")
        assert html.status_code == 200 and 'src="hub/static/hub.js"' in html.text
        assert (await http.get("/hc/hub/static/client.js")).status_code == 200
        await assert_host_behaviour(http)


async def test_as_a_sub_app_the_body_limit_still_applies():
    app, sub = FastAPI(), FastAPI()
    one = make_hub({"s": StaticProvider("s")}, max_request_bytes=1024)
    include_hub(sub, hub=one, dependencies=[])
    app.mount("/hc", sub)
    async with client(app, one) as http:
        response = await http.post("/hc/public/v1/model_hub", content=b"x" * 4096)
    assert response.status_code == 413 and response.json()["type"] == "urn:hub-core:problem:request-too-large"


async def test_sub_app_with_no_host_answers_like_any_app():
    sub, one = FastAPI(), hub()
    include_hub(sub, hub=one, dependencies=[Depends(host_auth)])
    async with client(sub, one) as http:
        response = await http.get("/public/v1/model_hub")
    assert response.status_code == 500  # HostError has no handler anywhere: an ordinary server error
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("prefix", ["public", "/public/", "x/", "", "/"])
def test_prefix_must_be_a_path(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        include_hub(FastAPI(), hub=hub(), prefix=prefix)


def test_page_finds_the_api_from_where_it_is_served() -> None:
    """hub.js derives the app's root from its own URL and the API prefix from the page."""
    from importlib import resources

    script = resources.files("hub_core").joinpath("static", "hub.js").read_text()
    assert re.search(r'const ROOT = location\.pathname\.replace\(/\\/hub\\/\?\$/, ""\);', script)
    assert 'meta[name="hub-api-prefix"]' in script
    assert "prefix: API_PREFIX" in script
