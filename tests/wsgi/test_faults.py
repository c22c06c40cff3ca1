"""Application faults over real sockets: the client sees a 500 or a cut response, never a wrong one.

test_responses.py covers the common faults one by one; this file sweeps the
rest as tables: applications returning the wrong types, response heads with
CR, LF or NUL in every place and sent every way (whole, through write(), from
a generator, through exc_info), and every fault again with a body whose
``close()`` calls are counted: exactly one, always.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.rawhttp import ResponseReader, parse_responses

GET = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
AFTER = b"GET /after HTTP/1.1\r\nHost: t\r\n\r\n"
TEXT = [("Content-Type", "text/plain")]
ERROR_BODY = b"Internal Server Error\n"


def with_after(app: Callable[..., Any]) -> Callable[..., Any]:
    """``app`` for ``/``; a plain 200 ``after`` for ``/after``, to show the connection lives."""

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/after":
            start_response("200 OK", TEXT)
            return [b"after"]
        return app(environ, start_response)

    return dispatch


@pytest.fixture(autouse=True)
def _errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="tapster.error")


# -- wrong types ----------------------------------------------------------------------------


class Unclosable:
    """An object that is neither iterable nor bytes."""


WRONG_RESULTS: dict[str, Callable[[], Any]] = {
    "None": lambda: None,
    "a str": lambda: "text",
    "bytes (iterates as ints)": lambda: b"bytes",
    "an int": lambda: 42,
    "a dict of str keys": lambda: {"key": b"value"},
    "an object": Unclosable,
    "a list holding None": lambda: [None],
    "a list holding a str": lambda: [b"ok", "text"],
    "a list holding an int": lambda: [1],
    "an iterator of str": lambda: iter(["text"]),
    "a generator of None": lambda: (piece for piece in [None]),
}


@pytest.mark.parametrize("make", WRONG_RESULTS.values(), ids=WRONG_RESULTS.keys())
def test_wrong_result_type_is_a_500_and_the_connection_lives(serve_app, caplog, make):
    def app(environ, start_response):
        start_response("200 OK", TEXT)
        return make()

    server = serve_app(with_after(app))
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert first.status == 500
    assert first.body == ERROR_BODY
    assert after.body == b"after"  # nothing wrong was sent: the connection is sound
    assert any(record.levelno >= logging.ERROR for record in caplog.records)


@pytest.mark.parametrize("piece", ["text", None, 7], ids=["str", "None", "int"])
def test_wrong_type_after_the_head_cuts_the_response(serve_app, piece):
    """Once the head is out, a bad piece can only end the response early, and the connection."""

    def app(environ, start_response):
        start_response("200 OK", TEXT)
        yield b"good"
        yield piece

    server = serve_app(with_after(app))
    with server.connect() as sock:
        sock.sendall(GET + AFTER)
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert (response.status, response.body, response.complete) == (200, b"good", False)
        assert reader.closed()


def test_write_of_a_str_is_a_500(serve_app):
    def app(environ, start_response):
        write = start_response("200 OK", TEXT)
        write("text")
        return []

    server = serve_app(with_after(app))
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert (first.status, after.status) == (500, 200)


@pytest.mark.parametrize(
    "call",
    [lambda start_response: start_response(200, TEXT),
     lambda start_response: start_response("200 OK", None),
     lambda start_response: start_response("200 OK", {"X-A": "b"}),
     lambda start_response: start_response("200 OK", [("X-A",)]),
     lambda start_response: start_response("200 OK", ["X-A: b"])],
    ids=["int status", "None headers", "dict headers", "1-tuple header", "str header"],
)
def test_start_response_with_wrong_types_is_a_500(serve_app, call):
    def app(environ, start_response):
        call(start_response)
        return [b"body"]

    server = serve_app(with_after(app))
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert (first.status, first.body, after.status) == (500, ERROR_BODY, 200)


# -- CR, LF and NUL in the response head ---------------------------------------------------------

INJECTION = "Injected: yes"

BAD_HEADS = {
    "CRLF in a value": ("200 OK", [("X-A", "a\r\n" + INJECTION)]),
    "bare CR in a value": ("200 OK", [("X-A", "a\r" + INJECTION)]),
    "bare LF in a value": ("200 OK", [("X-A", "a\n" + INJECTION)]),
    "NUL in a value": ("200 OK", [("X-A", "a\x00" + INJECTION)]),
    "CRLF ending a value": ("200 OK", [("X-A", INJECTION + "\r\n")]),
    "CRLF in a name": ("200 OK", [(INJECTION + "\r\nX-A", "b")]),
    "LF in a name": ("200 OK", [(INJECTION + "\nX-A", "b")]),
    "CR in a name": ("200 OK", [(INJECTION + "\rX-A", "b")]),
    "NUL in a name": ("200 OK", [("X-A\x00" + INJECTION, "b")]),
    "CRLF in the reason": ("200 OK\r\n" + INJECTION, []),
    "LF in the reason": ("200 OK\n" + INJECTION, []),
    "CR in the reason": ("200 OK\r" + INJECTION, []),
    "NUL in the reason": ("200 OK\x00" + INJECTION, []),
    "CRLF CRLF in a value (a whole second response)": (
        "200 OK", [("X-A", "a\r\n\r\nHTTP/1.1 200 OK\r\n" + INJECTION)]),
}


def delivered(how: str, status: str, headers: list[tuple[str, str]]) -> Callable[..., Any]:
    """An application that sends ``status`` and ``headers`` one of four ways."""

    def whole(environ, start_response):
        start_response(status, headers)
        return [b"body"]

    def by_write(environ, start_response):
        write = start_response(status, headers)
        write(b"body")
        return []

    def by_generator(environ, start_response):
        start_response(status, headers)
        yield b"body"

    def by_exc_info(environ, start_response):
        start_response("200 OK", TEXT)
        try:
            raise ValueError("replaced")
        except ValueError:
            start_response(status, headers, sys.exc_info())
        return [b"body"]

    return {"whole": whole, "write": by_write, "generator": by_generator,
            "exc_info": by_exc_info}[how]


@pytest.mark.parametrize("how", ["whole", "write", "generator", "exc_info"])
@pytest.mark.parametrize(("status", "headers"), BAD_HEADS.values(), ids=BAD_HEADS.keys())
def test_cr_lf_nul_in_the_head_is_a_500_never_sent(serve_app, how, status, headers):
    server = serve_app(with_after(delivered(how, status, headers)))
    answer = server.exchange(GET + AFTER)
    assert INJECTION.encode() not in answer
    first, after = parse_responses(answer)
    assert (first.status, first.body) == (500, ERROR_BODY)
    assert after.body == b"after"


# -- close(): once, whatever happens ---------------------------------------------------------


class CountedBody:
    """An iterable response whose close() calls are counted; ``behaviour`` says how it fails."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.closes = 0
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[Any]:
        if self.behaviour == "raise first":
            raise RuntimeError("before any piece")
        if self.behaviour == "str first":
            yield "text"
        yield b"piece"
        if self.behaviour == "raise later":
            raise RuntimeError("after a piece")
        if self.behaviour == "str later":
            yield "text"
        if self.behaviour == "endless":
            while True:
                yield b"x" * 65536

    def close(self) -> None:
        self.closes += 1
        self.closed.set()
        if self.behaviour == "close raises":
            raise OSError("close failed")


