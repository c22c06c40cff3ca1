"""A slow application call must not hold up other connections."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests import apps

SLOW = 1.5


def test_slow_handler_does_not_block_a_fast_one(serve_app):
    server = serve_app(apps.slow)
    slow_done = threading.Event()
    slow_result = {}

    def slow_request():
        started = time.monotonic()
        reply = requests.get(f"{server.url}/?{SLOW}", timeout=10)
        slow_result["status"] = reply.status_code
        slow_result["elapsed"] = time.monotonic() - started
        slow_done.set()

    thread = threading.Thread(target=slow_request)
    thread.start()
    try:
        time.sleep(0.2)  # the slow request is in the application by now
        started = time.monotonic()
        reply = requests.get(f"{server.url}/?0", timeout=10)
        fast = time.monotonic() - started
        assert reply.status_code == 200
        assert not slow_done.is_set(), "the slow request finished first"
    finally:
        thread.join(10)
    assert slow_result["status"] == 200
    assert slow_result["elapsed"] >= SLOW
    # Blocked behind the slow one, it would take more than a second; the margin
    # below that is for a busy machine.
    assert fast < SLOW / 3, f"fast request took {fast:.3f}s beside a {SLOW}s one"
    print(f"fast request beside a {SLOW}s one: {fast * 1000:.1f} ms")


def test_slow_handlers_run_in_parallel(serve_app):
    server = serve_app(apps.slow)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: requests.get(f"{server.url}/?0.5", timeout=10),
                                range(8)))
    elapsed = time.monotonic() - started
    assert [reply.status_code for reply in replies] == [200] * 8
    assert elapsed < 0.5 * 8 / 2, f"8 half-second requests took {elapsed:.2f}s"


def test_idle_connections_do_not_hold_threads(serve_app):
    # More idle keep-alive connections than threads: a thread is used per
    # request, not per connection, so a new request is still served at once.
    server = serve_app(apps.hello, threads=2)
    sockets = [server.connect() for _ in range(20)]
    try:
        for sock in sockets:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        for sock in sockets:
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
        started = time.monotonic()
        assert requests.get(server.url, timeout=5).status_code == 200
        assert time.monotonic() - started < 1.0
    finally:
        for sock in sockets:
            sock.close()


def test_many_concurrent_keep_alive_clients(serve_app):
    server = serve_app(apps.environ_json, threads=8)

    def client(index):
        with requests.Session() as session:
            ports = {session.get(f"{server.url}/{index}/{n}", timeout=10).json()["REMOTE_PORT"]
                     for n in range(5)}
        return len(ports)

    with ThreadPoolExecutor(50) as pool:
        connections_per_client = list(pool.map(client, range(200)))
    assert connections_per_client == [1] * 200  # 1,000 requests, each client on one connection
