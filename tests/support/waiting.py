"""Wait for a condition instead of sleeping a guessed time: tests pass on a loaded machine too.

Use ``eventually`` when a test waits for something in the background (a refresh, a log line,
a call to the fake workspace). The timeout is generous on purpose: it only bounds how long a
broken test takes to fail, it is never what a test asserts.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

SLOW_MACHINE_SECONDS = 20.0


async def eventually(
    check: Callable[[], bool | Awaitable[bool]],
    *,
    timeout: float = SLOW_MACHINE_SECONDS,
    interval: float = 0.01,
    what: str = "the condition",
) -> None:
    """Return as soon as ``check()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        await asyncio.sleep(interval)
