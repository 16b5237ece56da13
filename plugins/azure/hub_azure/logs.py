"""Keep credentials out of azure-identity's and azure-core's own log records.

azure-identity logs a failed ``get_token`` at WARNING with Entra ID's whole answer, which an
intercepting proxy could make echo the client secret. Every target's ``Redactor`` is registered
here, and a filter on the ``azure.*`` loggers passes each record's text through all of them.
"""

from __future__ import annotations

import logging
import threading
import weakref

from hub_core import Redactor

_redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()
_lock = threading.Lock()


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        with _lock:
            redactors = list(_redactors)
        if not redactors:
            return True
        text = record.getMessage()
        trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else record.exc_text
        for redactor in redactors:
            text = redactor.redact(text)
            trace = redactor.redact(trace) if trace else trace
        record.msg, record.args, record.exc_text = text, None, trace
        return True


_FILTER = RedactingFilter()


def guard(redactor: Redactor) -> None:
    """Register ``redactor`` and put the filter on every ``azure.*`` logger that exists now.

    Call it after importing azure-identity, whose modules create their loggers on import.
    """
    with _lock:
        _redactors.add(redactor)
    for name in ["azure", *list(logging.root.manager.loggerDict)]:
        if name == "azure" or name.startswith("azure."):
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
