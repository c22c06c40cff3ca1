"""``wsgi.errors``: a text stream whose lines go to the ``tapster.error`` log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

__all__ = ["ErrorStream"]


class ErrorStream:
    """What an application writes here is logged at ERROR, a line at a time.

    Shared by all requests of a listener (PEP 3333 allows it), so partial
    lines are kept per thread: two requests never interleave inside a line.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or logging.getLogger("tapster.error")
        self._pending = threading.local()

    def write(self, text: str) -> int:
        """Log each complete line of ``text``; keep a partial one for later."""
        pending = getattr(self._pending, "text", "") + text
        *lines, rest = pending.split("\n")
        for line in lines:
            self._logger.error("%s", line)
        self._pending.text = rest
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each of ``lines`` (they carry their own newlines)."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Log a partial line, if any."""
        rest = getattr(self._pending, "text", "")
        if rest:
            self._pending.text = ""
            self._logger.error("%s", rest)
