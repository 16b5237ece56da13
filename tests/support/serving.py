"""Run ``hub serve`` as a real process on a free port, for tests and benchmarks.

Its output (stdout and stderr) goes to a file rather than a pipe, which nobody would
drain (DEBUG or access logging would fill a pipe and stall the server), and can be read.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str,
    *,
    timeout: float = 30.0,
    interval: float = 0.05,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Return once ``url`` answers 200; raise if ``process`` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout:g} s")
        time.sleep(interval)


@dataclass
class ServedHub:
    base: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        """Everything the process has written so far (complete once the block has exited)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_hub_logged(
    *args: str, log_file: Path | None = None, timeout: float = 30.0, **env: str
) -> Iterator[ServedHub]:
    """Start ``python -m hub_core serve``; yield a ServedHub once /healthz answers.

    The output goes to ``log_file`` (a temporary file when None). After the ``with``
    block the process has exited and ``log()`` holds its full output.
    """
    port = free_port()
    environment = {**os.environ, **env}
    if log_file is None:
        handle, name = tempfile.mkstemp(prefix="hub-serve-", suffix=".log")
        os.close(handle)
        log_file = Path(name)
    log_path = log_file
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub_core", "serve", "--port", str(port), *args],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    served = ServedHub(f"http://127.0.0.1:{port}", log_path, process)
    try:
        try:
            wait_for_http(f"{served.base}/healthz", timeout=timeout, process=process)
        except (RuntimeError, TimeoutError) as error:
            raise type(error)(f"{error}:\n{served.log()}") from None
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_hub(*args: str, timeout: float = 30.0, **env: str) -> Iterator[str]:
    """Start ``python -m hub_core serve``; yield its base URL once /healthz answers."""
    with (
        tempfile.TemporaryDirectory() as folder,
        running_hub_logged(*args, log_file=Path(folder) / "hub.log", timeout=timeout, **env) as served,
    ):
        yield served.base
