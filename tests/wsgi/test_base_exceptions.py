"""An application raising a BaseException does not leak its connection."""

from __future__ import annotations

import time

from tests import apps


def exits(environ, start_response):
    raise SystemExit("the application called sys.exit()")


def test_system_exit_in_the_app_closes_the_connection(serve_app):
    server = serve_app(exits)
    answer = server.exchange(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer == b""  # closed without a response: there was none to give
    deadline = time.monotonic() + 5
    while server.server.reactor.handlers and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not server.server.reactor.handlers


def test_server_keeps_serving_after_a_system_exit(serve_app):
    calls = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] == "/exit":
            raise SystemExit(1)
        return apps.hello(environ, start_response)

    server = serve_app(app)
    server.exchange(b"GET /exit HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = server.exchange(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert calls == ["/exit", "/"]
