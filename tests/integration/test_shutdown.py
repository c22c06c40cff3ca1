"""Graceful shutdown of ``tapster serve``: SIGTERM drains in-flight requests, then exits 0."""

from __future__ import annotations

import http.client
import signal
import socket
import threading
import time

import pytest

from tests import apps


class InFlight:
    """One request on its own thread, its outcome kept for the test."""

    def __init__(self, port: int, target: str) -> None:
        self.status: int | None = None
        self.body = b""
        self.headers: dict[str, str] = {}
        self.error: Exception | None = None
        self.finished_at = 0.0
        self._thread = threading.Thread(target=self._run, args=(port, target))
        self._thread.start()

    def _run(self, port: int, target: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            connection.request("GET", target)
            response = connection.getresponse()
            self.status = response.status
            self.headers = dict(response.getheaders())
            self.body = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.error = error
        finally:
            self.finished_at = time.monotonic()
            connection.close()

    def join(self) -> None:
        self._thread.join(20)
        assert not self._thread.is_alive()


def wait_for_log(server, text: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.log:
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{server.log}"
        time.sleep(0.02)


def connect_refused(port: int, timeout: float = 2.0) -> bool:
    """Whether connecting is refused (retrying briefly while the signal is handled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.05)
    return False


def test_sigterm_drains_in_flight_request_and_refuses_new_ones(spawn_tapster):
    server = spawn_tapster("tests.apps:announced_slow")
    request = InFlight(server.port, "/?1.5")
    wait_for_log(server, f"{apps.SLOW_STARTED} 1.5")
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)

    assert connect_refused(server.port), "a new connection was accepted during the drain"
    refused_at = time.monotonic()
    code = server.wait(15)
    exited = time.monotonic()
    request.join()

    assert request.error is None, request.error
    assert request.status == 200
    assert request.body == b"slow"
    assert request.headers.get("Connection") == "close"  # no keep-alive while stopping
    assert refused_at < request.finished_at  # refused while the request was still running
    assert request.finished_at <= exited
    assert code == 0, server.log
    assert exited - signalled < 5
    assert "SIGTERM received" in server.log
    assert "Shutdown complete" in server.log


def test_sigterm_closes_idle_keep_alive_connections(spawn_tapster):
    server = spawn_tapster("tests.apps:hello")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert sock.recv(65536) == b""  # closed by the server, not left to the time-out
    assert time.monotonic() - started < 2
    assert server.wait(10) == 0


def test_second_sigterm_stops_at_once(spawn_tapster):
    server = spawn_tapster("tests.apps:announced_slow")
    request = InFlight(server.port, "/?10")
    wait_for_log(server, f"{apps.SLOW_STARTED} 10")
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    wait_for_log(server, "SIGTERM received: finishing")
    server.process.send_signal(signal.SIGTERM)
    assert server.wait(8) == 0
    assert time.monotonic() - started < 5  # not the 10 s the request wanted
    request.join()
    assert request.status is None  # cut off: no response


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_graceful_timeout_bounds_the_drain(spawn_tapster, stop_signal):
    server = spawn_tapster("tests.apps:announced_slow", "--graceful-timeout", "0.5")
    request = InFlight(server.port, "/?10")
    wait_for_log(server, f"{apps.SLOW_STARTED} 10")
    started = time.monotonic()
    server.process.send_signal(stop_signal)
    assert server.wait(8) == 0
    assert time.monotonic() - started < 4
    request.join()
    assert request.status is None
