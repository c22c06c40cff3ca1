"""The application's side of PEP 3333 over real sockets.

start_response (with and without exc_info), write(), iterables and their
close(), framing of generator bodies, invalid responses, Content-Length
lies, and failures before and after the response head went out.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

import pytest
import requests

from tests import apps
from tests.rawhttp import ResponseReader, parse_responses

GET = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
AFTER = b"GET /after HTTP/1.1\r\nHost: t\r\n\r\n"
TEXT = [("Content-Type", "text/plain")]


class TrackedBody:
    """A response iterable that records whether close() was called.

    Yields ``pieces``; raises at index ``fail_at``; ``endless`` keeps
    yielding 64 KiB pieces up to a bound, for a client to walk away from.
    """

    ENDLESS_LIMIT = 20_000  # 1.3 GB: far more than any socket buffer

    def __init__(self, pieces=(), fail_at=None, endless=False):
        self.pieces = list(pieces)
        self.fail_at = fail_at
        self.endless = endless
        self.produced = 0
        self.closed = threading.Event()

    def __iter__(self):
        for index in range(self.ENDLESS_LIMIT if self.endless else len(self.pieces)):
            if index == self.fail_at:
                raise RuntimeError("failure mid-iteration")
            self.produced += 1
            yield b"x" * 65536 if self.endless else self.pieces[index]

    def close(self):
        self.closed.set()


def app_returning(body, status="200 OK", headers=TEXT):
    def app(environ, start_response):
        start_response(status, list(headers))
        return body

    return app


# -- framing of what the application returns ----------------------------------------


def test_generator_body_is_chunked_on_http11(serve_app):
    def generator_app(environ, start_response):
        start_response("200 OK", TEXT)
        yield b"first"
        yield b""  # must not end the chunked body early
        yield bytearray(b"second")
        yield b"third"

    server = serve_app(generator_app)
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert first.header("Transfer-Encoding") == "chunked"
    assert first.header("Content-Length") is None
    assert first.chunk_sizes == [5, 6, 5, 0]  # one chunk per piece, empty ones skipped
    assert first.body == b"firstsecondthird"
    assert after.status == 200


def test_generator_body_through_requests(serve_app):
    server = serve_app(apps.stream)
    reply = requests.get(f"{server.url}/?50", timeout=5)
    assert reply.headers["Transfer-Encoding"] == "chunked"
    assert reply.text == "".join(f"piece {n}\n" for n in range(50))


def test_generator_with_content_length_is_not_chunked(serve_app):
    def declared(environ, start_response):
        start_response("200 OK", [*TEXT, ("Content-Length", "6")])
        yield b"abc"
        yield b"def"

    server = serve_app(declared)
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert first.header("Transfer-Encoding") is None
    assert first.body == b"abcdef"
    assert after.status == 200


@pytest.mark.parametrize("body", [[b"a", b"bc", b""], (b"a", b"bc"), [b"abc"], []])
def test_list_and_tuple_bodies_get_a_content_length(serve_app, body):
    server = serve_app(app_returning(body))
    [response] = parse_responses(server.exchange(GET))
    assert response.header("Content-Length") == str(len(b"".join(body)))
    assert response.body == b"".join(body)


def test_empty_generator_is_an_empty_body(serve_app):
    server = serve_app(app_returning(iter([])))
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert first.body == b""
    assert first.header("Content-Length") == "0"
    assert after.status == 200


# -- write() ------------------------------------------------------------------------


def test_write_then_iterable(serve_app):
    def writer(environ, start_response):
        write = start_response("200 OK", TEXT)
        write(b"a")
        write(b"")
        write(b"b")
        return [b"c", b"d"]

    server = serve_app(writer)
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert first.header("Transfer-Encoding") == "chunked"
    assert first.body == b"abcd"
    assert after.status == 200


def test_write_with_content_length(serve_app):
    def writer(environ, start_response):
        write = start_response("200 OK", [*TEXT, ("Content-Length", "5")])
        write(b"hel")
        write(b"lo")
        return []

    server = serve_app(writer)
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert first.header("Transfer-Encoding") is None
    assert first.body == b"hello"
    assert after.status == 200


# -- start_response and exc_info ----------------------------------------------------


def test_exc_info_before_the_head_replaces_the_response(serve_app):
    def recovers(environ, start_response):
        start_response("200 OK", [*TEXT, ("X-First", "1")])
        try:
            raise ValueError("template failed")
        except ValueError:
            start_response("500 Oops", [*TEXT, ("X-Second", "1")], sys.exc_info())
        return [b"error page"]

    server = serve_app(recovers)
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert (first.status, first.reason) == (500, "Oops")
    assert first.header("X-First") is None
    assert first.header("X-Second") == "1"
    assert first.header_values("Content-Type") == ["text/plain"]
    assert first.body == b"error page"
    assert after.body == b"error page"  # an app's own error page keeps the connection


def test_exc_info_after_the_head_closes_the_connection(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")

    def fails_late(environ, start_response):
        write = start_response("200 OK", TEXT)
        write(b"partial")
        try:
            raise ValueError("late failure")
        except ValueError:
            start_response("500 Oops", TEXT, sys.exc_info())  # re-raises
        return [b"never sent"]

    recorder = apps.Recorder()

    def dispatch(environ, start_response):
        if environ["PATH_INFO"] == "/after":
            return recorder(environ, start_response)
        return fails_late(environ, start_response)

    server = serve_app(dispatch)
    with server.connect() as sock:
        sock.sendall(GET + AFTER)
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert response.status == 200
        assert response.body == b"partial"
        assert not response.complete  # no last chunk: the client knows it is cut
        assert reader.closed()
    assert recorder.paths == []
    assert any(record.exc_info and record.exc_info[0] is ValueError for record in caplog.records)
    assert b"never sent" not in response.body


def test_start_response_twice_without_exc_info_is_a_500(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")

    def twice(environ, start_response):
        start_response("200 OK", TEXT)
        start_response("404 Not Found", TEXT)
        return [b"x"]

    server = serve_app(twice)
    [response] = parse_responses(server.exchange(GET))
    assert response.status == 500


def test_no_start_response_is_a_500(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")
    server = serve_app(lambda environ, start_response: [b"forgot"])
    [response] = parse_responses(server.exchange(GET))
    assert response.status == 500
    assert b"forgot" not in response.body


# -- application errors ---------------------------------------------------------------


def test_app_raising_before_start_response(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")
    server = serve_app(apps.raises)
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert first.status == 500
    assert first.body == b"Internal Server Error\n"
    assert b"Traceback" not in first.head + first.body
    assert b"boom" not in first.head + first.body
    assert after.status == 500  # the app raises for every request; the connection survived
    errors = [r for r in caplog.records if r.name == "tapster.error" and r.exc_info]
    assert errors, "the traceback was not logged"
    assert isinstance(errors[0].exc_info[1], RuntimeError)
    assert str(errors[0].exc_info[1]) == "boom"
    assert "GET /" in errors[0].getMessage()


def test_app_raising_after_start_response_before_the_body(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")

    def fails(environ, start_response):
        start_response("200 OK", TEXT)
        raise KeyError("missing")

    server = serve_app(fails)
    [response] = parse_responses(server.exchange(GET))
    assert response.status == 500  # nothing was sent yet: the 200 is replaced
    assert response.body == b"Internal Server Error\n"


def test_app_raising_mid_iteration_closes_the_connection(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")
    body = TrackedBody([b"one", b"two", b"three"], fail_at=2)
    recorder = apps.Recorder()

    def dispatch(environ, start_response):
        if environ["PATH_INFO"] == "/after":
            return recorder(environ, start_response)
        start_response("200 OK", TEXT)
        return body

    server = serve_app(dispatch)
    with server.connect() as sock:
        sock.sendall(GET + AFTER)
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert response.status == 200
        assert response.body == b"onetwo"
        assert not response.complete
        assert reader.closed()
    assert body.closed.wait(5)
    assert recorder.paths == []
    assert any("after the response started" in r.getMessage() for r in caplog.records)


def test_non_bytes_piece_is_a_500_before_the_head(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")
    server = serve_app(app_returning(["text, not bytes"]))
    [response] = parse_responses(server.exchange(GET))
    assert response.status == 500


# -- close() of the iterable ------------------------------------------------------------


def test_close_called_after_a_normal_response(serve_app):
    body = TrackedBody([b"a", b"b"])
    server = serve_app(app_returning(body))
    [response] = parse_responses(server.exchange(GET))
    assert response.body == b"ab"
    assert body.closed.wait(5)


def test_close_called_for_a_head_request(serve_app):
    body = TrackedBody([b"a", b"b"])
    server = serve_app(app_returning(body))
    parse_responses(server.exchange(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"), ["HEAD"])
    assert body.closed.wait(5)


def test_generator_finally_runs(serve_app):
    finished = threading.Event()

    def generator_app(environ, start_response):
        start_response("200 OK", TEXT)
        try:
            yield b"x" * 65536
            yield b"y"
        finally:
            finished.set()

    server = serve_app(generator_app)
    parse_responses(server.exchange(GET))
    assert finished.wait(5)


def test_close_called_when_the_client_disconnects_mid_response(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")
    body = TrackedBody(endless=True)
    server = serve_app(app_returning(body))
    with server.connect() as sock:
        sock.sendall(GET)
        reader = ResponseReader(sock)
        assert sock.recv(100).startswith(b"HTTP/1.1 200 OK\r\n")
        del reader
    # The client is gone (its unread data makes the close a reset); the
    # server's next write fails, and the iterable must still be closed.
    assert body.closed.wait(10), "close() not called after the client left"
    assert body.produced < TrackedBody.ENDLESS_LIMIT
    # A client leaving is not an application error.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_close_called_when_close_itself_is_what_fails(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")

    class FailingClose:
        def __iter__(self):
            return iter([b"fine"])

        def close(self):
            raise OSError("close failed")

    server = serve_app(app_returning(FailingClose()))
    first, after = parse_responses(server.exchange(GET + AFTER))
    assert first.body == b"fine"  # already sent: the client got a whole response
    assert after.body == b"fine"
    assert any("error closing" in r.getMessage() for r in caplog.records)


# -- invalid responses ------------------------------------------------------------------

INVALID = {
    "CR LF in a value": ("200 OK", [("X-Bad", "a\r\nInjected: yes")]),
    "LF in a value": ("200 OK", [("X-Bad", "a\nInjected: yes")]),
    "NUL in a value": ("200 OK", [("X-Bad", "a\0b")]),
    "int value": ("200 OK", [("X-Bad", 123)]),
    "bytes value": ("200 OK", [("X-Bad", b"v")]),
    "bytes name": ("200 OK", [(b"X-Bad", "v")]),
    "space in a name": ("200 OK", [("X Bad", "v")]),
    "colon in a name": ("200 OK", [("X-Bad:", "v")]),
    "non latin-1 value": ("200 OK", [("X-Bad", "\u20ac")]),
    "bad Content-Length": ("200 OK", [("Content-Length", "-1")]),
    "status without reason": ("200", []),
    "status not a number": ("abc OK", []),
    "status with CRLF": ("200 OK\r\nInjected: yes", []),
    "bytes status": (b"200 OK", []),
    "headers a tuple": ("200 OK", (("X-A", "b"),)),
    "Transfer-Encoding": ("200 OK", [("Transfer-Encoding", "chunked")]),
    "Connection: keep-alive": ("200 OK", [("Connection", "keep-alive")]),
    "Keep-Alive": ("200 OK", [("Keep-Alive", "timeout=5")]),
    "Upgrade": ("200 OK", [("Upgrade", "websocket")]),
}


@pytest.mark.parametrize(("status", "headers"), INVALID.values(), ids=INVALID.keys())
def test_invalid_response_from_the_app_is_a_500(serve_app, caplog, status, headers):
    caplog.set_level(logging.ERROR, logger="tapster.error")

    def invalid(environ, start_response):
        start_response(status, headers)
        return [b"body"]

    server = serve_app(invalid)
    answer = server.exchange(GET + AFTER)
    first, after = parse_responses(answer)
    assert first.status == 500
    assert first.body == b"Internal Server Error\n"
    assert b"Injected" not in answer
    assert after.status == 500  # nothing was sent wrongly: the connection is still sound
    assert [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_connection_close_from_the_app_is_honoured(serve_app):
    recorder = apps.Recorder()

    def closes(environ, start_response):
        if environ["PATH_INFO"] == "/after":
            return recorder(environ, start_response)
        start_response("200 OK", [*TEXT, ("Connection", "close")])
        return [b"bye"]

    server = serve_app(closes)
    with server.connect() as sock:
        sock.sendall(GET + AFTER)
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert response.body == b"bye"
        assert response.header_values("Connection") == ["close"]  # the server's, once
        assert reader.closed()
    assert recorder.paths == []


def test_invalid_header_in_a_generator_app(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")

    def invalid(environ, start_response):
        start_response("200 OK", [("X-Bad", "a\r\nb")])
        yield b"body"

    server = serve_app(invalid)
    [response] = parse_responses(server.exchange(GET))
    assert response.status == 500


# -- Content-Length lies ------------------------------------------------------------------


@pytest.mark.parametrize("shape", [list, iter])
def test_fewer_bytes_than_content_length_closes_the_connection(serve_app, caplog, shape):
    caplog.set_level(logging.ERROR, logger="tapster.error")
    recorder = apps.Recorder()

    def short(environ, start_response):
        if environ["PATH_INFO"] == "/after":
            return recorder(environ, start_response)
        start_response("200 OK", [*TEXT, ("Content-Length", "10")])
        return shape([b"short"])

    server = serve_app(short)
    with server.connect() as sock:
        sock.sendall(GET + AFTER)
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert response.header("Content-Length") == "10"
        assert response.body == b"short"
        assert not response.complete
        assert reader.closed()
    assert recorder.paths == []
    assert any("fewer than its Content-Length" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("shape", [list, iter])
def test_more_bytes_than_content_length_are_truncated(serve_app, caplog, shape):
    caplog.set_level(logging.ERROR, logger="tapster.error")

    def long(environ, start_response):
        start_response("200 OK", [*TEXT, ("Content-Length", "3")])
        return shape([b"too", b" long"])

    server = serve_app(long)
    with server.connect() as sock:
        sock.sendall(GET + AFTER)
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert response.body == b"too"
        assert reader.closed()  # nothing after: the extra bytes were not sent
    assert any("more than its Content-Length" in r.getMessage() for r in caplog.records)


def test_client_that_stops_reading_is_dropped_after_the_send_timeout(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")
    body = TrackedBody(endless=True)
    server = serve_app(app_returning(body), send_timeout=0.5)
    with server.connect() as sock:
        sock.sendall(GET)  # and never reads: the socket buffers fill up
        started = time.monotonic()
        assert body.closed.wait(10), "the server kept waiting on a client that stopped reading"
        elapsed = time.monotonic() - started
    assert elapsed < 0.5 + 2
    assert body.produced < TrackedBody.ENDLESS_LIMIT
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
