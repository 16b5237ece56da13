"""Logging set-up: ``HUB_LOG_LEVEL`` applies to the hub and the libraries it calls, and no
log line carries a credential: access-log query values and upstream header values are redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import IO, Any
from urllib.parse import unquote_plus

LIBRARY_LOGGERS = ("hub_core", "hub_databricks", "httpx", "httpcore", "uvicorn", "databricks.sdk")
# uvicorn's loggers lose their own handlers and propagate, so its lines share the hub's format.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")
# LogRecord's own attributes; anything else on a record is an ``extra`` and goes into the JSON.
# uvicorn's ``color_message`` (the message again, with terminal colour codes) is left out as well.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None)))
_STANDARD |= {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _HubHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler the hub installs; found again (not duplicated) on a second set-up."""


def configure_logging(level: str, log_format: str = "text", stream: IO[str] | None = None) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"HUB_LOG_LEVEL={level!r} is not a log level; use DEBUG, INFO, WARNING or ERROR.")
    if log_format not in LOG_FORMATS:
        raise ValueError(f"HUB_LOG_FORMAT={log_format!r} is not a log format; use text or json.")
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, _HubHandler)]
    if stream is not None:  # a new destination replaces the hub's handler
        for handler in ours:
            root.removeHandler(handler)
        ours = []
    if not ours and (stream is not None or not root.handlers):
        ours = [_HubHandler(stream or sys.stderr)]
        root.addHandler(ours[0])
    for handler in ours:
        handler.setFormatter(formatter)
    if ours:  # as basicConfig would; a host's own root set-up keeps its level
        root.setLevel(numeric)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(numeric)
    for name in UVICORN_LOGGERS:
        target = logging.getLogger(name)
        target.handlers.clear()
        target.propagate = True
        target.disabled = False  # a dictConfig with disable_existing_loggers (uvicorn's, a host's) mutes it
        target.setLevel(logging.NOTSET)  # the hub's level governs
    redact_library_logs()


def redact_library_logs() -> None:
    """Attach the hub's redaction filters (idempotent): access-log queries and httpcore's headers."""
    redact_access_log()
    redact_http_headers()


# -- access-log redaction -------------------------------------------------------------------

ACCESS_LOGGERS = ("uvicorn.access",)
REDACTED = "[REDACTED]"
# Query parameters whose values never reach a log: the names the hub refuses (they name
# credentials or upstreams) and anything that looks like a credential.
SENSITIVE_QUERY_NAME = re.compile(
    r"^(api_key|api_base|base_url|host|client_id|client_secret|token)$"
    r"|key|secret|token|passw|credential|auth|signature|session|cookie|bearer|jwt",
    re.IGNORECASE,
)


def _sensitive(raw_name: str) -> bool:
    name = unquote_plus(raw_name).strip().lower().replace("-", "_")
    return bool(SENSITIVE_QUERY_NAME.search(name))


def redact_query(text: str) -> str:
    """``/p?provider=x&api_key=s3cret`` -> ``/p?provider=x&api_key=[REDACTED]`` (names kept, values gone)."""
    path, mark, query = text.partition("?")
    if not mark:
        return text
    query, hash_mark, fragment = query.partition("#")
    parts = []
    for part in re.split(r"([&;])", query):
        if part in ("&", ";") or not part:
            parts.append(part)
            continue
        name, equals, _ = part.partition("=")
        parts.append(f"{name}={REDACTED}" if _sensitive(name) or (not equals and _sensitive(part)) else part)
    return f"{path}?{''.join(parts)}{hash_mark}{fragment and REDACTED}"


class RedactQueryFilter(logging.Filter):
    """Rewrites access-log records so sensitive query-parameter values never reach a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            record.args = tuple(redact_query(a) if isinstance(a, str) and "?" in a else a for a in args)
        elif isinstance(record.msg, str) and "?" in record.msg and not args:
            record.msg = " ".join(redact_query(word) if "?" in word else word for word in record.msg.split(" "))
        return True


def redact_access_log(logger_names: tuple[str, ...] = ACCESS_LOGGERS) -> None:
    """Attach ``RedactQueryFilter`` to the access loggers (idempotent). ``include_hub`` calls it."""
    for name in logger_names:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryFilter) for f in target.filters):
            target.addFilter(RedactQueryFilter())


# -- upstream header values ---------------------------------------------------------------

# httpcore logs at DEBUG from these loggers; ``receive_response_headers.complete`` carries the
# upstream's response headers verbatim (an echoed Authorization header, a Set-Cookie).
HTTPCORE_LOGGERS = ("httpcore.http11", "httpcore.http2", "httpcore.connection", "httpcore.proxy", "httpcore.socks")
_BYTES = r"b'(?:[^'\\]|\\.)*'|b\"(?:[^\"\\]|\\.)*\""
HEADER_PAIR = re.compile(rf"\((?P<name>{_BYTES}), (?:{_BYTES})\)")
STATUS = re.compile(r"return_value=\((?:b'[^']*', )?(\d{3})\b")


def _header_name(literal: str) -> str:
    return literal[2:-1][:64]


def hide_header_values(message: str) -> str:
    """``receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', [(b'X', b'v')])``
    -> ``receive_response_headers.complete status=200 headers=X (values hidden)``. Any other
    message that mentions headers keeps only its event name."""
    event = message.split(" ", 1)[0]
    if "return_value=" not in message:
        return event
    status = STATUS.search(message)
    names = [_header_name(m.group("name")) for m in HEADER_PAIR.finditer(message)]
    parts = [event]
    if status:
        parts.append(f"status={status.group(1)}")
    parts.append(f"headers={', '.join(names) or '-'} (values hidden)")
    return " ".join(parts)


class HeaderValueFilter(logging.Filter):
    """Rewrites httpcore's DEBUG records so header values never reach a handler; names stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted is dropped, not shown raw
            return False
        if "headers" in message:
            record.msg, record.args = hide_header_values(message), ()
        return True


def redact_http_headers(logger_names: tuple[str, ...] = HTTPCORE_LOGGERS) -> None:
    """Attach ``HeaderValueFilter`` to httpcore's loggers (idempotent)."""
    for name in logger_names:
        target = logging.getLogger(name)
        if not any(isinstance(f, HeaderValueFilter) for f in target.filters):
            target.addFilter(HeaderValueFilter())
