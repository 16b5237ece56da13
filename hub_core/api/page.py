"""The model-hub web page: ``GET /hub`` and its static files, shipped inside the package.

No Node and no build step: ``hub_core/static`` holds plain HTML, CSS and ES modules,
read once through ``importlib.resources`` (so they work from a wheel or a zip) and
served with an ETag. The page holds no data; it asks the API, with the bearer key
the user gives it.
"""

from __future__ import annotations

import functools
import hashlib
import html
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from hub_core.api.conditional import etag_matches, joined
from hub_core.api.deps import API_PREFIX_KEY, DEFAULT_API_PREFIX
from hub_core.errors import NotFoundError

STATIC_PACKAGE = "hub_core"
STATIC_DIR = "static"
STATIC_PREFIX = "/hub/static/"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(tags=["page"], include_in_schema=False)


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@functools.cache
def asset(name: str) -> Asset | None:
    """A file of ``hub_core/static`` by its bare name, or None."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    suffix = name[name.rfind(".") :] if "." in name else ""
    media_type = MEDIA_TYPES.get(suffix)
    if media_type is None:
        return None
    resource = resources.files(STATIC_PACKAGE).joinpath(STATIC_DIR).joinpath(name)
    if not resource.is_file():
        return None
    body = resource.read_bytes()
    return Asset(body, media_type, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')


def _send(request: Request, found: Asset, body: bytes | None = None, etag: str | None = None) -> Response:
    etag = etag or found.etag
    headers = {**SECURITY_HEADERS, "ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(joined(request.headers.getlist("if-none-match")), etag):
        return Response(status_code=304, headers=headers)
    return Response(body if body is not None else found.body, media_type=found.media_type, headers=headers)


@router.get("/hub", summary="The model-hub web page")
@router.get("/hub/", summary="The model-hub web page")
async def hub_page(request: Request) -> Response:
    page = asset("index.html")
    if page is None:  # pragma: no cover - the file ships with the package
        raise NotFoundError("The hub page is not installed.")
    # Relative links work from both /hub and /hub/, and behind a proxy's path prefix. The API's
    # own prefix (include_hub's ``prefix``) is written into the page for its client.
    prefix = "static/" if request.url.path.endswith("/") else "hub/static/"
    api = str(getattr(request.app.state, API_PREFIX_KEY, DEFAULT_API_PREFIX))
    docs = _docs_path(request.app)
    body = page.body.replace(b"{{static}}", prefix.encode()).replace(b"{{api}}", html.escape(api).encode())
    body = body.replace(b"{{docs}}", html.escape(docs).encode())
    digest = hashlib.blake2b(f"{api} {docs}".encode(), digest_size=4).hexdigest()
    etag = page.etag[:-1] + ("-s" if prefix == "static/" else "-h") + f'-{digest}"'
    return _send(request, page, body, etag)


def _docs_path(app: Any) -> str:
    """The app's Swagger UI path (FastAPI's ``docs_url``, or the standalone app's offline ``/docs``), or ""."""
    docs_url = getattr(app, "docs_url", None)
    if docs_url:
        return str(docs_url)
    served = any(getattr(route, "path", None) == "/docs" for route in getattr(app, "routes", ()))
    return "/docs" if served else ""


@router.get("/hub/static/{name}", summary="The page's static files")
async def hub_static(request: Request, name: Annotated[str, Path(max_length=64)]) -> Response:
    found = asset(name)
    if found is None or name == "index.html":
        raise NotFoundError("No such static file.")
    return _send(request, found)
