"""HUB_LOG_FORMAT: json lines (uvicorn's included, secrets redacted) and text lines in the documented form."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from hub_core.logs import configure_logging
from hub_core.settings import HubSettings


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)
    saved = {
        n: (
            logging.getLogger(n).handlers[:],
            logging.getLogger(n).propagate,
            logging.getLogger(n).disabled,
            logging.getLogger(n).level,
        )
        for n in ("uvicorn", "uvicorn.access", "uvicorn.error")
    }
    yield io.StringIO()
    for name, (handlers, propagate, disabled, level) in saved.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate
        logging.getLogger(name).disabled = disabled
        logging.getLogger(name).setLevel(level)


def lines(buffer: io.StringIO) -> list[str]:
    return [line for line in buffer.getvalue().splitlines() if line]


def test_json_lines_parse_with_extras(stream: io.StringIO) -> None:
    configure_logging("INFO", "json", stream=stream)
    logging.getLogger("hub_core.test").info("refreshed %s", "databricks", extra={"provider": "databricks"})
    (entry,) = map(json.loads, lines(stream))
    assert entry["level"] == "INFO" and entry["logger"] == "hub_core.test"
    assert entry["message"] == "refreshed databricks" and entry["provider"] == "databricks"
    assert entry["time"].endswith("+00:00")


def test_uvicorn_lines_go_through_the_json_formatter(stream: io.StringIO) -> None:
    # uvicorn's own dictConfig gives these loggers handlers and propagate=False; set-up undoes that.
    logging.getLogger("uvicorn.error").addHandler(logging.StreamHandler(io.StringIO()))
    logging.getLogger("uvicorn.access").propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # as a dictConfig with disable_existing_loggers leaves it
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    configure_logging("INFO", "json", stream=stream)
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "1.2.3.4", "GET", "/healthz", "1.1", 200)
    entries = [json.loads(line) for line in lines(stream)]
    assert [e["logger"] for e in entries] == ["uvicorn.error", "uvicorn.access"]
    assert entries[0]["message"] == "Started server process [42]"


def test_secret_in_an_access_line_is_redacted_in_json(stream: io.StringIO) -> None:
    configure_logging("INFO", "json", stream=stream)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "1.2.3.4", "GET", "/public/model_hub?api_key=s3cr3t-value-xyz", "1.1", 200
    )
    text = stream.getvalue()
    assert "s3cr3t-value-xyz" not in text
    assert "api_key=[REDACTED]" in json.loads(lines(stream)[0])["message"]


def test_text_mode_formats_uvicorn_lines_as_documented(stream: io.StringIO) -> None:
    configure_logging("INFO", "text", stream=stream)
    logging.getLogger("uvicorn.error").info("Application startup complete.")
    (line,) = lines(stream)
    # docs/configuration.md: `time LEVEL logger: message`
    assert line.endswith(" INFO uvicorn.error: Application startup complete.")
    assert line[:4].isdigit()


def test_unknown_format_is_a_named_error(stream: io.StringIO) -> None:
    with pytest.raises(ValueError, match="HUB_LOG_FORMAT='xml'"):
        configure_logging("INFO", "xml", stream=stream)


def test_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_LOG_FORMAT", "json")
    assert HubSettings().log_format == "json"
