"""The reactor: accepting within max_connections, deadlines, graceful stop.

The first tests drive ``Reactor`` with a tiny echo handler (no HTTP at all);
the last ones check the same behaviour through a real tapster server.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from tapster.net import Listener, Reactor, close_listeners, open_listeners, parse_bind
from tests import apps
from tests.conftest import read_until_closed


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def accept_queue_length(listening: socket.socket) -> int:
    """Connections the kernel has queued on a listening TCP socket (``tcpi_unacked``)."""
    info = listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack_from("8B6I", info)[12]


def receive(sock: socket.socket, size: int) -> bytes:
    """Exactly ``size`` bytes, or fewer when the peer closes first."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


class EchoHandler:
    """Echoes what it reads. ``delay`` > 0 hands the echo to a thread (a busy connection)."""

    def __init__(self, owner: EchoServer, sock: socket.socket) -> None:
        self.owner = owner
        self.sock = sock
        self.fd = sock.fileno()
        self.armed = False
        self.registered = False
        self.deadline = time.monotonic() + owner.timeout if owner.timeout else 0.0
        self.closed = False

    def on_readable(self) -> None:
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            self.owner.reactor.arm(self)
            return
        except OSError:
            data = b""
        if not data:
            self.close()
            return
        if self.owner.delay:
            # The connection leaves the loop: a worker owns it until it re-arms.
            threading.Thread(target=self._answer_later, args=(data,), daemon=True).start()
            return
        self.sock.sendall(data)
        self.rearm()

    def _answer_later(self, data: bytes) -> None:
        time.sleep(self.owner.delay)
        if self.closed:
            return
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        except OSError:
            return
        self.sock.setblocking(False)
        if self.owner.reactor.stopping:
            self.close()
        else:
            self.rearm()

    def rearm(self) -> None:
        if self.owner.timeout:
            self.deadline = time.monotonic() + self.owner.timeout
        self.owner.reactor.arm(self)

    def on_timeout(self) -> None:
        self.owner.events.append(("timeout", self.fd))
        self.close()

    def on_shutdown(self) -> None:
        self.owner.events.append(("shutdown", self.fd))
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.owner.reactor.forget(self)
            self.sock.close()


class EchoServer:
    """A reactor serving ``EchoHandler``s on 127.0.0.1, run on a thread."""

    def __init__(self, *, max_connections: int = 100, timeout: float = 0.0, delay: float = 0.0):
        self.timeout = timeout
        self.delay = delay
        self.events: list[tuple[str, int]] = []
        self.accepted = 0
        self.listeners = open_listeners([parse_bind("127.0.0.1:0")], backlog=128)
        self.listener = self.listeners[0]
        self.reactor = Reactor(self.listeners, self._accept, max_connections=max_connections)
        self.thread = threading.Thread(target=self.reactor.run, name="test-reactor", daemon=True)

    def _accept(self, sock: socket.socket, peer: object, listener: Listener) -> EchoHandler:
        assert listener is self.listener
        self.accepted += 1
        return EchoHandler(self, sock)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.listener.port), timeout=5)

    def echo(self, client: socket.socket, data: bytes = b"ping") -> bytes:
        client.sendall(data)
        return receive(client, len(data))


@contextlib.contextmanager
def echo_server(**options: Any) -> Iterator[EchoServer]:
    server = EchoServer(**options)
    server.thread.start()
    try:
        yield server
    finally:
        server.reactor.stop(0.5)
        server.thread.join(10)
        close_listeners(server.listeners)
        assert not server.thread.is_alive(), "the loop did not stop"


# -- the loop itself ------------------------------------------------------------------


def test_accepts_and_rearms_for_every_message():
    with echo_server() as server, server.connect() as client:
        for index in range(5):
            assert server.echo(client, b"message %d" % index) == b"message %d" % index
        assert server.accepted == 1


def test_many_connections_at_once():
    with echo_server() as server:
        clients = [server.connect() for _ in range(40)]
        try:
            for index, client in enumerate(clients):
                assert server.echo(client, b"%03d" % index) == b"%03d" % index
            assert len(server.reactor.handlers) == 40
        finally:
            for client in clients:
                client.close()
        wait_until(lambda: not server.reactor.handlers)


def test_max_connections_holds_and_the_next_waits_in_the_backlog():
    with echo_server(max_connections=2) as server:
        first, second = server.connect(), server.connect()
        with first, second:
            assert server.echo(first) == b"ping"
            assert server.echo(second) == b"ping"
            with server.connect() as third:  # the kernel completes the handshake
                third.sendall(b"third")
                wait_until(lambda: accept_queue_length(server.listener.sock) == 1)
                time.sleep(0.3)
                assert server.accepted == 2
                assert len(server.reactor.handlers) == 2
                assert accept_queue_length(server.listener.sock) == 1
                first.close()
                # A slot is free: the loop accepts again, and the third is served.
                assert receive(third, 5) == b"third"
                assert server.accepted == 3
                assert len(server.reactor.handlers) == 2
                assert accept_queue_length(server.listener.sock) == 0


