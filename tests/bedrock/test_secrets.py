"""The AWS secret key and session token never reach the hub's answers or its log, even when Bedrock echoes them."""

from __future__ import annotations

import logging

import pytest
from bedrock_fake import SECRET_KEY, aws_environment, fake_bedrock

import hub_bedrock
from hub_core.testing import app_client, make_hub

SESSION_TOKEN = "IQoJb3JpZ2luX2VjEFAKESESSIONTOKENabcdefghijklmnop0123456789"
PATHS = ("/public/model_hub", "/public/providers", "/public/bedrock/endpoints", "/public/bedrock/litellm_model_list")


async def test_secrets_are_in_no_answer_and_no_log_record(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with fake_bedrock() as fake:
        aws_environment(monkeypatch, fake)
        monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
        # A proxy that echoes what it was sent, and an error that quotes the secret.
        fake.deny("ListCustomModels", f"denied for token {SESSION_TOKEN} and key {SECRET_KEY}")
        hub = make_hub({"bedrock": hub_bedrock}, discovery_timeout=5)
        async with app_client(hub) as client:
            answers = [await client.get(path) for path in PATHS]
            targets = await hub.targets("bedrock")
        url = fake.url
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert fake.upstream.headers_of("GET", "/custom-models")[0]["X-Amz-Security-Token"] == SESSION_TOKEN
    assert "ListCustomModels: AccessDeniedException" in answers[2].json()["warnings"][0]
    logged = [r for r in caplog.records if "ListCustomModels failed" in r.getMessage()]
    assert logged and "denied for token" in logged[0].getMessage(), "the upstream text is logged, redacted"
    for answer in answers:
        assert SECRET_KEY not in answer.text and SESSION_TOKEN not in answer.text, answer.url
    assert SECRET_KEY not in caplog.text and SESSION_TOKEN not in caplog.text
    [target] = targets
    assert SECRET_KEY not in repr(target) and SECRET_KEY not in repr(target.handle)
    assert target.auth_method == "aws:env" and target.url == url
