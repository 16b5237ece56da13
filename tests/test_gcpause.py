"""gc_paused from several threads at once leaves the collector as it found it."""

from __future__ import annotations

import gc
import threading

import pytest

from hub_core import gc_paused, without_gc
from hub_core.gcpause import FREEZE_YOUNG


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


def test_what_a_large_paused_build_leaves_alive_is_frozen_and_a_small_one_is_not() -> None:
    before = gc.get_freeze_count()
    try:
        with gc_paused():
            small = [[i] for i in range(100)]
        assert gc.get_freeze_count() == before
        with gc_paused():
            large = [[i] for i in range(FREEZE_YOUNG + 10_000)]  # lists: tracked by the collector
        assert gc.get_freeze_count() >= before + len(large)
        assert gc.get_count()[0] < 1000  # nothing left for the next collection to walk
    finally:
        gc.unfreeze()
    assert small and large
