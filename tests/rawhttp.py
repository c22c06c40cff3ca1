"""Read HTTP/1.1 responses off a raw socket, so that tests see exactly what was sent.

Real clients hide framing (they de-chunk, skip ``100 Continue``, retry);
these helpers do not. Every read is bounded by the socket's time-out and by
an overall deadline.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

__all__ = ["RawResponse", "ResponseReader", "parse_responses"]

#: Longest a reader waits in total for the responses it is asked for.
DEFAULT_DEADLINE = 10.0
_RECV_SIZE = 65536


@dataclass
class RawResponse:
    """One response as received: its head, its de-framed body, and how it ended."""

    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    #: The head's bytes as sent, blank line included.
    head: bytes
    #: The body with any chunked framing removed.
    body: bytes = b""
    #: Whether the body ended as its framing said (False: the connection closed early).
    complete: bool = True
    #: For a chunked body, the sizes of its chunks, the last (0) included when received.
    chunk_sizes: list[int] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The value of field ``name`` (case-insensitive), repeated ones joined by ", "."""
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        """Every value of field ``name``, in order."""
        lower = name.lower()
        return [value for key, value in self.headers if key.lower() == lower]

    @property
    def closes(self) -> bool:
        """Whether the response says ``Connection: close``."""
        return "close" in (self.header("Connection") or "").lower()


class _Closed(Exception):
    pass


class ResponseReader:
    """Parses consecutive responses from a socket (or from bytes already received)."""

    def __init__(self, source: socket.socket | bytes, deadline: float = DEFAULT_DEADLINE) -> None:
        if isinstance(source, bytes):
            self._sock: socket.socket | None = None
            self._buf = bytearray(source)
            self._eof = True
        else:
            self._sock = source
            self._buf = bytearray()
            self._eof = False
        self._deadline = time.monotonic() + deadline

    def _fill(self) -> None:
        """Receive more bytes; raise ``_Closed`` at the end of the stream."""
        if self._eof:
            raise _Closed
        if time.monotonic() > self._deadline:
            raise TimeoutError("the server did not finish its responses in time")
        assert self._sock is not None
        try:
            data = self._sock.recv(_RECV_SIZE)
        except ConnectionResetError:
            data = b""
        if not data:
            self._eof = True
            raise _Closed
        self._buf += data

    def _read_until(self, delimiter: bytes) -> bytes:
        while True:
            end = self._buf.find(delimiter)
            if end >= 0:
                end += len(delimiter)
                data = bytes(self._buf[:end])
                del self._buf[:end]
                return data
            self._fill()

    def _read_exactly(self, size: int) -> bytes:
        while len(self._buf) < size:
            self._fill()
        data = bytes(self._buf[:size])
        del self._buf[:size]
        return data

    def _read_rest(self) -> bytes:
        try:
            while True:
                self._fill()
        except _Closed:
            pass
        data = bytes(self._buf)
        self._buf.clear()
        return data

    def read_response(self, method: str = "GET") -> RawResponse:
        """The next response (a ``100 Continue`` counts as one); its body per its framing.

        ``method`` is the request's: the response to ``HEAD`` has no body.
        Raises ``ConnectionError`` when the stream ends before a head.
        """
        try:
            head = self._read_until(b"\r\n\r\n")
        except _Closed:
            raise ConnectionError(f"connection closed before a response head: "
                                  f"{bytes(self._buf)!r}") from None
        status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        version, status, reason = [*status_line.split(" ", 2), ""][:3]
        headers = []
        for line in lines:
            name, _, value = line.partition(":")
            headers.append((name, value.strip()))
        response = RawResponse(version, int(status), reason, headers, head)
        code = response.status
        if method == "HEAD" or code < 200 or code in (204, 304):
            return response
        try:
            if "chunked" in (response.header("Transfer-Encoding") or "").lower():
                self._read_chunked(response)
            elif response.header("Content-Length") is not None:
                length = int(response.header_values("Content-Length")[0])
                response.body = self._read_exactly(length)
            else:
                response.body = self._read_rest()
        except _Closed:
            response.body += bytes(self._buf)
            self._buf.clear()
            response.complete = False
        return response

    def _read_chunked(self, response: RawResponse) -> None:
        pieces = []
        try:
            while True:
                size_line = self._read_until(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                response.chunk_sizes.append(size)
                if not size:
                    self._read_until(b"\r\n")  # no trailers from tapster: the blank line
                    return
                pieces.append(self._read_exactly(size))
                if self._read_exactly(2) != b"\r\n":
                    raise AssertionError("chunk data not followed by CRLF")
        finally:
            response.body = b"".join(pieces)

    def closed(self) -> bool:
        """Whether the server closed the connection with nothing more to read."""
        if self._buf:
            return False
        try:
            self._fill()
        except _Closed:
            return True
        return False

    @property
    def leftover(self) -> bytes:
        """Bytes received after the last response read."""
        return bytes(self._buf)


def parse_responses(data: bytes, methods: list[str] | None = None) -> list[RawResponse]:
    """Every response in ``data`` (all bytes a connection received), in order."""
    reader = ResponseReader(data)
    responses = []
    for index in range(10_000):
        if not reader.leftover:
            break
        method = methods[index] if methods and index < len(methods) else "GET"
        responses.append(reader.read_response(method))
    return responses
