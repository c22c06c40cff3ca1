"""Prefork workers with real processes: supervision, signals, reloads, and no orphans.

Every loop here is bounded in count and in time, and every process is
stopped: the ``prefork`` fixture stops the master, then checks that none of
the workers it ever started is still alive (killing any that is, and failing).
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import ServerProcess
from tests.integration.worker_apps import STARTED
from tests.processes import REPO_ROOT, child_environment, http_request, split_response

PID_APP = "tests.integration.worker_apps:pid"
_BOOTED = re.compile(r"Booting worker with pid (\d+)")


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``condition`` every 20 ms until true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, exited but not reaped, does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def kill_survivors(pids: list[int], grace: float = 5.0) -> list[int]:
    """The processes of ``pids`` still alive ``grace`` seconds on (each then killed)."""
    survivors = []
    for pid in pids:
        deadline = time.monotonic() + grace
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            survivors.append(pid)
            os.kill(pid, signal.SIGKILL)
    return survivors


def stop_checking_orphans(masters: list[Prefork]) -> None:
    """Stop each master; fail if any of its workers outlived it."""
    orphans = []
    for master in masters:
        master.stop()
        orphans += kill_survivors(master.booted())
    assert not orphans, f"workers outlived their master: {orphans}"


class Prefork(ServerProcess):
    """A ``tapster serve --workers`` master, with views of its workers."""

    def workers(self) -> set[int]:
        """The master's live child processes."""
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return set()
        return {int(pid) for pid in text.split() if alive(int(pid))}

    def booted(self) -> list[int]:
        """Every worker pid the master logged starting, in order."""
        return [int(m.group(1)) for m in map(_BOOTED.search, self.lines()) if m]

    def wait_for_workers(self, count: int, timeout: float = 10.0) -> set[int]:
        """Wait until exactly ``count`` workers exist, each of them ready; their pids."""

        def ready() -> bool:
            workers = self.workers()
            log = self.text()
            return len(workers) == count and all(f"Worker {pid} ready" in log
                                                 for pid in workers)

        wait_until(ready, timeout, f"{count} ready workers")
        return self.workers()

    def get(self, target: str = "/", timeout: float = 10.0) -> tuple[int, bytes]:
        """One request on a new connection: (status, body)."""
        status, _, body = split_response(http_request(("127.0.0.1", self.port), target,
                                                      timeout=timeout))
        return status, body


@pytest.fixture
def prefork() -> Iterator[Callable[..., Prefork]]:
    """Start ``tapster serve TARGET --bind 127.0.0.1:0 OPTIONS``; stop all, check for orphans."""
    started: list[Prefork] = []

    def start(target: str, *options: str, cwd: Path = REPO_ROOT) -> Prefork:
        server = Prefork(["serve", target, "--bind", "127.0.0.1:0", *options], cwd=cwd,
                         env=child_environment(PYTHONDONTWRITEBYTECODE="1"))
        started.append(server)
        server.port = server.listening_address(timeout=15)[1]
        return server

    yield start
    stop_checking_orphans(started)


class Load:
    """Client threads, each sending requests on new connections until stopped (bounded)."""

    def __init__(self, port: int, threads: int = 3, limit: int = 20_000, seconds: float = 20.0,
                 keep_alive: bool = False):
        self.port = port
        self.keep_alive = keep_alive
        self.results: list[tuple[int, bytes] | Exception] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._deadline = time.monotonic() + seconds
        self._limit = limit
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        # With keep_alive, one connection while the server keeps it open (http.client
        # reconnects after a "Connection: close"), and no retry when it fails.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        for _ in range(self._limit):
            if self._stop.is_set() or time.monotonic() > self._deadline:
                break
            try:
                if self.keep_alive:
                    connection.request("GET", "/")
                    response = connection.getresponse()
                    result: tuple[int, bytes] | Exception = (response.status, response.read())
                else:
                    status, _, body = split_response(http_request(("127.0.0.1", self.port), "/"))
                    result = (status, body)
            except Exception as error:  # any failure counts, whatever its kind
                result = error
                connection.close()
            with self._lock:
                self.results.append(result)
        connection.close()

    def count(self) -> int:
        with self._lock:
            return len(self.results)

    def wait_for(self, more: int, timeout: float = 10.0) -> None:
        """Wait until ``more`` further requests have completed."""
        goal = self.count() + more
        wait_until(lambda: self.count() >= goal, timeout, f"{more} more requests")

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
            assert not thread.is_alive()

    @property
    def failures(self) -> list[object]:
        return [r for r in self.results if isinstance(r, Exception) or r[0] != 200]

    @property
    def bodies(self) -> list[bytes]:
        return [r[1] for r in self.results if not isinstance(r, Exception)]


