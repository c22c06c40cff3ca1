"""Each protocol error over a real socket: its status, Connection: close, and nothing after it.

A request pipelined after an invalid one must never reach the application:
once framing is in doubt, the bytes that follow could be anything (request
smuggling), so the server answers the error and closes.
"""

from __future__ import annotations

import pytest

from tests import apps
from tests.rawhttp import ResponseReader, parse_responses

AFTER = b"GET /after HTTP/1.1\r\nHost: t\r\n\r\n"

CASES = {
    "malformed request line": (b"GET /\r\nHost: t\r\n\r\n", 400),
    "garbage": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
    "bare LF": (b"GET / HTTP/1.1\nHost: t\n\n", 400),
    "missing Host": (b"GET / HTTP/1.1\r\n\r\n", 400),
    "bad Host": (b"GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n", 400),
    "Host with a path": (b"GET / HTTP/1.1\r\nHost: a.com/b\r\n\r\n", 400),
    "two Hosts": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "invalid Content-Length": (b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1x\r\n\r\n", 400),
    "CL and TE": (
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    "obs-fold": (b"GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
    "body too large by Content-Length": (
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n" + b"x" * 1001,
        413,
    ),
    "request line too long": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
    "header section too large": (
        b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n",
        431,
    ),
    "too many header fields": (
        b"GET / HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-%d: v\r\n" % n for n in range(120))
        + b"\r\n",
        431,
    ),
    "unknown transfer coding": (
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        501,
    ),
    "CONNECT": (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501),
    "HTTP/2.0": (b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
    "HTTP/3.1": (b"GET / HTTP/3.1\r\nHost: t\r\n\r\n", 505),
    "unsupported expectation": (b"GET / HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\n\r\n", 417),
}


@pytest.mark.parametrize(("request_bytes", "status"), CASES.values(), ids=CASES.keys())
def test_protocol_error_answered_and_nothing_after_it_served(serve_app, request_bytes, status):
    recorder = apps.Recorder()
    server = serve_app(recorder, max_body_bytes=1000)
    answer = server.exchange(request_bytes + AFTER)
    responses = parse_responses(answer)
    assert len(responses) == 1, answer
    response = responses[0]
    assert response.status == status, answer
    assert response.closes
    assert response.header("Content-Length") == str(len(response.body))
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    assert 0 < len(response.body) < 200  # one short line, no traceback
    assert recorder.paths == []


def test_first_request_served_then_invalid_one_refused(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    answer = server.exchange(
        b"GET /first HTTP/1.1\r\nHost: t\r\n\r\n"
        b"GET /bad HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n" + AFTER
    )
    first, refused = parse_responses(answer)
    assert first.body == b"GET /first"
    assert refused.status == 400
    assert refused.closes
    assert recorder.paths == ["/first"]


def test_chunked_body_too_large_while_streaming(serve_app):
    server = serve_app(apps.count_bytes, max_body_bytes=1000)
    chunks = b"".join(b"100\r\n" + b"x" * 256 + b"\r\n" for _ in range(8))  # 2048 bytes
    answer = server.exchange(
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunks + b"0\r\n\r\n" + AFTER
    )
    responses = parse_responses(answer)
    assert len(responses) == 1
    assert responses[0].status == 413
    assert responses[0].closes
    assert b"Traceback" not in answer


def test_chunked_body_within_the_limit_is_served(serve_app):
    server = serve_app(apps.count_bytes, max_body_bytes=1000)
    answer = server.exchange(
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3e8\r\n" + b"x" * 1000 + b"\r\n0\r\n\r\n" + AFTER
    )
    counted, after = parse_responses(answer)
    assert counted.body == b"1000"
    assert after.status == 200


def test_malformed_chunk_in_a_body_the_app_reads(serve_app):
    server = serve_app(apps.echo)
    answer = server.exchange(
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\nzz\r\n" + AFTER
    )
    responses = parse_responses(answer)
    assert [r.status for r in responses] == [400]
    assert responses[0].closes


def test_error_answer_arrives_although_the_client_keeps_sending(serve_app):
    # A 413 on Content-Length is answered before the body; the lingering
    # close lets the client finish its write and still read the answer.
    server = serve_app(apps.count_bytes, max_body_bytes=1000)
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n")
        sock.sendall(b"x" * 200_000)
        response = ResponseReader(sock).read_response()
    assert response.status == 413
    assert response.closes


@pytest.mark.parametrize(("max_body_bytes", "first_answer"),
                         [(None, b"HTTP/1.1 413 "), (0, b"HTTP/1.1 100 Continue\r\n")])
def test_max_body_bytes_0_lifts_the_body_limit(serve_app, max_body_bytes, first_answer):
    # A 2 GiB Content-Length is over the default limit (1 GiB) and refused
    # before the body; with the limit at 0 the app is asked to read it instead.
    options = {} if max_body_bytes is None else {"max_body_bytes": max_body_bytes}
    server = serve_app(apps.count_bytes, **options)
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2147483648\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        answer = b""
        while len(answer) < len(first_answer) and (piece := sock.recv(4096)):
            answer += piece
    assert answer.startswith(first_answer)
