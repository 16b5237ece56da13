"""If-None-Match: one matcher (RFC 9110 weak comparison) behind every 304 the hub sends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from hubtest_plugins import StaticProvider
from starlette.types import Receive, Scope, Send

from hub_core.api.conditional import etag_matches, joined
from hub_core.api.fastpath import ModelHubFastPath
from hub_core.hub import Hub
from hub_core.testing import app_client, make_hub


@pytest.mark.parametrize(
    ("if_none_match", "etag", "expected"),
    [
        ('"abc"', '"abc"', True),
        ('"abc"', '"abcd"', False),  # a prefix is another tag
        ('"abcd"', '"abc"', False),
        ('"x"abc"y"', '"abc"', False),  # the old substring check said 304 here
        ('W/"x", "y"', '"x"', True),  # weak comparison: W/ on the client's tag is ignored
        ('W/"x", "y"', '"y"', True),
        ('W/"x", "y"', '"z"', False),
        ('"x"', 'W/"x"', True),  # ... and on ours
        ('"a,b"', '"a,b"', True),  # a comma inside the quotes is part of the tag
        ('"a,b"', '"a"', False),
        ("*", '"anything"', True),
        (" * ", '"anything"', True),
        ('"a", *', '"anything"', True),  # the old fast path matched * only as the whole value
        ("abc", '"abc"', False),  # unquoted: not an entity tag
        ('"abc', '"abc"', False),  # unterminated
        ('garbage, "abc"', '"abc"', False),  # the list is unreadable from the fault on
        ('"abc" ,\t"def"', '"def"', True),
        ("", '"abc"', False),
        (None, '"abc"', False),
    ],
)
def test_etag_matches(if_none_match: str | None, etag: str, expected: bool) -> None:
    assert etag_matches(if_none_match, etag) is expected


def test_several_field_lines_are_one_list() -> None:
    assert joined(['"a"', " ", '"b"']) == '"a", "b"'
    assert joined([]) is None and joined([""]) is None


def one_provider_hub() -> Hub:
    return make_hub({"ok": StaticProvider("ok")})


async def not_routed(scope: Scope, receive: Receive, send: Send) -> None:
    """The app behind the fast path in these tests: any request that reaches it gets 599."""
    await send({"type": "http.response.start", "status": 599, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@asynccontextmanager
async def fast_path_only(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=ModelHubFastPath(not_routed, hub))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        try:
            yield client
        finally:
            await hub.aclose()


async def test_fast_path_304_follows_the_rfc() -> None:
    async with fast_path_only(one_provider_hub()) as client:
        first = await client.get("/public/model_hub")
        etag = first.headers["ETag"]
        listed = await client.get("/public/model_hub", headers={"If-None-Match": f'"other", W/{etag}'})
        star_in_list = await client.get("/public/model_hub", headers={"If-None-Match": '"other", *'})
        embedded = await client.get("/public/model_hub", headers={"If-None-Match": f'"x{etag}y"'})
        second_line = await client.get(
            "/public/model_hub", headers=[("If-None-Match", '"other"'), ("If-None-Match", etag)]
        )
    assert first.status_code == 200 and first.json()
    assert listed.status_code == 304 and listed.content == b"" and listed.headers["ETag"] == etag
    assert star_in_list.status_code == 304
    assert embedded.status_code == 200 and embedded.json() == first.json()
    assert second_line.status_code == 304


@pytest.mark.parametrize("url", ["/public/model_hub?available=false", "/public/ok/endpoints", "/public/v1/model_hub"])
async def test_routed_304_follows_the_rfc(url: str) -> None:
    async with app_client(one_provider_hub()) as client:
        first = await client.get(url)
        etag = first.headers["ETag"]
        listed = await client.get(url, headers={"If-None-Match": f'W/"other", {etag}'})
        embedded = await client.get(url, headers={"If-None-Match": f'"x{etag}y"'})
        second_line = await client.get(url, headers=[("If-None-Match", '"other"'), ("If-None-Match", etag)])
    assert first.status_code == 200
    assert listed.status_code == 304 and listed.content == b"" and listed.headers["ETag"] == etag
    assert "Age" in listed.headers and listed.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert embedded.status_code == 200 and embedded.content == first.content
    assert second_line.status_code == 304


async def test_hub_page_honours_a_star() -> None:
    async with app_client(one_provider_hub()) as client:
        page = await client.get("/hub", headers={"If-None-Match": "*"})
        other = await client.get("/hub", headers={"If-None-Match": '"other"'})
    assert page.status_code == 304 and page.content == b""  # the old substring check sent the page again
    assert other.status_code == 200 and b"<html" in other.content
