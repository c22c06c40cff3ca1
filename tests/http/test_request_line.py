"""The request line (RFC 9112 §2.2, §2.3, §3) and the request-target forms (§3.2)."""

from __future__ import annotations

import pytest

from tapster.http import RemoteProtocolError, Request, RequestParser, limits

from .helpers import feed_pieces, message, parse, parse_request, rejection

HOST = "Host: example.com"


# -- RFC 9112 §3: request-line = method SP request-target SP HTTP-version --------------


def test_request_line_parts() -> None:
    """RFC 9112 §3: method, target and version, one SP apart."""
    request = parse_request(message("GET /where?q=now HTTP/1.1", HOST))
    assert request.method == "GET"
    assert request.target == "/where?q=now"
    assert request.http_version == "1.1"


@pytest.mark.parametrize(
    "line",
    [
        "GET  / HTTP/1.1",  # two SP after the method
        "GET /  HTTP/1.1",  # two SP before the version
        "GET  HTTP/1.1",  # no target: two SP in a row
        " GET / HTTP/1.1",  # leading SP
        "GET / HTTP/1.1 ",  # trailing SP
        "GET\t/\tHTTP/1.1",  # HTAB is not SP
        "GET /",  # no version (HTTP/0.9 style)
        "GET",
        "GET / HTTP/1.1 extra",
    ],
)
def test_request_line_needs_single_spaces(line: str) -> None:
    """RFC 9112 §3: each element separated by a single SP; an invalid line gets 400."""
    assert rejection(message(line, HOST)).status == 400


def test_empty_target_is_refused_not_a_crash() -> None:
    """RFC 9112 §3: request-target is not empty; "GET  HTTP/1.1" once raised IndexError."""
    error = rejection(b"GET  HTTP/1.1\r\nHost: a\r\n\r\n")
    assert error.status == 400


# -- RFC 9110 §9.1: the method is a case-sensitive token ----------------------------


@pytest.mark.parametrize(
    "method", ["GET", "get", "Get", "PROPFIND", "M-SEARCH", "X_Y!#$%&'*+.^`|~9"]
)
def test_method_token_kept_as_sent(method: str) -> None:
    """RFC 9110 §9.1: methods are case-sensitive tokens; the parser keeps them as sent."""
    assert parse_request(message(f"{method} / HTTP/1.1", HOST)).method == method


@pytest.mark.parametrize(
    "method", ["GE(T", "GE:T", "GE\"T", "G\xc9T", "GE\x00T", "GE\x7fT", "GE,T"]
)
def test_method_must_be_a_token(method: str) -> None:
    """RFC 9112 §3.1: method = token; anything else makes the request line invalid (400)."""
    assert rejection(message(f"{method} / HTTP/1.1", HOST)).status == 400


# -- RFC 9112 §2.3 and RFC 9110 §2.5: the version ---------------------------------------


@pytest.mark.parametrize(("version", "seen"), [("HTTP/1.1", "1.1"), ("HTTP/1.0", "1.0")])
def test_http_1_0_and_1_1_accepted(version: str, seen: str) -> None:
    """RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT; both 1.x versions served."""
    assert parse_request(message(f"GET / {version}", HOST)).http_version == seen


@pytest.mark.parametrize("version", ["HTTP/1.2", "HTTP/1.9"])
def test_later_minor_version_treated_as_1_1(version: str) -> None:
    """RFC 9110 §2.5: a higher minor version of HTTP/1 is processed as the highest we implement."""
    request = parse_request(message(f"GET / {version}", HOST))
    assert request.http_version == "1.1"
    assert request.keep_alive


def test_later_minor_version_needs_host_like_1_1() -> None:
    """RFC 9112 §3.2 via RFC 9110 §2.5: treated as 1.1, so Host is required (400)."""
    assert rejection(message("GET / HTTP/1.2")).status == 400


@pytest.mark.parametrize("version", ["HTTP/2.0", "HTTP/3.0", "HTTP/0.9", "HTTP/9.9"])
def test_other_major_versions_get_505(version: str) -> None:
    """RFC 9110 §15.6.6: 505 refuses a major version we do not serve."""
    assert rejection(message(f"GET / {version}", HOST)).status == 505


