"""The app's logger: ``logging.getLogger(app.name)``, writing to ``wsgi.errors`` by default.

A handler is added only when no handler up the logger's hierarchy would
show its records, so an app whose logging is configured keeps its own.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, TextIO

from .globals import _cv_request

if TYPE_CHECKING:
    from .app import App

__all__ = ["create_logger", "default_handler", "has_level_handler", "wsgi_errors_stream"]


class _WSGIErrorsStream:
    """A stream that writes to the current request's ``wsgi.errors``, else to stderr."""

    @property
    def _stream(self) -> TextIO:
        context = _cv_request.get(None)
        if context is not None:
            return context.request.environ["wsgi.errors"]  # type: ignore[no-any-return]
        return sys.stderr

    def write(self, text: str) -> int:
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()


#: A stream for log records: the request's ``wsgi.errors`` inside a request, else stderr.
wsgi_errors_stream = _WSGIErrorsStream()

#: The handler added to an app's logger when nothing else would show its records.
default_handler = logging.StreamHandler(wsgi_errors_stream)  # type: ignore[arg-type]
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether some handler up the hierarchy shows records at the logger's level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: App) -> logging.Logger:
    """The app's logger, at DEBUG level in debug mode unless a level is set."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
