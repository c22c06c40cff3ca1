"""Server hooks in real processes: a config file whose hooks append "name pid ..." lines to a file.

Every wait is bounded, and every server is stopped (and its workers checked
gone) by the ``hooked`` fixture.
"""

from __future__ import annotations

import re
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import ServerProcess
from tests.integration.test_workers import Prefork, stop_checking_orphans, wait_until
from tests.processes import REPO_ROOT, TapsterProcess, child_environment, run_tapster

PID_APP = "tests.integration.worker_apps:pid"

# Each hook appends one line: its name, the pid it runs in, then what it was given.
HOOKS = """
import os

_VERSION = {version}

def _record(*words):
    with open({log!r}, "a") as file:
        file.write(" ".join(str(word) for word in words) + "\\n")

def on_starting(server):
    _record("on_starting", os.getpid(), server.pid)

def when_ready(server):
    _record("when_ready", os.getpid(), server.pid)

def post_fork(server, worker):
    _record("post_fork", os.getpid(), worker.pid, worker.age, server.pid, _VERSION)

def post_worker_init(worker):
    worker.log.info("post_worker_init of worker %d", worker.pid)
    _record("post_worker_init", os.getpid(), worker.app is not None)

def worker_exit(server, worker):
    _record("worker_exit", os.getpid(), worker.pid)

def child_exit(server, worker):
    _record("child_exit", os.getpid(), worker.pid, worker.exit_code)

def on_reload(server):
    _record("on_reload", os.getpid(), _VERSION)

def on_exit(server):
    _record("on_exit", os.getpid())
"""


class Hooked(Prefork):
    """A ``tapster serve -c hooks.py`` process and the lines its hooks wrote."""

    record: Path

    def calls(self, name: str | None = None) -> list[list[str]]:
        """The hook lines so far, split in words (only ``name``'s when given)."""
        try:
            text = self.record.read_text()
        except FileNotFoundError:
            return []
        lines = [line.split() for line in text.splitlines() if line]
        return [line for line in lines if name is None or line[0] == name]

    def wait_ready(self, count: int, timeout: float = 15.0) -> list[int]:
        """Wait until the last ``count`` workers booted are ready; their pids."""

        def ready() -> bool:
            booted = self.booted()
            return len(booted) >= count and all(f"Worker {pid} ready" in self.text()
                                                for pid in booted[-count:])

        wait_until(ready, timeout, f"{count} ready workers")
        return self.booted()[-count:]


@pytest.fixture
def hooked(tmp_path: Path) -> Iterator[Callable[..., Hooked]]:
    """Start ``tapster serve PID_APP -c hooks.py OPTIONS``; stop it and check for orphans."""
    started: list[Hooked] = []

    def start(*options: str, version: int = 1) -> Hooked:
        record = tmp_path / "calls.txt"
        config = tmp_path / "hooks.py"
        config.write_text(HOOKS.format(version=version, log=str(record)))
        server = Hooked(["serve", PID_APP, "--bind", "127.0.0.1:0", "-c", str(config),
                         *options], env=child_environment(PYTHONDONTWRITEBYTECODE="1"))
        server.record = record
        started.append(server)
        server.port = server.listening_address(timeout=15)[1]
        return server

    yield start
    stop_checking_orphans(started)


def test_hooks_of_a_master_and_two_workers(hooked):
    server = hooked("--workers", "2")
    workers = server.wait_ready(2)
    master = str(server.pid)
    assert server.calls("on_starting") == [["on_starting", master, master]]
    assert server.calls("when_ready") == [["when_ready", master, master]]
    # post_fork in each worker, given its own pid, its spawn number and the master's pid.
    forks = server.calls("post_fork")
    assert sorted(line[1:5] for line in forks) == sorted(
        [str(pid), str(pid), str(age), master] for age, pid in enumerate(workers, start=1)
    )
    assert sorted(line[1:] for line in server.calls("post_worker_init")) == sorted(
        [str(pid), "True"] for pid in workers
    )
    assert f"post_worker_init of worker {workers[0]}" in server.text()

    server.send_signal(signal.SIGTERM)
    assert server.wait(30) == 0
    assert sorted(line[1:] for line in server.calls("worker_exit")) == sorted(
        [str(pid), str(pid)] for pid in workers
    )
    # child_exit in the master, once per worker, with its pid and its exit code.
    assert sorted(line[1:] for line in server.calls("child_exit")) == sorted(
        [master, str(pid), "0"] for pid in workers
    )
    calls = server.calls()
    assert calls[-1] == ["on_exit", master]
    assert [line[0] for line in calls[:2]] == ["on_starting", "when_ready"]
    assert len(calls) == 2 + 4 * 2 + 1


