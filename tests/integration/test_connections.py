"""Connection management through real clients: keep-alive, pipelining, bodiless responses."""

from __future__ import annotations

import http.client
import json
import subprocess

import pytest
import requests

from tests import apps
from tests.rawhttp import ResponseReader, parse_responses

# -- keep-alive ------------------------------------------------------------------------


def test_http_client_reuses_one_socket(serve_app):
    server = serve_app(apps.environ_json)
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        ports = set()
        first_socket = None
        for index in range(5):
            connection.request("GET", f"/{index}")
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("Connection") is None  # 1.1: persistent by default
            environ = json.loads(response.read())
            assert environ["PATH_INFO"] == f"/{index}"
            ports.add(environ["REMOTE_PORT"])
            if first_socket is None:
                first_socket = connection.sock
            assert connection.sock is first_socket, "http.client had to reconnect"
        assert len(ports) == 1, "the requests came over more than one connection"
    finally:
        connection.close()


def test_requests_session_reuses_one_connection(serve_app):
    server = serve_app(apps.environ_json)
    with requests.Session() as session:
        ports = {session.get(f"{server.url}/{n}", timeout=5).json()["REMOTE_PORT"]
                 for n in range(5)}
        # The bodies of POSTs travel on the same connection too.
        for n in range(3):
            reply = session.post(f"{server.url}/post", data=b"x" * (n * 1000), timeout=5)
            assert reply.json()["CONTENT_LENGTH"] == str(n * 1000)
            ports.add(reply.json()["REMOTE_PORT"])
    assert len(ports) == 1


def test_curl_reuses_one_connection(serve_app):
    server = serve_app(apps.environ_json)
    urls = [f"{server.url}/{n}" for n in range(3)]
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "10",
         "--write-out", r"\n%{http_code} %{num_connects}\n", *urls],
        capture_output=True, text=True, timeout=20, check=True,
    )
    lines = result.stdout.strip().split("\n")
    bodies, stats = lines[0::2], lines[1::2]
    assert stats == ["200 1", "200 0", "200 0"]  # one connect, then reuse
    assert len({json.loads(body)["REMOTE_PORT"] for body in bodies}) == 1


