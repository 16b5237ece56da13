"""hub_core.Redactor: secrets go by value, in every form an upstream may echo them in."""

from __future__ import annotations

import base64
import threading
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from hub_core import REDACTED, Redactor

SECRET = "Sk3t-c/ient+secret=value_42"
TOKEN = "opaque-5f1e9d2c7b3a8e4f6d0c1b2a3948576e"


@pytest.mark.parametrize(
    "echoed",
    [
        SECRET,
        SECRET.upper(),
        SECRET.lower(),
        quote(SECRET, safe=""),
        quote(SECRET, safe="").lower(),
        quote_plus(SECRET),
        base64.b64encode(SECRET.encode()).decode(),
        base64.urlsafe_b64encode(SECRET.encode()).decode(),
        base64.b64encode(b"x" + SECRET.encode()).decode(),  # inside a longer encoded value
        base64.b64encode(b"xy" + SECRET.encode() + b"z").decode(),
        SECRET[:12],  # the upstream cut it
        SECRET[-10:],
        SECRET[5:17],
    ],
)
def test_each_form_of_a_secret_is_redacted(echoed):
    redactor = Redactor(SecretStr(SECRET))
    text = f"upstream said: <{echoed}> and more"
    redacted = redactor.redact(text)
    assert echoed not in redacted and REDACTED in redacted
    assert redacted.startswith("upstream said: <") and redacted.endswith("> and more")


def test_a_basic_header_is_redacted_with_its_user_name():
    redactor = Redactor()
    redactor.add_basic("sp-client-id", SECRET)
    header = base64.b64encode(f"sp-client-id:{SECRET}".encode()).decode()
    assert header not in redactor.redact(f"invalid_client{header}")
    assert redactor.redact(f"got {header}") == f"got {REDACTED}"


def test_tokens_added_later_are_redacted_too():
    redactor = Redactor("a-configured-secret")
    assert redactor.redact(TOKEN) == TOKEN  # not a secret yet, and not credential-shaped
    redactor.add(TOKEN)
    assert redactor.redact(f"token {TOKEN}.") == f"token {REDACTED}."


def test_credential_shaped_text_is_redacted_without_being_told():
    redactor = Redactor()
    assert redactor.redact("Authorization: Bearer abc.def-ghi") == f"Authorization: {REDACTED}"
    assert redactor.redact("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig") == REDACTED
    assert redactor.redact('{"client_secret": "s3cr3t"}') == '{"client_secret": "' + REDACTED + '"}'
    assert redactor.redact("access_token=abc&x=1") == f"access_token={REDACTED}&x=1"


def test_ordinary_text_and_short_values_are_left_alone():
    redactor = Redactor(SECRET, "abc", None, "")
    text = "Client authentication failed: invalid client secret for this workspace (401)."
    assert redactor.redact(text) == text
    assert redactor.redact("abc") == "abc"  # shorter than 4 characters: never a secret
    assert len(redactor) == 1


def test_the_repr_never_shows_a_secret():
    redactor = Redactor(SECRET, TOKEN)
    assert SECRET not in repr(redactor) and TOKEN not in repr(redactor)
    assert repr(redactor) == "Redactor(2 secrets)"


def test_update_takes_another_redactors_secrets():
    first, second = Redactor(SECRET), Redactor()
    second.update(first)
    assert second.redact(SECRET.upper()) == REDACTED


def test_adding_from_threads_while_redacting():
    redactor = Redactor()
    tokens = [f"thread-token-{n:04d}-{'x' * 20}" for n in range(200)]
    workers = [threading.Thread(target=redactor.add, args=(t,)) for t in tokens]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(redactor.redact(t) == REDACTED for t in tokens)


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=64),
    before=st.text(max_size=40),
    after=st.text(max_size=40),
)
def test_a_secret_never_survives_in_any_context(secret, before, after):
    assume(secret.lower() not in REDACTED.lower())
    redactor = Redactor(secret)
    for form in (secret, secret.upper(), base64.b64encode(secret.encode()).decode(), quote(secret, safe="")):
        assert form.lower() not in redactor.redact(before + form + after).lower()


def test_found_in_spots_whole_forms_in_bytes_and_text():
    redactor = Redactor(SECRET)
    assert not Redactor().found_in(SECRET)
    assert redactor.found_in(b'{"creator": "' + base64.b64encode(SECRET.encode()) + b'"}')
    assert redactor.found_in(f"x {SECRET.upper()} y") and redactor.found_in(quote(SECRET, safe="").lower())
    assert not redactor.found_in("nothing secret here " * 1000)


def test_redact_data_redacts_every_string_and_key():
    redactor = Redactor(SECRET)
    data = {"a": [SECRET, 1, None, {SECRET: f"x{SECRET}"}], "n": 2.5}
    assert redactor.redact_data(data) == {"a": [REDACTED, 1, None, {REDACTED: f"x{REDACTED}"}], "n": 2.5}


def test_data_nested_past_the_recursion_limit_is_handled():
    redactor = Redactor(SECRET)
    deep: list[object] = [f"x {SECRET}"]
    for _ in range(5000):
        deep = [deep, {"k": "v"}]
    assert redactor.found_in_data(deep)
    redacted = redactor.redact_data(deep)
    for _ in range(5000):
        assert redacted[1] == {"k": "v"}
        redacted = redacted[0]
    assert redacted == [f"x {REDACTED}"]