# behaviour, the headers the app sends, the request, and what the client must see:
# (status, body, whether the response is complete, whether the connection lives).
CLOSE_CASES = {
    "a normal response": ("fine", TEXT, GET, (200, b"piece", True, True)),
    "HEAD": ("fine", TEXT, b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n", (200, b"", True, True)),
    "raises before the first piece": ("raise first", TEXT, GET, (500, ERROR_BODY, True, True)),
    "raises after a piece": ("raise later", TEXT, GET, (200, b"piece", False, False)),
    "a str first": ("str first", TEXT, GET, (500, ERROR_BODY, True, True)),
    "a str after a piece": ("str later", TEXT, GET, (200, b"piece", False, False)),
    "an invalid header": ("fine", [("X-A", "a\r\nb")], GET, (500, ERROR_BODY, True, True)),
    "a hop-by-hop header": ("fine", [("Upgrade", "h2c")], GET, (500, ERROR_BODY, True, True)),
    "close() raises": ("close raises", TEXT, GET, (200, b"piece", True, True)),
    "a short Content-Length": ("fine", [("Content-Length", "9")], GET,
                               (200, b"piece", False, False)),
    "a long Content-Length": ("fine", [("Content-Length", "2")], GET,
                              (200, b"pi", True, False)),
}


@pytest.mark.parametrize(("behaviour", "headers", "request_bytes", "expected"),
                         CLOSE_CASES.values(), ids=CLOSE_CASES.keys())
def test_close_is_called_exactly_once(serve_app, behaviour, headers, request_bytes, expected):
    body = CountedBody(behaviour)

    def app(environ, start_response):
        start_response("200 OK", headers)
        return body

    server = serve_app(with_after(app))
    status, content, complete, lives = expected
    method = request_bytes.split(b" ")[0].decode()
    with server.connect() as sock:
        sock.sendall(request_bytes + AFTER)
        reader = ResponseReader(sock)
        response = reader.read_response(method)
        assert (response.status, response.body, response.complete) == (status, content, complete)
        if lives:
            assert reader.read_response().body == b"after"
        else:
            assert reader.closed()  # a cut response ends the connection: nothing after it
    assert body.closed.wait(5)
    time.sleep(0.05)  # a second call, if any, would come right after the first
    assert body.closes == 1


def test_close_called_once_when_the_client_leaves_mid_body(serve_app):
    body = CountedBody("endless")
    server = serve_app(lambda environ, start_response: (start_response("200 OK", TEXT), body)[1])
    with server.connect() as sock:
        sock.sendall(GET)
        assert sock.recv(64).startswith(b"HTTP/1.1 200 OK")
    assert body.closed.wait(10)
    time.sleep(0.05)
    assert body.closes == 1


def test_exception_in_close_after_a_failed_iteration_is_logged_and_the_connection_closed(
    serve_app, caplog
):
    class FailsTwice(CountedBody):
        def close(self) -> None:
            super().close()
            raise OSError("close failed too")

    body = FailsTwice("raise later")
    server = serve_app(with_after(lambda environ, start_response: (
        start_response("200 OK", TEXT), body)[1]))
    with server.connect() as sock:
        sock.sendall(GET + AFTER)
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert (response.body, response.complete) == (b"piece", False)
        assert reader.closed()
    assert body.closes == 1
    messages = [record.getMessage() for record in caplog.records]
    assert any("after the response started" in message for message in messages)
    assert any("error closing" in message for message in messages)
