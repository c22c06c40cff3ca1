"""The response side: status line, fields, framing and persistence (RFC 9112 §4, §6, §9;
RFC 9110 §5.5, §6.6.1, §8.6, §15), as bytes."""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError
from typing import Any

import pytest

from tapster.http import (
    LAST_CHUNK,
    Framing,
    LocalProtocolError,
    ResponseHead,
    chunk_prefix,
    frame_response,
    http_date,
)
from tapster.http import response as response_module
from tapster.http.response import error_response

from .helpers import message, parse_body

SERVER = b"Server: tapster\r\n"
IMF_FIXDATE = (
    rb"Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov"
    rb"|Dec) \d{4} \d\d:\d\d:\d\d GMT\r\n"
)


def frame(
    status: str = "200 OK",
    headers: Any = (),
    *,
    method: str = "GET",
    http_version: str = "1.1",
    keep_alive: bool = True,
    body_length: int | None = None,
    server: bytes = b"",
) -> ResponseHead:
    return frame_response(
        status, list(headers), method=method, http_version=http_version,
        keep_alive=keep_alive, body_length=body_length, server=server,
    )


def fields(head: ResponseHead) -> list[tuple[str, str]]:
    """The head's field lines after the status line, as (lower name, value)."""
    text = head.data.decode("latin-1")
    assert text.endswith("\r\n\r\n")
    lines = text[:-4].split("\r\n")[1:]
    return [(name.lower(), value) for name, _, value in (line.partition(": ") for line in lines)]


def names(head: ResponseHead) -> list[str]:
    return [name for name, _ in fields(head)]


def values(head: ResponseHead, name: str) -> list[str]:
    return [value for field, value in fields(head) if field == name]


# -- the status line: RFC 9112 §4 ------------------------------------------------------


@pytest.mark.parametrize("status", ["200 OK", "404 Not Found", "299 ", "599 Custom Reason",
                                    "200 OK\tfine", "200 Caf\xe9", "200  two spaces"])
def test_status_line(status: str) -> None:
    """RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]."""
    head = frame(status)
    assert head.data.startswith(b"HTTP/1.1 " + status.encode("latin-1") + b"\r\n")
    assert head.status_code == int(status[:3])


@pytest.mark.parametrize(
    "status",
    ["200", "20 OK", "2000 OK", "abc OK", "099 Low", "000 Zero", " 200 OK", "+20 OK", "2.0 OK",
     "\uff12\uff10\uff10 OK", "200\tOK", ""],
)
def test_invalid_status_code_refused(status: str) -> None:
    """RFC 9112 §4: status-code = 3DIGIT (100-599 in RFC 9110 §15), then SP."""
    with pytest.raises(LocalProtocolError) as caught:
        frame(status)
    assert caught.value.status == 500


@pytest.mark.parametrize("reason", ["OK\r\nX-Injected: 1", "OK\n", "OK\r", "O\x00K", "O\x7fK",
                                    "O\x01K"])
def test_status_reason_cannot_split_the_response(reason: str) -> None:
    """RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ): no CR, LF or NUL."""
    with pytest.raises(LocalProtocolError):
        frame(f"200 {reason}")


def test_status_must_be_latin_1_str() -> None:
    """PEP 3333: the status is a native string of latin-1 characters."""
    with pytest.raises(LocalProtocolError):
        frame("200 \u2713")
    with pytest.raises(LocalProtocolError):
        frame(b"200 OK")  # type: ignore[arg-type]


def test_http_1_1_status_line_also_for_1_0_requests() -> None:
    """RFC 9110 §2.5: a server sends its highest version not above the request's major."""
    head = frame(http_version="1.0", body_length=0)
    assert head.data.startswith(b"HTTP/1.1 200 OK\r\n")


# -- fields: RFC 9110 §5 ---------------------------------------------------------------


def test_fields_kept_in_order_with_their_case() -> None:
    """RFC 9110 §5.3: field order is significant; names go out as the application wrote them."""
    head = frame(headers=[("X-B", "1"), ("content-type", "text/plain"), ("X-B", "2")],
                 body_length=0)
    assert b"X-B: 1\r\ncontent-type: text/plain\r\nX-B: 2\r\n" in head.data


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\rb", "a\nb", "a\x00b", "\r\n", "a\x0bb",
                                   "a\x7fb"])
def test_cr_lf_nul_in_value_refused(value: str) -> None:
    """RFC 9110 §5.5: CR, LF, NUL in a value are invalid and dangerous (response splitting)."""
    with pytest.raises(LocalProtocolError) as caught:
        frame(headers=[("X-A", value)])
    assert caught.value.status == 500


