"""One connection's sequence of requests: persistence (RFC 9112 §9), Expect (RFC 9110
§10.1.1), pipelining (RFC 9112 §9.3.2), the end of input, and the finality of errors."""

from __future__ import annotations

import pytest

from tapster.http import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    ParserState,
    RemoteProtocolError,
    Request,
    RequestParser,
)

from .helpers import drain, message, normalised, parse, parse_request, rejection

GET_1_1 = "GET / HTTP/1.1"
GET_1_0 = "GET / HTTP/1.0"
HOST = "Host: example.com"


# -- persistence: RFC 9112 §9.3 --------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "keep_alive"),
    [
        ([], True),
        (["Connection: close"], False),
        (["Connection: Close"], False),
        (["Connection: CLOSE"], False),
        (["Connection: keep-alive"], True),
        (["Connection: keep-alive, close"], False),
        (["Connection: upgrade, close"], False),
        (["Connection: foo", "Connection: close"], False),
        (["Connection: ,, close ,"], False),
        (["Connection: upgrade"], True),
        (["Connection: closed"], True),
        (["Connection:"], True),
    ],
)
def test_http_1_1_persists_unless_close(fields: list[str], keep_alive: bool) -> None:
    """RFC 9112 §9.3: 1.1 persists by default; §9.6 "close" MUST end the connection."""
    assert parse_request(message(GET_1_1, HOST, *fields)).keep_alive is keep_alive


@pytest.mark.parametrize(
    ("fields", "keep_alive"),
    [
        ([], False),
        (["Connection: keep-alive"], True),
        (["Connection: Keep-Alive"], True),
        (["Connection: foo, keep-alive"], True),
        (["Connection: foo", "Connection: keep-alive"], True),
        (["Connection: close"], False),
        (["Connection: upgrade"], False),
    ],
)
def test_http_1_0_persists_only_with_keep_alive(fields: list[str], keep_alive: bool) -> None:
    """RFC 9112 §9.3: a 1.0 connection persists only when "keep-alive" is present."""
    assert parse_request(message(GET_1_0, *fields)).keep_alive is keep_alive


@pytest.mark.parametrize(
    "fields", [["Connection: keep-alive, close"], ["Connection: close, keep-alive"],
               ["Connection: keep-alive", "Connection: close"]]
)
def test_close_wins_over_keep_alive_in_http_1_0(fields: list[str]) -> None:
    """RFC 9112 §9.6: a server that receives "close" MUST close after its response, in 1.0 too."""
    assert parse_request(message(GET_1_0, *fields)).keep_alive is False


# -- Expect: RFC 9110 §10.1.1 ----------------------------------------------------------


@pytest.mark.parametrize("value", ["100-continue", "100-Continue", " 100-CONTINUE ",
                                   "100-continue,", ", 100-continue"])
def test_expect_100_continue(value: str) -> None:
    """RFC 9110 §10.1.1: 100-continue, a case-insensitive token; empty list elements ignored."""
    data = message("POST / HTTP/1.1", HOST, f"Expect: {value}", "Content-Length: 3")
    assert parse_request(data).expect_continue


def test_expect_100_continue_ignored_in_http_1_0() -> None:
    """RFC 9110 §10.1.1: a server MUST ignore a 100-continue expectation in an HTTP/1.0 request."""
    data = message("POST / HTTP/1.0", "Expect: 100-continue", "Content-Length: 3", body=b"abc")
    events = parse(data)
    assert events[0].expect_continue is False
    assert events[1:] == [Data(b"abc"), EndOfMessage()]


def test_no_expect_no_continue() -> None:
    """Without Expect the client does not wait."""
    assert not parse_request(message("POST / HTTP/1.1", HOST, "Content-Length: 3")).expect_continue


@pytest.mark.parametrize(
    ("version", "value"),
    [("1.1", "200-ok"), ("1.1", "100-continue, foo"), ("1.1", "100-continue; x=1"),
     ("1.1", "foo, 100-continue"), ("1.0", "foo")],
)
def test_other_expectations_get_417(version: str, value: str) -> None:
    """RFC 9110 §10.1.1: a server MAY answer 417 to an expectation other than 100-continue."""
    data = message(f"POST / HTTP/{version}", HOST, f"Expect: {value}")
    assert rejection(data).status == 417


@pytest.mark.parametrize(
    "fields", [["Expect: 100-continue, 100-continue"],
               ["Expect: 100-continue", "Expect: 100-Continue"]],
)
def test_repeated_100_continue_is_one_expectation(fields: list[str]) -> None:
    """RFC 9110 §10.1.1: only a member other than 100-continue may get 417 (h11 agrees)."""
    data = message("POST / HTTP/1.1", HOST, *fields, "Content-Length: 3")
    assert parse_request(data).expect_continue


