"""``wsgi.input`` over real sockets: every read method, Content-Length and chunked bodies.

``io.BytesIO`` over the same bytes is the reference: whatever way the body
arrived (one piece, odd chunk boundaries, a real client's chunks), each read
must return what it would return from a file.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import logging
import time

import pytest

from tests import apps
from tests.rawhttp import ResponseReader, parse_responses

BODY = b"line one\nline two\n\n\xffbinary\r\nlast line without newline"


def run_reads(stream, mode: str, argument: int | None) -> list[bytes]:
    """Apply the reads that ``mode`` names to ``stream``; return what each returned."""
    if mode == "read-n":
        return read_all_pieces(lambda: stream.read(argument))
    if mode == "read-all":
        return [stream.read(), stream.read()]
    if mode == "read-none":
        return [stream.read(None), stream.read(None)]
    if mode == "read-zero":
        return [stream.read(0), stream.read(4), stream.read(0), stream.read()]
    if mode == "readline":
        return read_all_pieces(stream.readline)
    if mode == "readline-limit":
        return read_all_pieces(lambda: stream.readline(argument))
    if mode == "readlines":
        return [*stream.readlines(), b"|", *stream.readlines()]
    if mode == "readlines-hint":
        return [*stream.readlines(argument), b"|", *stream.readlines()]
    if mode == "iter":
        return list(stream)
    if mode == "mixed":
        return [stream.readline(), stream.read(5), stream.readline(3), stream.readline(),
                stream.read(2), stream.read()]
    raise AssertionError(mode)


def read_all_pieces(read) -> list[bytes]:
    pieces = []
    for _ in range(10_000):
        piece = read()
        pieces.append(piece)
        if not piece:
            return pieces
    raise AssertionError("the stream never ended")


def input_reader(environ, start_response):
    """Reads its body as the path says (/MODE?ARGUMENT) and answers the pieces as JSON."""
    mode = environ["PATH_INFO"].strip("/")
    argument = int(environ["QUERY_STRING"]) if environ["QUERY_STRING"] else None
    pieces = run_reads(environ["wsgi.input"], mode, argument)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps([piece.decode("latin-1") for piece in pieces]).encode()]


MODES = [
    ("read-n", 1), ("read-n", 3), ("read-n", 7), ("read-n", 65536), ("read-all", None),
    ("read-none", None), ("read-zero", None), ("readline", None), ("readline-limit", 4),
    ("readlines", None), ("readlines-hint", 12), ("iter", None), ("mixed", None),
]
MODE_IDS = [f"{mode}-{argument}" if argument else mode for mode, argument in MODES]


def expected(mode: str, argument: int | None) -> list[str]:
    return [piece.decode("latin-1") for piece in run_reads(io.BytesIO(BODY), mode, argument)]


def target(mode: str, argument: int | None) -> str:
    return f"/{mode}" + (f"?{argument}" if argument else "")


def chunked(pieces: list[bytes]) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


@pytest.fixture(scope="module")
def reader_server():
    from tests.conftest import running_server

    with running_server(input_reader) as server:
        yield server


@pytest.mark.parametrize(("mode", "argument"), MODES, ids=MODE_IDS)
def test_content_length_body(reader_server, mode, argument):
    request = (f"POST {target(mode, argument)} HTTP/1.1\r\nHost: t\r\n"
               f"Content-Length: {len(BODY)}\r\n\r\n").encode() + BODY
    [response] = parse_responses(reader_server.exchange(request))
    assert json.loads(response.body) == expected(mode, argument)


@pytest.mark.parametrize(("mode", "argument"), MODES, ids=MODE_IDS)
def test_content_length_body_in_trickled_pieces(reader_server, mode, argument):
    # The body reaches the server in several TCP segments, read as they come.
    head = (f"POST {target(mode, argument)} HTTP/1.1\r\nHost: t\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n").encode()
    with reader_server.connect() as sock:
        sock.sendall(head + BODY[:5])
        for start in range(5, len(BODY), 9):
            sock.sendall(BODY[start:start + 9])
        response = ResponseReader(sock).read_response()
    assert json.loads(response.body) == expected(mode, argument)


@pytest.mark.parametrize(("mode", "argument"), MODES, ids=MODE_IDS)
def test_chunked_body_split_at_awkward_places(reader_server, mode, argument):
    pieces = [BODY[:2], BODY[2:11], BODY[11:12], BODY[12:19], BODY[19:20], BODY[20:33], BODY[33:]]
    assert b"".join(pieces) == BODY
    request = (f"POST {target(mode, argument)} HTTP/1.1\r\nHost: t\r\n"
               f"Transfer-Encoding: chunked\r\n\r\n").encode() + chunked(pieces)
    [response] = parse_responses(reader_server.exchange(request))
    assert json.loads(response.body) == expected(mode, argument)


@pytest.mark.parametrize(("mode", "argument"), MODES, ids=MODE_IDS)
def test_chunked_body_from_http_client(reader_server, mode, argument):
    connection = http.client.HTTPConnection(reader_server.host, reader_server.port, timeout=5)
    try:
        pieces = (BODY[start:start + 6] for start in range(0, len(BODY), 6))
        connection.request("POST", target(mode, argument), body=pieces, encode_chunked=True,
                           headers={"Transfer-Encoding": "chunked"})
        response = connection.getresponse()
        assert json.loads(response.read()) == expected(mode, argument)
    finally:
        connection.close()


def test_empty_body(reader_server):
    for framing in (b"Content-Length: 0\r\n", b"Transfer-Encoding: chunked\r\n", b""):
        body = b"0\r\n\r\n" if b"chunked" in framing else b""
        request = b"POST /read-all HTTP/1.1\r\nHost: t\r\n" + framing + b"\r\n" + body
        [response] = parse_responses(reader_server.exchange(request))
        assert json.loads(response.body) == ["", ""]


def test_keep_alive_after_each_kind_of_read(reader_server):
    # Each body is consumed exactly: the next request on the connection parses.
    with reader_server.connect() as sock:
        reader = ResponseReader(sock)
        for mode, argument in MODES:
            sock.sendall((f"POST {target(mode, argument)} HTTP/1.1\r\nHost: t\r\n"
                          f"Transfer-Encoding: chunked\r\n\r\n").encode() + chunked([BODY]))
            response = reader.read_response()
            assert json.loads(response.body) == expected(mode, argument)
            assert not response.closes


def test_unread_small_body_is_drained_for_keep_alive(serve_app):
    recorder = apps.Recorder()  # never reads the body
    server = serve_app(recorder)
    answer = server.exchange(
        b"POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
        b"POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        b"GET /c HTTP/1.1\r\nHost: t\r\n\r\n"
    )
    assert [r.body for r in parse_responses(answer)] == [b"POST /a", b"POST /b", b"GET /c"]


def test_partly_read_body_is_drained_for_keep_alive(serve_app):
    def reads_a_little(environ, start_response):
        first = environ["wsgi.input"].read(3)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [first]

    server = serve_app(reads_a_little)
    answer = server.exchange(
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789"
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nab\r\n8\r\ncdefghij\r\n0\r\n\r\n"
    )
    assert [r.body for r in parse_responses(answer)] == [b"012", b"abc"]


def test_unread_large_body_closes_the_connection(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder, max_drain_bytes=1000)
    with server.connect() as sock:
        sock.sendall(b"POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n")
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert response.body == b"POST /big"
        assert response.closes  # reading 100 kB to keep the connection is not worth it
        assert reader.closed()


def test_client_aborting_an_upload_leaves_the_server_serving(serve_app, caplog):
    caplog.set_level(logging.INFO, logger="tapster.error")
    server = serve_app(apps.count_bytes)
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1000)
    # The client is gone mid-body: nothing to answer, nothing the app did wrong.
    for _ in range(100):
        if any("closed inside the request body" in r.getMessage() for r in caplog.records):
            break
        time.sleep(0.02)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    [response] = parse_responses(server.exchange(
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"))
    assert response.body == b"3"


# -- --buffer-chunked-bodies: the body read whole first, with CONTENT_LENGTH -----------------


def length_reporter(environ, start_response):
    """What an application that trusts only CONTENT_LENGTH (as Django does) reads."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"length": environ.get("CONTENT_LENGTH"), "read": len(body),
                        "sha256": hashlib.sha256(body).hexdigest()}).encode()]


