"""A thread pool that grows on demand up to a bound, for blocking application code.

Hand-off is a ``queue.SimpleQueue`` (a C deque and one lock: the cheapest
wake-up the standard library has). A thread is started only when a job finds
no idle thread, so an app that is fast stays on a few threads while one that
blocks gets up to ``max_threads``.

A worker process under a master also tracks its jobs (``track_jobs``): when
each thread's current job started, for the master's stuck-worker time-out,
and how many jobs finished, for recycling. A plain process skips that.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ThreadPool"]

log = logging.getLogger("tapster.error")

_STOP = None


class ThreadPool:
    """Runs submitted callables on at most ``max_threads`` daemon threads."""

    def __init__(
        self, max_threads: int, name: str = "tapster-worker", *, track_jobs: bool = False
    ) -> None:
        if max_threads < 1:
            raise ValueError("max_threads must be at least 1")
        self.max_threads = max_threads
        self._name = name
        self._track_jobs = track_jobs
        # One slot per thread, written only by that thread (so no lock): the
        # ``time.monotonic()`` its current job started (0.0 when idle), and
        # how many jobs it finished.
        self._busy_since = [0.0] * max_threads
        self._jobs_done = [0] * max_threads
        self._jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0

    @property
    def size(self) -> int:
        """How many threads exist now."""
        return len(self._threads)

    def oldest_job_started(self) -> float | None:
        """When the longest-running current job started (``time.monotonic()``); None if idle.

        Only known with ``track_jobs``.
        """
        started = [since for since in self._busy_since if since]
        return min(started) if started else None

    @property
    def jobs_done(self) -> int:
        """How many jobs finished so far (only counted with ``track_jobs``)."""
        return sum(self._jobs_done)

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` on a pool thread, starting one if none is idle."""
        self._jobs.put((function, args))
        with self._lock:
            if self._idle:
                self._idle -= 1  # that thread is spoken for
                return
            if len(self._threads) >= self.max_threads:
                return  # queued: the next thread to finish takes it
            index = len(self._threads)
            if self._track_jobs:
                thread = threading.Thread(
                    target=self._work_tracked, args=(index,),
                    name=f"{self._name}-{index + 1}", daemon=True,
                )
            else:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{index + 1}", daemon=True
                )
            self._threads.append(thread)
        thread.start()

    def shutdown(self, timeout: float | None = None) -> None:
        """Let queued jobs finish, then stop every thread (waiting up to ``timeout`` in all)."""
        with self._lock:
            threads = list(self._threads)
        for _ in threads:
            self._jobs.put(_STOP)
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _work(self) -> None:
        jobs = self._jobs
        while True:
            job = jobs.get()
            if job is _STOP:
                return
            function, args = job
            try:
                function(*args)
            except BaseException:  # a job must never kill its thread
                log.exception("unhandled error in a worker thread")
            del job, function, args
            with self._lock:
                # A thread that took a queued job nobody assigned it (the pool
                # was full) would count twice; capping keeps the count honest.
                self._idle = min(self._idle + 1, len(self._threads))

    def _work_tracked(self, index: int) -> None:
        # ``_work`` plus the bookkeeping, kept apart so that a plain process
        # pays nothing for it.
        jobs = self._jobs
        busy_since = self._busy_since
        jobs_done = self._jobs_done
        monotonic = time.monotonic
        while True:
            job = jobs.get()
            if job is _STOP:
                return
            function, args = job
            busy_since[index] = monotonic()
            try:
                function(*args)
            except BaseException:  # a job must never kill its thread
                log.exception("unhandled error in a worker thread")
            busy_since[index] = 0.0
            jobs_done[index] += 1
            del job, function, args
            with self._lock:
                self._idle = min(self._idle + 1, len(self._threads))
