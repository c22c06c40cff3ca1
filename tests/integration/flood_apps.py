"""The application of the flood, slow-client and fault tests, served by a real ``tapster serve``.

Every response body is an iterable whose ``close()`` is counted, and the work
(reading the upload, streaming the download, the slow handler's waits) happens
while it is iterated, so that a client leaving at any point leaves an iterable
that the server must close. ``/stats`` reports the counts as JSON.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

_lock = threading.Lock()
#: Iterables created, by path.
created: Counter[str] = Counter()
#: Iterables closed, by path.
closed: Counter[str] = Counter()

PIECE = b"x" * 65536


class CountedBody:
    """A response body that counts its creation and its ``close()``."""

    def __init__(self, path: str, pieces: Iterator[bytes]) -> None:
        self.path = path
        self.pieces = pieces
        with _lock:
            created[path] += 1

    def __iter__(self) -> Iterator[bytes]:
        return self.pieces

    def close(self) -> None:
        """Counted; closes the generator too."""
        with _lock:
            closed[self.path] += 1
        self.pieces.close()  # type: ignore[attr-defined]


def _upload(environ: Environ) -> Iterator[bytes]:
    total = 0
    while chunk := environ["wsgi.input"].read(65536):
        total += len(chunk)
    yield str(total).encode()


def _download(count: int) -> Iterator[bytes]:
    for index in range(count):
        # A new object each time, as real content is: a blocked client pins the piece.
        yield PIECE[:-1] + b"%d" % (index % 10)


def _slow(pieces: int, pause: float) -> Iterator[bytes]:
    for index in range(pieces):
        time.sleep(pause)
        yield b"slow %d\n" % index


def app(environ: Environ, start_response: StartResponse) -> Any:
    """``/upload`` (reads the body), ``/download?N`` (N x 64 KiB), ``/slow?N`` (N pieces
    10 ms apart), ``/stats`` (the counts); anything else: ``ok``."""
    path = environ["PATH_INFO"]
    query = environ["QUERY_STRING"]
    text = [("Content-Type", "text/plain")]
    if path == "/stats":
        with _lock:
            body = json.dumps({"created": dict(created), "closed": dict(closed)}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    if path == "/upload":
        start_response("200 OK", text)
        return CountedBody(path, _upload(environ))
    if path == "/download":
        start_response("200 OK", text)
        return CountedBody(path, _download(int(query or 64)))
    if path == "/slow":
        start_response("200 OK", text)
        return CountedBody(path, _slow(int(query or 10), 0.01))
    start_response("200 OK", [*text, ("Content-Length", "2")])
    return [b"ok"]
