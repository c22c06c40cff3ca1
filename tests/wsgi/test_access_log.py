"""The access log's lines: atoms, escaping of every logged value, JSON lines, colour."""

from __future__ import annotations

import json
import logging

import pytest

from tapster.settings import GUNICORN_ACCESS_LOG_FORMAT
from tapster.wsgi.access_log import AccessLog, escape


class Lines(logging.Handler):
    """Collects the messages logged."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def access_log(log_format: str = GUNICORN_ACCESS_LOG_FORMAT, **options) -> tuple[AccessLog, Lines]:
    logger = logging.Logger("test.access")
    lines = Lines()
    logger.addHandler(lines)
    return AccessLog(log_format, logger, **options), lines


def environ(**extra: str) -> dict[str, str]:
    base = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/a?b=1",
        "PATH_INFO": "/a",
        "QUERY_STRING": "b=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_USER_AGENT": "curl/8",
    }
    base.update(extra)
    return base


@pytest.mark.parametrize(
    ("value", "logged"),
    [
        ("plain text /a?b=1", "plain text /a?b=1"),
        ("a\r\nb", "a\\x0d\\x0ab"),
        ("\x00\x1b[31m\x7f", "\\x00\\x1b[31m\\x7f"),
        ("caf\xc3\xa9", "caf\\xc3\\xa9"),  # UTF-8 bytes, as a latin-1 WSGI string
        ("\x80\xff\x85", "\\x80\\xff\\x85"),
        ('say "hi" \\ bye', "say \\x22hi\\x22 \\x5c bye"),
        ("\u2028line\u0142", "\\u2028line\u0142"),  # a separator, and a printable letter
        ("\U000e0001", "\\U000e0001"),
    ],
)
def test_escape(value, logged):
    assert escape(value) == logged


def test_a_value_that_needs_nothing_is_the_same_object():
    value = "Mozilla/5.0 (X11; Linux x86_64)"
    assert escape(value) is value


def test_gunicorn_format_line():
    log, lines = access_log()
    log.log(environ(HTTP_REFERER="http://r.test/"), 200, 12, 0.25)
    [line] = lines.lines
    assert line.startswith('192.0.2.1 - - [')
    assert line.endswith('] "GET /a?b=1 HTTP/1.1" 200 12 "http://r.test/" "curl/8"')


def test_every_value_from_outside_is_escaped():
    log, lines = access_log('%(h)s|%(u)s|%(r)s|%(m)s|%(U)s|%(q)s|%(H)s|%(f)s|%(a)s|'
                            '%({x-evil}i)s|%(X_APP)s|%({X_APP}e)s')
    hostile = "x\r\n127.0.0.1 - - forged\x00\x7f\x80\xff\""
    log.log(
        {
            "REQUEST_METHOD": hostile,
            "RAW_URI": hostile,
            "PATH_INFO": hostile,
            "QUERY_STRING": hostile,
            "SERVER_PROTOCOL": hostile,
            "REMOTE_ADDR": hostile,
            "REMOTE_USER": hostile,
            "HTTP_REFERER": hostile,
            "HTTP_USER_AGENT": hostile,
            "HTTP_X_EVIL": hostile,
            "X_APP": hostile,
        },
        200, 0, 0.0,
    )
    [line] = lines.lines
    # %(X_APP)s is no atom: the line says the format is wrong, still escaped.
    assert line.startswith("invalid access log format")
    assert "\n" not in line and "\r" not in line and "\x00" not in line and "\x7f" not in line
    log, lines = access_log('%(h)s|%(u)s|%(r)s|%(m)s|%(U)s|%(q)s|%(H)s|%(f)s|%(a)s|'
                            '%({x-evil}i)s|%({X_APP}e)s')
    log.log({name: hostile for name in (
        "REQUEST_METHOD", "RAW_URI", "PATH_INFO", "QUERY_STRING", "SERVER_PROTOCOL",
        "REMOTE_ADDR", "REMOTE_USER", "HTTP_REFERER", "HTTP_USER_AGENT", "HTTP_X_EVIL", "X_APP",
    )}, 200, 0, 0.0)
    [line] = lines.lines
    escaped = "x\\x0d\\x0a127.0.0.1 - - forged\\x00\\x7f\\x80\\xff\\x22"
    assert line.split("|")[0] == escaped
    assert all(part.startswith("x\\x0d\\x0a") for part in line.split("|"))
    assert line.split("|")[2] == f"{escaped} {escaped} {escaped}"
    assert line.isprintable() and line.isascii()


def test_atoms_for_time_size_user_and_headers():
    log, lines = access_log("%(b)s %(B)s %(u)s %(T)s %(M)s %(D)s %(L)s %({content-type}i)s "
                            "%({x-missing}i)s %({wsgi.url_scheme}e)s")
    log.log(environ(REMOTE_USER="ann", CONTENT_TYPE="text/plain", **{"wsgi.url_scheme": "http"}),
            204, 0, 1.5)
    assert lines.lines == ["- 0 ann 1 1500 1500000 1.500000 text/plain - http"]


def test_json_lines():
    log, lines = access_log("json")
    log.log(environ(HTTP_USER_AGENT="evil\r\n\x7f\x80", REMOTE_USER="ann"), 404, 7, 0.002)
    [line] = lines.lines
    record = json.loads(line)
    assert record["status"] == 404 and record["bytes"] == 7
    assert record["method"] == "GET" and record["target"] == "/a?b=1"
    assert record["path"] == "/a" and record["query"] == "b=1"
    assert record["user"] == "ann" and record["remote_addr"] == "192.0.2.1"
    assert record["user_agent"] == "evil\\x0d\\x0a\\x7f\\x80"
    assert record["duration_us"] == 2000
    assert "T" in record["time"]
    assert "\n" not in line


@pytest.mark.parametrize(
    ("status", "colour"), [(200, "32"), (302, "36"), (404, "33"), (503, "31")]
)
def test_colour_by_status_class(status, colour):
    log, lines = access_log('"%(r)s" %(s)s', colour=True)
    log.log(environ(), status, 0, 0.0)
    assert lines.lines == [f'"GET /a?b=1 HTTP/1.1" \x1b[{colour}m{status}\x1b[0m']


def test_no_colour_unless_asked_nor_in_json():
    log, lines = access_log("%(s)s")
    log.log(environ(), 200, 0, 0.0)
    log, json_lines = access_log("json", colour=True)
    log.log(environ(), 200, 0, 0.0)
    assert lines.lines == ["200"]
    assert json.loads(json_lines.lines[0])["status"] == 200