def test_ten_pipelined_requests_answered_in_order(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    requests_ = b"".join(
        f"GET /{n} HTTP/1.1\r\nHost: test\r\n\r\n".encode() for n in range(10)
    )
    with server.connect() as sock:
        sock.sendall(requests_)  # all ten in one write
        reader = ResponseReader(sock)
        responses = [reader.read_response() for _ in range(10)]
        assert [r.body for r in responses] == [f"GET /{n}".encode() for n in range(10)]
        assert all(r.status == 200 and not r.closes for r in responses)
        # The connection is still usable afterwards.
        sock.sendall(b"GET /last HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        last = reader.read_response()
        assert last.body == b"GET /last"
        assert last.closes
        assert reader.closed()
    assert recorder.paths == [f"/{n}" for n in range(10)] + ["/last"]
    assert len({environ["REMOTE_PORT"] for environ in recorder.environs}) == 1


def test_pipelined_posts_with_bodies(serve_app):
    server = serve_app(apps.echo)
    bodies = [b"one", b"", b"three" * 1000]
    data = b"".join(
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        for body in bodies
    )
    responses = parse_responses(server.exchange(data))
    assert [r.body for r in responses] == bodies


# -- responses without a body ----------------------------------------------------------


def test_head_keeps_headers_and_sends_no_body(serve_app):
    server = serve_app(apps.hello)
    # HEAD then GET on one connection: had HEAD carried a body, the GET's
    # response would not parse where it should.
    answer = server.exchange(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"
                             b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    head, get = parse_responses(answer, ["HEAD", "GET"])
    assert head.status == 200
    assert head.header("Content-Length") == "13"  # what the GET has
    assert head.header("Content-Type") == "text/plain"
    assert head.body == b""
    assert head.header("Transfer-Encoding") is None
    assert get.body == b"Hello, World!"


def test_head_through_real_clients(serve_app):
    server = serve_app(apps.hello)
    reply = requests.head(server.url, timeout=5)
    assert reply.status_code == 200
    assert reply.headers["Content-Length"] == "13"
    assert reply.content == b""
    result = subprocess.run(
        ["curl", "--silent", "--head", "--max-time", "10", server.url],
        capture_output=True, timeout=20, check=True,
    )
    assert result.stdout.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Length: 13\r\n" in result.stdout
    assert result.stdout.endswith(b"\r\n\r\n")


def test_head_of_a_streamed_response_has_no_framing(serve_app):
    server = serve_app(apps.stream)
    answer = server.exchange(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"
                             b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    head, get = parse_responses(answer, ["HEAD", "GET"])
    assert head.header("Transfer-Encoding") is None
    assert head.header("Content-Length") is None
    assert get.header("Transfer-Encoding") == "chunked"


@pytest.mark.parametrize("code", [204, 304])
def test_204_and_304_have_no_body(serve_app, code):
    def declares_a_length(environ, start_response):
        start_response(f"{code} X", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"body"]

    for app in (apps.status, declares_a_length):
        server = serve_app(app)
        answer = server.exchange(f"GET /{code} HTTP/1.1\r\nHost: t\r\n\r\n".encode()
                                 + b"GET /200 HTTP/1.1\r\nHost: t\r\n\r\n")
        first, second = parse_responses(answer)
        assert first.status == code
        assert first.body == b""
        assert first.header("Transfer-Encoding") is None
        if code == 204:
            assert first.header("Content-Length") is None  # RFC 9110 §8.6
        assert not first.closes
        assert second.status in (200, code)  # served on the same connection


def test_204_through_requests(serve_app):
    server = serve_app(apps.status)
    with requests.Session() as session:
        for _ in range(3):
            reply = session.get(f"{server.url}/204", timeout=5)
            assert reply.status_code == 204
            assert reply.content == b""
            assert "Content-Length" not in reply.headers


# -- HTTP/1.0 and Connection: close ----------------------------------------------------


def test_http10_gets_a_length_framed_response_then_close(serve_app):
    server = serve_app(apps.hello)
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")  # no half-close: the server must close
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert response.version == "HTTP/1.1"
        assert response.header("Content-Length") == "13"
        assert response.body == b"Hello, World!"
        assert response.closes
        assert reader.closed()


def test_http10_streamed_response_is_close_delimited(serve_app):
    server = serve_app(apps.stream)
    with server.connect() as sock:
        sock.sendall(b"GET /?4 HTTP/1.0\r\nHost: t\r\n\r\n")
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert response.header("Transfer-Encoding") is None  # a 1.0 client cannot de-chunk
        assert response.header("Content-Length") is None
        assert response.closes
        assert response.body == b"piece 0\npiece 1\npiece 2\npiece 3\n"
        assert reader.closed()


def test_http10_keep_alive_on_request(serve_app):
    server = serve_app(apps.hello)
    with server.connect() as sock:
        reader = ResponseReader(sock)
        for _ in range(3):
            sock.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            response = reader.read_response()
            assert response.header("Connection") == "keep-alive"
            assert response.body == b"Hello, World!"


def test_http10_through_http_client(serve_app):
    server = serve_app(apps.stream)

    class HTTP10Connection(http.client.HTTPConnection):
        _http_vsn = 10
        _http_vsn_str = "HTTP/1.0"

    connection = HTTP10Connection(server.host, server.port, timeout=5)
    try:
        connection.request("GET", "/?2")
        response = connection.getresponse()
        assert response.read() == b"piece 0\npiece 1\n"
        assert response.will_close
    finally:
        connection.close()


def test_connection_close_is_honoured(serve_app):
    server = serve_app(apps.hello)
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        reader = ResponseReader(sock)
        response = reader.read_response()
        assert response.body == b"Hello, World!"
        assert response.closes
        assert reader.closed()  # the server closed without our half-close


def test_connection_close_ends_a_pipeline(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    answer = server.exchange(b"GET /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                             b"GET /b HTTP/1.1\r\nHost: t\r\n\r\n")
    responses = parse_responses(answer)
    assert [r.body for r in responses] == [b"GET /a"]
    assert recorder.paths == ["/a"]


def test_requests_with_connection_close(serve_app):
    server = serve_app(apps.environ_json)
    with requests.Session() as session:
        ports = {
            session.get(server.url, headers={"Connection": "close"}, timeout=5)
            .json()["REMOTE_PORT"]
            for _ in range(3)
        }
    assert len(ports) == 3  # a new connection each time
