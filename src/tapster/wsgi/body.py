"""``wsgi.input``: the request body as a stream that reads the socket on demand.

Nothing is read before the application asks, so a large upload streams
through a few buffers instead of being held whole, and ``100 Continue`` is
sent only when the application starts reading (RFC 9110 §10.1.1). The one
exception is opt-in: ``spool_body`` reads a chunked body whole first
(``--buffer-chunked-bodies``), for applications that need its length.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import IO

__all__ = ["EMPTY_BODY", "SPOOL_MEMORY_BYTES", "RequestBody", "spool_body"]

#: How much of a spooled body stays in memory; the rest goes to a temporary file.
SPOOL_MEMORY_BYTES = 1024 * 1024


class RequestBody:
    """A read-only binary stream over one request's body (PEP 3333 §wsgi.input).

    ``read_piece`` returns the next de-chunked piece of the body from the
    connection, ``b""`` at its end, or raises ``tapster.wsgi.errors.InputError``.
    """

    __slots__ = ("_buffer", "_ended", "_position", "_read_piece")

    def __init__(self, read_piece: Callable[[], bytes]) -> None:
        self._read_piece = read_piece
        self._buffer = b""
        self._position = 0
        self._ended = False

    def _fill(self) -> bool:
        """Replace the exhausted buffer with the next piece; False at the end."""
        if self._ended:
            return False
        piece = self._read_piece()
        if not piece:
            self._ended = True
            return False
        self._buffer = piece
        self._position = 0
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes, or everything left when ``size`` is negative or None."""
        if size is None or size < 0:
            pieces = [self._buffer[self._position :]]
            self._buffer, self._position = b"", 0
            while self._fill():
                pieces.append(self._buffer)
            self._buffer = b""
            return b"".join(pieces)
        if self._position >= len(self._buffer) and (size == 0 or not self._fill()):
            return b""
        position = self._position
        end = position + size
        if end <= len(self._buffer) or self._ended:
            self._position = min(end, len(self._buffer))
            return self._buffer[position:end]
        pieces = [self._buffer[position:]]
        # Consumed now: if the body ends here, _fill() keeps this buffer.
        self._position = len(self._buffer)
        wanted = size - len(pieces[0])
        while wanted > 0 and self._fill():
            piece = self._buffer[:wanted]
            self._position = len(piece)
            pieces.append(piece)
            wanted -= len(piece)
        return b"".join(pieces)

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line, up to and including ``b"\\n"``, or at most ``size`` bytes."""
        limit = -1 if size is None else size
        pieces = []
        length = 0
        while limit < 0 or length < limit:
            if self._position >= len(self._buffer) and not self._fill():
                break
            buffer, position = self._buffer, self._position
            stop = len(buffer) if limit < 0 else min(len(buffer), position + limit - length)
            newline = buffer.find(b"\n", position, stop)
            if newline >= 0:
                stop = newline + 1
            pieces.append(buffer[position:stop])
            length += stop - position
            self._position = stop
            if newline >= 0:
                break
        return b"".join(pieces)

    def readlines(self, hint: int = -1) -> list[bytes]:
        """Read lines until the end, or until their total length reaches ``hint``."""
        lines = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line


def _no_body() -> bytes:
    return b""


#: The ``wsgi.input`` of every request without a body: stateless, so shared.
EMPTY_BODY = RequestBody(_no_body)


def spool_body(read_piece: Callable[[], bytes]) -> IO[bytes]:
    """The whole body that ``read_piece`` gives (as ``RequestBody`` takes it), in memory
    up to ``SPOOL_MEMORY_BYTES`` and in a temporary file beyond.

    The file is left at the body's end (``tell()`` is its length); the
    caller seeks back and closes it. Errors reading the body propagate.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115
    try:
        while True:
            piece = read_piece()
            if not piece:
                return spool
            spool.write(piece)
    except BaseException:
        spool.close()
        raise
