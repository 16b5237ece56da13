"""An upstream's error answer as a ``Provider*Error``: status mapping, a capped ``Retry-After``, a redacted message."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import orjson

from hub_core.errors import ProviderAuthError, ProviderError, ProviderUnavailableError
from hub_core.redact import Redactor

__all__ = ["MAX_RETRY_AFTER", "error_for_status", "retry_after_seconds", "upstream_message"]

MAX_RETRY_AFTER = 3600  # seconds: an upstream cannot pause a target for longer than an hour
AUTH_STATUSES = frozenset({401, 403})
UNAVAILABLE_STATUSES = frozenset({429, 502, 503, 504})
MESSAGE_CHARS = 160
_PATTERNS_ONLY = Redactor()


def error_for_status(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    provider: str,
    what: str,
    redactor: Redactor | None = None,
) -> ProviderError:
    """The error for an upstream's non-success answer; the caller raises it.

    401 and 403 give a ``ProviderAuthError``; 429 and 502-504 a retryable ``ProviderUnavailableError``
    with ``Retry-After`` (seconds or an HTTP-date) capped at ``MAX_RETRY_AFTER``; any other status a
    ``ProviderError``. ``what`` names the upstream ("OpenAI-compatible server 'gpu1'"); the upstream's
    own message is passed through ``redactor`` (credential patterns are always removed) and cut.
    """
    summary = f"{status}: {upstream_message(body, redactor)}".rstrip(": ")
    if status in AUTH_STATUSES:
        return ProviderAuthError(f"{what} rejected the hub's credentials ({summary}).", provider=provider)
    if status in UNAVAILABLE_STATUSES:
        return ProviderUnavailableError(
            f"{what} is unavailable ({summary}).",
            provider=provider,
            retryable=True,
            retry_after=retry_after_seconds(headers),
        )
    return ProviderError(f"{what} answered {summary}.", provider=provider)


def retry_after_seconds(
    headers: Mapping[str, str], *, cap: int = MAX_RETRY_AFTER, now: datetime | None = None
) -> int | None:
    """``Retry-After`` in whole seconds, at most ``cap``; None when absent or unreadable.

    RFC 9110 allows a number of seconds or an HTTP-date (IMF-fixdate, RFC 850 or asctime form, all
    in UTC); a date in the past is 0. ``now`` is for tests.
    """
    value = _header(headers, "Retry-After").strip()
    if value.isascii() and value.isdigit():
        return min(int(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # the asctime form carries no zone; HTTP dates are UTC
        when = when.replace(tzinfo=timezone.utc)
    seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(math.ceil(seconds), 0), cap)


def upstream_message(body: bytes, redactor: Redactor | None = None) -> str:
    """The upstream's error message (``error.message``, ``error``, ``message`` or ``detail`` of a JSON
    body, else the text), whitespace folded, redacted, then cut: never the raw body."""
    text = body[:4000].decode("utf-8", errors="replace")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        error = parsed.get("error")
        found = error.get("message") if isinstance(error, dict) else error
        found = found or parsed.get("message") or parsed.get("detail")
        text = found[:4000] if isinstance(found, str) else ""
    # Redacted before the cut, so that a cut cannot leave a secret's pieces unrecognised.
    return (redactor or _PATTERNS_ONLY).redact(" ".join(text.split()))[:MESSAGE_CHARS]


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header's value, matched case-insensitively in a plain dict too (``httpx.Headers`` already is)."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value or ""