def test_workers_share_the_load(prefork):
    server = prefork(PID_APP, "--workers", "2")
    workers = server.wait_for_workers(2)
    seen = set()
    for _ in range(200):
        status, body = server.get()
        assert status == 200
        seen.add(int(body))
        if seen == workers:
            break
    assert seen == workers, "one worker got every connection"


def test_a_killed_worker_is_replaced_and_other_requests_are_unaffected(prefork):
    server = prefork(PID_APP, "--workers", "2")
    victim, survivor = sorted(server.wait_for_workers(2))
    load = Load(server.port, threads=3)
    try:
        load.wait_for(50)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        server.wait_for_line(rf"Worker {victim} died \(killed by SIGKILL\)", timeout=5)
        wait_until(lambda: len(server.workers() - {survivor}) == 1, 5, "a new worker")
        replaced_in = time.monotonic() - killed_at
        (replacement,) = server.workers() - {survivor}
        load.wait_for(50)
        wait_until(lambda: str(replacement).encode() in load.bodies, 10,
                   "the new worker to answer")
    finally:
        load.stop()
    assert replaced_in < 1.5
    # Only a request the killed worker was serving at that moment may fail (a
    # closed connection, never a wrong answer): at most one per client thread.
    assert len(load.failures) <= 3, load.failures
    assert all(int(body) in (victim, survivor, replacement) for body in load.bodies)


def test_sigterm_lets_slow_requests_finish_then_exits_0(prefork):
    server = prefork(PID_APP, "--workers", "2", "--graceful-timeout", "10")
    workers = server.wait_for_workers(2)
    outcomes: list[object] = []

    def slow_request() -> None:
        try:
            outcomes.append(server.get("/?2", timeout=15))
        except Exception as error:
            outcomes.append(error)

    clients = [threading.Thread(target=slow_request) for _ in range(4)]
    for client in clients:
        client.start()
    wait_until(lambda: server.text().count(STARTED) == 4, 10, "4 requests in the application")
    signalled = time.monotonic()
    server.send_signal(signal.SIGTERM)
    assert server.wait(15) == 0, server.log
    exited = time.monotonic() - signalled
    for client in clients:
        client.join(15)
    assert len(outcomes) == 4
    assert all(not isinstance(o, Exception) and o[0] == 200 for o in outcomes), outcomes
    assert {int(o[1]) for o in outcomes} <= workers  # type: ignore[index]
    assert 1.0 < exited < 10  # waited for the requests, within the grace period
    assert not any(alive(pid) for pid in workers)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT],
                         ids=["TERM-to-the-cgroup", "INT-from-ctrl-c"])
def test_a_stop_signal_to_every_process_is_still_graceful(prefork, signum):
    # What systemd's default KillMode=control-group (SIGTERM) and a terminal's
    # Ctrl-C (SIGINT) do: every process gets the signal, and each worker then
    # gets its master's SIGTERM as well. That is one stop, not two.
    server = prefork(PID_APP, "--workers", "2", "--graceful-timeout", "10")
    workers = server.wait_for_workers(2)
    outcomes: list[object] = []
    clients = [threading.Thread(target=lambda: outcomes.append(_try(server.get, "/?2", 15)))
               for _ in range(4)]
    for client in clients:
        client.start()
    wait_until(lambda: server.text().count(STARTED) == 4, 10, "4 requests in the application")
    for pid in workers:
        os.kill(pid, signum)
    time.sleep(0.2)  # each worker handles it before the master's arrives (no merging)
    server.send_signal(signum)
    assert server.wait(15) == 0, server.log
    for client in clients:
        client.join(15)
    assert len(outcomes) == 4
    assert all(not isinstance(o, Exception) and o[0] == 200 for o in outcomes), outcomes
    assert "stopping the workers now" not in server.log
    assert all(f"Worker {pid} stopped (exited with code 0)" in server.log for pid in workers)