@pytest.mark.parametrize(
    "version",
    ["http/1.1", "Http/1.1", "HTTP/1", "HTTP/1.1.1", "HTTP/11", "HTTP/1.a", "HTTPS/1.1",
     "HTTP/1.10", "HTTP-1.1", "HTTP/ 1.1", "1.1", "HTTP/\xb91.1"],
)
def test_garbage_version_gets_400(version: str) -> None:
    """RFC 9112 §2.3: HTTP-name is case-sensitive and the version exactly DIGIT "." DIGIT."""
    assert rejection(message(f"GET / {version}", HOST)).status == 400


# -- RFC 9112 §3.2: request-target forms ------------------------------------------------


def test_origin_form_split_into_path_and_query() -> None:
    """RFC 9112 §3.2.1: origin-form = absolute-path [ "?" query ]; nothing decoded."""
    request = parse_request(message("GET /a%20b/c?x=1&y=%2F?z HTTP/1.1", HOST))
    assert (request.path, request.query) == ("/a%20b/c", "x=1&y=%2F?z")
    assert not request.absolute_form
    assert request.host == "example.com"


def test_origin_form_without_query() -> None:
    """RFC 9112 §3.2.1: without "?" the query is empty."""
    request = parse_request(message("GET /only/path HTTP/1.1", HOST))
    assert (request.path, request.query) == ("/only/path", "")


def test_raw_utf8_target_kept_octet_for_octet() -> None:
    """RFC 9112 §2.2: parse octets as a superset of US-ASCII; obs-text survives as latin-1."""
    request = parse_request(b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert request.target.encode("latin-1") == b"/caf\xc3\xa9"


@pytest.mark.parametrize(
    "target", ["/a b", "/a\tb", "/a\x00b", "/a\x01b", "/a\x7fb", "/a\x1bb", "/a\rb"]
)
def test_whitespace_or_control_in_target_gets_400(target: str) -> None:
    """RFC 9112 §3.2: request-target holds no whitespace or CTL; an invalid line gets 400."""
    assert rejection(message(f"GET {target} HTTP/1.1", HOST)).status == 400


@pytest.mark.parametrize("target", ["/page#frag", "http://example.com/page#frag"])
def test_fragment_in_target_gets_400(target: str) -> None:
    """RFC 9112 §3.2.1, §3.2.2: neither origin-form nor absolute-URI has a fragment."""
    assert rejection(message(f"GET {target} HTTP/1.1", HOST)).status == 400


@pytest.mark.parametrize("target", ["example.com", "a/b", "?x", "http:/x", "mailto:a@b"])
def test_target_in_no_known_form_gets_400(target: str) -> None:
    """RFC 9112 §3.2: a target that is none of the four forms is invalid."""
    assert rejection(message(f"GET {target} HTTP/1.1", HOST)).status == 400


def test_absolute_form_accepted_and_split() -> None:
    """RFC 9112 §3.2.2: a server MUST accept the absolute-form in requests."""
    request = parse_request(message("GET http://example.org:8080/p/q?x=1 HTTP/1.1", HOST))
    assert request.absolute_form
    assert request.target == "http://example.org:8080/p/q?x=1"
    assert (request.path, request.query) == ("/p/q", "x=1")


def test_absolute_form_authority_replaces_host() -> None:
    """RFC 9112 §3.2.2: an origin server MUST ignore Host and use the target's authority."""
    request = parse_request(message("GET http://target.example/ HTTP/1.1", "Host: other.example"))
    assert request.host == "target.example"
    assert ("host", "other.example") in request.headers  # still visible, just not used


@pytest.mark.parametrize(
    ("target", "path", "query"),
    [("https://a.example", "/", ""), ("HTTP://a.example?x", "/", "x"),
     ("http://[::1]:80/p", "/p", "")],
)
def test_absolute_form_variants(target: str, path: str, query: str) -> None:
    """RFC 9112 §3.2.2: scheme case-insensitive, empty path means "/", IP literals allowed."""
    request = parse_request(message(f"GET {target} HTTP/1.1", HOST))
    assert (request.path, request.query) == (path, query)


def test_absolute_form_still_needs_host_in_1_1() -> None:
    """RFC 9112 §3.2: any HTTP/1.1 request lacking Host gets 400, absolute-form or not."""
    assert rejection(message("GET http://example.com/ HTTP/1.1")).status == 400


def test_absolute_form_gives_host_to_1_0() -> None:
    """RFC 9112 §3.2.2: the authority is the host, even when a 1.0 client sent no Host."""
    assert parse_request(message("GET http://example.com/ HTTP/1.0")).host == "example.com"


@pytest.mark.parametrize(
    "target",
    ["http://user@example.com/", "http://user:pw@example.com/", "http://@example.com/"],
)
def test_userinfo_in_absolute_form_gets_400(target: str) -> None:
    """RFC 9110 §4.2.4: a recipient SHOULD treat userinfo in an http(s) URI as an error."""
    assert rejection(message(f"GET {target} HTTP/1.1", HOST)).status == 400


@pytest.mark.parametrize(
    "target", ["http:///path", "http://exa mple/", "http://a:b/", "http://a\\b/", "ftp://a/"]
)
def test_absolute_form_with_bad_authority_or_scheme_gets_400(target: str) -> None:
    """RFC 9112 §3.2.2 / RFC 9110 §4.2: an http(s) URI with a valid, non-empty authority."""
    assert rejection(message(f"GET {target} HTTP/1.1", HOST)).status == 400


def test_asterisk_form_for_options() -> None:
    """RFC 9112 §3.2.4: asterisk-form is used only for a server-wide OPTIONS request."""
    request = parse_request(message("OPTIONS * HTTP/1.1", HOST))
    assert (request.target, request.path, request.query) == ("*", "*", "")


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "options"])
def test_asterisk_form_only_for_options(method: str) -> None:
    """RFC 9112 §3.2.4: asterisk-form with any method but OPTIONS is invalid (400)."""
    assert rejection(message(f"{method} * HTTP/1.1", HOST)).status == 400


