"""Finding a secret in text, log records and HTTP answers (for the contract suite's secret checks)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

import httpx


def secret_forms(secret: str) -> list[str]:
    """The secret as it may appear in text: as is, URL-encoded, base64 (standard and URL-safe, unpadded)."""
    raw = secret.encode()
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return sorted(forms)


def leaks(text: str, secret: str) -> list[str]:
    """The forms of ``secret`` found in ``text``."""
    return [form for form in secret_forms(secret) if form in text]


def record_text(record: logging.LogRecord) -> str:
    """Everything a handler could write of a record: the message, the traceback and the extras."""
    message = logging.Formatter("%(message)s").format(record)
    return f"{message}\n{record.exc_text or ''}\n{vars(record)!r}"


class _Capture(logging.Handler):
    """Every record at DEBUG and above that reaches the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_logs() -> Iterator[list[logging.LogRecord]]:
    """Records of every logger (the root at DEBUG, its children at NOTSET), levels restored after.

    The hub's app sets its libraries' loggers to ``HUB_LOG_LEVEL`` when it starts: make the hub
    with ``log_level="DEBUG"`` inside this block so their DEBUG records are captured too."""
    root, handler = logging.getLogger(), _Capture()
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = [(lg, lg.level) for lg in [root, *loggers] if isinstance(lg, logging.Logger)]
    for lg, _ in levels:
        lg.setLevel(logging.DEBUG if lg is root else logging.NOTSET)
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        for name in set(logging.root.manager.loggerDict) - {lg.name for lg, _ in levels}:
            made = logging.root.manager.loggerDict[name]
            if isinstance(made, logging.Logger):
                made.setLevel(logging.NOTSET)  # made (and perhaps set) while capturing
        for lg, level in levels:
            lg.setLevel(level)


def response_text(response: httpx.Response) -> str:
    """What a client sees of an answer: its URL, headers and body."""
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    return f"{response.url}\n{headers}\n{response.text}"
