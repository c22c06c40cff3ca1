"""Clients that leave mid-upload, mid-download and during a slow handler, 10,000 times.

Against a real ``tapster serve`` process: every response iterable the
application created is closed exactly once (``flood_apps`` counts them), and
the server's open descriptors and threads, read from /proc, come back to
their baseline once the clients are gone. A leak of one descriptor or thread
per event would show as thousands.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable

import pytest

from tests.integration.conftest import tapster_process
from tests.integration.floodclient import (
    close_all,
    connect_many,
    fd_count,
    read_answers,
    status_field,
)
from tests.processes import http_request, split_response

APP = "tests.integration.flood_apps:app"
EVENTS = 10_000
CLIENT_THREADS = 8
POOL_THREADS = 16
UPLOAD_HEAD = b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1048576\r\n\r\n"
KINDS = ("/upload", "/download", "/slow")
SLOW_GET = b"GET /slow?10 HTTP/1.1\r\nHost: t\r\n\r\n"


def leave(port: int, kind: str) -> None:
    """One client that leaves in the middle of a ``kind`` exchange."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        if kind == "/upload":  # a 1 MiB body announced, 64 KiB sent
            sock.sendall(UPLOAD_HEAD + b"u" * 65536)
        elif kind == "/download":  # 4 MiB coming, one read taken
            sock.sendall(b"GET /download?64 HTTP/1.1\r\nHost: t\r\n\r\n")
            sock.recv(65536)
        else:  # ten pieces 10 ms apart: gone after about one
            sock.sendall(SLOW_GET)
            time.sleep(0.015)


def run_events(port: int, count: int, threads: int) -> list[str]:
    """``count`` leaving clients spread over ``threads`` client threads; the errors seen."""
    errors: list[str] = []
    deadline = time.monotonic() + 120

    def client(offset: int) -> None:
        for index in range(offset, count, threads):
            if time.monotonic() > deadline:
                errors.append("out of time")
                return
            try:
                leave(port, KINDS[index % len(KINDS)])
            except OSError as error:  # a reset while sending: fine, but counted
                errors.append(repr(error))

    workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(130)
    return errors


def settle(read: Callable[[], int], target: int, limit: float = 15.0) -> int:
    """Poll ``read()`` until it returns ``target`` (or ``limit`` seconds); its last value."""
    deadline = time.monotonic() + limit
    value = read()
    while value != target and time.monotonic() < deadline:
        time.sleep(0.1)
        value = read()
    return value


def stats(port: int) -> dict:
    status, _, body = split_response(http_request(("127.0.0.1", port), "/stats"))
    assert status == 200
    return json.loads(body)


@pytest.mark.slow
def test_ten_thousand_clients_leaving_leak_no_descriptor_no_thread_and_close_every_iterable():
    with tapster_process(APP, "--threads", str(POOL_THREADS), "--keep-alive", "5") as server:
        pid = server.pid
        # Warm up: the pool at its full size (threads are kept, not a leak), by more
        # concurrent 100 ms requests than it has threads; then every kind of event once.
        warm = connect_many(server.port, POOL_THREADS + 4, SLOW_GET)
        try:
            assert len(read_answers(warm, b"\r\n0\r\n\r\n", limit=20.0)) == POOL_THREADS + 4
        finally:
            close_all(warm)
        assert not run_events(server.port, 10 * len(KINDS), CLIENT_THREADS)
        time.sleep(1.0)
        fds, threads = fd_count(pid), status_field(pid, "Threads")
        rss = status_field(pid, "VmRSS")
        started = time.monotonic()
        errors = run_events(server.port, EVENTS, CLIENT_THREADS)
        elapsed = time.monotonic() - started
        assert len(errors) < EVENTS // 100, errors[:5]
        fds_after = settle(lambda: fd_count(pid), fds)
        threads_after = settle(lambda: status_field(pid, "Threads"), threads)
        rss_after = status_field(pid, "VmRSS")
        counts = stats(server.port)
        print(f"\n{EVENTS} clients leaving in {elapsed:.1f} s: fds {fds} -> {fds_after}, "
              f"threads {threads} -> {threads_after}, RSS {rss / 2**20:.1f} -> "
              f"{rss_after / 2**20:.1f} MiB; iterables {counts}")
        assert fds_after == fds
        assert threads_after == threads
        assert counts["closed"] == counts["created"]  # each closed once, none forgotten
        for kind in KINDS:  # and the exchanges did reach the application
            assert counts["created"][kind] >= EVENTS // len(KINDS) * 0.99
        assert rss_after < rss + 16 * 2**20
