"""ARM and Entra ID faults: partial answers, throttling, refused credentials, and secrets kept out of output."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from azure_fake import (
    CLIENT_SECRET,
    NAMESPACE,
    SUB_A,
    FakeArm,
    FakeEntra,
    account,
    arm_error,
    deployment,
    plugin_settings,
)

import hub_azure
from hub_core.testing import app_client, make_hub
from hub_core.testing.upstream import Reply, Request

pytestmark = pytest.mark.usefixtures("service_principal")
PUBLIC = ("/public/model_hub", "/public/providers", "/public/azure/endpoints")


def hub_for(config: dict[str, Any]) -> Any:
    return make_hub({"azure": hub_azure}, providers={"azure": config}, discovery_timeout=5)


async def answers(hub: Any, paths: tuple[str, ...] = PUBLIC) -> list[Any]:
    async with app_client(hub) as client:
        return [await client.get(path) for path in paths]


def two_accounts(arm: FakeArm) -> tuple[dict[str, Any], dict[str, Any]]:
    good, locked = account(SUB_A, "rg", "good"), account(SUB_A, "rg", "locked")
    arm.add_account(good, [deployment(good, "chat", "gpt-4o", "2024-08-06")])
    arm.add_account(locked, [deployment(locked, "hidden", "gpt-4o", "2024-08-06")])
    return good, locked


def echo_token(request: Request) -> Reply:
    """ARM's AuthorizationFailed, with the caller's Authorization header echoed back (as a hostile proxy might)."""
    message = (
        f"The client '{request.headers.get('Authorization')}' with object id 'abc' does not have authorization to "
        "perform action 'Microsoft.CognitiveServices/accounts/deployments/read' over scope '/subscriptions/x'."
    )
    return Reply(arm_error("AuthorizationFailed", message), 403)


async def test_one_account_denied_is_a_partial_answer_without_secrets(
    arm: FakeArm, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    _, locked = two_accounts(arm)
    arm.upstream.route("GET", f"{locked['id']}/deployments", handler=echo_token)
    caplog.set_level(logging.DEBUG)
    hub_page, providers, listed = await answers(hub_for(plugin_settings(arm, entra)))
    assert [r.status_code for r in (hub_page, providers, listed)] == [200, 200, 200]
    assert [e["name"] for e in listed.json()["endpoints"]] == ["chat"]
    [warning] = listed.json()["warnings"]
    assert warning.startswith(f"{SUB_A}: account 'locked': ")
    assert "rejected the hub's credentials (403" in warning
    assert "deployments/read" in warning
    [row] = [p for p in providers.json() if p["name"] == "azure"]
    assert row["warnings"] == [warning] and "partial" in row["message"]
    assert entra.issued, "a token was issued and sent"
    for secret in (*entra.issued, CLIENT_SECRET):
        for answer in (hub_page, providers, listed):
            assert secret not in answer.text
        assert secret not in caplog.text


async def test_throttled_account_list_is_503_with_retry_after(arm: FakeArm, entra: FakeEntra) -> None:
    two_accounts(arm)
    arm.deny(f"/subscriptions/{SUB_A}/{NAMESPACE}", 429, "TooManyRequests", "Rate limit exceeded.", retry_after=30)
    [listed] = await answers(hub_for(plugin_settings(arm, entra)), ("/public/azure/endpoints",))
    assert listed.status_code == 503
    assert listed.headers["retry-after"] == "30"
    problem = listed.json()
    assert problem["type"] == "urn:hub-core:problem:provider-unavailable"
    assert "Rate limit exceeded." in problem["detail"]
    assert arm.upstream.calls("GET", f"/subscriptions/{SUB_A}/{NAMESPACE}") == 1, "a 30 s Retry-After is not retried"


async def test_throttled_once_then_answered_is_retried_in_the_same_refresh(arm: FakeArm, entra: FakeEntra) -> None:
    two_accounts(arm)
    path, seen = f"/subscriptions/{SUB_A}/{NAMESPACE}", []
    normal = arm._lister(lambda: arm.accounts[SUB_A])

    def throttle_first(request: Request) -> Reply:
        seen.append(request)
        if len(seen) == 1:
            return Reply(arm_error("TooManyRequests", "Slow down."), 429, {"Retry-After": "1"})
        return normal(request)  # type: ignore[no-any-return]

    arm.upstream.route("GET", path, handler=throttle_first)
    [listed] = await answers(hub_for(plugin_settings(arm, entra)), ("/public/azure/endpoints",))
    assert listed.status_code == 200
    assert sorted(e["name"] for e in listed.json()["endpoints"]) == ["chat", "hidden"]
    assert len(seen) == 2


async def test_every_account_denied_fails_the_target(arm: FakeArm, entra: FakeEntra) -> None:
    good, locked = two_accounts(arm)
    for parent in (good, locked):
        arm.upstream.route("GET", f"{parent['id']}/deployments", handler=echo_token)
    hub_page, providers, listed = await answers(hub_for(plugin_settings(arm, entra)))
    assert hub_page.status_code == 503 and providers.status_code == 200  # azure is the only provider here
    assert listed.status_code == 502
    assert listed.json()["type"] == "urn:hub-core:problem:provider-auth"
    for token in entra.issued:
        assert token not in listed.text and token not in providers.text


async def test_wrong_client_secret_is_an_auth_error_that_names_what_to_check(
    arm: FakeArm, entra: FakeEntra, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    two_accounts(arm)
    wrong = "wrong-secret-9876543210fedcba"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", wrong)  # the fake echoes it in error_description
    caplog.set_level(logging.DEBUG)
    hub_page, providers, listed = await answers(hub_for(plugin_settings(arm, entra)))
    assert listed.status_code == 502
    problem = listed.json()
    assert problem["type"] == "urn:hub-core:problem:provider-auth"
    assert "AADSTS7000215" in problem["detail"] and "client id and secret" in problem["detail"]
    assert arm.upstream.requests == [], "no token, no ARM call"
    [row] = [p for p in providers.json() if p["name"] == "azure"]
    assert row["status"] == "error"
    for answer in (hub_page, providers, listed):
        assert wrong not in answer.text
    assert wrong not in caplog.text


async def test_arm_refusing_the_token_is_an_auth_error(arm: FakeArm, entra: FakeEntra) -> None:
    two_accounts(arm)
    arm.entra = FakeEntra()  # an Entra ID whose tokens ARM never saw: every token is refused
    [listed] = await answers(hub_for(plugin_settings(arm, entra)), ("/public/azure/endpoints",))
    assert listed.status_code == 502
    assert "401" in listed.json()["detail"] and "The access token is invalid." in listed.json()["detail"]


async def test_one_account_throttled_is_a_warning_and_all_failing_prefers_the_transient_error(
    arm: FakeArm, entra: FakeEntra
) -> None:
    good, locked = two_accounts(arm)
    arm.deny(f"{locked['id']}/deployments", 429, "TooManyRequests", "Slow down.", retry_after=60)
    [listed] = await answers(hub_for(plugin_settings(arm, entra)), ("/public/azure/endpoints",))
    assert listed.status_code == 200
    [warning] = listed.json()["warnings"]
    assert "account 'locked'" in warning and "unavailable (429: Slow down.)" in warning
    arm.upstream.route("GET", f"{good['id']}/deployments", handler=echo_token)  # now: one 403, one 429
    [listed] = await answers(hub_for(plugin_settings(arm, entra)), ("/public/azure/endpoints",))
    assert listed.status_code == 503 and listed.headers["retry-after"] == "60"


async def test_entra_id_unreachable_is_a_transient_503(arm: FakeArm, entra: FakeEntra) -> None:
    two_accounts(arm)
    config = plugin_settings(arm, entra)
    entra.stop()  # nothing listens on its port any more
    [listed] = await answers(hub_for(config), ("/public/azure/endpoints",))
    assert listed.status_code == 503, listed.text
    assert "Microsoft Entra ID cannot be reached" in listed.json()["detail"]
    assert arm.upstream.requests == []
