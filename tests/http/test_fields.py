"""Field lines (RFC 9112 §5, RFC 9110 §5) and the Host field (RFC 9112 §3.2, RFC 9110 §7.2)."""

from __future__ import annotations

import pytest

from tapster.http import RemoteProtocolError, RequestParser

from .helpers import drain, message, parse, parse_request, rejection

LINE = "GET / HTTP/1.1"
HOST = "Host: example.com"


def headers_of(*fields: str) -> list[tuple[str, str]]:
    return parse_request(message(LINE, HOST, *fields)).headers[1:]


# -- names and values ------------------------------------------------------------------


def test_names_lower_cased_order_and_duplicates_kept() -> None:
    """RFC 9110 §5.1 names are case-insensitive; §5.3 the order of field lines is significant."""
    assert headers_of("X-B: 1", "x-a: 2", "X-B: 3", "ACCEPT: */*") == [
        ("x-b", "1"), ("x-a", "2"), ("x-b", "3"), ("accept", "*/*"),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("X: value", "value"),
        ("X:value", "value"),
        ("X: \t value \t ", "value"),
        ("X: inner  space\tand tab", "inner  space\tand tab"),
        ("X:", ""),
        ("X:   ", ""),
    ],
)
def test_values_trimmed_of_optional_whitespace(field: str, value: str) -> None:
    """RFC 9112 §5: OWS around a field value is not part of it (RFC 9110 §5.5)."""
    assert headers_of(field) == [("x", value)]


def test_only_sp_and_htab_are_trimmed() -> None:
    """RFC 9110 §5.6.3: OWS is SP / HTAB; a no-break space (obs-text) is content."""
    assert headers_of("X: \xa0a\xa0") == [("x", "\xa0a\xa0")]


def test_obs_text_kept_as_latin_1() -> None:
    """RFC 9110 §5.5: obs-text (%x80-FF) is allowed in values and reaches the app unchanged."""
    [(_, value)] = headers_of("X-Name: caf\xe9 \xff\x80")
    assert value.encode("latin-1") == b"caf\xe9 \xff\x80"


@pytest.mark.parametrize(
    "field", ["X Y: z", "X@Y: z", "X(Y): z", "X\xe9: z", "X/Y: z", "X\"Y: z", "X\x00: z",
              "X\x7f: z", "X=Y: z", "[X]: z"]
)
def test_field_name_must_be_a_token(field: str) -> None:
    """RFC 9112 §5: field-name = token (RFC 9110 §5.1); anything else makes the head invalid."""
    assert rejection(message(LINE, HOST, field)).status == 400


def test_empty_field_name_gets_400() -> None:
    """RFC 9112 §5: field-name = token, at least one tchar."""
    assert rejection(message(LINE, HOST, ": value")).status == 400


def test_field_line_without_colon_gets_400() -> None:
    """RFC 9112 §5: field-line = field-name ":" OWS field-value OWS."""
    assert rejection(message(LINE, HOST, "X-No-Colon-Here")).status == 400


@pytest.mark.parametrize("name", ["Host", "X-Seen-Before"])
def test_field_line_without_colon_refused_even_for_a_known_name(name: str) -> None:
    """RFC 9112 §5: the colon is required, also after the name was cached by an earlier head."""
    others = [] if name == "Host" else [HOST]
    parse_request(message(LINE, *others, f"{name}: primed"))  # the name is now cached
    assert rejection(message(LINE, *others, name)).status == 400


@pytest.mark.parametrize("field", ["Host : example.com", "Host\t: example.com", "X-A  : b"])
def test_whitespace_before_colon_gets_400(field: str) -> None:
    """RFC 9112 §5.1: a server MUST reject whitespace between field name and colon with 400."""
    lines = [LINE, field] if field.startswith("Host") else [LINE, HOST, field]
    assert rejection(message(*lines)).status == 400


@pytest.mark.parametrize("fold", [" folded", "\tfolded", "   "])
def test_obs_fold_gets_400(fold: str) -> None:
    """RFC 9112 §5.2: a server MUST reject obs-fold with 400 or replace it by SP; we reject."""
    assert rejection(message(LINE, HOST, "X-A: start", fold)).status == 400


@pytest.mark.parametrize("first", [" Host: example.com", "\tX-A: b", " "])
def test_whitespace_led_first_field_line_gets_400(first: str) -> None:
    """RFC 9112 §2.2: whitespace between the start-line and the first field: reject (MUST)."""
    assert rejection(message(LINE, first, HOST)).status == 400


@pytest.mark.parametrize("octet", ["\x00", "\r", "\n"])
def test_cr_lf_nul_in_value_get_400(octet: str) -> None:
    """RFC 9110 §5.5: CR, LF or NUL in a value: a recipient MUST reject or replace; we reject."""
    assert rejection(message(LINE, HOST, f"X-A: a{octet}b")).status == 400


