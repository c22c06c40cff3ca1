"""Applications for the prefork tests: each answer says which worker process gave it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

#: What ``pid`` logs (through wsgi.errors) when a request asks to be announced.
STARTED = "request started in"


def pid(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The worker's process id as the body; ``?SECONDS`` sleeps first (announced in the log)."""
    seconds = float(environ["QUERY_STRING"] or 0)
    if seconds:
        environ["wsgi.errors"].write(f"{STARTED} {os.getpid()}\n")
        environ["wsgi.errors"].flush()
        time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]


def trickle(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """A chunked body of ten pieces, one every half second; the worker's pid in X-Pid."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Pid", str(os.getpid()))])
    for index in range(10):
        yield f"piece {index}\n".encode()
        time.sleep(0.5)
