"""Routed answers (not the fast path) in the standalone app: gzip/br by q-value, one ETag per variant, 304s."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
from databricks_hubs import databricks_hub
from fastapi import FastAPI
from fastapi.responses import Response

from hub_core.api.compression import Compress, variant_etag
from hub_core.app import create_app, include_hub

ROUTES = ["/public/v1/model_hub", "/public/databricks/endpoints", "/hub"]
V1 = ROUTES[0]


def client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub")  # type: ignore[arg-type]


async def raw(c: httpx.AsyncClient, path: str, method: str = "GET", **headers: str) -> httpx.Response:
    # stream + raw bytes: httpx would otherwise decode gzip for us
    async with c.stream(method, path, headers=headers) as response:
        response._raw = b"".join([chunk async for chunk in response.aiter_raw()])  # type: ignore[attr-defined]
        return response


def body(response: httpx.Response) -> bytes:
    return response._raw  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("path", ROUTES)
async def test_gzip_variant_has_its_own_etag(workspace, path: str) -> None:
    async with client(create_app(hub=databricks_hub())) as c:
        plain = await raw(c, path, **{"Accept-Encoding": "identity"})
        zipped = await raw(c, path, **{"Accept-Encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert plain.headers["vary"] == zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    assert gzip.decompress(body(zipped)) == body(plain)
    assert int(zipped.headers["content-length"]) == len(body(zipped)) < len(body(plain))


@pytest.mark.parametrize("accept_encoding", ["gzip;q=0", "gzip;q=0, br;q=0", "identity", "*;q=0", "deflate"])
async def test_an_excluded_coding_is_not_sent(workspace, accept_encoding: str) -> None:
    async with client(create_app(hub=databricks_hub())) as c:
        response = await raw(c, V1, **{"Accept-Encoding": accept_encoding})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert json.loads(body(response))["data"]


@pytest.mark.parametrize("path", ROUTES)
async def test_304_for_the_variant_the_client_holds(workspace, path: str) -> None:
    async with client(create_app(hub=databricks_hub())) as c:
        plain = await raw(c, path, **{"Accept-Encoding": "identity"})
        zipped = await raw(c, path, **{"Accept-Encoding": "gzip"})
        gzip_etag, plain_etag = zipped.headers["etag"], plain.headers["etag"]
        again = await raw(c, path, **{"Accept-Encoding": "gzip", "If-None-Match": gzip_etag})
        weak = await raw(c, path, **{"Accept-Encoding": "gzip", "If-None-Match": f"W/{gzip_etag}"})
        # A gzip ETag never validates the identity body ...
        plain_asked = await raw(c, path, **{"Accept-Encoding": "identity", "If-None-Match": gzip_etag})
        # ... and the identity ETag still validates the identity copy the client holds.
        held_plain = await raw(c, path, **{"Accept-Encoding": "gzip", "If-None-Match": plain_etag})
    assert again.status_code == weak.status_code == 304 and body(again) == b""
    assert again.headers["etag"] == gzip_etag and again.headers["vary"] == "Accept-Encoding"
    assert plain_asked.status_code == 200 and "content-encoding" not in plain_asked.headers
    assert body(plain_asked) == body(plain) and plain_asked.headers["etag"] == plain_etag
    assert held_plain.status_code == 304 and held_plain.headers["etag"] == plain_etag
    assert held_plain.headers["vary"] == "Accept-Encoding"


async def test_a_gzip_etag_does_not_validate_br(workspace) -> None:
    pytest.importorskip("brotli")
    async with client(create_app(hub=databricks_hub())) as c:
        zipped = await raw(c, V1, **{"Accept-Encoding": "gzip"})
        br = await raw(c, V1, **{"Accept-Encoding": "br", "If-None-Match": zipped.headers["etag"]})
    assert br.status_code == 200 and br.headers["content-encoding"] == "br"
    assert br.headers["etag"].endswith('-br"')


async def test_br_follows_the_q_values(workspace) -> None:
    brotli = pytest.importorskip("brotli")
    async with client(create_app(hub=databricks_hub())) as c:
        plain = await raw(c, V1, **{"Accept-Encoding": "identity"})
        br = await raw(c, V1, **{"Accept-Encoding": "gzip, br"})
        low_br = await raw(c, V1, **{"Accept-Encoding": "br;q=0.1, gzip"})
    assert br.headers["content-encoding"] == "br"
    assert brotli.decompress(body(br)) == body(plain)
    assert low_br.headers["content-encoding"] == "gzip"


async def test_head_gives_the_compressed_gets_headers(workspace) -> None:
    async with client(create_app(hub=databricks_hub())) as c:
        get = await raw(c, V1, **{"Accept-Encoding": "gzip"})
        head = await raw(c, V1, "HEAD", **{"Accept-Encoding": "gzip"})
    assert head.status_code == 200 and body(head) == b""
    for name in ("content-encoding", "content-length", "etag", "vary"):
        assert head.headers[name] == get.headers[name]


async def test_the_threshold_is_hub_gzip_min_bytes(workspace) -> None:
    async with client(create_app(hub=databricks_hub(gzip_min_bytes=10_000_000))) as c:
        response = await raw(c, V1, **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and "content-encoding" not in response.headers
    assert not response.headers["etag"].endswith('-gzip"')


async def test_mounted_hub_leaves_compression_to_the_host(workspace) -> None:
    host = FastAPI()
    include_hub(host, hub=databricks_hub())
    async with client(host) as c:
        response = await raw(c, V1, **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and "content-encoding" not in response.headers


# -- the middleware on its own ----------------------------------------------------------------

PAYLOAD = b'{"x": "' + b"abc" * 1000 + b'"}'


def small_app(**headers: str) -> FastAPI:
    app = FastAPI()
    kind = headers.pop("media_type", "application/json")

    @app.get("/x")
    async def x() -> Response:
        return Response(PAYLOAD, media_type=kind, headers=headers)

    app.add_middleware(Compress, min_bytes=1024)
    return app


async def test_a_weak_etag_keeps_its_weakness() -> None:
    async with client(small_app(ETag='W/"v1"', Vary="Origin")) as c:
        zipped = await raw(c, "/x", **{"Accept-Encoding": "gzip"})
        again = await raw(c, "/x", **{"Accept-Encoding": "gzip", "If-None-Match": 'W/"v1-gzip"'})
    assert zipped.headers["etag"] == 'W/"v1-gzip"' and zipped.headers["vary"] == "Origin, Accept-Encoding"
    # The route checks no ETag itself: the middleware answers 304 for the variant's.
    assert again.status_code == 304 and body(again) == b"" and again.headers["etag"] == 'W/"v1-gzip"'


async def test_compressed_media_types_are_left_alone() -> None:
    async with client(small_app(media_type="image/png")) as c:
        response = await raw(c, "/x", **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers and body(response) == PAYLOAD


@pytest.mark.parametrize(
    ("etag", "variant"),
    [('"a"', '"a-gzip"'), ('W/"a"', 'W/"a-gzip"'), ('""', '"-gzip"'), ("a", None), ('W/a"', None), ('"', None)],
)
def test_variant_etag(etag: str, variant: str | None) -> None:
    assert variant_etag(etag, "gzip") == variant


async def test_an_etag_that_is_not_one_never_goes_out_with_a_compressed_body() -> None:
    async with client(small_app(ETag="not-quoted")) as c:
        response = await raw(c, "/x", **{"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip" and "etag" not in response.headers


async def test_a_streamed_answer_goes_out_as_it_comes() -> None:
    from fastapi.responses import StreamingResponse

    app = FastAPI()

    @app.get("/s")
    async def stream() -> StreamingResponse:
        async def chunks():  # type: ignore[no-untyped-def]
            yield PAYLOAD
            yield PAYLOAD

        return StreamingResponse(chunks(), media_type="text/plain")

    app.add_middleware(Compress, min_bytes=1024)
    async with client(app) as c:
        response = await raw(c, "/s", **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers and body(response) == PAYLOAD * 2


async def test_a_body_sent_another_way_goes_out_after_its_start() -> None:
    async def pathsend_app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"5000")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.pathsend", "path": "/somewhere"})

    sent: list[dict[str, object]] = []

    async def record(message) -> None:  # type: ignore[no-untyped-def]
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"accept-encoding", b"gzip")]}
    await Compress(pathsend_app, min_bytes=1024)(scope, None, record)  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.pathsend"]
    assert (b"content-encoding", b"gzip") not in sent[0]["headers"]  # type: ignore[operator]