@pytest.mark.parametrize("name", ["X A", "X:A", "", "X\r\nY", "X\x00", "Caf\xe9", "X(A)", "X/A"])
def test_non_token_name_refused(name: str) -> None:
    """RFC 9110 §5.1: field-name = token."""
    with pytest.raises(LocalProtocolError):
        frame(headers=[(name, "v")])


@pytest.mark.parametrize("value", ["tab\tinside", "caf\xe9 \xff", "", "  spaced  "])
def test_values_with_htab_obs_text_or_nothing_pass(value: str) -> None:
    """RFC 9110 §5.5: HTAB, SP and obs-text are field content; an empty value is valid."""
    head = frame(headers=[("X-A", value)], body_length=0)
    assert b"X-A: " + value.encode("latin-1") + b"\r\n" in head.data


def test_non_latin_1_value_refused() -> None:
    """PEP 3333: header values are latin-1 strings; other text cannot be sent as is."""
    with pytest.raises(LocalProtocolError):
        frame(headers=[("X-A", "\u2713")])


@pytest.mark.parametrize("header", [(b"X-A", "v"), ("X-A", b"v"), ("X-A", 1), (None, "v")])
def test_non_str_name_or_value_refused(header: tuple[Any, Any]) -> None:
    """PEP 3333: names and values are native strings."""
    with pytest.raises(LocalProtocolError):
        frame(headers=[header])


# -- hop-by-hop fields are the server's (PEP 3333, RFC 9110 §7.6.1) ------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("Transfer-Encoding", "chunked"), ("transfer-encoding", "gzip"), ("Keep-Alive", "timeout=5"),
     ("Upgrade", "websocket"), ("TE", "trailers"), ("Trailer", "X-Sum"),
     ("Connection", "keep-alive"), ("Connection", "upgrade"), ("Proxy-Authenticate", "Basic"),
     ("Proxy-Connection", "keep-alive")],
)
def test_hop_by_hop_fields_from_the_application_refused(name: str, value: str) -> None:
    """PEP 3333 forbids them; a Transfer-Encoding would contradict the server's own framing."""
    with pytest.raises(LocalProtocolError):
        frame(headers=[(name, value)], body_length=3)


@pytest.mark.parametrize("version", ["1.1", "1.0"])
def test_connection_close_from_the_application_honoured(version: str) -> None:
    """RFC 9112 §9.6: a response saying "close" is the last: one Connection field, and we close."""
    head = frame(headers=[("Connection", "close")], http_version=version, body_length=3)
    assert head.keep_alive is False
    assert values(head, "connection") == ["close"]


# -- framing: RFC 9112 §6 --------------------------------------------------------------


def test_content_length_from_the_application() -> None:
    """RFC 9112 §6.2: the application's Content-Length frames the body."""
    head = frame(headers=[("Content-Length", "42")])
    assert (head.framing, head.content_length) == (Framing.LENGTH, 42)
    assert values(head, "content-length") == ["42"]
    assert "transfer-encoding" not in names(head)


def test_content_length_when_the_body_length_is_known() -> None:
    """RFC 9112 §6.2: a sender SHOULD send Content-Length when it knows the length."""
    head = frame(body_length=13)
    assert (head.framing, head.content_length) == (Framing.LENGTH, 13)
    assert values(head, "content-length") == ["13"]


def test_application_content_length_wins_over_the_body_length() -> None:
    """The declared length is what the client will read; the server enforces it on the body."""
    head = frame(headers=[("Content-Length", "5")], body_length=13)
    assert head.content_length == 5
    assert values(head, "content-length") == ["5"]


def test_identical_content_lengths_sent_once() -> None:
    """RFC 9110 §5.3: a sender MUST NOT generate two field lines for a singleton field."""
    head = frame(headers=[("Content-Length", "5"), ("content-length", "5")])
    assert values(head, "content-length") == ["5"]


@pytest.mark.parametrize("second", ["6", "05"])
def test_conflicting_content_lengths_refused(second: str) -> None:
    """RFC 9110 §8.6: one length per message."""
    with pytest.raises(LocalProtocolError):
        frame(headers=[("Content-Length", "5"), ("Content-Length", second)])


@pytest.mark.parametrize("value", ["-1", "abc", "", "1.5", "0x10", "\xb2", "1 0"])
def test_invalid_content_length_refused(value: str) -> None:
    """RFC 9110 §8.6: Content-Length = 1*DIGIT."""
    with pytest.raises(LocalProtocolError):
        frame(headers=[("Content-Length", value)])


def test_chunked_for_http_1_1_unknown_length() -> None:
    """RFC 9112 §6.1/§7.1: without a length, a 1.1 body is chunked; §6.2 then no Content-Length."""
    head = frame()
    assert head.framing is Framing.CHUNKED
    assert head.content_length is None
    assert values(head, "transfer-encoding") == ["chunked"]
    assert "content-length" not in names(head)
    assert head.keep_alive


