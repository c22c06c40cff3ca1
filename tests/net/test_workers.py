"""The prefork pieces that need no process of their own: heartbeat, pid file, settings."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from tapster.net import PidFile, ThreadPool, Worker
from tapster.net.workers import Heartbeat, describe_exit
from tapster.settings import Settings, SettingsError


def test_heartbeat_is_shared_with_a_forked_child():
    heartbeat = Heartbeat()
    assert heartbeat.read() == (0.0, False)
    pid = os.fork()
    if pid == 0:  # the child writes, as a worker does
        heartbeat.beat(1234.5)
        heartbeat.ask_replacement()
        os._exit(0)
    os.waitpid(pid, 0)
    assert heartbeat.read() == (1234.5, True)
    heartbeat.close()


def test_worker_beat_reports_the_oldest_job_and_asks_replacement_once(caplog):
    heartbeat = Heartbeat()
    worker = Worker([], heartbeat, max_requests=10, master_pid=os.getppid())
    assert worker.beat(100.0, None, 3) is True
    assert heartbeat.read() == (100.0, False)  # idle: now
    assert worker.beat(101.0, 90.0, 10) is True
    assert heartbeat.read() == (90.0, True)  # busy since 90; over the limit
    caplog.clear()  # the first ask may be captured too, when an earlier test set INFO
    with caplog.at_level("INFO", "tapster.error"):
        worker.beat(102.0, None, 20)
    assert "asking to be replaced" not in caplog.text  # asked once only
    assert Worker([], heartbeat, 0, master_pid=os.getpid() + 1).beat(1.0, None, 0) is False


def test_tracking_pool_knows_its_oldest_job_and_counts_jobs():
    pool = ThreadPool(2, track_jobs=True)
    release = threading.Event()
    try:
        assert pool.oldest_job_started() is None
        before = time.monotonic()
        pool.submit(release.wait, 5)
        deadline = time.monotonic() + 5
        while pool.oldest_job_started() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        started = pool.oldest_job_started()
        assert started is not None and before <= started <= time.monotonic()
        release.set()
        while pool.jobs_done < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.jobs_done == 1
        assert pool.oldest_job_started() is None
    finally:
        release.set()
        pool.shutdown(timeout=5)


def test_plain_pool_tracks_nothing():
    pool = ThreadPool(1)
    done = threading.Event()
    pool.submit(done.set)
    assert done.wait(5)
    pool.shutdown(timeout=5)
    assert pool.jobs_done == 0


def test_describe_exit():
    assert describe_exit(0) == "exited with code 0"
    assert describe_exit(3 << 8) == "exited with code 3"
    assert describe_exit(signal.SIGKILL) == "killed by SIGKILL"


def test_pid_file_written_and_removed(tmp_path):
    path = tmp_path / "app.pid"
    pid_file = PidFile(str(path))
    pid_file.write()
    assert path.read_text() == f"{os.getpid()}\n"
    pid_file.remove()
    assert not path.exists()


def test_pid_file_of_another_process_is_left_alone(tmp_path):
    path = tmp_path / "app.pid"
    pid_file = PidFile(str(path))
    pid_file.write()
    path.write_text("1\n")  # a new server took over the file
    pid_file.remove()
    assert path.read_text() == "1\n"


def test_workers_setting():
    assert Settings().workers == 1
    assert not Settings().needs_master
    assert Settings(workers=2).needs_master
    assert Settings(max_requests=100).needs_master
    assert Settings(workers="auto").workers == len(os.sched_getaffinity(0))  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="workers must be a positive whole number"):
        Settings(workers=0)
    with pytest.raises(SettingsError, match="timeout must be a number of seconds >= 0"):
        Settings(timeout=-1)
    assert Settings(timeout=0).timeout == 0
