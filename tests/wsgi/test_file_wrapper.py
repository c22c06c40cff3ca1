"""``wsgi.file_wrapper``: a regular file goes out by sendfile(2), anything else by iteration."""

from __future__ import annotations

import io
import os
from functools import partial

import pytest
import requests

from tapster import App, send_file
from tapster.wsgi.connection import Connection
from tests.rawhttp import parse_responses

GET = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
AFTER = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
SIZE = 3 * 1024 * 1024 + 17  # more than one socket buffer, not a round number


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


@pytest.fixture
def sendfile_calls(monkeypatch):
    """Counts the server's sendfile() calls, and the bytes they sent."""
    calls = []
    original = Connection.sendfile

    def counting(self, file_fd, offset, count):
        sent = original(self, file_fd, offset, count)
        calls.append((offset, count, sent))
        return sent

    monkeypatch.setattr(Connection, "sendfile", counting)
    return calls


def file_app(opener, offset=0, headers=()):
    """Serves what ``opener()`` returns through wsgi.file_wrapper; records the objects.

    The server, not the test, closes each file: through the wrapper's close().
    """
    opened = []

    def app(environ, start_response):
        filelike = opener()
        if offset:
            filelike.seek(offset)
        opened.append(filelike)
        start_response("200 OK", [("Content-Type", "application/octet-stream"), *headers])
        return environ["wsgi.file_wrapper"](filelike, 32768)

    app.opened = opened
    return app


def test_real_file_is_sent_with_sendfile(serve_app, data_file, sendfile_calls):
    app = file_app(partial(open, data_file, "rb"))
    server = serve_app(app)
    first, second = parse_responses(server.exchange(GET + AFTER))
    expected = data_file.read_bytes()
    for response in (first, second):
        assert response.header("Content-Length") == str(SIZE)
        assert response.header("Transfer-Encoding") is None
        assert response.body == expected
    assert [(offset, count) for offset, count, _ in sendfile_calls] == [(0, SIZE), (0, SIZE)]
    assert all(file.closed for file in app.opened)  # FileWrapper.close() closed them


def test_real_file_from_its_current_position(serve_app, data_file, sendfile_calls):
    server = serve_app(file_app(partial(open, data_file, "rb"), offset=1000))
    [response] = parse_responses(server.exchange(GET))
    assert response.body == data_file.read_bytes()[1000:]
    assert response.header("Content-Length") == str(SIZE - 1000)
    assert sendfile_calls[0][:2] == (1000, SIZE - 1000)


def test_real_file_through_requests(serve_app, data_file, sendfile_calls):
    server = serve_app(file_app(partial(open, data_file, "rb")))
    with requests.Session() as session:
        for _ in range(3):
            assert session.get(server.url, timeout=10).content == data_file.read_bytes()
    assert len(sendfile_calls) == 3


def test_real_file_with_a_smaller_content_length(serve_app, data_file, sendfile_calls):
    server = serve_app(file_app(partial(open, data_file, "rb"), headers=[("Content-Length", "10")]))
    first, second = parse_responses(server.exchange(GET + AFTER))
    assert first.body == data_file.read_bytes()[:10]
    assert second.body == data_file.read_bytes()[:10]  # framing held: the next one parses
    assert sendfile_calls[0][:2] == (0, 10)


def test_real_file_for_head_sends_no_body(serve_app, data_file, sendfile_calls):
    app = file_app(partial(open, data_file, "rb"))
    server = serve_app(app)
    head, get = parse_responses(
        server.exchange(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + GET), ["HEAD", "GET"]
    )
    assert head.header("Content-Length") == str(SIZE)
    assert head.body == b""
    assert get.body == data_file.read_bytes()
    assert len(sendfile_calls) == 1
    assert all(file.closed for file in app.opened)


def test_bytesio_falls_back_to_iteration(serve_app, sendfile_calls):
    payload = os.urandom(200_000)
    app = file_app(lambda: io.BytesIO(payload))
    server = serve_app(app)
    first, second = parse_responses(server.exchange(GET + AFTER))
    for response in (first, second):
        assert response.body == payload
        assert response.header("Transfer-Encoding") == "chunked"  # length unknown to the server
        assert set(response.chunk_sizes[:-1]) == {32768, 200_000 % 32768}  # the block size
    assert sendfile_calls == []
    assert all(buffer.closed for buffer in app.opened)


def test_bytesio_on_http10_is_close_delimited(serve_app):
    payload = os.urandom(100_000)
    server = serve_app(file_app(lambda: io.BytesIO(payload)))
    [response] = parse_responses(server.exchange(b"GET / HTTP/1.0\r\n\r\n"))
    assert response.body == payload
    assert response.closes


def test_pipe_falls_back_to_iteration(serve_app, sendfile_calls):
    # Not a regular file, although it has a fileno(): no sendfile.
    def pipe_with_data():
        read_fd, write_fd = os.pipe()
        os.write(write_fd, b"through a pipe")
        os.close(write_fd)
        return os.fdopen(read_fd, "rb")

    app = file_app(pipe_with_data)
    server = serve_app(app)
    [response] = parse_responses(server.exchange(GET))
    assert response.body == b"through a pipe"
    assert sendfile_calls == []
    assert all(file.closed for file in app.opened)


def test_the_frameworks_send_file_goes_out_by_sendfile(serve_app, data_file, sendfile_calls):
    app = App(__name__)
    app.add_url_rule("/file", "file", lambda: send_file(data_file))
    server = serve_app(app)
    reply = requests.get(f"http://127.0.0.1:{server.port}/file", timeout=10)
    assert reply.status_code == 200
    assert reply.content == data_file.read_bytes()
    assert [(offset, count) for offset, count, _ in sendfile_calls] == [(0, SIZE)]
