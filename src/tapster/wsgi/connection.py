"""One connection's life: read requests, hand them to a worker thread, keep alive.

Ownership moves, never shared (see ``tapster.net.reactor``):

- While *armed*, the loop thread owns the connection. ``on_readable`` reads
  what arrived and feeds the parser. An incomplete head re-arms it; a
  complete one hands the connection to the thread pool.
- A worker thread then owns it: it runs the exchange, reading the body and
  writing the response on the socket itself (waiting with ``poll`` when the
  socket is not ready, so a slow client pauses the application's iterator
  rather than growing a buffer). It serves pipelined requests already
  buffered, then re-arms the connection with a keep-alive deadline, or
  closes it.

Closing after an error or a refused request is *lingering*: the write side
is shut, and the loop reads and discards what the client still sends for a
moment, so that the client reads our response instead of a reset (the
kernel answers unread data at close() with RST).
"""

from __future__ import annotations

import logging
import os
import select
import socket
import time
from typing import TYPE_CHECKING

from ..http import NEED_DATA, Data, RemoteProtocolError, Request, RequestParser
from ..http.response import error_response
from .environ import connection_environ
from .errors import ClientGone
from .exchange import Exchange

if TYPE_CHECKING:
    from ..net import Listener
    from .server import Server

__all__ = ["Connection"]

log = logging.getLogger("tapster.error")

#: Bytes asked of the kernel per recv(): a whole typical request, and large
#: enough that a fast upload needs few calls.
RECV_SIZE = 65536
#: How long a lingering close waits for the client to stop sending.
LINGER_SECONDS = 2.0
#: How much a lingering close reads and discards before giving up.
LINGER_MAX_BYTES = 1024 * 1024

_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT


def _wait(fd: int, events: int, timeout: float) -> bool:
    poller = select.poll()
    poller.register(fd, events)
    return bool(poller.poll(timeout * 1000))


