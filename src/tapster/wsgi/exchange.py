"""One request and its response: the PEP 3333 call of the application.

The exchange builds the environ, calls the application with
``start_response``, frames and writes what it returns, and always calls the
iterable's ``close()``. It decides nothing about sockets: it writes through
its connection and says at the end whether the connection may be kept.

Failures, by when they happen:

- before the response head is sent: a 500 (or the body-reading error's own
  status, 400/408/413) with a one-line body, logged with a traceback;
- after: the connection is closed, so the client sees a truncated response
  instead of a wrong one; logged with a traceback;
- the client left: nothing to answer; the iterable is still closed.
"""

from __future__ import annotations

import io
import logging
import os
import stat
import time
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..http import (
    LAST_CHUNK,
    Framing,
    LocalProtocolError,
    RemoteProtocolError,
    Request,
    ResponseHead,
    chunk_prefix,
    frame_response,
)
from ..http.response import reason_phrase
from .body import EMPTY_BODY, RequestBody, spool_body
from .environ import request_environ
from .errors import ClientGone, InputError
from .file_wrapper import FileWrapper
from .forwarded import FORWARDED_KEYS, apply_forwarded

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["Exchange"]

log = logging.getLogger("tapster.error")

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_CRLF = b"\r\n"
_LENGTH = Framing.LENGTH
_CHUNKED = Framing.CHUNKED
_NO_BODY = Framing.NO_BODY
_TEXT_PLAIN = [("Content-Type", "text/plain; charset=utf-8")]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class Exchange:
    """The response state of one request while the application runs."""

    __slots__ = (
        "body_sent",
        "conn",
        "continue_sent",
        "head",
        "headers",
        "input_error",
        "must_close",
        "remaining",
        "request",
        "status",
    )

    def __init__(self, conn: Connection, request: Request) -> None:
        self.conn = conn
        self.request = request
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.head: ResponseHead | None = None
        self.remaining = 0  # bytes still owed under Content-Length framing
        self.body_sent = 0
        self.must_close = False
        self.continue_sent = False
        self.input_error: InputError | None = None

    def run(self) -> bool:
        """Serve the request; return whether the connection may carry another.

        Raises ``ClientGone`` when the client left.
        """
        conn = self.conn
        server = conn.server
        request = self.request
        if request.chunked or request.content_length:
            wsgi_input: RequestBody = RequestBody(self._read_piece)
        else:
            wsgi_input = EMPTY_BODY
        environ = request_environ(conn.environ, request, wsgi_input, server.environ_memo)
        if conn.trusted:
            # Whether the request carries a proxy field is memoized per
            # (memoized) Request, as its environ items are: a set test
            # against the environ costs 2,000 instructions a request, 4% of
            # the path for a client on loopback (trusted by default).
            proxied = server.proxied_memo.get(request)
            if proxied is None:
                proxied = not environ.keys().isdisjoint(FORWARDED_KEYS)
                if len(server.proxied_memo) >= 512:
                    server.proxied_memo.clear()
                server.proxied_memo[request] = proxied
            if proxied:
                apply_forwarded(environ, server.trusted_peers)
        started = time.monotonic() if server.access_log is not None else 0.0
        result = None
        spool = None
        try:
            if request.chunked and server.settings.buffer_chunked_bodies:
                spool = environ["wsgi.input"] = spool_body(self._read_piece)
                environ["CONTENT_LENGTH"] = str(spool.tell())
                spool.seek(0)
            result = server.app(environ, self.start_response)
            self._send_result(result)
        except ClientGone:
            raise
        except Exception as error:
            self._fail(error)
        finally:
            if spool is not None:
                spool.close()
            close = None if type(result) is list else getattr(result, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("error closing the response of %s %s", request.method,
                                  request.target)
        head = self.head
        assert head is not None
        if server.access_log is not None:
            server.access_log.log(environ, head.status_code, self.body_sent,
                                  time.monotonic() - started)
        if not head.keep_alive or self.must_close:
            return False
        if conn.parser.unread_body_bytes != 0:
            return self._drain()
        return True

    # -- PEP 3333 callables ---------------------------------------------------------

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> Any:
        """PEP 3333 ``start_response``: remember the status and headers.

        They are validated when the head is serialised, which is still before
        any byte is sent, so a bad one becomes a 500. With ``exc_info`` after
        the head was sent, the error is re-raised (PEP 3333).
        """
        if exc_info is not None:
            try:
                if self.head is not None:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no reference cycle through the traceback
        elif self.status is not None:
            raise RuntimeError("start_response() called again without exc_info (PEP 3333)")
        if type(status) is not str:
            raise TypeError(f"status must be a str, not {type(status).__name__}")
        if not isinstance(headers, list):
            raise TypeError(f"headers must be a list, not {type(headers).__name__}")
        self.status = status
        self.headers = headers
        return self.write

    def write(self, data: bytes) -> None:
        """PEP 3333 ``write()``: send ``data`` now, before anything returned later."""
        if self.status is None:
            raise RuntimeError("write() called before start_response()")
        _check_bytes(data)
        if self.head is None:
            self._send_head(None, data)
        elif data:
            self._send_body(data)

    # -- sending ----------------------------------------------------------------------

    def _send_result(self, result: Iterable[bytes]) -> None:
        if self.head is None:
            kind = type(result)
            if kind is list or kind is tuple:
                # The whole body is at hand: send it with its length, in one write.
                if len(result) == 1:  # type: ignore[arg-type]
                    body = result[0]  # type: ignore[index]
                    if type(body) is not bytes:
                        body = _check_bytes(body)
                else:
                    body = b"".join([_check_bytes(piece) for piece in result])
                self._send_head(len(body), body)
                if self.remaining or self.head.framing is not _LENGTH:  # type: ignore[union-attr]
                    self._finish_body()
                return
            if kind is FileWrapper and self._send_file(result):  # type: ignore[arg-type]
                return
        for data in result:
            if not _check_bytes(data):
                continue
            if self.head is None:
                self._send_head(None, data)
            else:
                self._send_body(data)
        if self.head is None:
            self._send_head(0, b"")  # an iterable that yielded nothing: an empty body
        self._finish_body()

    def _send_head(self, body_length: int | None, first: bytes) -> None:
        if self.status is None:
            raise RuntimeError("the application returned without calling start_response()")
        request = self.request
        conn = self.conn
        if request.chunked or request.content_length:
            keep_alive = request.keep_alive and self._may_keep_alive()
        else:
            # No body to be read: only the server's stopping can close. (What
            # _may_keep_alive() would say, without its call: 1,600 instructions
            # a request, 3% of the path, by bench/instructions.sh.)
            keep_alive = request.keep_alive and not conn.server.reactor.stopping
        head = frame_response(
            self.status,
            self.headers,
            method=request.method,
            http_version=request.http_version,
            keep_alive=keep_alive,
            body_length=body_length,
            server=conn.server.server_line,
        )
        self.head = head
        if head.framing is _LENGTH:
            remaining: int = head.content_length  # type: ignore[assignment]
            if first and len(first) <= remaining:
                # The usual case, framed here rather than by _frame(): 900
                # instructions a request (bench/instructions.sh).
                self.remaining = remaining - len(first)
                self.body_sent = len(first)
                conn.send([head.data, first])
                return
            self.remaining = remaining
        conn.send([head.data, *self._frame(first)] if first else [head.data])

    def _frame(self, data: bytes) -> list[bytes | memoryview]:
        framing = self.head.framing  # type: ignore[union-attr]
        if framing is _LENGTH:
            if len(data) > self.remaining:
                if not self.must_close:
                    log.error("%s %s: the application sent more than its Content-Length; "
                              "truncated", self.request.method, self.request.target)
                    self.must_close = True
                data = data[: self.remaining]
            self.remaining -= len(data)
            self.body_sent += len(data)
            return [data]
        if framing is _CHUNKED:
            self.body_sent += len(data)
            return [chunk_prefix(len(data)), data, _CRLF]
        if framing is _NO_BODY:
            return []
        self.body_sent += len(data)
        return [data]  # until close

    def _send_body(self, data: bytes) -> None:
        buffers = self._frame(data)
        if buffers and buffers[0]:
            self.conn.send(buffers)

    def _finish_body(self) -> None:
        head = self.head
        assert head is not None
        if head.framing is _CHUNKED:
            self.conn.send([LAST_CHUNK])
        elif head.framing is _LENGTH and self.remaining:
            log.error("%s %s: the application sent %d bytes fewer than its Content-Length; "
                      "closing the connection", self.request.method, self.request.target,
                      self.remaining)
            self.must_close = True

    def _send_file(self, wrapper: FileWrapper) -> bool:
        """Send a regular file with sendfile(2); False to fall back to iterating."""
        try:
            file_fd = wrapper.filelike.fileno()
            if not stat.S_ISREG(os.fstat(file_fd).st_mode):
                return False
            offset = os.lseek(file_fd, 0, os.SEEK_CUR)
            size = os.fstat(file_fd).st_size - offset
        except (AttributeError, OSError, io.UnsupportedOperation):
            return False
        self._send_head(max(size, 0), b"")
        if self.head.framing is _LENGTH and self.remaining:  # type: ignore[union-attr]
            sent = self.conn.sendfile(file_fd, offset, self.remaining)
            self.remaining -= sent
            self.body_sent += sent
        self._finish_body()
        return True

    # -- the request body ---------------------------------------------------------------

    def _read_piece(self) -> bytes:
        conn = self.conn
        try:
            if self.request.expect_continue and not self.continue_sent:
                # RFC 9110 §10.1.1: the client waits for this before sending
                # the body; sent only now that the application wants it.
                self.continue_sent = True
                if self.head is None:
                    conn.send([_CONTINUE])
            return conn.read_body_piece()
        except RemoteProtocolError as error:
            self.input_error = InputError(error.status, error.detail)
        except TimeoutError:
            self.input_error = InputError(408, "timed out reading the request body")
        except ClientGone:
            self.input_error = InputError(None, "the client disconnected")
        raise self.input_error

    def _may_keep_alive(self) -> bool:
        """Whether, as the head goes out, the request's body allows keep-alive."""
        conn = self.conn
        if conn.server.reactor.stopping or self.input_error is not None:
            return False
        unread = conn.parser.unread_body_bytes
        if unread == 0:
            return True
        if self.request.expect_continue and not self.continue_sent:
            return False  # the client may or may not send the body now: framing is lost
        return unread is None or unread <= conn.server.settings.max_drain_bytes

    def _drain(self) -> bool:
        """Read and discard the unread body, within the drain limit."""
        limit = self.conn.server.settings.max_drain_bytes
        drained = 0
        try:
            while True:
                piece = self.conn.read_body_piece()
                if not piece:
                    return True
                drained += len(piece)
                if drained > limit:
                    return False
        except (RemoteProtocolError, TimeoutError, ClientGone):
            return False

    # -- failures -------------------------------------------------------------------------

    def _fail(self, error: Exception) -> None:
        request = self.request
        input_error = self.input_error
        if input_error is not None and input_error.status is None:
            raise ClientGone(input_error.detail)
        if self.head is not None:
            log.error("error handling %s %s after the response started; closing the "
                      "connection", request.method, request.target, exc_info=error)
            self.must_close = True
            return
        if input_error is not None:
            log.info("%s %s: %s", request.method, request.target, input_error.detail)
            status = f"{input_error.status} {reason_phrase(input_error.status)}"  # type: ignore[arg-type]
            body = input_error.detail + "\n"
            self.must_close = True
        elif isinstance(error, LocalProtocolError):
            log.error("%s %s: invalid response from the application: %s", request.method,
                      request.target, error.detail)
            status, body = "500 Internal Server Error", "Internal Server Error\n"
        else:
            log.error("error handling %s %s", request.method, request.target, exc_info=error)
            status, body = "500 Internal Server Error", "Internal Server Error\n"
        self.status = status
        self.headers = list(_TEXT_PLAIN)
        data = body.encode("utf-8")
        self._send_head(len(data), data)
        self._finish_body()


def _check_bytes(data: Any) -> bytes:
    if type(data) is bytes:
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"the application produced {type(data).__name__}, not bytes (PEP 3333)")

