"""A few daemon threads of one provider's own, for blocking calls (SDKs, sync hookimpls).

A blocking call can hang for as long as an upstream holds the connection. Such calls run
here, never on the event loop or its default executor: a stuck call occupies at most
``size`` of these threads, other providers and the hub's own worker threads (serialisation,
conversion) stay free, and since the threads are daemons, neither ``asyncio.run`` nor the
interpreter waits for them at exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

IDLE_SECONDS = 30.0  # an idle thread exits after this long


class WorkersBusyError(RuntimeError):
    """Every thread is busy and too many calls already wait: refused without queueing."""


@dataclass
class _Job:
    work: Callable[[], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    abandoned: bool = field(default=False)  # the caller stopped waiting: do not start it


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class DaemonWorkers:
    """At most ``size`` daemon threads, started on demand; ``await run(work, timeout)``."""

    def __init__(self, size: int = 2, *, name: str = "hub-workers", max_waiting: int = 16) -> None:
        self.size = size
        self.max_waiting = max_waiting
        self._name = name
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self.busy = 0  # calls running now, including stuck ones

    def __repr__(self) -> str:
        return f"DaemonWorkers(size={self.size}, threads={self._threads}, busy={self.busy})"

    async def run(self, work: Callable[[], T], timeout: float | None) -> T:
        """``work()`` in a thread; ``asyncio.TimeoutError`` after ``timeout`` s (the call may go on).

        Raises ``WorkersBusyError`` at once when every thread is busy and ``max_waiting`` calls wait.
        """
        if self.busy >= self.size and self._jobs.qsize() >= self.max_waiting:
            raise WorkersBusyError(f"{self.busy} calls have not returned and {self._jobs.qsize()} more wait")
        loop = asyncio.get_running_loop()
        job = _Job(work, loop, loop.create_future())
        self._jobs.put(job)
        self._start_thread_if_needed()
        try:
            result: T = await asyncio.wait_for(job.future, timeout)
            return result
        except BaseException:
            job.abandoned = True
            raise

    def _start_thread_if_needed(self) -> None:
        with self._lock:
            if self._threads >= self.size or self._jobs.qsize() <= self._idle:
                return
            self._threads += 1
            number = self._threads
        threading.Thread(target=self._serve, name=f"{self._name}-{number}", daemon=True).start()

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            try:
                job = self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    self._idle -= 1
                    if self._jobs.empty():
                        self._threads -= 1
                        return
                continue
            with self._lock:
                self._idle -= 1
                self.busy += 1
            try:
                self._run(job)
            finally:
                with self._lock:
                    self.busy -= 1

    @staticmethod
    def _run(job: _Job) -> None:
        if job.abandoned:
            return
        try:
            ok, value = True, job.work()
        except BaseException as error:  # handed to the waiting coroutine, which re-raises it
            ok, value = False, error
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            job.loop.call_soon_threadsafe(_settle, job.future, ok, value)