@pytest.mark.parametrize("target", ["example.com:443", "/", "http://example.com/"])
def test_connect_gets_501(target: str) -> None:
    """RFC 9112 §3.2.3, RFC 9110 §9.3.6: CONNECT is for proxies; tapster answers 501."""
    assert rejection(message(f"CONNECT {target} HTTP/1.1", HOST)).status == 501


def test_unknown_method_is_the_application_s_business() -> None:
    """RFC 9110 §9.1: a valid but unknown method parses; whether to 501 is the app's call."""
    assert parse_request(message("BREW /pot HTTP/1.1", HOST)).method == "BREW"


# -- RFC 9112 §2.2: line ends and empty lines before the request line -------------------


@pytest.mark.parametrize("empty_lines", [1, 2, limits.MAX_LEADING_EMPTY_LINES])
def test_leading_empty_lines_ignored(empty_lines: int) -> None:
    """RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line."""
    request = parse_request(b"\r\n" * empty_lines + message("GET / HTTP/1.1", HOST))
    assert request.target == "/"


def test_leading_empty_lines_ignored_when_they_come_alone() -> None:
    """RFC 9112 §2.2: an empty line received by itself waits for the request line."""
    parser = RequestParser()
    events = feed_pieces(parser, [b"\r", b"\n", b"\r\n", message("GET / HTTP/1.1", HOST)])
    assert events[0].target == "/"


def test_too_many_leading_empty_lines_get_400() -> None:
    """Beyond MAX_LEADING_EMPTY_LINES, empty lines are not a client quirk (tapster's choice)."""
    data = b"\r\n" * (limits.MAX_LEADING_EMPTY_LINES + 1) + message("GET / HTTP/1.1", HOST)
    assert rejection(data).status == 400


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_empty_line_limit_holds_however_the_lines_arrive(size: int) -> None:
    """Found by fuzzing: the count once restarted at each feed(), so a client could send
    empty lines forever in small pieces (each renewing the keep-alive deadline)."""
    data = b"\r\n" * (limits.MAX_LEADING_EMPTY_LINES + 1)
    parser = RequestParser()
    with pytest.raises(RemoteProtocolError) as caught:
        feed_pieces(parser, [data[index : index + size] for index in range(0, len(data), size)])
    assert caught.value.status == 400


