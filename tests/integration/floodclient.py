"""Cheap clients for many connections: one thread, non-blocking sockets, ``selectors``.

The flood tests hold thousands of connections to a ``tapster serve`` process on
the same two-core machine, so the client must cost little: no thread per
connection, every loop bounded in count and in time. Also here: what /proc
says about the server process (descriptors, threads, memory, CPU time), and
the descriptor limits of this process and of the server.
"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

GET = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
#: The end of the answer of ``flood_apps.app`` to ``GET /``.
OK_END = b"\r\n\r\nok"

# -- /proc -------------------------------------------------------------------------------


def fd_count(pid: int) -> int:
    """Open file descriptors of process ``pid``."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def status_field(pid: int, name: str) -> int:
    """A numeric field of /proc/PID/status (``Threads``; ``VmRSS`` and the like in bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            parts = line.split()
            return int(parts[1]) * (1024 if len(parts) > 2 and parts[2] == "kB" else 1)
    raise KeyError(name)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- descriptor limits -------------------------------------------------------------------


@contextlib.contextmanager
def own_fd_limit(need: int) -> Iterator[None]:
    """Raise this process's RLIMIT_NOFILE to ``need`` for the block (skip if the hard limit
    is lower)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"needs {need} open files; the hard limit (ulimit -Hn) is {hard}")
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def set_server_fd_limit(pid: int, soft: int) -> None:
    """Set the soft RLIMIT_NOFILE of the running server ``pid`` (within its hard limit)."""
    hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < soft:
        pytest.skip(f"needs {soft} open files in the server; its hard limit is {hard}")
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))


# -- many connections from one thread ----------------------------------------------------


def connect_many(port: int, count: int, first: bytes, *, batch: int = 400,
                 limit: float = 60.0) -> list[socket.socket]:
    """``count`` connections to 127.0.0.1:``port``, each sending ``first`` once connected.

    Connects in batches, so that the listen backlog never overflows (a dropped
    SYN costs a second of retransmission).
    """
    deadline = time.monotonic() + limit
    sockets: list[socket.socket] = []
    selector = selectors.DefaultSelector()
    try:
        while len(sockets) < count:
            pending = set()
            for _ in range(min(batch, count - len(sockets))):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setblocking(False)
                sock.connect_ex(("127.0.0.1", port))
                selector.register(sock, selectors.EVENT_WRITE)
                pending.add(sock)
                sockets.append(sock)
            while pending:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{len(pending)} connections did not complete in time")
                for key, _ in selector.select(0.5):
                    sock = key.fileobj  # type: ignore[assignment]
                    selector.unregister(sock)
                    pending.discard(sock)
                    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    assert error == 0, os.strerror(error)
                    if first:
                        sock.send(first)
    except BaseException:
        close_all(sockets)
        raise
    finally:
        selector.close()
    return sockets


def read_answers(
    sockets: list[socket.socket], end: bytes, *, limit: float = 60.0
) -> list[socket.socket]:
    """Read until each socket has received something ending in ``end``; those that did.

    Stops at ``limit`` seconds; a socket the server closed counts as not answered.
    """
    deadline = time.monotonic() + limit
    received = {sock: b"" for sock in sockets}
    selector = selectors.DefaultSelector()
    answered = []
    try:
        for sock in sockets:
            selector.register(sock, selectors.EVENT_READ)
        waiting = len(sockets)
        while waiting and time.monotonic() < deadline:
            for key, _ in selector.select(0.5):
                sock = key.fileobj  # type: ignore[assignment]
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                received[sock] += data
                if not data or received[sock].endswith(end):
                    selector.unregister(sock)
                    waiting -= 1
                    if data:
                        answered.append(sock)
    finally:
        selector.close()
    return answered


def close_all(sockets: list[socket.socket]) -> None:
    """Close every socket (quietly)."""
    for sock in sockets:
        try:
            sock.close()
        except OSError:
            pass


class LatencyProbe:
    """An ordinary client on a thread: ``GET /`` over keep-alive, and every fifth on a new
    connection, timing each; run it as a context manager."""

    def __init__(self, port: int, pause: float = 0.005, timeout: float = 5.0) -> None:
        self.port = port
        self.pause = pause
        self.timeout = timeout
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="latency-probe", daemon=True)

    def _request(self, sock: socket.socket) -> None:
        sock.sendall(GET)
        received = b""
        while not received.endswith(OK_END):
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("closed before the answer")
            received += data

    def _run(self) -> None:
        keep = None
        count = 0
        while not self._stop.is_set() and count < 100_000:
            count += 1
            started = time.monotonic()
            try:
                if count % 5 == 0:
                    with socket.create_connection(("127.0.0.1", self.port), self.timeout) as new:
                        self._request(new)
                else:
                    if keep is None:
                        keep = socket.create_connection(("127.0.0.1", self.port), self.timeout)
                    self._request(keep)
            except OSError as error:
                self.failures.append(repr(error))
                if keep is not None:
                    keep.close()
                    keep = None
                continue
            self.latencies.append(time.monotonic() - started)
            time.sleep(self.pause)
        if keep is not None:
            keep.close()

    def percentile(self, fraction: float) -> float:
        """The latency below which ``fraction`` of the samples fall, in seconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def __enter__(self) -> LatencyProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
