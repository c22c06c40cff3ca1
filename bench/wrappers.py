"""Time tapster's Request and Response against Flask's (Werkzeug's), in-process.

Usage::

    PYTHONPATH=src python bench/wrappers.py [--number N]

Each line runs the same operation on both and prints the best of five runs
of ``N`` calls, in microseconds per call. Flask must be importable (it is a
test dependency); nothing else is needed.
"""

from __future__ import annotations

import argparse
import io
import timeit
from collections.abc import Callable
from typing import Any

from flask import Request as FlaskRequest
from flask import Response as FlaskResponse

from tapster.web.request import Request
from tapster.web.response import Response


def environ(**extra: Any) -> dict[str, Any]:
    """A GET request as tapster's server builds it, with two cookies and a query."""
    base = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/hello",
        "QUERY_STRING": "a=1&b=2",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.input_terminated": True,
        "HTTP_HOST": "localhost:8000",
        "HTTP_COOKIE": "session=abc; theme=dark",
        "REMOTE_ADDR": "127.0.0.1",
    }
    base.update(extra)
    return base


def form_environ() -> dict[str, Any]:
    return environ(
        REQUEST_METHOD="POST",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH="11",
        **{"wsgi.input": io.BytesIO(b"a=1&b=2&c=3")},
    )


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def cases(request_class: Any, response_class: Any) -> dict[str, Callable[[], Any]]:
    """The operations to time, for one pair of classes."""
    env = environ()

    def view() -> Any:
        request = request_class(env)
        name = request.args.get("a", "")
        return list(response_class(f"hello {name}")(env, start_response))

    return {
        "Response('hello') called as WSGI app": lambda: list(
            response_class("hello")(env, start_response)
        ),
        "Response('hello') created": lambda: response_class("hello"),
        "Response json + header, called": lambda: list(
            response_class('{"a":1}', 201, {"X-A": "b"}, mimetype="application/json")(
                env, start_response
            )
        ),
        "Request(environ) created": lambda: request_class(env),
        "Request: args['a']": lambda: request_class(env).args["a"],
        "Request: method, path, args, cookies": lambda: (
            lambda r: (r.method, r.path, r.args, r.cookies)
        )(request_class(env)),
        "Request: url": lambda: request_class(env).url,
        "Request: url-encoded form": lambda: request_class(form_environ()).form["a"],
        "request + args + response, called": view,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000)
    options = parser.parse_args()
    ours = cases(Request, Response)
    theirs = cases(FlaskRequest, FlaskResponse)
    print(f"{'operation':40s} {'tapster':>10s} {'Flask':>10s}  ratio")
    for name, action in ours.items():
        timings = []
        for candidate in (action, theirs[name]):
            best = min(timeit.repeat(candidate, number=options.number, repeat=5))
            timings.append(best / options.number * 1e6)
        print(f"{name:40s} {timings[0]:8.2f}us {timings[1]:8.2f}us  x{timings[1] / timings[0]:.1f}")


if __name__ == "__main__":
    main()
