"""The /hub web page and its static files, served from the package (in-process; the browser tests drive it)."""

from __future__ import annotations

import re
import zipfile
from importlib import resources
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Header, HTTPException
from hubtest_plugins import StaticProvider

from hub_core.app import include_hub
from hub_core.testing import app_client, make_hub

STATIC_FILES = ("index.html", "hub.css", "hub.js", "client.js")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def client():
    async with app_client(make_hub({"s": StaticProvider("s")})) as http:
        yield http


async def test_page_is_served_at_hub_and_hub_slash(client):
    for path, prefix in (("/hub", "hub/static/"), ("/hub/", "static/")):
        response = await client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert f'href="{prefix}hub.css"' in html and f'src="{prefix}hub.js"' in html
        assert "{{static}}" not in html
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_page_has_labelled_controls(client):
    html = (await client.get("/hub")).text
    for control in re.findall(r"<(?:input|select)\b[^>]*\bid=\"([^\"]+)\"", html):
        assert f'for="{control}"' in html, f"#{control} has no <label for>"
    assert '<html lang="en">' in html and 'name="viewport"' in html


@pytest.mark.parametrize(
    ("name", "media_type"),
    [("hub.css", "text/css"), ("hub.js", "text/javascript"), ("client.js", "text/javascript")],
)
async def test_static_files_with_etag(client, name, media_type):
    response = await client.get(f"/hub/static/{name}")
    assert response.status_code == 200 and response.headers["content-type"].startswith(media_type)
    assert response.content == resources.files("hub_core").joinpath("static", name).read_bytes()
    etag = response.headers["etag"]
    again = await client.get(f"/hub/static/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


async def test_page_etag_differs_by_path_and_revalidates(client):
    plain, slash = await client.get("/hub"), await client.get("/hub/")
    assert plain.headers["etag"] != slash.headers["etag"]
    assert (await client.get("/hub", headers={"If-None-Match": plain.headers["etag"]})).status_code == 304


@pytest.mark.parametrize("name", ["nope.js", "index.html", "..%2Fapp.py", "%2E%2E", ".hidden.js", "__init__.py"])
async def test_unknown_static_files_are_404_problems(client, name):
    response = await client.get(f"/hub/static/{name}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_client_module_exports_the_documented_functions(client):
    source = (await client.get("/hub/static/client.js")).text
    for name in (
        "getProviders",
        "getProviderEndpoints",
        "getDatabricksServingEndpoints",
        "modelHubPublicModelsCall",
        "modelHubPage",
    ):
        assert re.search(rf"^export (async )?function {name}\(", source, re.MULTILINE), name
    assert 'from "./client.js"' in (await client.get("/hub/static/hub.js")).text


async def test_page_loads_without_the_host_auth_but_the_api_does_not():
    def host_auth(authorization: Annotated[str | None, Header()] = None) -> None:
        if authorization != "Bearer host-key":
            raise HTTPException(status_code=401, detail="host says no")

    host = FastAPI()
    include_hub(host, hub=make_hub({"s": StaticProvider("s")}), dependencies=[Depends(host_auth)])
    async with app_client(host) as http:
        assert (await http.get("/hub")).status_code == 200
        assert (await http.get("/hub/static/client.js")).status_code == 200
        assert (await http.get("/public/v1/model_hub")).status_code == 401
        allowed = await http.get("/public/v1/model_hub", headers={"Authorization": "Bearer host-key"})
    assert allowed.status_code == 200 and allowed.json()["meta"]["total_count"] == 2


def test_wheel_ships_the_page(tmp_path):
    builder = pytest.importorskip("hatchling.builders.wheel")
    [wheel] = [Path(p) for p in builder.WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])]
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    for name in STATIC_FILES:
        assert f"hub_core/static/{name}" in shipped, name


def docs_meta(html: str) -> str:
    match = re.search(r'<meta name="hub-docs-path" content="([^"]*)">', html)
    assert match, "the page names the app's docs path"
    return match.group(1)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (lambda: FastAPI(), "/docs"),  # a gateway with FastAPI's own docs page
        (lambda: FastAPI(docs_url="/api-docs"), "/api-docs"),
        (lambda: FastAPI(docs_url=None), ""),  # none: the page shows no link to it
    ],
)
async def test_the_docs_link_follows_the_apps_docs_page(host, expected):
    import httpx

    app = host()
    include_hub(app, hub=make_hub({"s": StaticProvider("s")}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        page = await http.get("/hub")
    assert page.status_code == 200 and docs_meta(page.text) == expected


async def test_the_standalone_page_links_its_offline_docs(client):
    page = await client.get("/hub")
    assert docs_meta(page.text) == "/docs"
    assert (await client.get("/docs")).status_code == 200
