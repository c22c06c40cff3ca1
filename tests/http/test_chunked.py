"""The chunked transfer coding of request bodies (RFC 9112 §7.1)."""

from __future__ import annotations

import pytest

from tapster.http import EndOfMessage, RemoteProtocolError, Request, RequestParser, limits

from .helpers import drain, feed_pieces, message, parse, parse_body, rejection

HEAD = message("POST /upload HTTP/1.1", "Host: example.com", "Transfer-Encoding: chunked")


def body_of(chunked: bytes, **parser_limits: int) -> bytes:
    return parse_body(HEAD + chunked, **parser_limits)


def refused(chunked: bytes, **parser_limits: int) -> int:
    return rejection(HEAD + chunked, **parser_limits).status


def test_chunks_decoded() -> None:
    """RFC 9112 §7.1: a recipient MUST be able to parse and decode the chunked coding."""
    assert body_of(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n") == b"hello world"


def test_empty_chunked_body() -> None:
    """RFC 9112 §7.1: last-chunk alone is an empty body."""
    assert body_of(b"0\r\n\r\n") == b""


@pytest.mark.parametrize("size", [b"a", b"A", b"0a", b"00000A"])
def test_chunk_size_is_hex_either_case(size: bytes) -> None:
    """RFC 9112 §7.1: chunk-size = 1*HEXDIG (RFC 5234: HEXDIG letters are case-insensitive)."""
    assert body_of(size + b"\r\n0123456789\r\n0\r\n\r\n") == b"0123456789"


@pytest.mark.parametrize(
    "size", [b"0x5", b"+5", b"-5", b"5_0", b" 5", b"\t5", b"", b"g", b"5 ", b"5\t", b"\xb5",
             b"5.0", b"0X5", b"5\x00"]
)
def test_chunk_size_only_hex_digits(size: bytes) -> None:
    """RFC 9112 §7.1: chunk-size = 1*HEXDIG, nothing before it, nothing but extensions after."""
    assert refused(size + b"\r\nhello\r\n0\r\n\r\n") == 400


def test_chunk_size_digit_cap() -> None:
    """RFC 9112 §7.1: recipients MUST prevent integer overflow in chunk-size (digits capped)."""
    digits = limits.MAX_CHUNK_SIZE_DIGITS
    assert body_of(b"0" * (digits - 1) + b"5\r\nhello\r\n0\r\n\r\n") == b"hello"
    assert refused(b"0" * digits + b"5\r\nhello\r\n0\r\n\r\n") == 400
    assert refused(b"f" * (digits + 1) + b"\r\n") == 400


def test_chunk_size_over_body_limit_gets_413_before_the_data() -> None:
    """RFC 9110 §15.5.14: 413 as soon as the declared chunks exceed the body limit."""
    assert refused(b"64\r\n", max_body_bytes=99) == 413


def test_chunked_body_limit_counts_all_chunks() -> None:
    """The limit is on the whole body, not on each chunk."""
    chunks = b"32\r\n" + b"x" * 50 + b"\r\n"
    assert body_of(chunks * 2 + b"0\r\n\r\n", max_body_bytes=100) == b"x" * 100
    assert refused(chunks * 2 + b"1\r\n", max_body_bytes=100) == 413


@pytest.mark.parametrize(
    "extension",
    [b";name", b";name=value", b" ; name = value", b"\t;\tname\t=\tvalue", b";a;b=1;c",
     b';name="quoted value"', b';name="with \\" escaped quote"', b';name="a;b=c"', b';n=""',
     b';name="obs-text \xe9"'],
)
def test_chunk_extensions_ignored(extension: bytes) -> None:
    """RFC 9112 §7.1.1: a recipient MUST ignore unrecognized chunk extensions."""
    assert body_of(b"5" + extension + b"\r\nhello\r\n0" + extension + b"\r\n\r\n") == b"hello"


@pytest.mark.parametrize(
    "extension",
    [b";", b";;", b"; ", b";=v", b";a=", b";a=b c", b';a="unterminated', b';a="x"y',
     b";a=\x00", b";a b", b";\xe9", b';a="ctl\x01"', b"junk"],
)
def test_malformed_chunk_extension_gets_400(extension: bytes) -> None:
    """RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )."""
    assert refused(b"5" + extension + b"\r\nhello\r\n0\r\n\r\n") == 400


def test_chunk_line_cap() -> None:
    """RFC 9112 §7.1.1: a server ought to limit the length of chunk extensions (4xx beyond)."""
    line = b"5;" + b"e" * 48  # 50 octets
    assert body_of(line + b"\r\nhello\r\n0\r\n\r\n", max_chunk_line=50) == b"hello"
    assert refused(line + b"e\r\nhello\r\n0\r\n\r\n", max_chunk_line=50) == 400


def test_chunk_line_cap_while_the_line_is_incomplete() -> None:
    """An endless chunk line is refused once it passes the cap, not when it ends."""
    assert refused(b"5;" + b"e" * 60, max_chunk_line=50) == 400


@pytest.mark.parametrize("cut", range(1, 3))
def test_chunk_line_at_the_cap_accepted_whatever_the_split(cut: int) -> None:
    """A line of exactly max_chunk_line octets whose CRLF arrives late is no longer refused."""
    chunked = b"5;" + b"e" * 48 + b"\r\nhello\r\n0\r\n\r\n"
    split = 50 + cut
    parser = RequestParser(max_chunk_line=50)
    events = feed_pieces(parser, [HEAD + chunked[:split], chunked[split:]])
    assert events[-1] == EndOfMessage()


@pytest.mark.parametrize(
    "chunked",
    [b"5\r\nhelloX\r\n0\r\n\r\n", b"5\r\nhello\n0\r\n\r\n", b"5\r\nhello\r0\r\n\r\n",
     b"5\r\nhello0\r\n\r\n", b"5\r\nhell\r\n0\r\n\r\n\r\n"],
)
def test_exact_crlf_after_chunk_data(chunked: bytes) -> None:
    """RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF, exactly."""
    assert refused(chunked) == 400


@pytest.mark.parametrize("chunked", [b"5\nhello\r\n0\r\n\r\n", b"5\r\nhello\r\n0\n\r\n"])
def test_bare_lf_after_chunk_size_gets_400(chunked: bytes) -> None:
    """RFC 9112 §2.2: tapster takes no bare LF as a line end, in the body framing either."""
    assert refused(chunked) == 400


@pytest.mark.parametrize("partial", [b"5\r5", b"5;a\rb", b"0\r\nX-A: a\rb", b"0\r\nX-A: a\r\n\r\r"])
def test_bare_cr_in_an_unfinished_chunk_line_or_trailer_gets_400(partial: bytes) -> None:
    """RFC 9112 §2.2: refused as soon as the octet after the CR arrives, however fed."""
    assert rejection(HEAD + partial).status == 400
    parser = RequestParser()
    with pytest.raises(RemoteProtocolError) as caught:
        feed_pieces(parser, [HEAD] + [partial[index : index + 1] for index in range(len(partial))])
    assert caught.value.status == 400


def test_chunk_data_crlf_checked_octet_by_octet() -> None:
    """A wrong octet after the data is refused even when it arrives alone."""
    parser = RequestParser()
    feed_pieces(parser, [HEAD, b"5\r\nhello"])
    parser.feed(b"X")
    with pytest.raises(RemoteProtocolError) as caught:
        drain(parser)
    assert caught.value.status == 400


# -- trailers: RFC 9112 §7.1.2 ---------------------------------------------------------


def test_trailers_validated_and_dropped() -> None:
    """RFC 9110 §6.5.1: a recipient MUST NOT merge trailers into the header section."""
    events = parse(HEAD + b"5\r\nhello\r\n0\r\nX-Checksum: abc\r\nContent-Length: 99\r\n"
                   b"Host: evil.example\r\n\r\n")
    request = events[0]
    assert isinstance(request, Request)
    assert request.host == "example.com"
    assert [name for name, _ in request.headers] == ["host", "transfer-encoding"]
    assert events[-1] == EndOfMessage()
    assert len(events) == 3  # Request, one Data, EndOfMessage: trailers produce nothing


@pytest.mark.parametrize(
    "trailer",
    [b"X Y: z", b"X-A : z", b": z", b"X-A: a\x00b", b"X-A: a\x01b", b"X-A: a\rb", b" X-A: folded",
     b"X-A: ok\r\n folded", b"No-Colon"],
)
def test_invalid_trailer_gets_400(trailer: bytes) -> None:
    """RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ); field lines as in §5."""
    assert refused(b"0\r\n" + trailer + b"\r\n\r\n") == 400


def test_trailer_without_colon_refused_even_for_a_known_name() -> None:
    """RFC 9112 §5: the colon check once skipped names already cached."""
    parse(HEAD + b"0\r\nX-Known-Trailer: 1\r\n\r\n")
    assert refused(b"0\r\nX-Known-Trailer\r\n\r\n") == 400


@pytest.mark.parametrize("trailers", [b"X-A: b\n\n", b"X-A: b\n\r\n", b"\n"])
def test_trailers_ended_by_bare_lf_get_400(trailers: bytes) -> None:
    """RFC 9112 §2.2: bare LF line ends are refused in the trailer section too."""
    assert refused(b"0\r\n" + trailers) == 400


def test_trailer_section_cap() -> None:
    """Trailers are bounded like the header section: 431 beyond max_trailer_bytes."""
    trailers = b"X-A: " + b"t" * 45  # 50 octets
    assert body_of(b"0\r\n" + trailers + b"\r\n\r\n", max_trailer_bytes=50) == b""
    assert refused(b"0\r\n" + trailers + b"t\r\n\r\n", max_trailer_bytes=50) == 431
    assert refused(b"0\r\n" + trailers + b"t" * 10, max_trailer_bytes=50) == 431


@pytest.mark.parametrize("cut", range(1, 4))
def test_trailer_section_at_the_cap_accepted_whatever_the_split(cut: int) -> None:
    """A trailer section of exactly max_trailer_bytes whose CRLFCRLF arrives late is accepted."""
    chunked = b"0\r\nX-A: " + b"t" * 45 + b"\r\n\r\n"
    parser = RequestParser(max_trailer_bytes=50)
    events = feed_pieces(parser, [HEAD + chunked[:-cut], chunked[-cut:]])
    assert events[-1] == EndOfMessage()


@pytest.mark.parametrize(
    "partial", [b"5\r\nhel", b"5\r\nhello", b"5\r\nhello\r", b"5\r\nhello\r\n", b"5", b"0\r\n",
                b"0\r\nX-A: b\r\n", b"0\r\n\r"]
)
def test_eof_inside_chunked_body_gets_400(partial: bytes) -> None:
    """RFC 9112 §8: a message cut short by the connection closing is incomplete."""
    assert rejection(HEAD + partial, eof=True).status == 400


def test_chunked_body_in_one_octet_pieces() -> None:
    """Framing does not depend on how the bytes arrive."""
    chunked = b"5;e=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"
    parser = RequestParser()
    events = feed_pieces(parser, [HEAD] + [bytes([octet]) for octet in chunked])
    assert b"".join(event.data for event in events[1:-1]) == b"hello world"
    assert events[-1] == EndOfMessage()