def test_deadline_sweep_closes_idle_connections():
    with echo_server(timeout=0.3) as server, server.connect() as client:
        assert server.echo(client) == b"ping"
        started = time.monotonic()
        assert client.recv(1) == b""  # closed by the sweep
        elapsed = time.monotonic() - started
        assert 0.2 <= elapsed < 2.0
        assert server.events == [("timeout", server.events[0][1])]
        wait_until(lambda: not server.reactor.handlers)


def test_sweep_spares_connections_the_loop_does_not_own():
    # A worker owns a busy connection: its deadline may pass, it is not timed out.
    with echo_server(timeout=0.2, delay=1.2) as server, server.connect() as client:
        client.sendall(b"busy")
        assert receive(client, 4) == b"busy"  # answered after 1.2 s, past the deadline
        assert server.events == []
        assert client.recv(1) == b""  # idle again: now the deadline applies
        assert [event for event, _ in server.events] == ["timeout"]


def test_stop_without_connections_is_prompt():
    server = EchoServer()
    server.thread.start()
    try:
        started = time.monotonic()
        server.reactor.stop(30)
        server.thread.join(5)
        assert not server.thread.is_alive()
        assert time.monotonic() - started < 1.0
        assert server.reactor.stopping
    finally:
        server.reactor.stop(0)
        server.thread.join(5)
        close_listeners(server.listeners)


def test_stop_closes_idle_connections_and_stops_accepting():
    with echo_server() as server, server.connect() as idle:
        assert server.echo(idle) == b"ping"
        server.reactor.stop(5)
        assert idle.recv(1) == b""
        server.thread.join(5)
        assert not server.thread.is_alive()
        assert [event for event, _ in server.events] == ["shutdown"]


def wait_busy(server: EchoServer) -> None:
    """Wait until the one connection is owned by its worker, not by the loop."""
    wait_until(
        lambda: len(server.reactor.handlers) == 1
        and not any(handler.armed for handler in list(server.reactor.handlers.values()))
    )


def test_stop_with_grace_lets_a_busy_connection_finish():
    with echo_server(delay=0.6) as server, server.connect() as client:
        client.sendall(b"busy")
        wait_busy(server)
        started = time.monotonic()
        server.reactor.stop(5)
        assert receive(client, 4) == b"busy"
        assert client.recv(1) == b""
        finished = time.monotonic()
        server.thread.join(5)
        assert not server.thread.is_alive()
        # The loop ends as soon as the work does (it looks every 0.05 s while
        # stopping), not at the next sweep (0.5 s) nor with the grace (5 s).
        assert time.monotonic() - finished < 0.4
        assert time.monotonic() - started < 2.0
        assert server.events == []


def test_grace_running_out_closes_a_busy_connection():
    with echo_server(delay=3) as server, server.connect() as client:
        client.sendall(b"busy")
        wait_busy(server)
        started = time.monotonic()
        server.reactor.stop(0.3)
        server.thread.join(5)
        assert not server.thread.is_alive()
        assert 0.25 <= time.monotonic() - started < 2.0
        assert client.recv(1) == b""
        assert [event for event, _ in server.events] == ["timeout"]


def test_arm_after_the_loop_ended_times_the_connection_out():
    with echo_server() as server:
        pass
    # A worker re-arming after the loop closed its epoll: closed, not lost.
    left, right = socket.socketpair()
    with left, right:
        handler = EchoHandler(server, left)
        server.reactor.arm(handler)
        assert handler.closed
        assert not handler.armed
        assert server.events == [("timeout", handler.fd)]


def test_wake_interrupts_the_wait_and_wakeup_fd_is_usable():
    with echo_server() as server:
        assert server.reactor.wakeup_fd >= 0
        for _ in range(10000):  # more wake-ups than the pipe holds: never blocks or raises
            server.reactor.wake()
        with server.connect() as client:
            assert server.echo(client) == b"ping"


# -- the same through a tapster server ----------------------------------------------------


def http_get(sock: socket.socket, target: str = "/") -> bytes:
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(65536)
        if not chunk:
            break
        head += chunk
    return head


def test_server_max_connections_queues_the_third_client(serve_app):
    server = serve_app(apps.hello, max_connections=2)
    listening = server.server.listeners[0].sock
    first, second = server.connect(), server.connect()
    with first, second:
        assert http_get(first).startswith(b"HTTP/1.1 200 OK")
        assert http_get(second).startswith(b"HTTP/1.1 200 OK")
        with server.connect(timeout=0.5) as third:
            third.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            wait_until(lambda: accept_queue_length(listening) == 1)
            with pytest.raises(TimeoutError):
                third.recv(1)  # waiting in the backlog, not accepted
            assert len(server.server.reactor.handlers) == 2
            second.close()
            third.settimeout(5)
            answer = third.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
            assert answer.endswith(b"Hello, World!")
            assert len(server.server.reactor.handlers) <= 2