def test_sigterm_closes_idle_keep_alive_connections_at_once(prefork):
    server = prefork(PID_APP, "--workers", "2")
    server.wait_for_workers(2)
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert sock.recv(65536) == b""
    assert time.monotonic() - started < 2
    assert server.wait(10) == 0


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGQUIT], ids=["INT-INT", "INT-QUIT"])
def test_a_second_int_or_a_quit_stops_at_once(prefork, second):
    server = prefork(PID_APP, "--workers", "2")
    workers = server.wait_for_workers(2)
    outcome: list[object] = []
    client = threading.Thread(target=lambda: outcome.append(_try(server.get, "/?20")))
    client.start()
    server.wait_for_line(STARTED)
    started = time.monotonic()
    server.send_signal(signal.SIGINT)
    server.wait_for_line("SIGINT received: stopping;")
    server.send_signal(second)
    assert server.wait(8) == 0
    assert time.monotonic() - started < 5  # not the 20 s the request wanted
    client.join(10)
    assert isinstance(outcome[0], Exception)  # cut off: no response
    assert not any(alive(pid) for pid in workers)


def _try(function: Callable[..., object], *args: object) -> object:
    try:
        return function(*args)
    except Exception as error:
        return error


HUP_APP = '''
VERSION = b"{version}"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [VERSION]
'''


@pytest.mark.parametrize("spread", [[], ["--reuse-port"]], ids=["shared", "reuse-port"])
@pytest.mark.parametrize("keep_alive", [False, True], ids=["new-connections", "keep-alive"])
def test_hup_under_load_fails_no_request_and_serves_the_new_code(
    prefork, tmp_path, keep_alive, spread
):
    module = tmp_path / "hup_app.py"
    module.write_text(HUP_APP.format(version="one"))
    server = prefork("hup_app:app", "--workers", "2", *spread, cwd=tmp_path)
    old = server.wait_for_workers(2)
    load = Load(server.port, threads=3, keep_alive=keep_alive)
    try:
        load.wait_for(50)
        module.write_text(HUP_APP.format(version="second version"))
        server.send_signal(signal.SIGHUP)
        for pid in old:
            server.wait_for_line(rf"Worker {pid} stopped \(exited with code 0\)", timeout=15)
        marker = load.count()
        load.wait_for(50)
    finally:
        load.stop()
    assert load.results, "no load"
    assert load.failures == [], load.failures[:5]
    assert set(load.bodies) <= {b"one", b"second version"}
    assert set(load.bodies[marker + 10 :]) == {b"second version"}
    assert server.workers().isdisjoint(old) and len(server.workers()) == 2


def test_hup_with_broken_new_code_keeps_the_old_workers(prefork, tmp_path):
    module = tmp_path / "hup_app.py"
    module.write_text(HUP_APP.format(version="one"))
    server = prefork("hup_app:app", "--workers", "2", cwd=tmp_path)
    old = server.wait_for_workers(2)
    module.write_text("raise RuntimeError('broken deploy')\n")
    server.send_signal(signal.SIGHUP)
    server.wait_for_line("New workers keep failing to start", timeout=15)
    assert server.wait_for_workers(2) == old
    assert server.get() == (200, b"one")
    assert server.process.poll() is None


def test_a_worker_stuck_past_the_timeout_is_killed_and_replaced(prefork):
    server = prefork(PID_APP, "--workers", "2", "--timeout", "1")
    workers = server.wait_for_workers(2)
    outcome: list[object] = []
    client = threading.Thread(target=lambda: outcome.append(_try(server.get, "/?30", 15)))
    client.start()
    stuck = int(server.wait_for_line(rf"{STARTED} (\d+)").group(1))
    server.wait_for_line(rf"Worker {stuck} stuck: no progress for", timeout=5)
    server.wait_for_line(rf"Worker {stuck} killed by SIGKILL", timeout=5)
    client.join(15)
    assert isinstance(outcome[0], Exception)  # its connection closed, no wrong answer
    new = server.wait_for_workers(2)
    assert stuck not in new and len(new - workers) == 1
    assert server.get()[0] == 200


def test_a_fast_server_is_not_killed_by_the_timeout(prefork):
    server = prefork(PID_APP, "--workers", "2", "--timeout", "1")
    workers = server.wait_for_workers(2)
    time.sleep(2.5)  # idle workers beat twice a second
    assert server.get()[0] == 200
    assert server.workers() == workers


