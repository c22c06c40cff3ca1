"""Applications wrapped in ``wsgiref.validate.validator`` pass under tapster.

The validator checks both sides: the environ and the input and error streams
tapster hands over, and that tapster calls ``close()`` on the iterable (it
complains from ``__del__`` otherwise, which pytest turns into an error).
Its warnings are errors here, so a complaint turns the response into a 500.
"""

from __future__ import annotations

import gc
import logging
from wsgiref.validate import validator

import pytest
import requests

from tests.rawhttp import parse_responses

pytestmark = pytest.mark.filterwarnings("error::wsgiref.validate.WSGIWarning")


@validator
def validated_app(environ, start_response):
    stream = environ["wsgi.input"]
    if environ["REQUEST_METHOD"] == "POST":
        # The validator's input wrapper allows read() only with a size.
        first_line = stream.readline()
        rest = b""
        while piece := stream.read(1000):
            rest += piece
        body = b"line=" + first_line + b" rest=" + rest
    else:
        body = b"path=" + environ["PATH_INFO"].encode("latin-1")
    environ["wsgi.errors"].write("")
    environ["wsgi.errors"].flush()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return iter([body])


@pytest.fixture
def server(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")
    yield serve_app(validated_app)
    gc.collect()  # run the validator's __del__ checks inside the test
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_get(server):
    reply = requests.get(f"{server.url}/some/path?q=1", timeout=5)
    assert reply.status_code == 200
    assert reply.content == b"path=/some/path"


def test_post_with_content_length(server):
    reply = requests.post(server.url, data=b"first\nsecond\nthird", timeout=5)
    assert reply.status_code == 200
    assert reply.content == b"line=first\n rest=second\nthird"


def test_post_chunked(server):
    reply = requests.post(server.url, data=iter([b"fir", b"st\nsec", b"ond"]), timeout=5)
    assert reply.status_code == 200
    assert reply.content == b"line=first\n rest=second"


def test_head(server):
    reply = requests.head(f"{server.url}/x", timeout=5)
    assert reply.status_code == 200
    assert reply.headers["Content-Length"] == str(len(b"path=/x"))
    assert reply.content == b""


def test_pipelined_mix(server):
    answer = server.exchange(
        b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n"
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nab\ncd"
        b"HEAD /b HTTP/1.1\r\nHost: t\r\n\r\n"
        b"GET /c HTTP/1.0\r\n\r\n"
    )
    responses = parse_responses(answer, ["GET", "POST", "HEAD", "GET"])
    assert [r.status for r in responses] == [200, 200, 200, 200]
    assert [r.body for r in responses] == [b"path=/a", b"line=ab\n rest=cd", b"", b"path=/c"]
