"""Tiny WSGI applications that the benchmark serves.

Each app does as little as possible so that a run measures the server, not the app:

- ``hello``: 200, ``text/plain`` "Hello, World!" with a Content-Length.
- ``echo``: reads the whole request body from ``wsgi.input`` and sends it back as
  ``application/json`` with a Content-Length.
- ``slow``: sleeps 50 ms (a handler waiting on a database, say), then answers like ``hello``.

Servers load them as ``bench.apps:hello``, ``bench.apps:echo`` and ``bench.apps:slow``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
"""The ``start_response`` callable of PEP 3333 (status, headers, optional exc_info)."""

Environ = dict[str, Any]
"""A WSGI environ."""

HELLO_BODY = b"Hello, World!"
"""What ``hello`` and ``slow`` answer."""

SLOW_HANDLER_SECONDS = 0.05
"""How long ``slow`` blocks before answering: 50 ms, so 50 connections ideally give 1,000 req/s."""


def hello(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Answer 200 with a fixed plain-text body and its Content-Length."""
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(HELLO_BODY)))],
    )
    return [HELLO_BODY]


def _read_body(environ: Environ) -> bytes:
    """Read the request body as PEP 3333 allows: at most CONTENT_LENGTH bytes, never past it."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    stream = environ["wsgi.input"]
    chunks: list[bytes] = []
    remaining = length
    while remaining > 0:  # a stream may return fewer bytes than asked; stop at end of input
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def echo(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Send the request body back unchanged, labelled as JSON, with its Content-Length."""
    body = _read_body(environ)
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def slow(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Block the calling thread for 50 ms, then answer like ``hello``."""
    time.sleep(SLOW_HANDLER_SECONDS)
    return hello(environ, start_response)
