"""A first look through real sockets: the server answers, keeps alive and refuses."""

from __future__ import annotations

import http.client

from tests import apps


def test_hello_over_keep_alive(serve_app):
    server = serve_app(apps.hello)
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    for _ in range(3):
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200
        assert response.read() == b"Hello, World!"
        assert response.getheader("Content-Length") == "13"
    connection.close()


def test_two_host_fields_get_400(serve_app):
    server = serve_app(apps.hello)
    answer = server.exchange(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close\r\n" in answer