def test_until_close_for_http_1_0_unknown_length() -> None:
    """RFC 9112 §6.1: a server MUST NOT send Transfer-Encoding to an HTTP/1.0 request."""
    head = frame(http_version="1.0", keep_alive=True)
    assert head.framing is Framing.UNTIL_CLOSE
    assert head.keep_alive is False
    assert "transfer-encoding" not in names(head)
    assert values(head, "connection") == ["close"]


def test_chunk_framing_round_trips_through_the_parser() -> None:
    """RFC 9112 §7.1: chunk_prefix() and LAST_CHUNK make a body our own parser decodes."""
    pieces = [b"hello", b" ", b"x" * 300]
    chunked = b"".join(chunk_prefix(len(piece)) + piece + b"\r\n" for piece in pieces) + LAST_CHUNK
    data = message("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", body=chunked)
    assert parse_body(data) == b"".join(pieces)
    assert chunk_prefix(255) == b"ff\r\n"
    assert LAST_CHUNK == b"0\r\n\r\n"


# -- responses without a body: RFC 9110 §9.3.2, §15.2, §15.3.5, §15.4.5 ---------------------


def test_head_keeps_the_fields_without_a_body() -> None:
    """RFC 9110 §9.3.2: HEAD gets the fields a GET would, and no content."""
    head = frame(headers=[("Content-Type", "text/html"), ("Content-Length", "1234")],
                 method="HEAD")
    assert head.framing is Framing.NO_BODY
    assert values(head, "content-length") == ["1234"]
    assert values(head, "content-type") == ["text/html"]


def test_head_gets_the_length_of_the_body_a_get_would_have() -> None:
    """RFC 9110 §9.3.2: the server SHOULD send the same fields as for GET."""
    head = frame(method="HEAD", body_length=1234)
    assert head.framing is Framing.NO_BODY
    assert values(head, "content-length") == ["1234"]


def test_head_with_unknown_length_has_no_framing_field() -> None:
    """No chunked coding on a message without a body; the connection stays usable."""
    head = frame(method="HEAD")
    assert head.framing is Framing.NO_BODY
    assert "transfer-encoding" not in names(head)
    assert "content-length" not in names(head)
    assert head.keep_alive


def test_head_with_an_empty_body_claims_no_length() -> None:
    """An application that skips the body for HEAD must not advertise Content-Length: 0."""
    assert "content-length" not in names(frame(method="HEAD", body_length=0))


@pytest.mark.parametrize("status", ["100 Continue", "103 Early Hints", "204 No Content",
                                    "304 Not Modified"])
def test_no_body_framing_for_1xx_204_304(status: str) -> None:
    """RFC 9110 §15.2, §15.3.5, §15.4.5: these responses end with their header section."""
    head = frame(status)
    assert head.framing is Framing.NO_BODY
    assert "transfer-encoding" not in names(head)
    assert head.keep_alive


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("status", ["100 Continue", "204 No Content"])
def test_no_content_length_on_1xx_or_204(status: str, method: str) -> None:
    """RFC 9110 §8.6: a server MUST NOT send Content-Length in a 1xx or 204 response."""
    head = frame(status, [("Content-Length", "5")], method=method, body_length=5)
    assert "content-length" not in names(head)
    head = frame(status, method=method, body_length=5)
    assert "content-length" not in names(head)


@pytest.mark.parametrize("status", ["100 Continue", "204 No Content"])
def test_no_transfer_encoding_on_1xx_or_204(status: str) -> None:
    """RFC 9112 §6.1: a server MUST NOT send Transfer-Encoding in a 1xx or 204 response."""
    assert "transfer-encoding" not in names(frame(status))


def test_304_to_head_gets_no_inferred_length() -> None:
    """RFC 9110 §8.6: Content-Length on a 304 only if it is the 200's length, never inferred."""
    head = frame("304 Not Modified", method="HEAD", body_length=7)
    assert "content-length" not in names(head)


def test_304_keeps_a_declared_length() -> None:
    """RFC 9110 §8.6: a server MAY send the 200's Content-Length in a 304."""
    head = frame("304 Not Modified", [("Content-Length", "1234")])
    assert values(head, "content-length") == ["1234"]
    assert head.framing is Framing.NO_BODY


# -- persistence: RFC 9112 §9 ----------------------------------------------------------


def test_close_announced_when_not_keeping_alive() -> None:
    """RFC 9112 §9.6: a server that will close SHOULD send "close"; then it MUST close."""
    head = frame(keep_alive=False, body_length=0)
    assert values(head, "connection") == ["close"]
    assert head.keep_alive is False


