"""Pausing the cyclic garbage collector around work that builds many short-lived objects."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class _GcPauses:
    """How many threads are in ``gc_paused`` now; the collector is back on when the last one leaves."""

    lock = threading.Lock()
    count = 0
    was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many short-lived acyclic objects.

    Converting thousands of endpoints allocates enough to trigger repeated full
    collections that find nothing to free; reference counting still frees everything.
    A full collection over a large workspace's data holds the GIL for seconds, stalling
    the event loop whichever thread set it off. Safe to nest and to enter from several
    threads at once: the collector is restored when the last one leaves.
    """
    with _GcPauses.lock:
        if _GcPauses.count == 0:
            _GcPauses.was_enabled = gc.isenabled()
            gc.disable()
        _GcPauses.count += 1
    try:
        yield
    finally:
        with _GcPauses.lock:
            _GcPauses.count -= 1
            if _GcPauses.count == 0 and _GcPauses.was_enabled:
                gc.enable()


def without_gc(make: Callable[..., T], *args: Any) -> T:
    """``make(*args)`` with the cyclic collector paused (for work handed to a worker thread)."""
    with gc_paused():
        return make(*args)
