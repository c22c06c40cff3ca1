"""Tiny WSGI applications the tests serve."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


def hello(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """200 with a fixed body."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]


def echo(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """200 with the request body as the response body."""
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


def count_bytes(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Stream the body in 64 KiB reads and answer how many bytes it had."""
    total = 0
    while chunk := environ["wsgi.input"].read(65536):
        total += len(chunk)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(total).encode()]


def slow(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Sleep for ?seconds (default 1) before answering."""
    seconds = float(environ["QUERY_STRING"] or 1)
    time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"slow"]


def status(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Answer the status code in the path, e.g. /204, with a body the server must drop."""
    code = environ["PATH_INFO"].strip("/") or "200"
    start_response(f"{code} Whatever", [("Content-Type", "text/plain")])
    return [b"body"]


def raises(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Fail before starting the response."""
    raise RuntimeError("boom")


def environ_json(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The environ's str values as JSON."""
    import json

    data = {key: value for key, value in environ.items() if isinstance(value, str)}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(data).encode()]


class Recorder:
    """Records each call's environ, then answers 200 with ``METHOD PATH_INFO`` as the body.

    An instance per test: ``calls`` says which requests reached the application.
    """

    def __init__(self) -> None:
        self.environs: list[Environ] = []

    @property
    def paths(self) -> list[str]:
        """PATH_INFO of every request served, in order."""
        return [environ["PATH_INFO"] for environ in self.environs]

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        self.environs.append(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode("latin-1")]


def stream(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """A generator body of ?N pieces (default 3), with no Content-Length."""
    count = int(environ["QUERY_STRING"] or 3)
    start_response("200 OK", [("Content-Type", "text/plain")])
    for index in range(count):
        yield f"piece {index}\n".encode()


#: What ``announced_slow`` logs (through wsgi.errors) as it starts.
SLOW_STARTED = "slow request started"


def announced_slow(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """``slow``, saying on wsgi.errors (the server's log) when the application starts."""
    environ["wsgi.errors"].write(f"{SLOW_STARTED} {environ['QUERY_STRING']}\n")
    environ["wsgi.errors"].flush()
    return slow(environ, start_response)