@pytest.mark.parametrize("value", [",", " , ,"])
def test_expect_of_empty_elements_is_no_expectation(value: str) -> None:
    """RFC 9110 §5.6.1: empty list elements do not count; nothing is expected."""
    assert not parse_request(message(GET_1_1, HOST, f"Expect: {value}")).expect_continue


def test_empty_expect_is_no_expectation() -> None:
    """RFC 9110 §5.6.1: an empty list has no members, so nothing is expected."""
    assert not parse_request(message(GET_1_1, HOST, "Expect:")).expect_continue


# -- pipelining: RFC 9112 §9.3.2 -------------------------------------------------------


def test_pipelined_requests_wait_for_start_next_cycle() -> None:
    """RFC 9112 §9.3.2: requests are answered in order: the next waits for the response."""
    first = message("POST /1 HTTP/1.1", HOST, "Content-Length: 3", body=b"abc")
    second = message("GET /2 HTTP/1.1", HOST)
    parser = RequestParser()
    parser.feed(first + second)
    events = drain(parser)
    assert [type(event) for event in events] == [Request, Data, EndOfMessage]
    assert events[0].target == "/1"
    assert parser.next_event() is PAUSED
    assert parser.next_event() is PAUSED
    assert parser.buffered == len(second)
    parser.start_next_cycle()
    events = drain(parser)
    assert events[0].target == "/2"
    assert events[1:] == [EndOfMessage()]
    assert parser.next_event() is PAUSED
    parser.start_next_cycle()
    assert parser.next_event() is NEED_DATA


def test_pipelined_chunked_then_length_body() -> None:
    """RFC 9112 §6.3: each message's framing says exactly where the next one starts."""
    first = message("POST /1 HTTP/1.1", HOST, "Transfer-Encoding: chunked",
                    body=b"3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n")
    second = message("POST /2 HTTP/1.1", HOST, "Content-Length: 4", body=b"wxyz")
    third = message("GET /3 HTTP/1.1", HOST)
    parser = RequestParser()
    parser.feed(first + second + third)
    seen = []
    for _ in range(3):
        events = drain(parser)
        seen.append((events[0].target, b"".join(e.data for e in events if isinstance(e, Data))))
        assert events[-1] == EndOfMessage()
        parser.start_next_cycle()
    assert seen == [("/1", b"abc"), ("/2", b"wxyz"), ("/3", b"")]


def test_pipelined_request_after_an_extra_crlf() -> None:
    """RFC 9112 §2.2: the stray CRLF some clients add after a POST body is ignored."""
    data = (message("POST /1 HTTP/1.1", HOST, "Content-Length: 1", body=b"x") + b"\r\n"
            + message("GET /2 HTTP/1.1", HOST))
    parser = RequestParser()
    parser.feed(data)
    drain(parser)
    parser.start_next_cycle()
    assert drain(parser)[0].target == "/2"


def test_paused_even_when_more_bytes_arrive() -> None:
    """Bytes of the next request are held, not parsed, until start_next_cycle()."""
    parser = RequestParser()
    parser.feed(message(GET_1_1, HOST))
    drain(parser)
    parser.feed(b"GARBAGE THAT WOULD BE AN ERROR\r\n\r\n")
    assert parser.next_event() is PAUSED


def test_start_next_cycle_before_the_end_is_an_error() -> None:
    """Calling it while the body is still due is a bug in the server, not the peer's fault."""
    parser = RequestParser()
    with pytest.raises(RuntimeError):
        parser.start_next_cycle()
    parser.feed(message("POST / HTTP/1.1", HOST, "Content-Length: 5", body=b"ab"))
    drain(parser)
    with pytest.raises(RuntimeError):
        parser.start_next_cycle()


def test_start_next_cycle_allowed_once_a_bodyless_request_is_read() -> None:
    """A request without a body is complete with its head; EndOfMessage need not be fetched."""
    parser = RequestParser()
    parser.feed(message("GET /1 HTTP/1.1", HOST) + message("GET /2 HTTP/1.1", HOST))
    assert parser.next_event().target == "/1"
    parser.start_next_cycle()
    assert parser.next_event().target == "/2"


# -- end of input ----------------------------------------------------------------------


def test_eof_between_requests_is_a_clean_close() -> None:
    """RFC 9112 §9.6: a client closing after a complete exchange is the normal end."""
    parser = RequestParser()
    parser.feed(message(GET_1_1, HOST))
    drain(parser)
    parser.feed(b"")
    assert parser.next_event() is PAUSED
    parser.start_next_cycle()
    assert parser.next_event() == ConnectionClosed()
    assert parser.next_event() == ConnectionClosed()
    assert parser.state is ParserState.CLOSED
    assert parser.peer_closed


def test_eof_on_a_fresh_connection_is_a_clean_close() -> None:
    """A connection closed before any request is not an error."""
    assert parse(b"", eof=True) == [ConnectionClosed()]


