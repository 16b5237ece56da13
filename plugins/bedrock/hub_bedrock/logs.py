"""botocore's DEBUG log prints request headers (the session token) and upstream bodies: redact them at the source."""

from __future__ import annotations

import logging
import re

from hub_core import REDACTED, Redactor

SECRETS = Redactor()  # every credential any region's client holds; redacts by value in all its forms
# Credentials botocore obtains later (a refreshed role session, SSO) and logs at DEBUG: the session-token
# header it sends, and the STS (XML) and SSO (JSON) replies that carry keys. Redacted by where they stand.
SHAPES = re.compile(
    r"(?P<head>x-amz-security-token['\"]?\s*[:=]\s*b?['\"]?)(?P<value>[^'\"\s,}]+)"
    r"|(?P<open><(?:SecretAccessKey|SessionToken)>)(?P<xml>[^<]*)"
    r"|(?P<key>['\"](?:secretAccessKey|sessionToken|accessToken|SecretAccessKey|SessionToken)['\"]\s*:\s*['\"])"
    r"(?P<json>[^'\"]*)",
    re.IGNORECASE,
)


def _scrub(match: re.Match[str]) -> str:
    prefix = match["head"] or match["open"] or match["key"]
    return f"{prefix}{REDACTED}"


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with the secrets taken out; the record itself still goes on."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's problem, not ours
            return True
        scrubbed = SHAPES.sub(_scrub, message)
        if scrubbed != message or SECRETS.found_in(scrubbed):
            record.msg, record.args = SECRETS.redact(scrubbed), None
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