def test_server_closes_idle_keep_alive_connections(serve_app):
    server = serve_app(apps.hello, keepalive_timeout=0.4)
    with server.connect() as client:
        assert http_get(client).startswith(b"HTTP/1.1 200 OK")
        started = time.monotonic()
        read_until_closed(client)
        assert 0.3 <= time.monotonic() - started < 2.5
    wait_until(lambda: not server.server.reactor.handlers)


def test_server_closes_a_silent_new_connection_after_the_head_timeout(serve_app):
    server = serve_app(apps.hello, head_timeout=0.4)
    with server.connect() as client:
        started = time.monotonic()
        assert read_until_closed(client) == b""  # never sent a byte: nothing to answer
        # The head time-out, after the listener's accept deferral (about 1 s).
        assert 0.3 <= time.monotonic() - started < 4.0


def test_server_answers_408_to_a_half_sent_head(serve_app):
    server = serve_app(apps.hello, head_timeout=0.4)
    with server.connect() as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost:")
        assert read_until_closed(client).startswith(b"HTTP/1.1 408 ")


class Entered:
    """An app that, for ``/slow``, says when it runs, then sleeps ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.event = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/slow":
            self.event.set()
            time.sleep(self.seconds)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"finished"]


def test_server_stop_with_grace_lets_a_busy_request_finish(serve_app):
    app = Entered(0.8)
    server = serve_app(app)
    with server.connect() as client, server.connect() as idle:
        assert http_get(idle).startswith(b"HTTP/1.1 200 OK")
        client.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        assert app.event.wait(5)
        server.server.stop(grace=5)
        assert read_until_closed(idle) == b""  # idle keep-alive: closed at once
        answer = read_until_closed(client)
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"\r\nConnection: close\r\n" in answer
        assert answer.endswith(b"finished")
        # The client has not closed its socket: the server still ends at once,
        # without a lingering close (2 s) or the rest of the grace (5 s).
        finished = time.monotonic()
        server.thread.join(5)
        assert not server.thread.is_alive()
        assert time.monotonic() - finished < 1.0


def test_server_closes_after_a_connection_close_response_without_waiting(serve_app):
    server = serve_app(apps.hello)
    with server.connect() as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert read_until_closed(client).endswith(b"Hello, World!")
        # The client read everything and sent nothing more: nothing to linger for
        # (a lingering close would hold the connection for 2 s).
        wait_until(lambda: not server.server.reactor.handlers, timeout=1.0)


def test_server_stop_refuses_new_connections_at_once(serve_app):
    app = Entered(0.8)
    server = serve_app(app)
    with server.connect() as client:
        client.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        assert app.event.wait(5)
        server.server.stop(grace=5)
        # The drain closes the listeners: a late client can go elsewhere now,
        # instead of waiting in the backlog for the process to end.
        deadline = time.monotonic() + 5
        while True:
            try:
                server.connect(timeout=1).close()
            except (ConnectionRefusedError, ConnectionResetError):
                # Refused, or reset when the listener closed mid-handshake
                # (with TCP_DEFER_ACCEPT the kernel completes it alone): either
                # way nobody will serve this client.
                break
            assert time.monotonic() < deadline, "still accepting connections"
            time.sleep(0.01)
        assert read_until_closed(client).endswith(b"finished")


# -- stages: a handler that waits to write, then hands the socket over -------------------


class GreetingStage:
    """Waits until the socket is writable (``arm_writable``), greets, hands over to echo."""

    def __init__(self, owner: EchoServer, sock: socket.socket) -> None:
        self.owner = owner
        self.sock = sock
        self.fd = sock.fileno()
        self.armed = False
        self.registered = False
        self.deadline = 0.0
        self.calls = 0

    def on_readable(self) -> None:
        self.calls += 1
        if self.calls == 1:  # the accept's immediate call: wait for writability instead
            self.owner.reactor.arm_writable(self)
            return
        self.sock.send(b"hello\n")
        self.owner.reactor.hand_over(self, EchoHandler(self.owner, self.sock))

    def on_timeout(self) -> None:
        self.sock.close()

    def on_shutdown(self) -> None:
        self.sock.close()


def test_arm_writable_and_hand_over():
    with echo_server() as server:
        server._accept = lambda sock, peer, listener: GreetingStage(server, sock)  # type: ignore[method-assign]
        server.reactor._accept_handler = server._accept
        with server.connect() as client:
            client.sendall(b"x")  # past TCP_DEFER_ACCEPT
            assert receive(client, 6) == b"hello\n"
            assert receive(client, 1) == b"x"  # the echo stage read what was already there
            assert server.echo(client, b"after") == b"after"
            wait_until(lambda: any(type(h) is EchoHandler
                                   for h in server.reactor.handlers.values()))
