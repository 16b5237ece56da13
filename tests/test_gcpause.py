"""gc_paused from several threads at once leaves the collector as it found it."""

from __future__ import annotations

import gc
import threading

import pytest

from hub_core import gc_paused, without_gc


def test_overlapping_pauses_restore_the_collector_when_the_last_one_leaves() -> None:
    assert gc.isenabled()
    first_in, second_in, first_may_leave = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with gc_paused():
            first_in.set()
            first_may_leave.wait(5)
        seen.append(gc.isenabled())  # the second thread is still inside: still paused

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with gc_paused():
        second_in.set()
        first_may_leave.set()
        thread.join(5)
        assert not gc.isenabled()
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_app_stays_off() -> None:
    gc.disable()
    try:
        assert without_gc(gc.isenabled) is False
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_without_gc_passes_arguments_and_restores_after_an_error() -> None:
    assert without_gc(lambda a, b: a + b, 2, 3) == 5

    def boom() -> None:
        raise ValueError("x")

    with pytest.raises(ValueError):
        without_gc(boom)
    assert gc.isenabled()
