"""The PEP 3333 environ as an application sees it, for requests sent over real sockets."""

from __future__ import annotations

import http.client

import pytest
import requests

from tapster import __version__
from tests import apps
from tests.rawhttp import ResponseReader


def served_environ(server, recorder, request: bytes) -> tuple[dict, tuple[str, int]]:
    """Send one raw request; return the environ the app saw and the client's address."""
    with server.connect() as sock:
        sock.sendall(request)
        response = ResponseReader(sock).read_response()
        client_address = sock.getsockname()
    assert response.status == 200, response
    return recorder.environs[-1], client_address


def test_cgi_keys_of_a_get(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    environ, client = served_environ(
        server, recorder, b"GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"
    )
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["SCRIPT_NAME"] == ""
    assert environ["PATH_INFO"] == "/a/b"
    assert environ["QUERY_STRING"] == "x=1&y=%20"  # not decoded
    assert environ["SERVER_NAME"] == "127.0.0.1"
    assert environ["SERVER_PORT"] == str(server.port)
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert environ["SERVER_SOFTWARE"] == f"tapster/{__version__}"
    assert environ["HTTP_HOST"] == "example.com:8080"
    assert environ["REMOTE_ADDR"] == client[0] == "127.0.0.1"
    assert environ["REMOTE_PORT"] == str(client[1])
    assert environ.get("CONTENT_TYPE", "") == ""
    assert environ.get("CONTENT_LENGTH", "") == ""
    for key, value in environ.items():
        if key.isupper():
            assert type(value) is str, key  # PEP 3333: CGI values are native strings


def test_wsgi_keys(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    environ, _ = served_environ(server, recorder, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    assert environ["wsgi.version"] == (1, 0)
    assert environ["wsgi.url_scheme"] == "http"
    assert callable(environ["wsgi.input"].read)
    assert callable(environ["wsgi.errors"].write)
    assert callable(environ["wsgi.errors"].flush)
    assert environ["wsgi.multithread"] is True
    assert environ["wsgi.multiprocess"] is False
    assert environ["wsgi.run_once"] is False
    assert environ["wsgi.input_terminated"] is True
    assert callable(environ["wsgi.file_wrapper"])


def test_one_thread_is_not_multithread(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder, threads=1)
    environ, _ = served_environ(server, recorder, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    assert environ["wsgi.multithread"] is False


def test_absolute_form_target(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    environ, _ = served_environ(
        server, recorder,
        b"GET http://example.com:81/p%41th?q=1 HTTP/1.1\r\nHost: other\r\n\r\n",
    )
    assert environ["PATH_INFO"] == "/pAth"
    assert environ["QUERY_STRING"] == "q=1"
    assert environ["HTTP_HOST"] == "example.com:81"  # RFC 9112 §3.2.2: the target's wins
    assert environ["REQUEST_URI"] == "http://example.com:81/p%41th?q=1"


def test_http10_protocol(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    environ, _ = served_environ(server, recorder, b"GET / HTTP/1.0\r\n\r\n")
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert "HTTP_HOST" not in environ


@pytest.mark.parametrize(
    ("target", "path_info"),
    [
        ("/caf%C3%A9", "caf\u00c3\u00a9"),  # UTF-8 bytes, each as a latin-1 character
        ("/caf\u00e9".encode().decode("latin-1"), "caf\u00c3\u00a9"),  # raw UTF-8 on the wire
        ("/a%2Fb", "a/b"),
        ("/%25", "%"),
        ("/sp%20ace", "sp ace"),
        ("/%FF", "\u00ff"),
    ],
)
def test_path_info_is_percent_decoded_then_latin1(serve_app, target, path_info):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    request = f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode("latin-1")
    environ, _ = served_environ(server, recorder, request)
    assert environ["PATH_INFO"] == "/" + path_info
    # What an application does to get the text back:
    assert environ["REQUEST_URI"] == target


def test_path_info_from_requests(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    requests.get(f"{server.url}/caf\u00e9/na\u00efve?q=\u00e9", timeout=5)
    environ = recorder.environs[-1]
    assert environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/caf\u00e9/na\u00efve"
    assert environ["QUERY_STRING"] == "q=%C3%A9"


@pytest.mark.parametrize(
    ("target", "script_name", "path_info"),
    [
        ("/app/x/y", "/app", "/x/y"),
        ("/app", "/app", ""),
        ("/app/", "/app", "/"),
        ("/app/caf%C3%A9", "/app", "/caf\u00c3\u00a9"),
        ("/application", "/app", "/application"),  # not under the prefix
    ],
)
def test_script_name_from_root_path(serve_app, target, script_name, path_info):
    recorder = apps.Recorder()
    server = serve_app(recorder, root_path="/app")
    environ, _ = served_environ(server, recorder,
                                f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    assert environ["SCRIPT_NAME"] == script_name
    assert environ["PATH_INFO"] == path_info


def test_content_type_and_length(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    environ, _ = served_environ(
        server, recorder,
        b"POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 7\r\n\r\na=1&b=2",
    )
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert environ["CONTENT_LENGTH"] == "7"
    assert "HTTP_CONTENT_TYPE" not in environ
    assert "HTTP_CONTENT_LENGTH" not in environ


def test_chunked_request_has_no_content_length(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    environ, _ = served_environ(
        server, recorder,
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    )
    assert environ.get("CONTENT_LENGTH", "") == ""
    assert environ["HTTP_TRANSFER_ENCODING"] == "chunked"


def test_header_fields(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    environ, _ = served_environ(
        server, recorder,
        b"GET / HTTP/1.1\r\nHost: t\r\n"
        b"Accept: text/html\r\nAccept: application/json\r\n"
        b"Cookie: a=1\r\nCookie: b=2\r\n"
        b"X-Custom-Header:   padded value  \r\n"
        b"X-Forwarded-For: 10.0.0.1\r\n"
        b"X_Forwarded_For: 6.6.6.6\r\n"
        b"x-lower: yes\r\n\r\n",
    )
    assert environ["HTTP_ACCEPT"] == "text/html, application/json"
    assert environ["HTTP_COOKIE"] == "a=1; b=2"
    assert environ["HTTP_X_CUSTOM_HEADER"] == "padded value"
    assert environ["HTTP_X_FORWARDED_FOR"] == "10.0.0.1"  # the underscore spelling is dropped
    assert environ["HTTP_X_LOWER"] == "yes"
    assert [key for key in environ if "FORWARDED" in key] == ["HTTP_X_FORWARDED_FOR"]


def test_duplicate_headers_through_http_client(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.putrequest("GET", "/dup")
        connection.putheader("X-Dup", "one")
        connection.putheader("X-Dup", "two")
        connection.putheader("Cookie", "session=abc")
        connection.putheader("Cookie", "theme=dark")
        connection.endheaders()
        assert connection.getresponse().read() == b"GET /dup"
    finally:
        connection.close()
    environ = recorder.environs[-1]
    assert environ["HTTP_X_DUP"] == "one, two"
    assert environ["HTTP_COOKIE"] == "session=abc; theme=dark"


def test_environ_is_fresh_per_request(serve_app):
    recorder = apps.Recorder()
    server = serve_app(recorder)
    with requests.Session() as session:
        session.get(f"{server.url}/one", headers={"X-Only-First": "1"}, timeout=5)
        session.get(f"{server.url}/two", timeout=5)
    first, second = recorder.environs
    assert first["HTTP_X_ONLY_FIRST"] == "1"
    assert "HTTP_X_ONLY_FIRST" not in second
    assert first["REMOTE_PORT"] == second["REMOTE_PORT"]