@pytest.mark.parametrize("size", [0, len(BODY), 3 * 1024 * 1024], ids=["empty", "small", "spooled"])
def test_buffered_chunked_body_has_a_content_length(serve_app, size):
    server = serve_app(length_reporter, buffer_chunked_bodies=True)
    body = (BODY * (size // len(BODY) + 1))[:size]
    pieces = [body[start:start + 70_000] for start in range(0, size, 70_000)]
    request = (b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunked(pieces))
    [response] = parse_responses(server.exchange(request))
    assert json.loads(response.body) == {"length": str(size), "read": size,
                                         "sha256": hashlib.sha256(body).hexdigest()}


def test_without_buffering_such_an_application_reads_nothing(serve_app):
    # The default streams: no CONTENT_LENGTH, so an application that needs one
    # reads an empty body. This is what the setting is for.
    server = serve_app(length_reporter)
    request = (b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunked([BODY]))
    [response] = parse_responses(server.exchange(request))
    assert json.loads(response.body)["read"] == 0


def test_a_buffered_body_over_the_limit_is_413_before_the_application_runs(serve_app):
    calls = []

    def app(environ, start_response):
        calls.append(environ)
        return length_reporter(environ, start_response)

    server = serve_app(app, buffer_chunked_bodies=True, max_body_bytes=1000)
    request = (b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunked([b"x" * 600, b"y" * 600]))
    [response] = parse_responses(server.exchange(request))
    assert response.status == 413 and response.closes
    assert calls == []


def test_a_buffered_body_sends_100_continue_first(serve_app):
    server = serve_app(length_reporter, buffer_chunked_bodies=True)
    with server.connect() as sock:
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        reader = ResponseReader(sock)
        assert reader.read_response().status == 100
        sock.sendall(chunked([BODY]))
        response = reader.read_response()
    assert json.loads(response.body)["read"] == len(BODY)