def test_workers_that_cannot_start_stop_the_master_with_an_error(prefork):
    server = Prefork(["serve", "tests.no_such_module:app", "--bind", "127.0.0.1:0",
                      "--workers", "2"])
    try:
        assert server.wait(15) == 1
    finally:
        server.stop()
    assert "no module named 'tests.no_such_module'" in server.log
    assert "workers keep failing to start (5 in a row" in server.log
    assert server.log.count("Booting worker") < 12  # no spinning
    assert not any(alive(pid) for pid in server.booted())


def test_workers_that_hang_while_starting_are_killed_at_the_timeout(prefork, tmp_path):
    # No heartbeat yet: a worker still importing the app after --timeout is
    # killed as "not started", and that counts as a failure to start. The
    # master stops right after forking replacements: they must die of its
    # SIGTERM at once, not boot on until the graceful time-out kills them.
    (tmp_path / "hangs.py").write_text("import time\ntime.sleep(60)\napp = None\n")
    server = Prefork(["serve", "hangs:app", "--bind", "127.0.0.1:0", "--workers", "2",
                      "--timeout", "1", "--graceful-timeout", "30"], cwd=tmp_path)
    try:
        assert server.wait(20) == 1
    finally:
        server.stop()
    assert re.search(r"Worker \d+ not started within --timeout 1s: killing it", server.log)
    assert "workers keep failing to start (5 in a row" in server.log
    assert not any(alive(pid) for pid in server.booted())


def test_ttin_and_ttou_add_and_remove_a_worker(prefork):
    server = prefork(PID_APP, "--workers", "2")
    first = server.wait_for_workers(2)
    server.send_signal(signal.SIGTTIN)
    three = server.wait_for_workers(3)
    assert first < three
    server.send_signal(signal.SIGTTOU)
    two = server.wait_for_workers(2)
    assert two < three
    server.wait_for_line(r"Worker \d+ stopped \(exited with code 0\)")
    assert server.get()[0] == 200


def test_max_requests_recycles_workers_without_failing_a_request(prefork):
    server = prefork(PID_APP, "--workers", "1", "--max-requests", "20",
                     "--max-requests-jitter", "5")
    first = server.wait_for_workers(1)
    bodies = set()
    deadline = time.monotonic() + 10
    # The count is checked twice a second, so a worker overshoots it a little.
    for _ in range(50_000):
        status, body = server.get()
        assert status == 200
        bodies.add(int(body))
        if len(bodies) >= 3 or time.monotonic() > deadline:
            break
    assert len(bodies) >= 3, "workers were not replaced"
    assert first < bodies
    assert "served its --max-requests: replacing it" in server.log


def test_pid_file_names_the_master_and_is_removed_at_exit(prefork, tmp_path):
    pid_file = tmp_path / "tapster.pid"
    server = prefork(PID_APP, "--workers", "2", "--pid", str(pid_file))
    server.wait_for_workers(2)
    assert pid_file.read_text() == f"{server.pid}\n"
    server.send_signal(signal.SIGTERM)
    assert server.wait(10) == 0
    assert not pid_file.exists()


def test_pid_file_in_single_process_mode(prefork, tmp_path):
    pid_file = tmp_path / "tapster.pid"
    server = prefork(PID_APP, "--pid", str(pid_file))
    assert pid_file.read_text() == f"{server.pid}\n"
    assert server.workers() == set()  # one process: no master, no workers
    assert server.get() == (200, str(server.pid).encode())
    server.send_signal(signal.SIGTERM)
    assert server.wait(10) == 0
    assert not pid_file.exists()


def test_preload_imports_the_app_in_the_master(prefork):
    server = prefork(PID_APP, "--workers", "2", "--preload")
    server.wait_for_workers(2)
    status, body = server.get()
    assert status == 200 and int(body) != server.pid
    assert "preloaded" not in server.log
    server.send_signal(signal.SIGHUP)
    server.wait_for_line("the application was preloaded")


