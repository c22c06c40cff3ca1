"""``wsgi.errors``: what an application writes there reaches the ``tapster.error`` log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

import requests

from tapster.wsgi.error_stream import ErrorStream


def messages(caplog: Any) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "tapster.error" and record.levelno == logging.ERROR]


def test_complete_lines_are_logged_and_a_partial_one_waits_for_flush(caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")
    stream = ErrorStream()
    assert stream.write("one\ntw") == 6
    assert messages(caplog) == ["one"]
    stream.writelines(["o\n", "three"])
    assert messages(caplog) == ["one", "two"]
    stream.flush()
    stream.flush()  # nothing left: logs nothing more
    assert messages(caplog) == ["one", "two", "three"]


def test_partial_lines_of_two_threads_never_mix(caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")
    stream = ErrorStream()
    stream.write("main ")
    other = threading.Thread(target=lambda: stream.write("other thread\n"))
    other.start()
    other.join()
    stream.write("thread\n")
    assert messages(caplog) == ["other thread", "main thread"]


def test_an_application_writes_to_the_error_log_of_a_live_server(serve_app, caplog):
    caplog.set_level(logging.ERROR, logger="tapster.error")

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        errors = environ["wsgi.errors"]
        errors.write("first line\nsecond ")
        errors.writelines(["line\n", "unfinished"])
        errors.flush()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = serve_app(app)
    assert requests.get(f"http://127.0.0.1:{server.port}/", timeout=5).text == "ok"
    assert messages(caplog) == ["first line", "second line", "unfinished"]
