"""Upstream strings are used safely: names stay one path segment, bad bytes cost one endpoint."""

from __future__ import annotations

import logging

import httpx
import orjson
import pytest

from hub_core.testing import app_client
from hub_databricks.client import loads_lenient
from hub_databricks.parse import parse_endpoint
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

from .conftest import databricks_hub

HOSTILE = "../../api/2.0/token/create?x="


def _endpoint(name: str) -> dict[str, object]:
    return {"name": name, "task": "llm/v1/chat", "state": {"ready": "READY", "config_update": "NOT_UPDATING"}}


@pytest.mark.parametrize("name", [HOSTILE, "a/b", "a%2Fb", "q?x=1", "x#frag", "50%off", "sp ace", "é-name", "%2e%2e"])
def test_the_endpoint_name_is_one_escaped_path_segment(name):
    endpoint = parse_endpoint(_endpoint(name), target="default", host="https://ws.example")
    assert endpoint is not None and endpoint.name == name
    url = httpx.URL(endpoint.endpoint_url or "")
    assert url.host == "ws.example" and not url.query and not url.fragment
    segments = url.raw_path.decode().split("/")
    assert segments[:2] == ["", "serving-endpoints"] and segments[3:] == ["invocations"], url
    assert httpx.URL("https://ws.example/").join(endpoint.endpoint_url or "").path.startswith("/serving-endpoints/")


@pytest.mark.parametrize("name", [".", "..", " .. "])
def test_dot_segment_names_are_skipped(name):
    assert parse_endpoint(_endpoint(name), target="default", host="https://ws.example") is None


async def test_a_hostile_name_cannot_point_the_url_at_another_api(monkeypatch):
    with FakeWorkspace([_endpoint(HOSTILE), _endpoint("good")]) as fake:
        monkeypatch.setenv("DATABRICKS_HOST", fake.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
        async with app_client(databricks_hub()) as client:
            body = (await client.get("/public/databricks/endpoints")).json()
    urls = {e["name"]: e["endpoint_url"] for e in body["endpoints"]}
    assert "/api/2.0/token" not in urls[HOSTILE]
    assert httpx.URL(urls[HOSTILE]).path == f"/serving-endpoints/{HOSTILE}/invocations"  # decoded: one segment
    assert urls["good"] == f"{fake.url}/serving-endpoints/good/invocations"


def _list_with_a_bad_byte(position: int) -> tuple[bytes, list[str]]:
    endpoints = rich_workspace()
    names = [e["name"] for e in endpoints]
    endpoints[position]["description"] = "MARK"
    raw = orjson.dumps({"endpoints": endpoints}).replace(b"MARK", b"caf\xe9 \xff")
    return raw, names


def test_invalid_utf8_marks_only_the_endpoint_that_holds_it():
    raw, names = _list_with_a_bad_byte(2)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw)  # what used to fail the whole list
    body, marker = loads_lenient(raw)
    assert marker is not None
    marked = [e["name"] for e in body["endpoints"] if marker in orjson.dumps(e).decode()]
    assert marked == [names[2]]


def test_a_marker_already_in_the_body_is_not_reused():
    raw = b'{"endpoints": [{"name": "a\xef\xb7\x90"}, {"name": "b\\ufdd1"}, {"name": "c\xff"}]}'
    body, marker = loads_lenient(raw)
    assert marker not in ("\ufdd0", "\ufdd1")
    assert [marker in e["name"] for e in body["endpoints"]] == [False, False, True]


def test_valid_utf8_that_is_not_json_still_fails():
    with pytest.raises(orjson.JSONDecodeError):
        loads_lenient(b'{"endpoints": [')
    with pytest.raises(orjson.JSONDecodeError):
        loads_lenient(b'{"endpoints": [\xff')


async def test_one_invalid_byte_drops_one_endpoint_and_is_reported(pat_env, caplog):
    raw, names = _list_with_a_bad_byte(3)
    pat_env.inject("malformed", body=raw)
    caplog.set_level(logging.WARNING, logger="hub_databricks")
    async with app_client(databricks_hub()) as client:
        response = await client.get("/public/databricks/endpoints")
    assert response.status_code == 200, response.text
    served = [e["name"] for e in response.json()["endpoints"]]
    assert served == [n for i, n in enumerate(names) if i != 3]
    reports = [r.getMessage() for r in caplog.records if "invalid UTF-8" in r.getMessage()]
    assert reports and "1 endpoint" in reports[0] and "positions 3" in reports[0]


async def test_a_bad_byte_in_a_big_list_drops_one_endpoint(pat_env):
    endpoints = [_endpoint(f"e-{i:04d}") for i in range(1000)]
    endpoints[777]["description"] = "MARK"
    pat_env.inject("malformed", body=orjson.dumps({"endpoints": endpoints}).replace(b"MARK", b"\xc3("))
    async with app_client(databricks_hub()) as client:
        response = await client.get("/public/databricks/endpoints")
    served = [e["name"] for e in response.json()["endpoints"]]
    assert response.status_code == 200 and len(served) == 999 and "e-0777" not in served
