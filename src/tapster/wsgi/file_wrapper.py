"""``wsgi.file_wrapper``: lets the server send a file with ``os.sendfile``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

__all__ = ["FileWrapper"]


class FileWrapper:
    """Wraps a file-like object as a response iterable (PEP 3333, file handling).

    Iterating reads ``block_size`` bytes at a time, which is what any WSGI
    server may do with it; tapster's server recognises the wrapper and, for a
    regular file on a plain socket, lets the kernel copy it (``sendfile``).
    """

    def __init__(self, filelike: IO[bytes] | Any, block_size: int = 8192) -> None:
        self.filelike = filelike
        self.block_size = block_size

    def __iter__(self) -> Iterator[bytes]:
        read = self.filelike.read
        while True:
            data = read(self.block_size)
            if not data:
                return
            yield data

    def close(self) -> None:
        """Close the wrapped file, if it can be closed."""
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()
