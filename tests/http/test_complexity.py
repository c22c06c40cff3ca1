"""The parser's work is linear in its input, whatever the input's shape.

A hostile peer controls every octet: long runs of spaces before a control
character, endless ";" in chunk extensions, unterminated quoted strings, or a
head sent one octet per packet. Each such input is timed against a plain one
of the same size parsed in the same test, so the bound is relative (20x),
never a number of seconds that depends on the machine. The two are timed in
turns, best of several, and a comparison that fails is measured again (up to
three times): a busy machine can slow one side for a moment, while a
quadratic parser is hundreds of times slower at this size, every time.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tapster.http import NEED_DATA, PAUSED, ConnectionClosed, RemoteProtocolError, RequestParser
from tests import timing

SIZE = 64 * 1024
RATIO = 20
LIMITS = {
    "max_request_line": 4 * SIZE,
    "max_header_bytes": 4 * SIZE,
    "max_header_count": SIZE,
    "max_chunk_line": 4 * SIZE,
    "max_trailer_bytes": 4 * SIZE,
}


def assert_within_ratio(cheap: Callable[[], object], costly: Callable[[], object],
                        **options: int) -> None:
    """``costly`` takes less than ``RATIO`` times as long as ``cheap`` (``tests.timing``)."""
    timing.assert_within_ratio(cheap, costly, ratio=RATIO, **options)


def settle(parser: RequestParser) -> None:
    """Take events until the parser waits for bytes or for the response."""
    while True:
        event = parser.next_event()
        if event is NEED_DATA or event is PAUSED or isinstance(event, ConnectionClosed):
            return


def parse_all(data: bytes) -> Callable[[], object]:
    def action() -> None:
        parser = RequestParser(**LIMITS)
        parser.feed(data)
        try:
            settle(parser)
        except RemoteProtocolError:
            pass

    return action


def assert_comparable(plain: bytes, hostile: bytes) -> None:
    assert abs(len(hostile) - len(plain)) < len(plain) // 4
    assert_within_ratio(parse_all(plain), parse_all(hostile))


def head(*fields: bytes, line: bytes = b"GET / HTTP/1.1") -> bytes:
    return line + b"\r\nHost: example.com\r\n" + b"".join(f + b"\r\n" for f in fields) + b"\r\n"


PLAIN_HEAD = head(b"X-Value: " + b"a" * SIZE)

HOSTILE_HEADS = {
    "spaces then a control character": head(b"X-Value: " + b" " * SIZE + b"\x01"),
    "spaces and tabs then NUL": head(b"X-Value: a" + b" \t" * (SIZE // 2) + b"\x00"),
    "spaces inside a value": head(b"X-Value: a" + b" " * SIZE + b"b"),
    "a long field name": head(b"X" * SIZE + b": a"),
    "a long name then space before the colon": head(b"X" * SIZE + b" : a"),
    "a long name with a bad last octet": head(b"X" * SIZE + b"@: a"),
    "colons": head(b"X-Value: " + b":" * SIZE),
    "zeros in Content-Length": head(b"Content-Length: " + b"0" * SIZE + b"1",
                                    line=b"POST / HTTP/1.1"),
    "a Host ending in a bad octet": head(b"X-Host: a").replace(
        b"Host: example.com", b"Host: " + b"a" * SIZE + b"@"),
    "an unclosed IP literal": head(b"X-Host: a").replace(
        b"Host: example.com", b"Host: [" + b":" * SIZE),
    "a long origin-form target": head(line=b"GET /" + b"a" * SIZE + b" HTTP/1.1"),
    "a long target with a control": head(line=b"GET /" + b"a" * SIZE + b"\x01 HTTP/1.1"),
    "a long absolute-form authority": head(line=b"GET http://" + b"a" * SIZE + b"@b/ HTTP/1.1"),
    "a long scheme": head(line=b"GET " + b"a" * SIZE + b":/x HTTP/1.1"),
    "a long method": head(line=b"G" * SIZE + b" / HTTP/1.1"),
    "a long version": head(line=b"GET / HTTP/" + b"1" * SIZE),
}


@pytest.mark.parametrize("shape", sorted(HOSTILE_HEADS))
def test_hostile_head_parses_in_time_comparable_to_a_plain_one(shape: str) -> None:
    """No pattern backtracks more than linearly (grammar.py's promise)."""
    assert_comparable(PLAIN_HEAD, HOSTILE_HEADS[shape])


CHUNKED_HEAD = head(b"Transfer-Encoding: chunked", line=b"POST / HTTP/1.1")


def chunked(chunk_line: bytes, trailers: bytes = b"") -> bytes:
    return CHUNKED_HEAD + chunk_line + b"\r\nx\r\n0\r\n" + trailers + b"\r\n"


# The plain line has ordinary extensions: a line of one long extension would
# be a single run of one character class, a far cheaper thing to match than
# any line with several.
PLAIN_CHUNKED = chunked(b"1" + b";name=value" * (SIZE // 11))

HOSTILE_CHUNK_LINES = {
    "semicolons": chunked(b"1" + b";" * SIZE),
    "empty extensions and spaces": chunked(b"1" + b" ;" * (SIZE // 2)),
    "many one-letter extensions": chunked(b"1" + b";a" * (SIZE // 2)),
    "many extensions then junk": chunked(b"1" + b";a=b" * (SIZE // 4) + b" x"),
    "escaped quotes": chunked(b'1;a="' + b'\\"' * (SIZE // 2) + b'"'),
    "an unterminated quoted string": chunked(b'1;a="' + b"x" * SIZE),
    "escapes ending in a control": chunked(b'1;a="' + b"\\a" * (SIZE // 2) + b'\x01"'),
    "spaces then junk": chunked(b"1" + b" " * SIZE + b"x"),
    "a long value then a space": chunked(b"1;a=" + b"b" * SIZE + b" "),
    "a long name then an equals sign": chunked(b"1;" + b"a" * SIZE + b"="),
    "hex digits": chunked(b"0" * SIZE + b"1"),
    "a trailer of spaces then a control": chunked(b"1", b"X-T: " + b" " * SIZE + b"\x01\r\n"),
    "many trailer lines": chunked(b"1", b"X: a\r\n" * (SIZE // 6)),
}


@pytest.mark.parametrize("shape", sorted(HOSTILE_CHUNK_LINES))
def test_hostile_chunked_body_parses_in_time_comparable_to_a_plain_one(shape: str) -> None:
    """RFC 9112 §7.1.1: chunk extensions are parsed in linear time, however malformed."""
    assert_comparable(PLAIN_CHUNKED, HOSTILE_CHUNK_LINES[shape])


# -- shapes whose elements each cost a step in Python: linear, not compared to plain --------

MANY_ELEMENTS = {
    "field lines": lambda size: head(*[b"X: a"] * (size // 6)),
    "Transfer-Encoding codings": lambda size: head(
        b"Transfer-Encoding: " + b"a," * (size // 2) + b"chunked", line=b"POST / HTTP/1.1"),
    "empty Transfer-Encoding elements": lambda size: head(
        b"Transfer-Encoding: " + b"," * size + b"chunked", line=b"POST / HTTP/1.1"),
    "Content-Length values": lambda size: head(
        b"Content-Length: " + b"1," * (size // 2) + b"1", line=b"POST / HTTP/1.1"),
    "empty Expect elements": lambda size: head(b"Expect: " + b"," * size + b"100-continue"),
    "Connection options": lambda size: head(b"Connection: " + b"a, " * (size // 3) + b"close"),
    "chunks of one octet": lambda size: CHUNKED_HEAD + b"1\r\nx\r\n" * (size // 6) + b"0\r\n\r\n",
}


@pytest.mark.parametrize("shape", sorted(MANY_ELEMENTS))
def test_many_elements_cost_linear_time(shape: str) -> None:
    """List fields (RFC 9110 §5.6.1), field lines and chunks cost a Python step each:
    eight times as many must cost well under twenty times as much."""
    make = MANY_ELEMENTS[shape]
    assert_within_ratio(parse_all(make(SIZE // 8)), parse_all(make(SIZE)))


# -- dribbled input: one octet per feed ---------------------------------------------------


def dribble(prefix: bytes, data: bytes) -> Callable[[], object]:
    def action() -> None:
        parser = RequestParser(**LIMITS)
        if prefix:  # feed(b"") would say the peer closed
            parser.feed(prefix)
            settle(parser)
        for index in range(len(data)):
            parser.feed(data[index : index + 1])
            settle(parser)
        assert parser.next_event() is PAUSED or parser.unread_body_bytes  # all of it was read

    return action


def assert_linear(prefix: bytes, make: Callable[[int], bytes]) -> None:
    """Eight times the octets, one per feed, must cost well under 20 times as long."""
    assert_within_ratio(dribble(prefix, make(SIZE // 8)), dribble(prefix, make(SIZE)),
                        repeat=3, number=1)


def test_head_dribbled_octet_by_octet_costs_linear_time() -> None:
    """Each look at an incomplete head starts where the last one stopped (parser invariant)."""
    assert_linear(b"", lambda size: head(b"X-Value: " + b"a" * size))


def test_head_of_many_lines_dribbled_costs_linear_time() -> None:
    """Counting field lines while the head is incomplete only counts the new ones."""
    assert_linear(b"", lambda size: head(*[b"X: a"] * (size // 6)))


def test_trailers_dribbled_octet_by_octet_cost_linear_time() -> None:
    """The trailer section's end is searched from where the last search stopped, too."""
    assert_linear(CHUNKED_HEAD, lambda size: b"0\r\nX-T: " + b"a" * size + b"\r\n\r\n")


def test_body_dribbled_octet_by_octet_costs_linear_time() -> None:
    """Body octets are taken off the buffer's front in O(1)."""
    assert_linear(CHUNKED_HEAD.replace(b"Transfer-Encoding: chunked", b"Content-Length: 999999"),
                  lambda size: b"b" * size)
