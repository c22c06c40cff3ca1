"""The thread pool: grows on demand up to its bound, runs every job, survives failures."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tapster.net import ThreadPool


@pytest.fixture
def make_pool() -> Iterator[Callable[[int], ThreadPool]]:
    """``make_pool(max_threads)``; every pool made is shut down after the test."""
    pools: list[ThreadPool] = []

    def make(max_threads: int) -> ThreadPool:
        pool = ThreadPool(max_threads, name="test-pool")
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.shutdown(timeout=5)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def wait_idle(pool: ThreadPool, count: int) -> None:
    """Wait until ``count`` threads have finished their jobs and wait for more."""
    wait_until(lambda: pool._idle == count)


class Gate:
    """Jobs that block until opened, counting how many started and finished."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.lock = threading.Lock()
        self.started = 0
        self.finished = 0
        self.threads: set[str] = set()

    def job(self) -> None:
        with self.lock:
            self.started += 1
            self.threads.add(threading.current_thread().name)
        assert self.opened.wait(10), "the gate was never opened"
        with self.lock:
            self.finished += 1


def test_at_least_one_thread():
    with pytest.raises(ValueError, match="at least 1"):
        ThreadPool(0)


def test_no_thread_before_the_first_job(make_pool):
    assert make_pool(4).size == 0


def test_sequential_jobs_reuse_one_idle_thread(make_pool):
    pool = make_pool(8)
    names = []
    for _ in range(20):
        done = threading.Event()
        pool.submit(lambda done=done: (names.append(threading.current_thread().name), done.set()))
        assert done.wait(5)
        wait_idle(pool, 1)
    assert pool.size == 1
    assert set(names) == {"test-pool-1"}


def test_grows_only_when_no_thread_is_idle(make_pool):
    pool = make_pool(8)
    gate = Gate()
    for _ in range(3):
        pool.submit(gate.job)
    wait_until(lambda: gate.started == 3)
    assert pool.size == 3  # each found every thread busy
    gate.opened.set()
    wait_idle(pool, 3)

    # Three idle threads: three more jobs start no thread; the fourth does.
    second = Gate()
    for _ in range(3):
        pool.submit(second.job)
    wait_until(lambda: second.started == 3)
    assert pool.size == 3
    pool.submit(second.job)
    wait_until(lambda: second.started == 4)
    assert pool.size == 4
    second.opened.set()
    wait_until(lambda: second.finished == 4)


def test_never_beyond_max_threads_and_every_job_runs_when_saturated(make_pool):
    pool = make_pool(4)
    gate = Gate()
    for _ in range(25):
        pool.submit(gate.job)
    wait_until(lambda: gate.started == 4)
    time.sleep(0.05)  # queued jobs must not start while every thread is busy
    assert gate.started == 4
    assert pool.size == 4
    gate.opened.set()
    wait_until(lambda: gate.finished == 25)
    assert pool.size == 4
    assert len(gate.threads) == 4


def test_saturated_pool_keeps_its_bound_afterwards(make_pool):
    # Threads that took queued jobs count as idle once; the count must not
    # let the pool believe in idle threads that are busy (or grow past max).
    pool = make_pool(2)
    for _ in range(3):
        gate = Gate()
        for _ in range(10):
            pool.submit(gate.job)
        wait_until(lambda gate=gate: gate.started == 2)
        gate.opened.set()
        wait_until(lambda gate=gate: gate.finished == 10)
        assert pool.size == 2


def test_concurrent_submitters(make_pool):
    pool = make_pool(6)
    counter = {"runs": 0}
    lock = threading.Lock()
    all_done = threading.Event()
    total = 8 * 250

    def job() -> None:
        with lock:
            counter["runs"] += 1
            if counter["runs"] == total:
                all_done.set()

    def submitter() -> None:
        for _ in range(250):
            pool.submit(job)

    submitters = [threading.Thread(target=submitter) for _ in range(8)]
    for thread in submitters:
        thread.start()
    for thread in submitters:
        thread.join(10)
    assert all_done.wait(10), f"ran {counter['runs']} of {total}"
    assert 1 <= pool.size <= 6


def test_arguments_are_passed(make_pool):
    pool = make_pool(1)
    results = []
    done = threading.Event()
    pool.submit(lambda a, b: (results.append((a, b)), done.set()), 1, "two")
    assert done.wait(5)
    assert results == [(1, "two")]


def test_a_failing_job_is_logged_and_the_thread_survives(make_pool, caplog):
    pool = make_pool(1)

    def fail() -> None:
        raise RuntimeError("job failed")

    with caplog.at_level(logging.ERROR, logger="tapster.error"):
        pool.submit(fail)
        done = threading.Event()
        pool.submit(done.set)
        assert done.wait(5)
    assert pool.size == 1
    [record] = [r for r in caplog.records if r.name == "tapster.error"]
    assert record.getMessage() == "unhandled error in a worker thread"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)


def test_a_job_raising_base_exception_does_not_kill_the_thread(make_pool, caplog):
    pool = make_pool(1)

    def leave() -> None:
        raise SystemExit(3)

    with caplog.at_level(logging.ERROR, logger="tapster.error"):
        pool.submit(leave)
        done = threading.Event()
        pool.submit(done.set)
        assert done.wait(5)
    assert pool.size == 1
    assert pool._threads[0].is_alive()


def test_shutdown_runs_queued_jobs_then_joins(make_pool):
    pool = make_pool(2)
    gate = Gate()
    for _ in range(6):
        pool.submit(gate.job)
    wait_until(lambda: gate.started == 2)
    threads = list(pool._threads)
    opener = threading.Timer(0.1, gate.opened.set)
    opener.start()
    try:
        pool.shutdown(timeout=5)
    finally:
        opener.cancel()
    assert gate.finished == 6
    assert not any(thread.is_alive() for thread in threads)


def test_shutdown_of_an_unused_pool(make_pool):
    pool = make_pool(3)
    pool.shutdown(timeout=1)
    assert pool.size == 0


def test_shutdown_timeout_bounds_the_wait_for_a_stuck_job(make_pool):
    pool = make_pool(1)
    gate = Gate()
    pool.submit(gate.job)
    wait_until(lambda: gate.started == 1)
    started = time.monotonic()
    try:
        pool.shutdown(timeout=0.2)
        assert time.monotonic() - started < 2
        assert pool._threads[0].is_alive()  # daemon: it cannot hold the process
        assert pool._threads[0].daemon
    finally:
        gate.opened.set()
    pool._threads[0].join(5)
    assert not pool._threads[0].is_alive()


def test_shutdown_timeout_is_for_all_threads_together(make_pool):
    pool = make_pool(4)
    gate = Gate()
    for _ in range(4):
        pool.submit(gate.job)
    wait_until(lambda: gate.started == 4)
    started = time.monotonic()
    try:
        pool.shutdown(timeout=0.5)
        # Not 0.5 s per stuck thread (2 s): a server stopping now must not wait N times.
        # The margin is for a busy machine; it stays under twice the time-out.
        assert time.monotonic() - started < 1.0
    finally:
        gate.opened.set()
