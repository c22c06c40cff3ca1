"""``Expect: 100-continue`` (RFC 9110 §10.1.1) with curl and on raw sockets.

The server sends ``100 Continue`` only when the application starts reading
the body, so an application that answers without it (a redirect, a 401, a
413 of its own) spares the client the upload.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests import apps
from tests.rawhttp import ResponseReader

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: How long curl waits for 100 Continue before sending the body anyway. Long,
#: so that a missing 100 shows as a slow transfer instead of passing unseen.
CURL_EXPECT_WAIT = 5


def curl_upload(url: str, path, *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--verbose", "--max-time", "20",
         "--expect100-timeout", str(CURL_EXPECT_WAIT),
         "-H", "Expect: 100-continue", "-H", "Content-Type: application/octet-stream",
         "--data-binary", f"@{path}", *extra, url],
        capture_output=True, timeout=30,
    )
    return result, time.monotonic() - started


@pytest.fixture
def upload_file(tmp_path):
    path = tmp_path / "upload.bin"
    path.write_bytes(os.urandom(2 * 1024 * 1024 + 3))
    return path


def test_curl_gets_100_continue_when_the_app_reads(serve_app, upload_file):
    server = serve_app(apps.count_bytes)
    result, elapsed = curl_upload(server.url, upload_file)
    assert result.returncode == 0, result.stderr
    assert result.stdout == str(upload_file.stat().st_size).encode()
    assert b"< HTTP/1.1 100 Continue" in result.stderr
    assert elapsed < CURL_EXPECT_WAIT, "curl waited for a 100 Continue that never came"


def test_curl_gets_no_100_when_the_app_does_not_read(serve_app, upload_file):
    server = serve_app(apps.hello)
    result, elapsed = curl_upload(server.url, upload_file)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"Hello, World!"
    assert b"100 Continue" not in result.stderr
    assert elapsed < CURL_EXPECT_WAIT  # the final answer came first: no waiting, no upload


def test_curl_with_another_expectation_gets_417(serve_app, upload_file):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    result = subprocess.run(
        ["curl", "--silent", "--max-time", "20", "--output", os.devnull,
         "--write-out", "%{http_code}", "-H", "Expect: 200-ok",
         "--data-binary", f"@{upload_file}", server.url],
        capture_output=True, timeout=30,
    )
    assert result.stdout == b"417"
    assert recorder.paths == []


def test_raw_bytes_when_the_app_reads_the_body(serve_app):
    server = serve_app(apps.echo)
    with server.connect() as sock:
        reader = ResponseReader(sock)
        for round_ in range(3):  # several on one connection
            body = b"round %d" % round_
            sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body))
            interim = reader.read_response("POST")
            assert interim.head == CONTINUE
            sock.sendall(body)
            final = reader.read_response("POST")
            assert final.status == 200
            assert final.body == body
            assert not final.closes


def test_raw_bytes_when_the_app_does_not_read_the_body(serve_app):
    server = serve_app(apps.hello)
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                     b"Content-Length: 10\r\n\r\n")  # and the body never comes
        reader = ResponseReader(sock)
        response = reader.read_response("POST")
        raw = response.head
        assert raw.startswith(b"HTTP/1.1 200 OK\r\n")  # the first bytes: no 100 before it
        assert b"100 Continue" not in raw
        assert response.body == b"Hello, World!"
        # The client may or may not send the body now: the server cannot
        # tell its next request from it, so it closes.
        assert response.closes
        assert reader.closed()


def test_raw_bytes_when_the_app_answers_an_error_without_reading(serve_app):
    def refuses(environ, start_response):
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"log in first"]

    server = serve_app(refuses)
    with server.connect() as sock:
        sock.sendall(b"PUT /big HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        received = sock.recv(65536)
    assert received.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
    assert b"100 Continue" not in received


def test_http10_expectation_is_ignored(serve_app):
    # RFC 9110 §10.1.1: a server ignores 100-continue in an HTTP/1.0 request.
    server = serve_app(apps.echo)
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody")
        reader = ResponseReader(sock)
        response = reader.read_response("POST")
    assert response.status == 200
    assert response.body == b"body"


def test_client_that_sends_the_body_without_waiting(serve_app):
    # Allowed (RFC 9110 §10.1.1); the 100 may still go out first, harmlessly.
    server = serve_app(apps.echo)
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                     b"Content-Length: 5\r\n\r\nhello" + b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        reader = ResponseReader(sock)
        first = reader.read_response("POST")
        if first.status == 100:
            first = reader.read_response("POST")
        assert first.body == b"hello"
        assert reader.read_response().status == 200
