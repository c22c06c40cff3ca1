"""The size limits of a request head (RFC 9112 §3 414, RFC 6585 §5 431, RFC 9110 §15.5.14 413).

Each limit is inclusive, and its verdict must not depend on where the peer's
packets were cut: a head that fits is accepted whole, cut anywhere, or fed
one octet at a time; one that does not fit is refused in every case.
"""

from __future__ import annotations

import pytest

from tapster.http import RemoteProtocolError, Request, RequestParser, limits

from .helpers import drain, feed_pieces, message, parse_request, rejection


def splits(data: bytes) -> list[list[bytes]]:
    """``data`` whole, cut in two at every offset, and one octet at a time."""
    return [[data]] + [[data[:at], data[at:]] for at in range(1, len(data))] + [
        [bytes([octet]) for octet in data]
    ]


def accepted_however_cut(data: bytes, **parser_limits: int) -> None:
    for pieces in splits(data):
        events = feed_pieces(RequestParser(**parser_limits), pieces)
        assert events and isinstance(events[0], Request), pieces


def refused_however_cut(data: bytes, status: int, **parser_limits: int) -> None:
    for pieces in splits(data):
        parser = RequestParser(**parser_limits)
        with pytest.raises(RemoteProtocolError) as caught:
            feed_pieces(parser, pieces)
        assert caught.value.status == status, pieces


def request_line_of(length: int) -> str:
    line = "GET / HTTP/1.1"
    return line.replace("/", "/" + "a" * (length - len(line)), 1)


# -- the request line: 414 -------------------------------------------------------------


def test_request_line_at_the_limit_accepted_however_cut() -> None:
    """RFC 9112 §3: the limit is on the line without its CRLF, and inclusive."""
    accepted_however_cut(message(request_line_of(40), "Host: a"), max_request_line=40)


def test_request_line_over_the_limit_gets_414_however_cut() -> None:
    """RFC 9112 §3: a server MUST answer 414 to a request-target longer than it will parse."""
    refused_however_cut(message(request_line_of(41), "Host: a"), 414, max_request_line=40)


def test_endless_request_line_gets_414_before_it_ends() -> None:
    """RFC 9112 §3: 414 without waiting for a line end that may never come."""
    assert rejection(b"GET /" + b"a" * 100, max_request_line=40).status == 414


def test_default_request_line_limit() -> None:
    """limits.MAX_REQUEST_LINE is the default (RFC 9112 §3 suggests at least 8000 octets)."""
    size = limits.MAX_REQUEST_LINE
    assert parse_request(message(request_line_of(size), "Host: a")).method == "GET"
    assert rejection(message(request_line_of(size + 1), "Host: a")).status == 414


# -- the header section: 431 -----------------------------------------------------------


def fields_of(size: int) -> list[str]:
    """Field lines whose header section (CRLFs between them included) is ``size`` octets."""
    host = "Host: a"
    return [host, "X-Fill: " + "f" * (size - len(host) - 2 - len("X-Fill: "))]


def test_header_section_at_the_limit_accepted_however_cut() -> None:
    """RFC 6585 §5: 431 is for a section too large; one exactly at the limit is not."""
    accepted_however_cut(message("GET / HTTP/1.1", *fields_of(60)), max_header_bytes=60)


def test_header_section_over_the_limit_gets_431_however_cut() -> None:
    """RFC 6585 §5: 431 Request Header Fields Too Large."""
    refused_however_cut(message("GET / HTTP/1.1", *fields_of(61)), 431, max_header_bytes=60)


def test_header_section_over_the_limit_refused_before_it_ends() -> None:
    """An unfinished head that already passed the limit is refused at once."""
    data = b"GET / HTTP/1.1\r\nHost: a\r\nX-Fill: " + b"f" * 100
    assert rejection(data, max_header_bytes=60).status == 431


def test_header_section_limit_excludes_the_request_line() -> None:
    """The header section is the field lines; the request line has its own limit."""
    data = message(request_line_of(100), *fields_of(60))
    assert parse_request(data, max_header_bytes=60, max_request_line=100).method == "GET"


# -- the number of field lines: 431 ----------------------------------------------------


def counted_fields(count: int) -> list[str]:
    return ["Host: a"] + [f"X-{index}: v" for index in range(count - 1)]


def test_header_count_at_the_limit_accepted_however_cut() -> None:
    """The count limit is inclusive and counts field lines, not the request line."""
    accepted_however_cut(message("GET / HTTP/1.1", *counted_fields(5)), max_header_count=5)


def test_header_count_over_the_limit_gets_431_however_cut() -> None:
    """RFC 6585 §5: too many field lines is a header section too large."""
    refused_however_cut(message("GET / HTTP/1.1", *counted_fields(6)), 431, max_header_count=5)


def test_header_count_over_the_limit_refused_before_the_head_ends() -> None:
    """A head that already holds too many complete field lines is refused without waiting."""
    unfinished = message("GET / HTTP/1.1", *counted_fields(6))[:-2]
    assert rejection(unfinished, max_header_count=5).status == 431


def test_header_count_while_incomplete_matches_the_complete_verdict() -> None:
    """Counting while the head is incomplete never refuses a head that will fit."""
    unfinished = message("GET / HTTP/1.1", *counted_fields(5))[:-2]
    parser = RequestParser(max_header_count=5)
    for octet in unfinished:
        parser.feed(bytes([octet]))
        assert drain(parser) == []
    parser.feed(b"\r\n")
    assert isinstance(drain(parser)[0], Request)


def test_header_count_counted_afresh_for_each_request() -> None:
    """Lines counted for one head are not carried into the next one."""
    head = message("GET / HTTP/1.1", *counted_fields(5))
    parser = RequestParser(max_header_count=5)
    for _ in range(3):
        events = feed_pieces(parser, [bytes([octet]) for octet in head])
        assert isinstance(events[0], Request)
        parser.start_next_cycle()


# -- the body: 413 (see test_framing and test_chunked for the details) -------------------


def test_body_limit_default() -> None:
    """limits.MAX_BODY_BYTES is the default body limit."""
    over = limits.MAX_BODY_BYTES + 1
    data = message("POST / HTTP/1.1", "Host: a", f"Content-Length: {over}")
    assert rejection(data).status == 413