def test_sighup_calls_on_reload_then_post_fork_of_the_new_workers(hooked, tmp_path):
    server = hooked("--workers", "2")
    old = server.wait_ready(2)
    # The config file is read again on SIGHUP: its new hooks apply from then on.
    (tmp_path / "hooks.py").write_text(HOOKS.format(version=2, log=str(server.record)))
    server.send_signal(signal.SIGHUP)
    wait_until(lambda: len(server.booted()) == 4, 15, "two new workers")
    new = server.wait_ready(2)
    wait_until(lambda: len(server.calls("child_exit")) == 2, 15, "the old workers reaped")

    calls = server.calls()
    names = [line[0] for line in calls]
    reload_at = names.index("on_reload")
    assert calls[reload_at] == ["on_reload", str(server.pid), "2"]
    after = calls[reload_at + 1:]
    assert sorted(int(line[1]) for line in after if line[0] == "post_fork") == sorted(new)
    assert all(line[-1] == "2" for line in after if line[0] == "post_fork")
    assert all(line[-1] == "1" for line in calls[:reload_at] if line[0] == "post_fork")
    # The old workers exited gracefully and were reaped.
    assert sorted(int(line[1]) for line in server.calls("worker_exit")) == sorted(old)
    assert sorted(int(line[2]) for line in server.calls("child_exit")) == sorted(old)


def test_one_process_calls_only_on_starting_when_ready_and_on_exit(hooked):
    server = hooked()
    wait_until(lambda: server.calls("when_ready"), 10, "when_ready")
    server.send_signal(signal.SIGTERM)
    assert server.wait(30) == 0
    pid = str(server.pid)
    assert server.calls() == [["on_starting", pid, pid], ["when_ready", pid, pid],
                              ["on_exit", pid]]


def test_a_post_fork_that_raises_stops_the_master(tmp_path):
    config = tmp_path / "hooks.py"
    config.write_text("def post_fork(server, worker):\n"
                      "    raise RuntimeError('no database for worker %d' % worker.age)\n")
    with ServerProcess(["serve", PID_APP, "--bind", "127.0.0.1:0", "--workers", "2",
                        "-c", str(config)]) as server:
        assert server.wait(60) == 1
        log = server.text()
    assert "The post_fork hook raised RuntimeError" in log
    assert "RuntimeError: no database for worker 1" in log  # the traceback's last line
    assert "Worker failed" not in log  # the hook's traceback only, once per worker
    assert "tapster: error: workers keep failing to start (5 in a row, the last exited " \
           "with code 1); stopping" in log


SERVE_SCRIPT = """
import os
import tapster

def app(environ, start_response):
    start_response("204 No Content", [])
    return []

def record(*words):
    with open("calls.txt", "a") as file:
        file.write(" ".join(str(word) for word in words) + "\\n")

tapster.serve(
    app, bind="127.0.0.1:0", workers=2,
    when_ready=lambda server: record("when_ready", os.getpid()),
    post_fork=lambda server, worker: record("post_fork", os.getpid(), server.pid),
    child_exit=lambda server, worker: record("child_exit", os.getpid(), worker.pid),
)
"""


def test_keyword_hooks_of_serve_run_in_its_workers(tmp_path):
    (tmp_path / "serve_app.py").write_text(SERVE_SCRIPT)
    env = child_environment(PYTHONPATH=str(REPO_ROOT / "src"))
    calls = tmp_path / "calls.txt"

    def lines(name: str) -> list[list[str]]:
        text = calls.read_text() if calls.exists() else ""
        return [line.split() for line in text.splitlines() if line.startswith(name + " ")]

    with TapsterProcess([], command=[sys.executable, "serve_app.py"], cwd=tmp_path,
                        env=env) as server:
        wait_until(lambda: len(lines("post_fork")) == 2, 15, "two workers forked")
        master = str(server.pid)
        assert lines("when_ready") == [["when_ready", master]]
        assert all(line[1] != master and line[2] == master for line in lines("post_fork"))
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    workers = sorted(line[1] for line in lines("post_fork"))
    assert sorted(line[2] for line in lines("child_exit")) == workers


def test_pre_request_is_a_one_line_error(tmp_path):
    config = tmp_path / "gunicorn.conf.py"
    config.write_text("def pre_request(worker, req):\n    worker.log.debug(req.path)\n")
    result = run_tapster(["serve", PID_APP, "-c", str(config)])
    assert result.returncode == 1
    assert result.stderr == (
        f"tapster: error: {config}: tapster does not call gunicorn's pre_request hook: it would "
        f"run on every request: wrap the application in WSGI middleware\n"
    )


def test_an_on_starting_that_raises_is_one_error_line_after_its_traceback(tmp_path):
    config = tmp_path / "hooks.py"
    config.write_text("def on_starting(server):\n    raise OSError('no database')\n")
    result = run_tapster(["serve", PID_APP, "--bind", "127.0.0.1:0", "-c", str(config)])
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.endswith(
        "tapster: error: the on_starting hook raised OSError: no database\n")
    assert "Listening at" not in result.stderr


def test_check_config_lists_the_hooks(tmp_path):
    config = tmp_path / "hooks.py"
    config.write_text(HOOKS.format(version=1, log=str(tmp_path / "calls.txt")))
    result = run_tapster(["serve", "--check-config", "-c", str(config)])
    assert result.returncode == 0, result.stderr
    hooks = [line for line in result.stdout.splitlines() if line.startswith("# hook ")]
    assert [line.split()[2] for line in hooks] == [
        "on_starting:", "when_ready:", "post_fork:", "post_worker_init:", "worker_exit:",
        "child_exit:", "on_reload:", "on_exit:",
    ]
    assert re.match(r"# hook post_fork: post_fork, line 16 +# config file .*hooks\.py$",
                    hooks[2])
    assert not (tmp_path / "calls.txt").exists()  # checking calls no hook
