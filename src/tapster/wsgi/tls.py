"""A connection over TLS: ``Connection`` with its socket calls made for an ``SSLSocket``.

Chosen once, when the server is set up with a certificate; the plain
``Connection`` is untouched, so plain HTTP pays nothing for TLS. What
differs on an ``SSLSocket``:

- ``recv`` raises ``SSLWantReadError`` (not ``BlockingIOError``) when no
  record is complete, and may leave decrypted octets inside OpenSSL
  (``pending()``) that epoll cannot see: they are read at once.
- ``sendmsg`` and ``os.sendfile`` do not exist for it: buffers are joined
  into records of up to 16 KiB, and files are read and sent in pieces.
- A write that would block raises ``SSLWantWriteError`` and must be
  repeated with the same octets.
- Closing sends ``close_notify``, so that a client reading until the end
  (a response without Content-Length) sees a clean end, not a truncation.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import time

from .connection import LINGER_MAX_BYTES, RECV_SIZE, Connection, _wait
from .errors import ClientGone

__all__ = ["TLSConnection"]

#: A TLS record carries at most 16 KiB (RFC 8446 §5.1): buffers are joined up to this.
RECORD_SIZE = 16384
#: Octets of a file read per send when ``sendfile`` cannot be used.
FILE_PIECE = 256 * 1024

_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT
_plain_recv = socket.socket.recv
_plain_shutdown = socket.socket.shutdown


class TLSConnection(Connection):
    """A client connection whose socket is an ``SSLSocket`` after its handshake."""

    __slots__ = ("_notified",)

    sock: ssl.SSLSocket

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._notified = False

    def _recv(self) -> bytes:
        """What arrived, with every decrypted octet OpenSSL holds; ``SSLWantReadError`` if none."""
        sock = self.sock
        data = sock.recv(RECV_SIZE)
        pending = sock.pending()
        if pending:
            data += sock.recv(pending)
        return data

    # -- the loop thread -----------------------------------------------------------------

    def on_readable(self) -> None:
        """Read what arrived; hand a complete request to the pool."""
        if self._lingering:
            # Our close_notify is sent; what the client still sends is read
            # off the raw socket and dropped.
            try:
                data = _plain_recv(self.sock, RECV_SIZE)
            except BlockingIOError:
                self.server.reactor.arm(self)
                return
            except OSError:
                data = b""
            self._lingered += len(data)
            if data and self._lingered < LINGER_MAX_BYTES:
                self.server.reactor.arm(self)
            else:
                self.close()
            return
        try:
            data = self._recv()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            self.server.reactor.arm(self)
            return
        except (OSError, ValueError):
            data = b""
        self.parser.feed(data)
        request = self._next_request()
        if request is not None:
            self.server.pool.submit(self.serve, request)

    # -- a worker thread -----------------------------------------------------------------

    def _receive(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._recv()
            except ssl.SSLWantReadError:
                events = _POLLIN
            except ssl.SSLWantWriteError:
                events = _POLLOUT
            except ssl.SSLZeroReturnError:
                return b""
            except (OSError, ValueError) as error:
                raise ClientGone(str(error)) from None
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not _wait(self.fd, events, remaining):
                raise TimeoutError("timed out reading the request body")

    def send(self, buffers: list[bytes | memoryview]) -> None:
        """Write all of ``buffers``, small ones joined into one record."""
        if len(buffers) > 1:
            total = sum(len(buffer) for buffer in buffers)
            if total <= RECORD_SIZE:
                buffers = [b"".join(buffers)]
        for buffer in buffers:
            if buffer:
                self._send_all(buffer)

    def _send_all(self, data: bytes | memoryview) -> None:
        sock = self.sock
        view = memoryview(data)
        timeout = self.server.settings.send_timeout
        while view:
            try:
                # OpenSSL writes all of it or nothing (asking to be called
                # again with the same octets when the socket is full).
                sent = sock.send(view)
            except ssl.SSLWantWriteError:
                events = _POLLOUT
            except ssl.SSLWantReadError:
                events = _POLLIN
            except (OSError, ValueError) as error:
                raise ClientGone(str(error)) from None
            else:
                view = view[sent:]
                continue
            if not _wait(self.fd, events, timeout):
                raise ClientGone("timed out: the client stopped reading the response")

    def sendfile(self, file_fd: int, offset: int, count: int) -> int:
        """Read the file and send it in pieces (the kernel cannot encrypt it)."""
        total = 0
        while total < count:
            try:
                piece = os.pread(file_fd, min(FILE_PIECE, count - total), offset + total)
            except OSError as error:
                raise ClientGone(f"cannot read the file: {error}") from None
            if not piece:
                break  # the file is shorter than it was
            self._send_all(piece)
            total += len(piece)
        return total

    # -- either thread -------------------------------------------------------------------

    def _unread_waiting(self) -> bool:
        # Decrypted octets inside OpenSSL, or records in the socket (peeked
        # on the plain socket: an SSLSocket refuses MSG_PEEK flags).
        if self.sock.pending():
            return True
        try:
            return bool(_plain_recv(self.sock, 1, socket.MSG_PEEK))
        except OSError:
            return False

    def _shut_write(self) -> None:
        self._notify_close()
        _plain_shutdown(self.sock, socket.SHUT_WR)

    def close(self) -> None:
        """Send ``close_notify`` (best effort), close the socket, forget the connection."""
        if self._closed:
            return
        self._notify_close()
        super().close()

    def _notify_close(self) -> None:
        # One attempt, without waiting: the alert is tiny and the socket
        # buffer is empty after a response; a client that cannot take it is
        # leaving anyway. unwrap() sends close_notify, then asks to read the
        # client's (SSLWantReadError), which is not waited for.
        if self._notified:
            return
        self._notified = True
        try:
            self.sock.unwrap()
        except (OSError, ValueError):
            pass
