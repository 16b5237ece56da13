"""botocore's DEBUG log prints request headers (the session token) and upstream bodies: redact them at the source."""

from __future__ import annotations

import logging

from hub_core import Redactor

SECRETS = Redactor()  # every credential any region's client holds; redacts by value in all its forms


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with the secrets taken out; the record itself still goes on."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's problem, not ours
            return True
        if SECRETS.found_in(message):
            record.msg, record.args = SECRETS.redact(message), None
        return True


FILTER = RedactingFilter()


def guard_botocore_logs(redactor: Redactor, secrets: list[str | None]) -> None:
    """Hold ``secrets`` and put the filter on every botocore logger there is (its modules are imported by now)."""
    for secret in secrets:
        SECRETS.add(secret)
        redactor.add(secret)
    names = [n for n in logging.Logger.manager.loggerDict if n == "botocore" or n.startswith(("botocore.", "urllib3"))]
    for name in names:
        logger = logging.getLogger(name)
        if FILTER not in logger.filters:
            logger.addFilter(FILTER)
