"""Time-outs over real sockets: idle keep-alive, request head, request body.

Deadlines are swept twice a second, so a time-out fires between its value and
half a second later; the bounds below allow for that and a slow machine.
"""

from __future__ import annotations

import socket
import time

from tapster.net.listeners import DEFER_ACCEPT_SECONDS
from tests import apps
from tests.rawhttp import ResponseReader

GET = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
SWEEP = 0.5  # tapster.net.reactor._SWEEP_INTERVAL
SLACK = 1.0  # scheduling noise on a loaded machine


def wait_for_close(sock: socket.socket, limit: float = 5.0) -> tuple[bytes, float]:
    """Read until the server closes; return what it sent and how long that took."""
    started = time.monotonic()
    sock.settimeout(limit)
    received = b""
    for _ in range(1000):
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        received += data
    return received, time.monotonic() - started


def test_idle_keep_alive_connection_is_closed(serve_app):
    server = serve_app(apps.hello, keepalive_timeout=0.5)
    with server.connect() as sock:
        reader = ResponseReader(sock)
        sock.sendall(GET)
        assert reader.read_response().body == b"Hello, World!"
        received, elapsed = wait_for_close(sock)
    assert received == b""  # closed quietly: no response to an idle connection
    assert 0.5 - 0.05 <= elapsed <= 0.5 + SWEEP + SLACK


def test_keep_alive_timer_restarts_with_each_request(serve_app):
    server = serve_app(apps.hello, keepalive_timeout=1.0)
    with server.connect() as sock:
        reader = ResponseReader(sock)
        # 4 x 0.5 s: longer in total than the time-out and a sweep (1.5 s); each
        # pause half the time-out, so that a late wake-up on a busy machine is no harm.
        for _ in range(4):
            sock.sendall(GET)
            assert reader.read_response().status == 200
            time.sleep(0.5)
        sock.sendall(GET)
        assert reader.read_response().status == 200


def test_keep_alive_timeout_does_not_cut_a_slow_application(serve_app):
    server = serve_app(apps.slow, keepalive_timeout=0.5, head_timeout=0.5)
    with server.connect() as sock:
        reader = ResponseReader(sock)
        sock.sendall(b"GET /?1.2 HTTP/1.1\r\nHost: t\r\n\r\n")
        response = reader.read_response()
        assert response.body == b"slow"
        assert not response.closes


def test_half_sent_head_gets_408(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder, head_timeout=0.5)
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")  # no blank line: the head never ends
        received, elapsed = wait_for_close(sock)
    response = ResponseReader(received).read_response()
    assert response.status == 408
    assert response.closes
    assert 0.5 - 0.05 <= elapsed <= 0.5 + SWEEP + SLACK
    assert recorder.paths == []


def test_trickling_head_gets_408_whatever_its_pace(serve_app):
    # Slowloris: a byte-sized field line every 0.1 s keeps the connection
    # busy forever unless the head's deadline runs from its first byte.
    server = serve_app(apps.hello, head_timeout=0.5)
    with server.connect() as sock:
        started = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\n")
        sock.settimeout(0.1)
        received = b""
        for index in range(50):  # at most 5 s
            try:
                sock.sendall(b"X-%d: v\r\n" % index)
            except OSError:
                break
            try:
                received = sock.recv(65536)
            except TimeoutError:
                continue
            break
        elapsed = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 408 ")
    assert elapsed <= 0.5 + SWEEP + SLACK


def test_second_request_head_has_its_own_deadline(serve_app):
    server = serve_app(apps.hello, head_timeout=0.5, keepalive_timeout=5)
    with server.connect() as sock:
        reader = ResponseReader(sock)
        sock.sendall(GET)
        assert reader.read_response().status == 200
        sock.sendall(b"GET / HTTP/1.1\r\n")
        received, elapsed = wait_for_close(sock)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert elapsed <= 0.5 + SWEEP + SLACK  # the head time-out, not the keep-alive one


def test_silent_new_connection_is_closed_without_a_response(serve_app):
    # With TCP_DEFER_ACCEPT the kernel hands over a silent connection only
    # after the defer period; from then on the head time-out runs.
    server = serve_app(apps.hello, head_timeout=0.5)
    with server.connect() as sock:
        received, elapsed = wait_for_close(sock)
    assert received == b""
    assert elapsed <= DEFER_ACCEPT_SECONDS + 0.5 + SWEEP + SLACK


def test_stalled_body_gets_408(serve_app):
    server = serve_app(apps.count_bytes, body_timeout=0.5)
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        received, elapsed = wait_for_close(sock)
    response = ResponseReader(received).read_response()
    assert response.status == 408
    assert response.closes
    assert 0.5 - 0.05 <= elapsed <= 0.5 + SLACK  # polled by the worker: no sweep delay