def test_eof_after_an_ignored_empty_line_is_a_clean_close() -> None:
    """RFC 9112 §2.2: an ignored empty line starts no request (tapster's reading)."""
    assert parse(b"\r\n", eof=True) == [ConnectionClosed()]


@pytest.mark.parametrize("partial", [b"G", b"GET / HTTP/1.1", b"GET / HTTP/1.1\r\n",
                                     b"GET / HTTP/1.1\r\nHost: a\r\n", b"\r\nGET"])
def test_eof_inside_the_head_gets_400(partial: bytes) -> None:
    """RFC 9112 §8: a head cut short by the close is incomplete: refused, never served."""
    assert rejection(partial, eof=True).status == 400


def test_eof_inside_a_length_body_gets_400() -> None:
    """RFC 9112 §6.3: fewer octets than Content-Length: MUST be considered incomplete."""
    parser = RequestParser()
    parser.feed(message("POST / HTTP/1.1", HOST, "Content-Length: 5", body=b"ab"))
    assert [type(event) for event in drain(parser)] == [Request, Data]
    parser.feed(b"")
    with pytest.raises(RemoteProtocolError) as caught:
        parser.next_event()
    assert caught.value.status == 400


def test_unread_body_bytes() -> None:
    """What the server must still drain before it can read the next request."""
    parser = RequestParser()
    parser.feed(message("POST / HTTP/1.1", HOST, "Content-Length: 5", body=b"ab"))
    parser.next_event()
    assert parser.unread_body_bytes == 5
    parser.next_event()
    assert parser.unread_body_bytes == 3
    chunked = RequestParser()
    chunked.feed(message("POST / HTTP/1.1", HOST, "Transfer-Encoding: chunked"))
    chunked.next_event()
    assert chunked.unread_body_bytes is None


# -- errors are final: RFC 9112 §11.2 --------------------------------------------------


def test_after_an_error_every_call_raises_it_again() -> None:
    """RFC 9112 §11.2: after a framing error nothing more is parsed, ever."""
    parser = RequestParser()
    parser.feed(message(GET_1_1, "Host: a", "Host: b"))
    with pytest.raises(RemoteProtocolError) as first:
        parser.next_event()
    parser.feed(message(GET_1_1, HOST))
    for _ in range(3):
        with pytest.raises(RemoteProtocolError) as again:
            parser.next_event()
        assert again.value is first.value
    assert parser.state is ParserState.ERROR
    with pytest.raises(RuntimeError):
        parser.start_next_cycle()


def test_error_inside_a_body_is_final_too() -> None:
    """A bad chunk ends the connection's parsing; the bytes behind it are never a request."""
    parser = RequestParser()
    parser.feed(message("POST / HTTP/1.1", HOST, "Transfer-Encoding: chunked")
                + b"zz\r\n" + message(GET_1_1, HOST))
    parser.next_event()
    for _ in range(2):
        with pytest.raises(RemoteProtocolError):
            parser.next_event()
    parser.feed(b"")
    with pytest.raises(RemoteProtocolError):
        parser.next_event()


def test_error_carries_a_status_and_a_one_line_detail() -> None:
    """Errors say which status answers them and why, in one client-safe line."""
    error = rejection(message(GET_1_1))
    assert error.status == 400
    assert error.detail and "\n" not in error.detail
    assert str(error) == f"400 {error.detail}"


# -- the parsed-head memo must be invisible ----------------------------------------------


def test_shared_memo_gives_equal_requests_across_parsers() -> None:
    """Parsers with the same limits may share a memo: a repeated head parses the same."""
    memo: dict[str, Request] = {}
    data = message("POST /memo HTTP/1.1", HOST, "Content-Length: 3", body=b"abc")
    first, second = RequestParser(memo=memo), RequestParser(memo=memo)
    first.feed(data)
    second.feed(data)
    expected = normalised([parse_request(data), Data(b"abc"), EndOfMessage()])
    assert normalised(drain(first)) == normalised(drain(second)) == expected
    assert len(memo) == 1


def test_memo_hit_still_frames_the_body() -> None:
    """A head from the memo sets up its own body framing on each parser."""
    memo: dict[str, Request] = {}
    data = message("POST /memo HTTP/1.1", HOST, "Transfer-Encoding: chunked")
    for chunked, body in ((b"3\r\nabc\r\n0\r\n\r\n", b"abc"), (b"1\r\nx\r\n0\r\n\r\n", b"x")):
        parser = RequestParser(memo=memo)
        parser.feed(data + chunked)
        events = drain(parser)
        assert b"".join(e.data for e in events if isinstance(e, Data)) == body


def test_refused_heads_are_not_memoized() -> None:
    """An invalid head is refused every time, memo or not."""
    memo: dict[str, Request] = {}
    data = message(GET_1_1, "Host: a", "Host: b")
    for _ in range(2):
        parser = RequestParser(memo=memo)
        parser.feed(data)
        with pytest.raises(RemoteProtocolError):
            parser.next_event()
    assert memo == {}