class Connection:
    """A client connection: the reactor's handler and the exchanges' transport."""

    __slots__ = (
        "_closed",
        "_head_started",
        "_lingered",
        "_lingering",
        "armed",
        "deadline",
        "environ",
        "fd",
        "parser",
        "registered",
        "server",
        "sock",
        "trusted",
    )

    def __init__(
        self,
        sock: socket.socket,
        peer: object,
        listener: Listener,
        server: Server,
        remote: object = None,
    ) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.server = server
        self.parser = RequestParser(**server.parser_limits)
        self.environ = connection_environ(
            server.listener_environs[listener.sock.fileno()], peer, remote
        )
        #: Whether the client is a trusted proxy, whose Forwarded and
        #: X-Forwarded-* fields are applied: decided once, here.
        self.trusted = server.trusted_peers.trusts_peer(peer if remote is None else remote)
        self.armed = False
        self.registered = False
        # A new connection must start its first request within the head time-out.
        self.deadline = time.monotonic() + server.settings.head_timeout
        self._head_started = True
        self._closed = False
        self._lingering = False
        self._lingered = 0

    # -- the loop thread -----------------------------------------------------------------

    def on_readable(self) -> None:
        """Read what arrived; hand a complete request to the pool."""
        try:
            data = self.sock.recv(RECV_SIZE)
        except BlockingIOError:
            self.server.reactor.arm(self)
            return
        except OSError:
            data = b""
        if self._lingering:
            self._lingered += len(data)
            if data and self._lingered < LINGER_MAX_BYTES:
                self.server.reactor.arm(self)
            else:
                self.close()
            return
        self.parser.feed(data)
        request = self._next_request()
        if request is not None:
            self.server.pool.submit(self.serve, request)

    def on_timeout(self) -> None:
        """A deadline passed: answer 408 to a half-sent head, then close."""
        if not self._closed and not self._lingering and self.parser.buffered:
            self._send_quietly(
                error_response(408, "request head not received in time", self.server.server_line)
            )
        self.close()

    def on_shutdown(self) -> None:
        """The server stops: close if idle; a half-received request may finish.

        A worker being replaced lingers: an idle connection may still bring
        a request for a moment (answered with ``Connection: close``).
        """
        if self._lingering:
            self.close()
        elif self.parser.buffered:
            self.server.reactor.arm(self)
        elif self.server.reactor.idle_linger:
            self.deadline = min(self.deadline, time.monotonic() + self.server.reactor.idle_linger)
            self.server.reactor.arm(self)
        else:
            self.close()

    # -- a worker thread -----------------------------------------------------------------

    def serve(self, request: Request) -> None:
        """Run exchanges for this and any pipelined requests, then re-arm or close."""
        server = self.server
        parser = self.parser
        while True:
            try:
                keep_alive = Exchange(self, request).run()
            except ClientGone:
                self.close()
                return
            except BaseException:
                # SystemExit or the like from the application: the pool logs
                # it; the connection must not be left neither armed nor closed.
                self.close()
                raise
            reactor = server.reactor
            if not keep_alive or (reactor.stopping and not reactor.idle_linger):
                self._close_after_response()
                return
            parser.start_next_cycle()
            if not parser.buffered and not parser.peer_closed:
                # The usual case: nothing more yet. Idle until the next request.
                self._head_started = False
                self.deadline = time.monotonic() + server.settings.keepalive_timeout
                if reactor.stopping:
                    # A response promised keep-alive as the stop began: the
                    # client may send again, and is served for a moment more.
                    self.deadline = min(self.deadline, time.monotonic() + reactor.idle_linger)
                reactor.arm(self)
                return
            request = self._next_request()  # pipelined: already here, served on this thread
            if request is None:
                return

    def _next_request(self) -> Request | None:
        """Parse on: a complete request, or None once the connection is seen to.

        Seen to means armed to wait for more bytes (with the head deadline
        while a head is under way, else the keep-alive one), refused, or
        closed.
        """
        try:
            event = self.parser.next_event()
        except RemoteProtocolError as error:
            self.refuse(error)
            return None
        if type(event) is Request:
            return event
        if event is not NEED_DATA:  # ConnectionClosed: the client is done
            self.close()
            return None
        settings = self.server.settings
        if not self.parser.buffered:
            self._head_started = False
            self.deadline = time.monotonic() + settings.keepalive_timeout
        elif not self._head_started:
            self._head_started = True
            self.deadline = time.monotonic() + settings.head_timeout
        self.server.reactor.arm(self)
        return None

    def read_body_piece(self) -> bytes:
        """The next piece of the current request's body, ``b""`` at its end.

        Raises ``RemoteProtocolError`` for a malformed body, ``TimeoutError``
        when the client stalls past the body time-out, ``ClientGone`` when it
        disconnects.
        """
        parser = self.parser
        while True:
            event = parser.next_event()
            if type(event) is Data:
                return event.data
            if event is not NEED_DATA:
                return b""  # EndOfMessage (or already PAUSED)
            parser.feed(self._receive(self.server.settings.body_timeout))

    def _receive(self, timeout: float) -> bytes:
        sock = self.sock
        deadline = time.monotonic() + timeout
        while True:
            try:
                return sock.recv(RECV_SIZE)
            except BlockingIOError:
                pass
            except OSError as error:
                raise ClientGone(str(error)) from None
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not _wait(self.fd, _POLLIN, remaining):
                raise TimeoutError("timed out reading the request body")

    def send(self, buffers: list[bytes | memoryview]) -> None:
        """Write all of ``buffers`` (gathered, one system call when it fits).

        Waits up to the send time-out each time the socket buffer is full;
        raises ``ClientGone`` when the client disconnects or stops reading.
        """
        sock = self.sock
        while True:
            try:
                sent = sock.sendmsg(buffers)
            except BlockingIOError:
                sent = 0
            except OSError as error:
                raise ClientGone(str(error)) from None
            for index, buffer in enumerate(buffers):
                sent -= len(buffer)
                if sent < 0:  # this buffer went out in part: keep its tail and the rest
                    buffers = [memoryview(buffer)[len(buffer) + sent :], *buffers[index + 1 :]]
                    break
            else:
                return
            if not _wait(self.fd, _POLLOUT, self.server.settings.send_timeout):
                raise ClientGone("timed out: the client stopped reading the response")

    def sendfile(self, file_fd: int, offset: int, count: int) -> int:
        """Let the kernel copy ``count`` bytes of a file; return how many it sent."""
        total = 0
        while total < count:
            try:
                sent = os.sendfile(self.fd, file_fd, offset + total, count - total)
            except BlockingIOError:
                if not _wait(self.fd, _POLLOUT, self.server.settings.send_timeout):
                    raise ClientGone("timed out: the client stopped reading the response") from None
                continue
            except OSError as error:
                raise ClientGone(str(error)) from None
            if not sent:
                break  # the file is shorter than it was
            total += sent
        return total

    # -- either thread (whichever owns the connection) --------------------------------

    def refuse(self, error: RemoteProtocolError) -> None:
        """Answer a protocol error with its status, then close (lingering)."""
        log.debug("refused a request: %s %s", error.status, error.detail)
        self._send_quietly(error_response(error.status, error.detail, self.server.server_line))
        self._linger()

    def close(self) -> None:
        """Close the socket and forget the connection (once)."""
        if self._closed:
            return
        self._closed = True
        self.server.reactor.forget(self)
        try:
            self.sock.close()
        except OSError:
            pass

    def _close_after_response(self) -> None:
        # A plain close() is only safe when the client has sent nothing we
        # did not read: otherwise the kernel resets the connection, and the
        # client may lose the response it has not read yet.
        if (
            self.parser.unread_body_bytes == 0
            and not self.parser.buffered
            and not self._unread_waiting()
        ):
            self.close()
            return
        self._linger()

    def _unread_waiting(self) -> bool:
        """Whether the client sent octets that wait unread in the socket."""
        try:
            return bool(self.sock.recv(1, socket.MSG_PEEK))
        except OSError:  # BlockingIOError (nothing waits) included
            return False

    def _shut_write(self) -> None:
        """End our side of the connection (the client reads to its end)."""
        self.sock.shutdown(socket.SHUT_WR)

    def _linger(self) -> None:
        try:
            self._shut_write()
        except OSError:
            self.close()
            return
        self._lingering = True
        self.deadline = time.monotonic() + LINGER_SECONDS
        self.server.reactor.arm(self)

    def _send_quietly(self, data: bytes) -> None:
        # Best effort without waiting: an error response is small and the
        # socket buffer empty; a client that cannot take it is leaving anyway.
        try:
            self.sock.send(data)
        except OSError:
            pass
