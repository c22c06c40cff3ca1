"""The request body as a stream that cannot be read past its end or its limit.

``wsgi.input`` may be a socket that blocks for ever once the body is read
(PEP 3333 lets a server do that), and a client may send more than the
application accepts. ``get_input_stream`` wraps it so that reads stop at
``Content-Length``, and raise ``RequestEntityTooLarge`` (413) past
``max_content_length``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, BinaryIO

from .exceptions import ClientDisconnected, RequestEntityTooLarge
from .http import get_content_length

__all__ = ["LimitedStream", "get_input_stream"]

_CHUNK = 64 * 1024


class LimitedStream(io.RawIOBase):
    """Read at most ``limit`` bytes of ``stream``.

    With ``is_max=False`` the limit is the announced ``Content-Length``: the
    stream ends there, and running dry before it means the client went away
    (``ClientDisconnected``, a 400). With ``is_max=True`` the limit is a
    maximum for a body of unknown length: it may end sooner, and a byte
    beyond the limit raises ``RequestEntityTooLarge`` (413).
    """

    def __init__(self, stream: BinaryIO, limit: int, is_max: bool = False) -> None:
        self._stream = stream
        self._pos = 0
        self.limit = limit
        self._limit_is_max = is_max

    @property
    def is_exhausted(self) -> bool:
        """Whether the whole limit has been read."""
        return self._pos >= self.limit

    def readable(self) -> bool:
        """Always true."""
        return True

    def tell(self) -> int:
        """How many bytes have been read."""
        return self._pos

    def _read_raw(self, size: int) -> bytes:
        try:
            data = self._stream.read(size)
        except (OSError, ValueError) as error:
            # The server's stream fails when the connection breaks mid-body.
            raise ClientDisconnected() from error
        if not data and not self._limit_is_max:
            raise ClientDisconnected()
        return data

    def _past_limit(self) -> bytes:
        # At a maximum, the body must end here: one more byte means too large.
        # (Asking for that byte, rather than refusing any further read, lets a
        # body of exactly the maximum through.)
        if self._limit_is_max and self._read_raw(1):
            raise RequestEntityTooLarge()
        return b""

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all that remain if ``size`` is negative or ``None``)."""
        remaining = self.limit - self._pos
        if remaining <= 0:
            return b"" if size == 0 else self._past_limit()
        if size is None or size < 0:
            return self.readall()
        data = self._read_raw(min(size, remaining))
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        """Everything up to the limit (and, at a maximum, the check that nothing follows)."""
        chunks = []
        while self._pos < self.limit:
            data = self._read_raw(min(_CHUNK, self.limit - self._pos))
            if not data:
                return b"".join(chunks)  # a body of unknown length that ended early
            self._pos += len(data)
            chunks.append(data)
        self._past_limit()
        return b"".join(chunks)

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer``; the number of bytes read."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        """One line, up to ``size`` bytes and never past the limit."""
        remaining = self.limit - self._pos
        if remaining <= 0:
            return b"" if size == 0 else self._past_limit()
        if size is None or size < 0 or size > remaining:
            size = remaining
        readline = getattr(self._stream, "readline", None)
        if readline is None:  # PEP 3333 requires it, but be kind to stand-ins
            return io.RawIOBase.readline(self, size)
        try:
            line: bytes = readline(size)
        except (OSError, ValueError) as error:
            raise ClientDisconnected() from error
        if not line and not self._limit_is_max:
            raise ClientDisconnected()
        self._pos += len(line)
        return line

    def exhaust(self) -> bytes:
        """Read and return whatever is left up to the limit."""
        return self.readall() if not self.is_exhausted else b""


def get_input_stream(
    environ: Mapping[str, Any], safe_fallback: bool = True, max_content_length: int | None = None
) -> BinaryIO:
    """``environ["wsgi.input"]``, wrapped so it is safe to read to the end.

    - A ``Content-Length`` larger than ``max_content_length`` raises
      ``RequestEntityTooLarge`` at once; otherwise reads stop at the length.
    - Without a length (a chunked body), the stream is read as is when the
      server sets ``wsgi.input_terminated`` (it ends at the body's end), with
      ``max_content_length`` enforced while reading. Without that flag the
      end cannot be known, so an empty stream is returned unless
      ``safe_fallback`` is false.
    """
    stream = environ.get("wsgi.input")
    if stream is None:
        return io.BytesIO()
    content_length = get_content_length(
        environ.get("CONTENT_LENGTH"), environ.get("HTTP_TRANSFER_ENCODING")
    )
    if content_length is not None:
        if max_content_length is not None and content_length > max_content_length:
            raise RequestEntityTooLarge()
        if content_length == 0:
            return io.BytesIO()
        return LimitedStream(stream, content_length)  # type: ignore[return-value]
    if environ.get("wsgi.input_terminated"):
        if max_content_length is not None:
            return LimitedStream(stream, max_content_length, is_max=True)  # type: ignore[return-value]
        return stream  # type: ignore[no-any-return]
    return io.BytesIO() if safe_fallback else stream  # type: ignore[no-any-return]