def listening_inodes(port: int) -> set[str]:
    """Socket inodes of the TCP sockets listening on 127.0.0.1:``port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(fields[9])
    return inodes


def socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets process ``pid`` holds."""
    inodes = set()
    for link in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(link)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def test_reuse_port_gives_each_worker_a_socket_of_its_own(prefork):
    server = prefork(PID_APP, "--workers", "2", "--reuse-port")
    workers = server.wait_for_workers(2)
    seen = set()
    for _ in range(200):
        status, body = server.get()
        assert status == 200
        seen.add(int(body))
        if seen == workers:
            break
    assert seen == workers
    listening = listening_inodes(server.port)
    assert len(listening) == 2  # one per worker slot, all held by the master
    held = [socket_inodes(pid) & listening for pid in sorted(workers)]
    assert all(len(inodes) == 1 for inodes in held) and held[0] != held[1]
    assert socket_inodes(server.pid) & listening == listening
    # One more worker: one more socket; one fewer: its socket closes.
    server.send_signal(signal.SIGTTIN)
    server.wait_for_workers(3)
    assert len(listening_inodes(server.port)) == 3
    server.send_signal(signal.SIGTTOU)
    server.wait_for_workers(2)
    wait_until(lambda: len(listening_inodes(server.port)) == 2, 5, "the third socket to close")


def test_shared_socket_is_one_socket(prefork):
    server = prefork(PID_APP, "--workers", "2")
    workers = server.wait_for_workers(2)
    listening = listening_inodes(server.port)
    assert len(listening) == 1
    assert all(socket_inodes(pid) & listening == listening for pid in workers)


def test_workers_stop_when_the_master_is_killed(prefork):
    server = prefork(PID_APP, "--workers", "2")
    workers = server.wait_for_workers(2)
    server.process.kill()
    server.process.wait(5)
    # Each worker notices at its next heartbeat (twice a second) and stops.
    wait_until(lambda: not any(alive(pid) for pid in workers), 5, "the workers to exit")


def test_one_process_ignores_ttin_and_stops_at_once_on_quit(prefork):
    server = prefork(PID_APP)
    assert server.workers() == set()
    outcome: list[object] = []
    client = threading.Thread(target=lambda: outcome.append(_try(server.get, "/?20")))
    client.start()
    server.wait_for_line(STARTED)
    server.send_signal(signal.SIGTTIN)  # its default would suspend the process
    server.wait_for_line("SIGTTIN ignored")
    started = time.monotonic()
    server.send_signal(signal.SIGQUIT)
    assert server.wait(8) == 0
    assert time.monotonic() - started < 5
    client.join(10)
    assert isinstance(outcome[0], Exception)


def test_workers_on_a_unix_socket_leave_the_file_to_the_master(prefork, tmp_path):
    path = tmp_path / "app.sock"
    server = Prefork(["serve", PID_APP, "--bind", f"unix:{path}", "--workers", "2"])
    try:
        server.wait_for_line("Listening at: unix:")
        workers = server.wait_for_workers(2)
        status, _, body = split_response(http_request(str(path)))
        assert status == 200 and int(body) in workers
        server.send_signal(signal.SIGHUP)  # the old workers stop: the file stays
        for pid in workers:
            server.wait_for_line(rf"Worker {pid} stopped", timeout=10)
        assert split_response(http_request(str(path)))[0] == 200
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
    finally:
        server.stop()
    assert not path.exists()  # removed by the master, once
    assert not any(alive(pid) for pid in server.booted())


def test_serve_from_python_forks_workers_from_the_app_given(prefork):
    script = ("import tapster\n"
              "from tests.integration.worker_apps import pid\n"
              "tapster.serve(pid, bind=['127.0.0.1:0'], workers=2)\n")
    server = Prefork([], command=[sys.executable, "-c", script])
    try:
        server.port = server.listening_address(timeout=15)[1]
        workers = server.wait_for_workers(2)
        assert int(server.get()[1]) in workers
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
    finally:
        server.stop()
    assert not any(alive(pid) for pid in workers)


def test_a_worker_killed_mid_response_leaves_a_cut_response_never_a_wrong_one(prefork):
    server = prefork("tests.integration.worker_apps:trickle", "--workers", "2")
    server.wait_for_workers(2)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200
        assert response.read(8) == b"piece 0\n"
        os.kill(int(response.headers["X-Pid"]), signal.SIGKILL)
        with pytest.raises(http.client.IncompleteRead):  # chunked framing shows the cut
            response.read()
    finally:
        connection.close()
    server.wait_for_line(r"died \(killed by SIGKILL\): starting a new one")
    server.wait_for_workers(2)
