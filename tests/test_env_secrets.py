"""hub_core.secret_from_env: secrets come from the variable a settings table names, never from the table."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from hub_core import ProviderConfigError, secret_from_env

SECRET = "sk-acme-0123456789abcdef"


def test_the_named_variable_is_read_and_hidden_from_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_EU_KEY", f"  {SECRET}\n")
    secret = secret_from_env({"api_key_env": "ACME_EU_KEY"}, "api_key", provider="acme")
    assert isinstance(secret, SecretStr)
    assert secret.get_secret_value() == SECRET, "surrounding whitespace is stripped"
    assert SECRET not in repr(secret) and SECRET not in str(secret) and SECRET not in f"{[secret]}"


def test_the_named_variable_wins_over_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_API_KEY", "the-default-value")
    monkeypatch.setenv("ACME_OTHER", SECRET)
    secret = secret_from_env({"api_key_env": "ACME_OTHER"}, "api_key", provider="acme", env_default="ACME_API_KEY")
    assert secret is not None and secret.get_secret_value() == SECRET


def test_the_default_variable_is_read_when_none_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_API_KEY", SECRET)
    secret = secret_from_env({}, "api_key", provider="acme", env_default="ACME_API_KEY")
    assert secret is not None and secret.get_secret_value() == SECRET


def test_an_unset_default_or_no_variable_at_all_is_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACME_API_KEY", raising=False)
    assert secret_from_env({}, "api_key", provider="acme", env_default="ACME_API_KEY") is None
    assert secret_from_env({"base_url": "http://x"}, "api_key", provider="acme") is None


def test_an_inline_secret_is_refused_without_echoing_it() -> None:
    with pytest.raises(ProviderConfigError) as caught:
        secret_from_env({"api_key": SECRET}, "api_key", provider="acme")
    message = str(caught.value)
    assert "[providers.acme]" in message and "api_key_env" in message
    assert SECRET not in message and SECRET not in repr(caught.value) and SECRET not in str(caught.value.problem())
    assert caught.value.provider == "acme"


def test_an_inline_secret_is_refused_even_beside_a_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_KEY", "from-the-environment")
    with pytest.raises(ProviderConfigError, match="holds token inline"):
        secret_from_env({"token": SECRET, "token_env": "ACME_KEY"}, "token", provider="acme")


@pytest.mark.parametrize("value", ["", "   "])
def test_a_named_variable_that_is_unset_or_empty_is_an_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ACME_EU_KEY", value)
    with pytest.raises(
        ProviderConfigError, match=r"environment variable ACME_EU_KEY is not set \(api_key_env names it\)"
    ):
        secret_from_env({"api_key_env": "ACME_EU_KEY"}, "api_key", provider="acme", env_default="ACME_API_KEY")


@pytest.mark.parametrize("named", [42, "", "  ", ["ACME_KEY"]])
def test_a_variable_name_that_is_not_one_is_an_error(named: object) -> None:
    with pytest.raises(ProviderConfigError, match="api_key_env must be the name of an environment variable"):
        secret_from_env({"api_key_env": named}, "api_key", provider="acme")


def test_table_and_environ_can_be_given() -> None:
    where = "[[providers.acme.regions]] 'eu'"
    environ = {"EU_TOKEN": SECRET}
    secret = secret_from_env({"token_env": "EU_TOKEN"}, "token", provider="acme", table=where, environ=environ)
    assert secret is not None and secret.get_secret_value() == SECRET
    with pytest.raises(
        ProviderConfigError, match=r"^\[\[providers\.acme\.regions\]\] 'eu': environment variable MISSING is not set"
    ):
        secret_from_env({"token_env": "MISSING"}, "token", provider="acme", table=where, environ=environ)
