"""Shared fixtures: real tapster servers on ephemeral 127.0.0.1 ports."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tapster.settings import Settings
from tapster.wsgi.server import Server


class RunningServer:
    """A server running on a background thread, and how to reach it."""

    def __init__(self, server: Server, thread: threading.Thread) -> None:
        self.server = server
        self.thread = thread
        listener = server.listeners[0]
        self.host = listener.host
        self.port = listener.port
        self.url = listener.url

    def connect(self, timeout: float = 5.0) -> socket.socket:
        """A raw client socket connected to the server."""
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def exchange(self, data: bytes, timeout: float = 5.0) -> bytes:
        """Send raw bytes, half-close, and return everything the server answers."""
        with self.connect(timeout) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            return read_until_closed(sock)


def read_until_closed(sock: socket.socket) -> bytes:
    """Read until the peer closes (or resets) the connection."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def running_server(app: Callable[..., Any], **options: Any) -> Iterator[RunningServer]:
    """Serve ``app`` on 127.0.0.1 (an ephemeral port) for the block's duration."""
    options.setdefault("bind", ["127.0.0.1:0"])
    server = Server(app, Settings.from_options(options))
    thread = threading.Thread(target=server.run, name="tapster-test-server", daemon=True)
    thread.start()
    assert server.started.wait(5), "server did not start"
    try:
        yield RunningServer(server, thread)
    finally:
        server.stop(grace=2.0)
        thread.join(10)
        assert not thread.is_alive(), "server did not stop"


@pytest.fixture
def serve_app() -> Iterator[Callable[..., RunningServer]]:
    """Start a server for an app: ``serve_app(app, **settings)``; stopped after the test."""
    stack = []

    def start(app: Callable[..., Any], **options: Any) -> RunningServer:
        context = running_server(app, **options)
        stack.append(context)
        return context.__enter__()

    yield start
    while stack:
        stack.pop().__exit__(None, None, None)
