"""Request body framing: Content-Length and Transfer-Encoding (RFC 9112 §6, RFC 9110 §8.6)."""

from __future__ import annotations

import pytest

from tapster.http import Data, EndOfMessage, RemoteProtocolError, Request, RequestParser

from .helpers import drain, message, parse, parse_body, parse_request, rejection

POST = "POST / HTTP/1.1"
HOST = "Host: example.com"
CHUNKED_BODY = b"5\r\nhello\r\n0\r\n\r\n"


# -- no framing field ------------------------------------------------------------------


def test_no_framing_field_means_no_body() -> None:
    """RFC 9112 §6.3 (7): a request with neither field has a body of length zero."""
    events = parse(message(POST, HOST) + b"GET")
    assert isinstance(events[0], Request)
    assert events[0].content_length is None
    assert not events[0].chunked
    assert events[1:] == [EndOfMessage()]


# -- Content-Length --------------------------------------------------------------------


def test_content_length_body() -> None:
    """RFC 9112 §6.2: Content-Length is the body's length in octets."""
    data = message(POST, HOST, "Content-Length: 11", body=b"hello worldGET / ...")
    request = parse_request(data)
    assert request.content_length == 11
    assert parse_body(data) == b"hello world"


def test_content_length_zero() -> None:
    """RFC 9112 §6.2: Content-Length: 0 is an empty body, complete at once."""
    events = parse(message(POST, HOST, "Content-Length: 0"))
    assert events[0].content_length == 0
    assert events[1:] == [EndOfMessage()]


def test_content_length_body_streams_in_pieces() -> None:
    """A body is streamed as it arrives, never held whole."""
    parser = RequestParser()
    parser.feed(message(POST, HOST, "Content-Length: 10", body=b"abc"))
    assert [type(event) for event in drain(parser)] == [Request, Data]
    parser.feed(b"defghij")
    assert drain(parser) == [Data(b"defghij"), EndOfMessage()]


@pytest.mark.parametrize(
    "value",
    ["abc", "-1", "+1", "0x10", "1_000", "1 0", "1.0", "1e3", "", " ", "\xb2", "\xb9\xb2",
     "5,", ",5", "5;5", "five"],
)
def test_invalid_content_length_gets_400(value: str) -> None:
    """RFC 9112 §6.3 (5): an invalid Content-Length is unrecoverable: the server MUST 400."""
    assert rejection(message(POST, HOST, f"Content-Length: {value}")).status == 400


@pytest.mark.parametrize("value", ["5", " 5 ", "\t5", "0005"])
def test_content_length_with_ows_or_leading_zeros(value: str) -> None:
    """RFC 9110 §8.6: Content-Length = 1*DIGIT, OWS around the value not included."""
    assert parse_request(message(POST, HOST, f"Content-Length: {value}")).content_length == 5


@pytest.mark.parametrize(
    "fields", [["Content-Length: 5", "Content-Length: 5"], ["Content-Length: 5, 5"],
               ["Content-Length: 5,5,5"], ["Content-Length: 5", "Content-Length: 05"]]
)
def test_identical_content_lengths_accepted(fields: list[str]) -> None:
    """RFC 9112 §6.3 (5), RFC 9110 §8.6: a list of the same valid value MAY count as one."""
    assert parse_body(message(POST, HOST, *fields, body=b"hello")) == b"hello"


@pytest.mark.parametrize(
    "fields", [["Content-Length: 5", "Content-Length: 6"], ["Content-Length: 5, 6"],
               ["Content-Length: 5", "Content-Length: 5, 6"], ["Content-Length: 0, 5"]]
)
def test_differing_content_lengths_get_400(fields: list[str]) -> None:
    """RFC 9112 §6.3 (5): differing values leave the framing unknowable: MUST 400."""
    assert rejection(message(POST, HOST, *fields)).status == 400


@pytest.mark.parametrize("digits", ["9" * 19, "1" + "0" * 18, "99999999999999999999999999999"])
def test_content_length_overflow_gets_413(digits: str) -> None:
    """RFC 9110 §8.6: a recipient MUST anticipate large numerals and prevent overflow."""
    assert rejection(message(POST, HOST, f"Content-Length: {digits}")).status == 413


def test_content_length_leading_zeros_do_not_count_as_overflow() -> None:
    """RFC 9110 §8.6: the value is a decimal number; zeros in front add nothing."""
    data = message(POST, HOST, "Content-Length: " + "0" * 40 + "3", body=b"abc")
    assert parse_body(data) == b"abc"


def test_content_length_with_thousands_of_leading_zeros() -> None:
    """RFC 9110 §8.6: no parsing error from the numeral's form (int() caps at 4300 digits)."""
    data = message(POST, HOST, "Content-Length: " + "0" * 5000 + "3", body=b"abc")
    assert parse_body(data) == b"abc"
    assert parse_request(message(POST, HOST, "Content-Length: " + "0" * 5000)).content_length == 0


def test_content_length_over_max_body_gets_413_before_any_body() -> None:
    """RFC 9110 §15.5.14: 413 for a body larger than the server will process; no Request first."""
    error = rejection(message(POST, HOST, "Content-Length: 101"), max_body_bytes=100)
    assert error.status == 413


def test_content_length_at_max_body_accepted() -> None:
    """The body limit is inclusive."""
    data = message(POST, HOST, "Content-Length: 100", body=b"x" * 100)
    assert parse_body(data, max_body_bytes=100) == b"x" * 100


