"""hub_core.testing.FakeUpstream: routes, fault injection, call counts, recorded headers."""

from __future__ import annotations

import httpx
import pytest

from hub_core.testing import FakeUpstream, Reply, Request


def test_routes_counts_and_headers() -> None:
    with FakeUpstream() as upstream:
        upstream.route("GET", "/v1/models", {"data": [{"id": "m"}]})
        response = httpx.get(f"{upstream.url}/v1/models?x=1", headers={"Authorization": "Bearer t"})
        assert response.status_code == 200
        assert response.json() == {"data": [{"id": "m"}]}
        assert upstream.calls("GET", "/v1/models") == 1
        assert upstream.headers_of("GET", "/v1/models")[0]["Authorization"] == "Bearer t"
        assert httpx.get(f"{upstream.url}/missing").status_code == 404


def test_fault_injection_and_callables() -> None:
    with FakeUpstream() as upstream:
        upstream.fail("GET", "/v1/models", status=503, retry_after=7)
        response = httpx.get(f"{upstream.url}/v1/models")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "7"

        upstream.route("POST", "/echo", handler=lambda r: Reply({"got": r.body.decode()}, 201))
        echoed = httpx.post(f"{upstream.url}/echo", content=b"hi")
        assert (echoed.status_code, echoed.json()) == (201, {"got": "hi"})

        upstream.route("GET", "/slow", {}, delay=1.0)
        with pytest.raises(httpx.TimeoutException):
            httpx.get(f"{upstream.url}/slow", timeout=0.2)


def test_url_needs_start() -> None:
    upstream = FakeUpstream()
    with pytest.raises(RuntimeError, match="not started"):
        _ = upstream.url
    assert isinstance(Request("GET", "/", "", {}, b""), Request)


def test_override_fails_or_delays_every_route_until_cleared() -> None:
    with FakeUpstream() as upstream:
        upstream.route("GET", "/v1/models", {"data": []})
        upstream.override(401)
        assert httpx.get(f"{upstream.url}/v1/models").status_code == 401
        assert httpx.get(f"{upstream.url}/anything").status_code == 401
        upstream.override(delay=0.3)
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{upstream.url}/v1/models", timeout=0.1)
        upstream.override()
        response = httpx.get(f"{upstream.url}/v1/models", timeout=2)
        assert (response.status_code, response.json()) == (200, {"data": []})
        assert upstream.calls("GET", "/v1/models") == 3