@pytest.mark.parametrize("octet", ["\x00", "\r", "\n"])
def test_cr_lf_nul_at_value_edges_get_400(octet: str) -> None:
    """RFC 9110 §5.5: trimming OWS must not hide a CR, LF or NUL at either end of a value."""
    assert rejection(message(LINE, HOST, f"X-A: {octet}b")).status == 400
    assert rejection(message(LINE, HOST, f"X-A: b{octet}")).status == 400


@pytest.mark.parametrize("octet", ["\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"])
def test_other_controls_in_value_get_400(octet: str) -> None:
    """RFC 9110 §5.5: field-content is VCHAR, SP, HTAB and obs-text; other CTLs are invalid."""
    assert rejection(message(LINE, HOST, f"X-A: a{octet}b")).status == 400


def test_nul_error_says_nul() -> None:
    """The detail names the problem (it becomes the 400's body)."""
    assert "NUL" in rejection(message(LINE, HOST, "X-A: a\x00b")).detail


def test_bare_cr_ending_a_field_line_gets_400() -> None:
    """RFC 9112 §2.2: a bare CR is invalid anywhere in the head."""
    assert rejection(b"GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n").status == 400


def test_bare_lf_between_field_lines_gets_400() -> None:
    """RFC 9112 §2.2: tapster refuses bare LF line ends (a MAY it declines)."""
    assert rejection(b"GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n").status == 400


# -- Host: RFC 9112 §3.2 ---------------------------------------------------------------


def test_host_missing_in_1_1_gets_400() -> None:
    """RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request lacking Host."""
    assert rejection(message(LINE, "X-A: b")).status == 400


def test_host_optional_in_1_0() -> None:
    """RFC 9112 §3.2: the Host requirement is HTTP/1.1's; a 1.0 request may omit it."""
    assert parse_request(message("GET / HTTP/1.0")).host is None


@pytest.mark.parametrize("version", ["HTTP/1.1", "HTTP/1.0"])
def test_two_host_lines_get_400(version: str) -> None:
    """RFC 9112 §3.2: MUST 400 for any request with more than one Host field line."""
    assert rejection(message(f"GET / {version}", "Host: a", "Host: a")).status == 400


@pytest.mark.parametrize(
    "value",
    ["a b", "a,b c", "user@a", "a/b", "a:b", "a:80:90", "[::1", "::1]", "a?b", "a#b", "a\\b",
     "\xe9xample.com", "a\"b", "a<b"],
)
def test_invalid_host_gets_400(value: str) -> None:
    """RFC 9112 §3.2: MUST 400 for a Host field with an invalid value (RFC 9110 §7.2)."""
    assert rejection(message(LINE, f"Host: {value}")).status == 400


@pytest.mark.parametrize(
    "value", ["example.com", "example.com:8080", "127.0.0.1", "[::1]", "[::1]:443", "a.b-c_d~e",
              "xn--caf-dma.example", "localhost:", "%41"]
)
def test_valid_host_forms(value: str) -> None:
    """RFC 9110 §7.2: Host = uri-host [ ":" port ] (RFC 3986 §3.2.2)."""
    assert parse_request(message(LINE, f"Host: {value}")).host == value


def test_empty_host_accepted() -> None:
    """RFC 9110 §7.2: a URI without an authority gives an empty Host, which is valid."""
    assert parse_request(message(LINE, "Host:")).host == ""


def test_host_field_name_case_insensitive() -> None:
    """RFC 9110 §5.1: "HOST" is Host."""
    assert parse_request(message(LINE, "HOST: example.com")).host == "example.com"


def test_host_twice_in_different_case_gets_400() -> None:
    """RFC 9112 §3.2: two Host lines are two, whatever their case."""
    assert rejection(message(LINE, "Host: a", "host: a")).status == 400


def test_invalid_host_refused_even_with_absolute_form() -> None:
    """RFC 9112 §3.2: an invalid Host gets 400, even where the target would replace it."""
    assert rejection(message("GET http://a/ HTTP/1.1", "Host: a b")).status == 400


# -- the parser shares caches across connections; they must not change verdicts ----------


def test_cached_names_and_hosts_do_not_change_verdicts() -> None:
    """Caches of names and hosts seen are global: a parser's verdict must not depend on them."""
    good = message(LINE, "Host: cache.example", "X-Cached: 1")
    for _ in range(2):
        parser = RequestParser()
        parser.feed(good)
        assert drain(parser)[0].host == "cache.example"
    assert rejection(message(LINE, "Host: cache.example", "X-Cached : 1")).status == 400
    assert rejection(message(LINE, "Host: cache.example", "Host: cache.example")).status == 400


def test_header_section_is_all_or_nothing() -> None:
    """Invariant of the parser: no Request event exists for a head it would refuse."""
    events = []
    parser = RequestParser()
    parser.feed(message(LINE, HOST, "X-A: ok", "X-B: bad\x00"))
    with pytest.raises(RemoteProtocolError):
        events += drain(parser)
    assert events == []
    assert parse(message(LINE, HOST, "X-A: ok"))[0].headers[-1] == ("x-a", "ok")
