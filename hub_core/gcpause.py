"""Pausing the cyclic garbage collector around work that builds many short-lived objects."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
FREEZE_YOUNG = 10_000
"""Objects left in the youngest generation by paused work above which they are frozen.

About 1,100 endpoints' worth: at 5,000 endpoints each of a refresh's three paused blocks (decode,
parse, convert) leaves 40,000 to 47,000 objects, and walking them cost 12 to 23 ms per collection
plus an occasional 170 ms promotion, about a quarter of the refresh. The frozen count stays flat
across refreshes: what the next refresh replaces is freed by reference counting."""


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

    What the paused work leaves alive sits in the youngest generation, and the first collection
    after it would walk all of it (1.7 s for a 50,000-endpoint list). So when more than
    ``FREEZE_YOUNG`` objects are left, they are frozen (``gc.freeze()``, as ``create_app`` does at
    start-up): out of the collector's sight, still freed by reference counting. Only cyclic garbage
    left at that moment would be kept.
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
            if _GcPauses.count == 0:
                if gc.get_count()[0] > FREEZE_YOUNG:
                    gc.freeze()
                if _GcPauses.was_enabled:
                    gc.enable()


def without_gc(make: Callable[..., T], *args: Any) -> T:
    """``make(*args)`` with the cyclic collector paused (for work handed to a worker thread)."""
    with gc_paused():
        return make(*args)
