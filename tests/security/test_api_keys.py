"""Hub API keys: HUB_API_KEYS turns on bearer auth; the model hub stays anonymous unless asked."""

from __future__ import annotations

import hmac
import os
import subprocess
import sys
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Header, HTTPException
from hubtest_plugins import StaticProvider
from pydantic import SecretStr

from hub_core import security
from hub_core.app import create_app, include_hub
from hub_core.security import key_matches, load_api_keys, needs_key
from hub_core.settings import HubSettings, SettingsError
from hub_core.testing import app_client, make_hub

from .conftest import CANARY_HUB_KEY, CANARY_WRONG_KEY, PROBLEM, databricks_hub

KEYS = f"{CANARY_HUB_KEY}, second-key"
NEED_KEY = [
    ("GET", "/public/providers"),
    ("GET", "/public/databricks/endpoints"),
    ("GET", "/public/nope/endpoints"),
    ("GET", "/public/databricks/serving_endpoints"),
    ("GET", "/public/databricks/litellm_model_list"),
    ("POST", "/public/databricks/endpoints/discover"),
]
MODEL_HUB = [
    ("GET", "/public/model_hub"),
    ("GET", "/public/model_hub?provider=databricks"),
    ("GET", "/public/v1/model_hub"),
    ("GET", "/public/v1/model_hub/providers"),
]
ALWAYS_OPEN = [("GET", "/healthz"), ("GET", "/hub"), ("GET", "/openapi.json")]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_no_keys_means_no_key_check(open_client):
    async with open_client() as client:
        for method, url in NEED_KEY[:4] + MODEL_HUB:
            response = await client.request(method, url)
            assert response.status_code != 401, url


async def test_routes_that_reveal_workspaces_need_a_key(open_client):
    async with open_client(api_keys=KEYS) as client:
        answers = []
        for method, url in NEED_KEY:
            for headers in (
                {},
                bearer(CANARY_WRONG_KEY),
                {"Authorization": CANARY_HUB_KEY},
                {"X-Api-Key": CANARY_HUB_KEY},
            ):
                response = await client.request(method, url, headers=headers)
                assert response.status_code == 401, (url, headers)
                assert response.headers["content-type"] == PROBLEM
                assert response.headers["www-authenticate"] == "Bearer"
                assert response.json()["type"] == "urn:hub-core:problem:unauthorized"
                assert CANARY_WRONG_KEY not in response.text and CANARY_HUB_KEY not in response.text
                answers.append({k: v for k, v in response.json().items() if k != "instance"})
        assert all(a == answers[0] for a in answers), "missing and wrong keys get the same answer"
        for key in (CANARY_HUB_KEY, "second-key"):
            assert (await client.get("/public/providers", headers=bearer(key))).status_code == 200
        lower = await client.get("/public/providers", headers={"Authorization": f"bearer  {CANARY_HUB_KEY} "})
        assert lower.status_code == 200
        discover = await client.post("/public/databricks/endpoints/discover", headers=bearer(CANARY_HUB_KEY), json={})
        assert discover.status_code == 403, "past the key check, the route's own opt-in answers"


async def test_model_hub_stays_anonymous_and_health_and_page_stay_open(open_client):
    async with open_client(api_keys=KEYS) as client:
        for method, url in MODEL_HUB + ALWAYS_OPEN:
            response = await client.request(method, url)
            assert response.status_code == 200, (url, response.text[:200])


async def test_model_hub_can_require_a_key_too(open_client):
    async with open_client(api_keys=KEYS, require_key_for_model_hub=True) as client:
        for method, url in MODEL_HUB:
            assert (await client.request(method, url)).status_code == 401, url
            assert (await client.request(method, url, headers=bearer(CANARY_HUB_KEY))).status_code == 200, url
        for method, url in ALWAYS_OPEN:
            assert (await client.request(method, url)).status_code == 200, url


