"""The ``Server`` header: configurable, droppable, the same on every answer the server gives.

The application's responses, the server's own error answers (400, 408) and
the 500 it sends for a failing application all carry the configured value,
or no ``Server`` field at all when it is empty.
"""

from __future__ import annotations

import pytest

from tapster.settings import Settings, SettingsError
from tests import apps
from tests.rawhttp import ResponseReader, parse_responses

GET = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"


def answers(serve_app, **settings) -> list:
    """The 200, 500, 400 and 408 answers of servers with ``settings``."""
    found = [parse_responses(serve_app(apps.hello, **settings).exchange(GET))[0]]
    found.append(parse_responses(serve_app(apps.raises, **settings).exchange(GET))[0])
    server = serve_app(apps.hello, head_timeout=0.3, **settings)
    found.append(parse_responses(server.exchange(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"))[0])
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")  # never finished: 408
        found.append(ResponseReader(sock).read_response())
    assert [response.status for response in found] == [200, 500, 400, 408]
    return found


def test_default_names_tapster_without_a_version(serve_app):
    for response in answers(serve_app):
        assert response.header_values("Server") == ["tapster"]


def test_a_configured_value_is_sent_on_every_answer(serve_app):
    for response in answers(serve_app, server_header="edge"):
        assert response.header_values("Server") == ["edge"]


def test_an_empty_value_drops_the_header(serve_app):
    for response in answers(serve_app, server_header=""):
        assert response.header_values("Server") == []


@pytest.mark.parametrize(
    "value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "nul\0", " padded", "caf\xe9", "tab\t"]
)
def test_a_value_that_could_split_a_head_is_refused(value):
    with pytest.raises(SettingsError, match="server_header"):
        Settings(server_header=value)
