"""Logging set-up: ``HUB_LOG_LEVEL`` applies to the hub and the libraries it calls."""

from __future__ import annotations

import logging

LIBRARY_LOGGERS = ("hub_core", "hub_databricks", "httpx", "httpcore", "uvicorn", "databricks.sdk")


def configure_logging(level: str) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"HUB_LOG_LEVEL={level!r} is not a log level; use DEBUG, INFO, WARNING or ERROR.")
    logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(numeric)
