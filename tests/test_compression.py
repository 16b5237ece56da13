"""gzip/br for bodies over HUB_GZIP_MIN_BYTES: the fast path serves precompressed bytes, routes use Compress."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
from databricks_hubs import databricks_hub

from hub_core.app import create_app
from hub_core.settings import HubSettings

PATH = "/public/model_hub?provider=databricks"


def client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub")  # type: ignore[arg-type]


async def raw_get(c: httpx.AsyncClient, path: str, **headers: str) -> httpx.Response:
    # stream + read raw bytes: httpx would otherwise decode gzip for us
    async with c.stream("GET", path, headers=headers) as response:
        response._raw = b"".join([chunk async for chunk in response.aiter_raw()])  # type: ignore[attr-defined]
        return response


async def test_gzip_body_decompresses_to_the_same_json(workspace) -> None:
    async with client(create_app(hub=databricks_hub())) as c:
        plain = await raw_get(c, PATH, **{"Accept-Encoding": "identity"})
        zipped = await raw_get(c, PATH, **{"Accept-Encoding": "gzip, br;q=0"})
        again = await raw_get(c, PATH, **{"Accept-Encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert plain.headers["vary"] == zipped.headers["vary"] == "Accept-Encoding"
    body = zipped._raw  # type: ignore[attr-defined]
    assert len(body) < len(plain._raw) / 3  # type: ignore[attr-defined]
    assert json.loads(gzip.decompress(body)) == json.loads(plain._raw)  # type: ignore[attr-defined]
    assert int(zipped.headers["content-length"]) == len(body)
    assert zipped.headers["etag"] != plain.headers["etag"]  # one ETag per encoding
    assert again._raw == body and again.headers["etag"] == zipped.headers["etag"]  # type: ignore[attr-defined]


async def test_no_accept_encoding_gives_identity(workspace) -> None:
    async with client(create_app(hub=databricks_hub())) as c:
        response = await raw_get(c, PATH, **{"Accept-Encoding": ""})
    assert "content-encoding" not in response.headers
    assert json.loads(response._raw)  # type: ignore[attr-defined]


async def test_small_bodies_are_not_compressed(workspace) -> None:
    async with client(create_app(hub=databricks_hub())) as c:
        small = await raw_get(c, "/healthz", **{"Accept-Encoding": "gzip"})
    assert small.status_code == 200 and "content-encoding" not in small.headers
    async with client(create_app(hub=databricks_hub(gzip_min_bytes=10_000_000))) as c:
        under = await raw_get(c, PATH, **{"Accept-Encoding": "gzip"})
    assert under.status_code == 200 and "content-encoding" not in under.headers


async def test_304_with_the_gzip_etag(workspace) -> None:
    async with client(create_app(hub=databricks_hub())) as c:
        first = await raw_get(c, PATH, **{"Accept-Encoding": "gzip"})
        etag = first.headers["etag"]
        second = await raw_get(c, PATH, **{"Accept-Encoding": "gzip", "If-None-Match": etag})
        identity = await raw_get(c, PATH, **{"Accept-Encoding": "identity", "If-None-Match": etag})
    assert second.status_code == 304 and second._raw == b""  # type: ignore[attr-defined]
    assert identity.status_code == 200  # the gzip ETag does not validate the identity body


async def test_routed_answers_are_gzipped_too(workspace) -> None:
    async with client(create_app(hub=databricks_hub())) as c:
        response = await raw_get(c, "/openapi.json", **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert json.loads(gzip.decompress(response._raw))  # type: ignore[attr-defined]


def test_setting_reads_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("HUB_GZIP_MIN_BYTES", "2048")
    assert HubSettings().gzip_min_bytes == 2048


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        ("*;q=0, gzip", "gzip"),  # the coding named explicitly wins over the wildcard's exclusion
        ("gzip;q=0, *", "br"),  # gzip excluded, anything else welcome
        ("br;q=0.1, gzip", "gzip"),  # the higher q, not the server's order
        ("br;q=0.5, gzip;q=0.5", "br"),  # a tie: the server's order (br first when installed)
        ("GZIP; Q=0.8", "gzip"),
        ("*;q=0", None),
        ("identity", None),
        ("gzip;q=0, br;q=0", None),
    ],
)
async def test_the_coding_follows_the_q_values(workspace, accept_encoding, expected) -> None:
    if expected == "br" or "br" in accept_encoding:
        pytest.importorskip("brotli")
    async with client(create_app(hub=databricks_hub())) as c:
        response = await raw_get(c, PATH, **{"Accept-Encoding": accept_encoding})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == expected


async def test_br_when_installed_and_accepted(workspace) -> None:
    import pytest

    brotli = pytest.importorskip("brotli")
    async with client(create_app(hub=databricks_hub())) as c:
        plain = await raw_get(c, PATH, **{"Accept-Encoding": "identity"})
        br = await raw_get(c, PATH, **{"Accept-Encoding": "gzip, br"})
        no_br = await raw_get(c, PATH, **{"Accept-Encoding": "gzip, br;q=0"})
    assert br.headers["content-encoding"] == "br" and br.headers["etag"].endswith('-br"')
    assert json.loads(brotli.decompress(br._raw)) == json.loads(plain._raw)  # type: ignore[attr-defined]
    assert no_br.headers["content-encoding"] == "gzip"