def test_each_request_has_its_own_empty_line_allowance() -> None:
    """The count starts over once a request line begins (RFC 9112 §2.2, per request)."""
    one = b"\r\n" * limits.MAX_LEADING_EMPTY_LINES + message("GET / HTTP/1.1", HOST)
    parser = RequestParser()
    for _ in range(3):
        events = feed_pieces(parser, [one[index : index + 2] for index in range(0, len(one), 2)])
        assert isinstance(events[0], Request)
        parser.start_next_cycle()


@pytest.mark.parametrize("prefix", [b"\n", b"\r\r\n", b"\rGET"])
def test_bare_lf_or_cr_before_request_line_gets_400(prefix: bytes) -> None:
    """RFC 9112 §2.2: the empty line to ignore is CRLF; a bare CR is invalid."""
    assert rejection(prefix + message("GET / HTTP/1.1", HOST)).status == 400


def test_bare_lf_ending_the_request_line_gets_400() -> None:
    """RFC 9112 §2.2: tapster does not accept bare LF line ends (MAY), against smuggling."""
    assert rejection(b"GET / HTTP/1.1\nHost: a\r\n\r\n").status == 400


def test_bare_lf_request_line_refused_before_the_head_is_complete() -> None:
    """RFC 9112 §2.2: a bare LF after the request line is refused without waiting."""
    assert rejection(b"GET / HTTP/1.1\nHost: a").status == 400


def test_all_bare_lf_head_refused_at_once() -> None:
    """RFC 9112 §2.2: a head ended by bare LFs is refused, not left to time out."""
    assert rejection(b"GET / HTTP/1.1\nHost: a\n\n").status == 400


@pytest.mark.parametrize(
    "data", [b"GET / HTTP/1.1\n\nX-A: b\r\nHost: a\r\n\r\n",
             b"GET /\nx HTTP/1.1\r\nHost: a\r\n\r\n", b"GET / HTTP/1.1\rX\r\nHost: a\r\n\r\n"],
)
def test_bare_line_end_in_a_complete_request_line_is_named(data: bytes) -> None:
    """A request line read to the first CRLF across a bare LF or CR says so in its 400."""
    error = rejection(data)
    assert (error.status, error.detail) == (400, "bare CR or LF in the request line")


def test_bare_cr_in_request_line_gets_400() -> None:
    """RFC 9112 §2.2: a recipient MUST consider an element with a bare CR invalid."""
    assert rejection(b"GET /\rx HTTP/1.1\r\nHost: a\r\n\r\n").status == 400


@pytest.mark.parametrize(
    "partial",
    [b"GET / HTTP/1.1\r\r", b"GET /\rx", b"GET / HTTP/1.1\r\nHost: a\r\n\r\r\n",
     b"GET / HTTP/1.1\r\nHost: a\rb", b"GET / HTTP/1.1\r\nHo\rst: a\r\n"],
)
def test_bare_cr_refused_before_the_head_is_complete(partial: bytes) -> None:
    """RFC 9112 §2.2: a bare CR is refused once the octet after it arrives, not at the timeout."""
    assert rejection(partial).status == 400
    # The same verdict fed octet by octet: the check looks at what is new, CR included.
    parser = RequestParser()
    with pytest.raises(RemoteProtocolError) as caught:
        feed_pieces(parser, [partial[index : index + 1] for index in range(len(partial))])
    assert caught.value.status == 400


def test_cr_last_in_an_unfinished_head_waits_for_the_next_octet() -> None:
    """A CR that arrived alone may be the start of a CRLF: no verdict yet."""
    parser = RequestParser()
    assert feed_pieces(parser, [b"GET / HTTP/1.1\r\nHost: a\r"]) == []
    assert isinstance(feed_pieces(parser, [b"\n\r\n"])[0], Request)


def test_nothing_but_the_request_line_in_1_0() -> None:
    """RFC 9112 §2.1: a head may have no field lines (HTTP/1.0 needs no Host)."""
    events = parse(b"GET / HTTP/1.0\r\n\r\n")
    assert events[0].headers == []
    assert events[0].host is None