def test_no_body_limit_when_none() -> None:
    """max_body_bytes=None lifts the limit (the parser's documented switch)."""
    request = parse_request(message(POST, HOST, "Content-Length: 999999999999"),
                            max_body_bytes=None)
    assert request.content_length == 999999999999


# -- Transfer-Encoding -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["chunked", "Chunked", "CHUNKED", "cHuNkEd", " chunked ",
                                   ", chunked", "chunked ,", ",,chunked,,"])
def test_chunked_in_any_case(value: str) -> None:
    """RFC 9112 §7: coding names are case-insensitive; RFC 9110 §5.6.1 empty elements ignored."""
    data = message(POST, HOST, f"Transfer-Encoding: {value}", body=CHUNKED_BODY)
    request = parse_request(data)
    assert request.chunked
    assert request.content_length is None
    assert parse_body(data) == b"hello"


@pytest.mark.parametrize(
    "fields",
    [["Transfer-Encoding: gzip, chunked"],
     ["Transfer-Encoding: gzip", "Transfer-Encoding: chunked"],
     ["Transfer-Encoding: deflate, gzip, chunked"], ["Transfer-Encoding: x-custom, chunked"]],
)
def test_unknown_coding_before_chunked_gets_501(fields: list[str]) -> None:
    """RFC 9112 §6.1: a server SHOULD answer 501 to a transfer coding it does not understand."""
    assert rejection(message(POST, HOST, *fields)).status == 501


@pytest.mark.parametrize(
    "fields",
    [["Transfer-Encoding: chunked, gzip"], ["Transfer-Encoding: gzip"],
     ["Transfer-Encoding: identity"], ["Transfer-Encoding: chunked", "Transfer-Encoding: gzip"]],
)
def test_chunked_not_last_gets_400(fields: list[str]) -> None:
    """RFC 9112 §6.3 (4): chunked not the final coding: the server MUST 400 and close."""
    assert rejection(message(POST, HOST, *fields)).status == 400


@pytest.mark.parametrize(
    "fields", [["Transfer-Encoding: chunked, chunked"],
               ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"]]
)
def test_chunked_twice_gets_400(fields: list[str]) -> None:
    """RFC 9112 §6.1: a sender MUST NOT apply chunked more than once; such framing is invalid."""
    assert rejection(message(POST, HOST, *fields)).status == 400


@pytest.mark.parametrize("value", ["", " ", ",", " , ,"])
def test_empty_transfer_encoding_gets_400(value: str) -> None:
    """RFC 9112 §6.1: Transfer-Encoding = #transfer-coding needs at least one coding here."""
    assert rejection(message(POST, HOST, f"Transfer-Encoding: {value}")).status == 400


@pytest.mark.parametrize("other", ["", ",", " , ,"])
@pytest.mark.parametrize("first", [True, False])
def test_empty_transfer_encoding_line_beside_chunked_gets_400(other: str, first: bool) -> None:
    """A line of no coding is refused even when another line says chunked (h11 refuses any
    second line; a front end might read ',' as a coding): no way to read the framing twice."""
    lines = ["Transfer-Encoding: chunked", f"Transfer-Encoding: {other}"]
    if first:
        lines.reverse()
    assert rejection(message(POST, HOST, *lines, body=CHUNKED_BODY)).status == 400


@pytest.mark.parametrize("value", ["chunked;x=1", "chunked ;q=0", "chu nked", "chunked\xe9",
                                   '"chunked"'])
def test_malformed_transfer_coding_gets_400(value: str) -> None:
    """RFC 9112 §7: chunked takes no parameters; a coding is a token."""
    assert rejection(message(POST, HOST, f"Transfer-Encoding: {value}")).status == 400


@pytest.mark.parametrize("extra", [[], ["Content-Length: 5"]])
def test_transfer_encoding_in_http_1_0_gets_400(extra: list[str]) -> None:
    """RFC 9112 §6.1: a 1.0 message with Transfer-Encoding MUST be treated as faulty framing."""
    data = message("POST / HTTP/1.0", *extra, "Transfer-Encoding: chunked", body=CHUNKED_BODY)
    assert rejection(data).status == 400


@pytest.mark.parametrize(
    "fields",
    [["Transfer-Encoding: chunked", "Content-Length: 5"],
     ["Content-Length: 5", "Transfer-Encoding: chunked"],
     ["Content-Length: 0", "Transfer-Encoding: chunked"]],
)
def test_transfer_encoding_with_content_length_gets_400(fields: list[str]) -> None:
    """RFC 9112 §6.3 (3): both fields may be smuggling; a server MAY reject, and tapster does."""
    assert rejection(message(POST, HOST, *fields, body=CHUNKED_BODY)).status == 400


def test_smuggling_attempt_never_yields_the_hidden_request() -> None:
    """RFC 9112 §11.2: a CL.TE request is refused whole; the bytes behind it are never parsed."""
    hidden = message("GET /admin HTTP/1.1", HOST)
    data = message(POST, HOST, "Content-Length: 5", "Transfer-Encoding: chunked",
                   body=b"0\r\n\r\n" + hidden)
    parser = RequestParser()
    parser.feed(data)
    for _ in range(3):
        with pytest.raises(RemoteProtocolError) as caught:
            parser.next_event()
        assert caught.value.status == 400
