"""hub_core.error_for_status and retry_after_seconds: an upstream's error answer as a Provider*Error."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from hub_core import (
    MAX_RETRY_AFTER,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailableError,
    Redactor,
    error_for_status,
    retry_after_seconds,
)

NOW = datetime(2026, 12, 2, 14, 0, 0, tzinfo=timezone.utc)
SECRET = "sk-upstream-0123456789abcdef"


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_auth_errors_naming_the_upstream(status: int) -> None:
    error = error_for_status(status, {}, b'{"error": {"message": "bad key"}}', provider="p", what="Server 'a'")
    assert type(error) is ProviderAuthError
    assert str(error) == f"Server 'a' rejected the hub's credentials ({status}: bad key)."
    assert error.provider == "p" and not error.retryable


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_overload_statuses_are_retryable_with_their_retry_after(status: int) -> None:
    error = error_for_status(status, {"Retry-After": "7"}, b"", provider="p", what="Server 'a'")
    assert type(error) is ProviderUnavailableError
    assert error.retryable and error.retry_after == 7
    assert str(error) == f"Server 'a' is unavailable ({status})."


@pytest.mark.parametrize("status", [400, 404, 500, 302])
def test_other_statuses_are_provider_errors_that_are_not_retried(status: int) -> None:
    error = error_for_status(status, {"Retry-After": "7"}, b'{"detail": "no such route"}', provider="p", what="'a'")
    assert type(error) is ProviderError
    assert str(error) == f"'a' answered {status}: no such route."
    assert not error.retryable and error.retry_after is None


def test_a_retry_after_above_the_cap_is_cut_to_it() -> None:
    error = error_for_status(429, {"retry-after": "999999"}, b"", provider="p", what="'a'")
    assert error.retry_after == MAX_RETRY_AFTER == 3600


def test_an_http_date_retry_after_counts_seconds_from_now() -> None:
    when = format_datetime(NOW + timedelta(seconds=90), usegmt=True)  # IMF-fixdate
    assert when.endswith("GMT")
    assert retry_after_seconds({"Retry-After": when}, now=NOW) == 90
    assert retry_after_seconds({"Retry-After": when}, now=NOW + timedelta(milliseconds=500)) == 90  # rounded up


@pytest.mark.parametrize(
    "value",
    ["Wed, 02 Dec 2026 14:01:30 GMT", "Wednesday, 02-Dec-26 14:01:30 GMT", "Wed Dec  2 14:01:30 2026"],
    ids=["imf-fixdate", "rfc850", "asctime"],
)
def test_every_http_date_form_of_rfc_9110_is_read(value: str) -> None:
    assert retry_after_seconds({"Retry-After": value}, now=NOW) == 90


def test_a_far_http_date_is_capped_and_a_past_one_is_zero() -> None:
    far = format_datetime(NOW + timedelta(days=2), usegmt=True)
    past = format_datetime(NOW - timedelta(minutes=5), usegmt=True)
    assert retry_after_seconds({"Retry-After": far}, now=NOW) == MAX_RETRY_AFTER
    assert retry_after_seconds({"Retry-After": far}, now=NOW, cap=60) == 60
    assert retry_after_seconds({"Retry-After": past}, now=NOW) == 0


def test_an_http_date_goes_through_error_for_status() -> None:
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=120), usegmt=True)
    error = error_for_status(503, httpx.Headers({"Retry-After": soon}), b"", provider="p", what="'a'")
    assert error.retry_after is not None and 115 <= error.retry_after <= 120


@pytest.mark.parametrize("value", ["", "soon", "-5", "1.5", "\u00b2", "Mon, 99 Foo 2026 25:00:00 GMT"])
def test_an_unreadable_retry_after_is_none(value: str) -> None:
    assert retry_after_seconds({"Retry-After": value}, now=NOW) is None


def test_no_retry_after_is_none() -> None:
    assert retry_after_seconds({}) is None
    assert error_for_status(503, {}, b"", provider="p", what="'a'").retry_after is None


def test_the_upstream_message_is_redacted_before_it_is_cut() -> None:
    body = ("x" * 150 + f" echoed {SECRET} " + "y" * 200).encode()
    error = error_for_status(500, {}, body, provider="p", what="'a'", redactor=Redactor(SECRET))
    assert SECRET not in str(error) and SECRET[:8] not in str(error)
    assert str(error).startswith("'a' answered 500: xxx") and len(str(error)) < 200


def test_credential_patterns_go_without_a_redactor() -> None:
    body = b'{"message": "you sent Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345"}'
    error = error_for_status(403, {}, body, provider="p", what="'a'")
    assert "abcdefghijklmnopqrstuvwxyz012345" not in str(error) and "you sent" in str(error)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"error": {"message": "m1"}}', "m1"),
        (b'{"error": "m2"}', "m2"),
        (b'{"message": "m3"}', "m3"),
        (b'{"detail": "m4"}', "m4"),
        (b'{"error": {"code": 5}}', ""),
        (b"plain\n  text", "plain text"),
    ],
)
def test_the_message_comes_from_the_usual_places(body: bytes, message: str) -> None:
    error = error_for_status(418, {}, body, provider="p", what="'a'")
    assert str(error) == f"'a' answered 418{': ' + message if message else ''}."