def test_route_classification():
    for path in ("/public/model_hub", "/public/v1/model_hub", "/public/v1/model_hub/modes"):
        assert not needs_key(path, require_key_for_model_hub=False)
        assert needs_key(path, require_key_for_model_hub=True)
    for path in ("/public/providers", "/public/{provider}/endpoints", "/public/databricks/anything-new", "/x"):
        assert needs_key(path, require_key_for_model_hub=False), "anything not listed as open needs a key"
    for path in ("/hub", "/hub/", "/hub/static/{name}", "/healthz"):
        assert not needs_key(path, require_key_for_model_hub=True)


async def test_provider_named_like_the_model_hub_still_needs_a_key():
    """Decided by the matched route template, not by a string prefix of the URL."""
    hub = make_hub({"model_hub": StaticProvider("model_hub")}, api_keys=KEYS)
    async with app_client(hub) as client:
        assert (await client.get("/public/model_hub/endpoints")).status_code == 401
        assert (await client.get("/public/v1/model_hub/../../providers")).status_code in (401, 404)


def test_keys_from_a_file(tmp_path):
    path = tmp_path / "keys"
    path.write_text(f"# hub keys\n{CANARY_HUB_KEY}\n\n  second-key  \n")
    keys = load_api_keys(HubSettings(api_keys=f"@{path}"))
    assert [k.get_secret_value() for k in keys] == [CANARY_HUB_KEY, "second-key"]


@pytest.mark.parametrize("content", [None, "", "# only a comment\n\n"])
def test_unreadable_or_empty_key_file_stops_startup(tmp_path, content):
    path = tmp_path / "keys"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SettingsError, match=r"HUB_API_KEYS|no API key"):
        create_app(hub=make_hub({}, api_keys=f"@{path}"))


def test_blank_setting_means_off():
    assert load_api_keys(HubSettings(api_keys="  ")) == ()
    assert load_api_keys(HubSettings()) == ()


def test_keys_are_secret_in_settings_repr():
    settings = HubSettings(api_keys=KEYS)
    assert isinstance(settings.api_keys, SecretStr)
    assert CANARY_HUB_KEY not in repr(settings) and CANARY_HUB_KEY not in str(settings.model_dump())


def test_comparison_is_constant_time_over_every_key(monkeypatch):
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    keys = tuple(SecretStr(k) for k in ("first", "second", "third"))
    assert key_matches("first", keys)  # matches the first key, yet...
    assert len(compared) == 3, "...every key is compared: no early exit"
    assert {len(a) for a, _ in compared} | {len(b) for _, b in compared} == {32}, "fixed-length digests"
    compared.clear()
    assert not key_matches("", keys) and len(compared) == 3


async def test_host_dependencies_replace_the_hub_key_check():
    def host_auth(x_gateway_user: Annotated[str | None, Header()] = None) -> None:
        if x_gateway_user != "alice":
            raise HTTPException(status_code=403, detail="gateway says no")

    host = FastAPI()
    include_hub(host, hub=databricks_hub(api_keys=KEYS), dependencies=[Depends(host_auth)])
    async with app_client(host) as client:
        with_host_auth = await client.get("/public/providers", headers={"X-Gateway-User": "alice"})
        hub_key_only = await client.get("/public/providers", headers=bearer(CANARY_HUB_KEY))
        model_hub = await client.get("/public/model_hub")
    assert with_host_auth.status_code == 200, "the hub's own key is not asked for"
    assert hub_key_only.status_code == 403 and hub_key_only.headers["content-type"] == PROBLEM
    assert model_hub.status_code == 403, "the host's dependencies guard every hub route"


async def test_mounting_without_dependencies_keeps_the_hub_key_check():
    host = FastAPI()
    include_hub(host, hub=databricks_hub(api_keys=KEYS))
    async with app_client(host) as client:
        assert (await client.get("/public/providers")).status_code == 401
        assert (await client.get("/public/providers", headers=bearer(CANARY_HUB_KEY))).status_code == 200


def test_hub_serve_refuses_to_start_without_its_key_file(tmp_path):
    environment = {**os.environ, "HUB_API_KEYS": f"@{tmp_path / 'missing'}"}
    result = subprocess.run(
        [sys.executable, "-m", "hub_core", "serve", "--port", "0"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "HUB_API_KEYS" in result.stderr and "cannot be read" in result.stderr
    assert "Traceback" not in result.stderr
