"""Accepted sockets: TCP_NODELAY on TCP connections, seen from the server's side."""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Iterator

from tapster.net import close_listeners
from tapster.settings import Settings
from tapster.wsgi.server import Server
from tests import apps


@contextlib.contextmanager
def idle_server(*binds: str) -> Iterator[Server]:
    """A server with open listeners whose loop never runs (accepting is up to the test)."""
    server = Server(apps.hello, Settings(bind=list(binds)))
    try:
        yield server
    finally:
        server.reactor._close_everything()
        close_listeners(server.listeners)


def accept(listening: socket.socket) -> tuple[socket.socket, object]:
    ready, _, _ = select.select([listening], [], [], 5)
    assert ready, "no connection arrived"
    return listening.accept()


def test_accept_sets_tcp_nodelay():
    with idle_server("127.0.0.1:0") as server:
        listener = server.listeners[0]
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as client:
            client.sendall(b"GET")  # the listener defers accepting until the client speaks
            sock, peer = accept(listener.sock)
            assert not sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            connection = server._accept(sock, peer, listener)
            try:
                assert connection.sock is sock
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                assert connection.environ["REMOTE_ADDR"] == client.getsockname()[0]
                assert connection.environ["REMOTE_PORT"] == str(client.getsockname()[1])
            finally:
                connection.close()


def test_accept_on_a_unix_socket_sets_no_tcp_option(tmp_path):
    path = str(tmp_path / "app.sock")
    with idle_server(f"unix:{path}") as server:
        listener = server.listeners[0]
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with client:
            client.connect(path)
            sock, peer = accept(listener.sock)
            connection = server._accept(sock, peer, listener)  # would raise on setsockopt
            try:
                assert connection.environ["REMOTE_ADDR"] == ""
            finally:
                connection.close()


def test_running_server_connections_have_tcp_nodelay(serve_app):
    server = serve_app(apps.hello)
    with server.connect() as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
        # Keep-alive: the connection is back with the loop, in its handlers.
        handlers = server.server.reactor.handlers
        deadline = time.monotonic() + 5
        while not handlers and time.monotonic() < deadline:
            time.sleep(0.01)
        [connection] = list(handlers.values())
        assert connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