def test_no_connection_field_for_1_1_keep_alive() -> None:
    """RFC 9112 §9.3: HTTP/1.1 persists by default; nothing to say."""
    assert "connection" not in names(frame(body_length=0))


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_http_1_0_keep_alive_is_announced(method: str) -> None:
    """RFC 9112 §9.3 and Appendix C.2.2: a 1.0 client keeps the connection only when told."""
    head = frame(http_version="1.0", method=method, body_length=3)
    assert values(head, "connection") == ["keep-alive"]
    assert head.keep_alive


# -- Date and Server -------------------------------------------------------------------


def test_date_added_once_in_imf_fixdate() -> None:
    """RFC 9110 §6.6.1: an origin server with a clock MUST send Date (§5.6.7: IMF-fixdate)."""
    head = frame(body_length=0)
    assert len(values(head, "date")) == 1
    assert re.search(IMF_FIXDATE, head.data)
    assert re.fullmatch(IMF_FIXDATE, http_date())


def test_application_date_not_doubled() -> None:
    """RFC 9110 §5.3: one Date field; the application's is kept."""
    head = frame(headers=[("Date", "Sun, 06 Nov 1994 08:49:37 GMT")], body_length=0)
    assert values(head, "date") == ["Sun, 06 Nov 1994 08:49:37 GMT"]


def test_server_added_once() -> None:
    """The server's Server line is added unless the application sent its own."""
    assert values(frame(body_length=0, server=SERVER), "server") == ["tapster"]
    head = frame(headers=[("Server", "app")], body_length=0, server=SERVER)
    assert values(head, "server") == ["app"]
    assert "server" not in names(frame(body_length=0))


# -- the memo must be invisible --------------------------------------------------------


def test_memoized_heads_get_a_fresh_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """Framing is memoized, but the Date line is spliced in for each response."""
    monkeypatch.setattr(response_module.time, "time", lambda: 784111777.0)
    first = frame(headers=[("X-Memo", "date")], body_length=1)
    monkeypatch.setattr(response_module.time, "time", lambda: 784111777.0 + 86400)
    second = frame(headers=[("X-Memo", "date")], body_length=1)
    assert values(first, "date") == ["Sun, 06 Nov 1994 08:49:37 GMT"]
    assert values(second, "date") == ["Mon, 07 Nov 1994 08:49:37 GMT"]


def test_memoized_heads_cannot_be_changed_by_a_caller() -> None:
    """A memoized ResponseHead is shared between responses, so it is frozen."""
    head = frame(headers=[("X-Memo", "objects")], body_length=1)
    with pytest.raises(FrozenInstanceError):
        head.keep_alive = False  # type: ignore[misc]
    assert frame(headers=[("X-Memo", "objects")], body_length=1).keep_alive is True


def test_invalid_heads_are_refused_every_time() -> None:
    """Errors are never memoized into successes."""
    for _ in range(2):
        with pytest.raises(LocalProtocolError):
            frame(headers=[("X-Memo", "bad\r\n")])


def test_headers_from_an_iterator_are_all_sent() -> None:
    """frame_response() takes any iterable; an iterator was once consumed by the memo key."""
    head = frame_response("200 OK", iter([("X-Iter", "1"), ("X-Iter", "2")]), method="GET",
                          http_version="1.1", keep_alive=True, body_length=0)
    assert values(head, "x-iter") == ["1", "2"]


def test_unhashable_headers_still_framed() -> None:
    """Headers as lists (not tuples) cannot key the memo but are framed all the same."""
    head = frame(headers=[["X-List", "1"]], body_length=0)
    assert values(head, "x-list") == ["1"]


def test_head_and_get_memoized_apart() -> None:
    """The memo keys on whether the method is HEAD: their framing differs."""
    assert frame(headers=[("X-Memo", "m")]).framing is Framing.CHUNKED
    assert frame(headers=[("X-Memo", "m")], method="HEAD").framing is Framing.NO_BODY


# -- the server's own error responses --------------------------------------------------


@pytest.mark.parametrize(("status", "reason"), [(400, b"Bad Request"), (431,
                         b"Request Header Fields Too Large"), (505, b"HTTP Version Not Supported"),
                         (499, b"Error")])
def test_error_response(status: int, reason: bytes) -> None:
    """A complete, length-framed response that closes: RFC 9112 §9.6, §6.2."""
    data = error_response(status, "what went wrong \u2013 here", SERVER)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status + reason + b"\r\n")
    assert re.search(IMF_FIXDATE, data)
    assert b"\r\nServer: tapster\r\n" in data
    assert b"\r\nConnection: close" in head
    assert body == "what went wrong \u2013 here\n".encode()
    assert b"\r\nContent-Length: %d" % len(body) in head
