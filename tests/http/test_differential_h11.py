"""Differential testing: tapster's request parser and h11 on the same bytes.

Two HTTP/1.1 parsers that frame the same bytes differently are what request
smuggling is made of, so every disagreement between tapster and h11 (a
careful, independent parser) is either a tapster bug, fixed, or one of the
deliberate choices in ``DIFFERENCES`` below, each with the RFC section that
allows it. Hypothesis feeds both parsers valid requests and mutants of them
(``strategies.py``); they must agree on accept or refuse, and, when both
accept, on each request's method, target, version, fields, framing and body.

A disagreement is only excused by a documented difference whose test holds
on the actual parse: the side that refused must have refused for that reason,
and what the other side accepted must show the construct the difference is
about. docs/security.md lists the same table for readers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tapster.http import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    RemoteProtocolError,
    Request,
    RequestParser,
)
from tapster.http.grammar import HOST

from .strategies import Spec, mutated, requests

h11 = pytest.importorskip("h11")

#: Fields compared by meaning rather than as text: h11 rewrites their values
#: (``Content-Length: 5, 5`` becomes ``5``, ``Transfer-Encoding`` is lower-cased).
FRAMING_FIELDS = ("content-length", "transfer-encoding")


@dataclass(frozen=True)
class Message:
    """One complete request as a parser saw it, in terms both parsers share."""

    method: str
    target: str
    #: ``1.0`` or ``1.1`` (later 1.x minor versions read as 1.1, RFC 9110 §2.5), else as sent.
    version: str
    #: Field lines in order, names lower-cased, values trimmed; framing fields left out.
    headers: tuple[tuple[str, str], ...]
    #: ``none``, ``length N`` or ``chunked``.
    framing: str
    body: bytes
    #: Every field line, framing fields included (for explaining differences, not compared).
    fields: tuple[tuple[str, str], ...] = field(compare=False)
    #: The trailer fields (h11 keeps them; tapster drops them: not compared).
    trailers: tuple[tuple[str, str], ...] = field(compare=False, default=())

    def field_values(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key == name]

    @property
    def persists(self) -> bool:
        """Whether another request may follow on the connection, by the rule both share
        (RFC 9112 §9.3 for HTTP/1.1; an HTTP/1.0 request is taken as the last one)."""
        tokens = {
            token.strip(" \t").lower()
            for value in self.field_values("connection")
            for token in value.split(",")
        }
        return self.version == "1.1" and "close" not in tokens


@dataclass
class Outcome:
    """What one parser made of the bytes: the complete requests, then its error if any."""

    messages: list[Message]
    error: str | None = None


def _message(method: str, target: str, version: str, fields: list[tuple[str, str]],
             framing: str, body: bytes, trailers: tuple[tuple[str, str], ...] = ()) -> Message:
    headers = tuple(item for item in fields if item[0] not in FRAMING_FIELDS)
    return Message(method, target, version, headers, framing, body, tuple(fields), trailers)


def tapster_outcome(data: bytes) -> Outcome:
    """Parse ``data`` then EOF with tapster, answering each request as a server would."""
    parser = RequestParser()
    parser.feed(data)
    parser.feed(b"")
    messages: list[Message] = []
    request: Request | None = None
    body: list[bytes] = []
    try:
        for _ in range(10_000):
            event = parser.next_event()
            if isinstance(event, Request):
                request, body = event, []
            elif isinstance(event, Data):
                body.append(event.data)
            elif isinstance(event, EndOfMessage):
                assert request is not None
                if request.chunked:
                    framing = "chunked"
                elif request.content_length is not None:
                    framing = f"length {request.content_length}"
                else:
                    framing = "none"
                message = _message(request.method, request.target, request.http_version,
                                   request.headers, framing, b"".join(body))
                messages.append(message)
                if not message.persists:
                    break
            elif event is PAUSED:
                parser.start_next_cycle()
            elif event is NEED_DATA or isinstance(event, ConnectionClosed):
                break
    except RemoteProtocolError as error:
        return Outcome(messages, error.detail)
    return Outcome(messages)


def _h11_version(version: bytes) -> str:
    text = version.decode("ascii")
    if text.startswith("1.") and text != "1.0":
        return "1.1"
    return text


def h11_outcome(data: bytes) -> Outcome:
    """Parse ``data`` then EOF with h11 (no size limit in the way), answering each request."""
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 20)
    conn.receive_data(data)
    conn.receive_data(b"")
    messages: list[Message] = []
    request = None
    body: list[bytes] = []
    try:
        for _ in range(10_000):
            event = conn.next_event()
            if isinstance(event, h11.Request):
                request, body = event, []
            elif isinstance(event, h11.Data):
                body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                assert request is not None
                fields = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in request.headers]
                codings = [v for n, v in fields if n == "transfer-encoding"]
                lengths = [v for n, v in fields if n == "content-length"]
                if codings:
                    framing = "chunked"
                elif lengths:
                    framing = f"length {int(lengths[0])}"
                else:
                    framing = "none"
                trailers = tuple((n.decode("latin-1"), v.decode("latin-1"))
                                 for n, v in event.headers)
                message = _message(request.method.decode("latin-1"),
                                   request.target.decode("latin-1"),
                                   _h11_version(request.http_version), fields, framing,
                                   b"".join(body), trailers)
                messages.append(message)
                if not message.persists:
                    break
                try:
                    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                    conn.send(h11.EndOfMessage())
                    conn.start_next_cycle()
                except h11.LocalProtocolError:
                    break  # h11 will not go on (a CONNECT or Upgrade it paused for)
            else:
                break  # NEED_DATA, PAUSED, ConnectionClosed
    except h11.RemoteProtocolError as error:
        return Outcome(messages, str(error))
    return Outcome(messages)


# -- the documented differences -----------------------------------------------------------------

_BARE_LF = re.compile(rb"(?<!\r)\n")
# Controls h11 lets through in a field value: its field-vchar is [^\x00\s].
_CTL_BUT_WHITESPACE_AND_NUL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")
_OBS_FOLD = re.compile(rb"\n[ \t]")
_LONG_CHUNK_SIZE = re.compile(rb"(?:^|\n)[0-9A-Fa-f]{17,20}[;\r \t]")
_BWS_BEFORE_SEMICOLON = re.compile(rb"\n[0-9A-Fa-f]+[ \t]+;")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*://([^/?#]*)")

# What is explained: the bytes, the refusing side's error detail, and what the
# other side accepted in its place (None when it accepted nothing more).
Explains = Callable[[bytes, str, "Message | None"], bool]


@dataclass(frozen=True)
class Difference:
    """A deliberate disagreement with h11, with the rule that allows tapster's side."""

    name: str
    #: The RFC 9112 / RFC 9110 section that allows what tapster does.
    rfc: str
    #: Which parser refuses: "tapster" or "h11".
    refused_by: str
    why: str
    explains: Explains
    #: An input that shows it (checked by test_each_difference_is_real).
    example: bytes


def _detail(*parts: str) -> Callable[[str], bool]:
    return lambda detail: any(part in detail for part in parts)


def _accepted(message: Message | None, test: Callable[[Message], bool]) -> bool:
    return message is not None and test(message)


def _target_form(message: Message) -> str:
    target = message.target
    if target.startswith("/"):
        return "origin"
    if target == "*":
        return "asterisk"
    return "absolute" if _SCHEME.match(target) else "none"


GET = b"GET / HTTP/1.1\r\nHost: a\r\n"
POST_CHUNKED = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

DIFFERENCES = [
    Difference(
        "obsolete line folding", "RFC 9112 §5.2", "tapster",
        "A server MAY reject obs-fold with 400 or unfold it; h11 unfolds, tapster rejects.",
        lambda data, detail, other: _OBS_FOLD.search(data) is not None
        and _detail("obsolete line folding")(detail),
        GET + b"X-A: b\r\n c\r\n\r\n",
    ),
    Difference(
        "control characters in field values", "RFC 9110 §5.5", "tapster",
        "Field values with CTLs other than HTAB are invalid (recipients MAY keep them); h11 "
        "refuses only NUL, CR, LF, VT and FF, tapster every CTL and DEL.",
        lambda data, detail, other: _detail(
            "control character in the header section",
            "invalid character in the value of trailer")(detail)
        and _accepted(other, lambda message: any(
            _CTL_BUT_WHITESPACE_AND_NUL.search(value)
            for _, value in message.fields + message.trailers)),
        GET + b"X-A: b\x01c\r\n\r\n",
    ),
    Difference(
        "Host syntax", "RFC 9112 §3.2, RFC 9110 §7.2", "tapster",
        "A server MUST answer 400 to a request whose Host is invalid; h11 does not check "
        "the value's syntax (uri-host [ \":\" port ]).",
        lambda data, detail, other: _detail("invalid Host header field")(detail)
        and _accepted(other, lambda message: any(
            HOST.fullmatch(value) is None for value in message.field_values("host"))),
        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    ),
    Difference(
        "fragment in the target", "RFC 9112 §3.2, RFC 9110 §7.1", "tapster",
        "request-target has no fragment (origin-form = absolute-path [ \"?\" query ]); h11 "
        "takes any VCHARs.",
        lambda data, detail, other: _detail("fragment in the request target")(detail)
        and _accepted(other, lambda message: "#" in message.target),
        b"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n",
    ),
    Difference(
        "target in no known form", "RFC 9112 §3.2", "tapster",
        "A target must be origin-, absolute-, authority- (CONNECT) or asterisk-form "
        "(OPTIONS only); h11 takes any run of VCHARs.",
        lambda data, detail, other: (
            _detail("invalid request target")(detail)
            and _accepted(other, lambda message: _target_form(message) == "none")
        ) or (
            _detail("asterisk-form target is only for OPTIONS")(detail)
            and _accepted(other, lambda message: message.target == "*"
                          and message.method != "OPTIONS")
        ),
        b"GET abc HTTP/1.1\r\nHost: a\r\n\r\n",
    ),
    Difference(
        "absolute-form tapster will not serve", "RFC 9112 §3.2.2, RFC 9110 §4.2.4", "tapster",
        "tapster is an origin server, not a proxy: a scheme other than http(s), userinfo "
        "(which a recipient SHOULD treat as an error) or an invalid authority is a 400.",
        lambda data, detail, other: _detail(
            "scheme other than http(s)", "userinfo in the request target",
            "invalid authority in the request target")(detail)
        and _accepted(other, lambda message: _target_form(message) == "absolute"),
        b"GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n",
    ),
    Difference(
        "CONNECT", "RFC 9112 §3.2.3, RFC 9110 §9.3.6", "tapster",
        "tapster does not tunnel: 501. h11 parses CONNECT and pauses for the switch.",
        lambda data, detail, other: _detail("CONNECT is not supported")(detail)
        and _accepted(other, lambda message: message.method == "CONNECT"),
        b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
    ),
    Difference(
        "HTTP versions other than 1.x", "RFC 9110 §2.5, §15.6.6", "tapster",
        "A major version tapster does not speak is a 505; h11 reports the version and "
        "leaves the decision to its user.",
        lambda data, detail, other: _detail("HTTP version not supported")(detail)
        and _accepted(other, lambda message: not message.version.startswith("1.")),
        b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    ),
    Difference(
        "both Transfer-Encoding and Content-Length", "RFC 9112 §6.3 (rule 3)", "tapster",
        "Such a message 'ought to be handled as an error'; a server MAY reject it, and tapster "
        "always does. h11 lets chunked win, as a proxy-free server may.",
        lambda data, detail, other: _detail("both Transfer-Encoding and Content-Length")(detail)
        and _accepted(other, lambda message: bool(message.field_values("content-length"))
                      and bool(message.field_values("transfer-encoding"))),
        POST_CHUNKED.replace(b"\r\n\r\n", b"\r\nContent-Length: 5\r\n\r\n") + b"0\r\n\r\n",
    ),
    Difference(
        "Transfer-Encoding in HTTP/1.0", "RFC 9112 §6.1", "tapster",
        "A server that receives Transfer-Encoding in an HTTP/1.0 request MUST treat the "
        "framing as faulty; tapster answers 400, h11 decodes chunked.",
        lambda data, detail, other: _detail("Transfer-Encoding in an HTTP/1.0 request")(detail)
        and _accepted(other, lambda message: message.version == "1.0"),
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ),
    Difference(
        "expectations other than 100-continue", "RFC 9110 §10.1.1", "tapster",
        "A server that receives an Expect value it does not support MAY answer 417; tapster "
        "does, h11 passes the field through.",
        lambda data, detail, other: _detail("unsupported expectation")(detail)
        and _accepted(other, lambda message: any(
            value.strip(" \t").lower() != "100-continue"
            for value in message.field_values("expect"))),
        GET + b"Expect: teapot\r\n\r\n",
    ),
    Difference(
        "chunk-size line syntax", "RFC 9112 §7.1, §7.1.1", "tapster",
        "chunk = chunk-size [ chunk-ext ] CRLF, with chunk-ext names and values checked and "
        "no whitespace but BWS around ';' and '='; h11 takes anything after ';' and OWS "
        "before the CRLF.",
        lambda data, detail, other: _detail("invalid chunk size line",
                                            "bare CR in a chunk size line")(detail)
        and (b";" in data or re.search(rb"[0-9A-Fa-f][ \t]+\r?\n", data) is not None),
        POST_CHUNKED + b"5;\x01\r\nhello\r\n0\r\n\r\n",
    ),
    Difference(
        "chunk sizes of 17 to 20 hex digits", "RFC 9112 §7.1", "tapster",
        "A recipient MUST anticipate large sizes and guard against overflow; tapster caps a "
        "size at 16 hex digits (2**64), h11 at 20, leading zeros counted by both.",
        lambda data, detail, other: _detail("chunk size too large")(detail)
        and _LONG_CHUNK_SIZE.search(data) is not None,
        POST_CHUNKED + b"00000000000000000005\r\nhello\r\n0\r\n\r\n",
    ),
    Difference(
        "empty elements in Transfer-Encoding", "RFC 9110 §5.6.1", "h11",
        "A recipient MUST accept and ignore empty list elements ('chunked,' or ', chunked'); "
        "h11 takes only the exact value 'chunked'.",
        lambda data, detail, other: _detail("Only Transfer-Encoding: chunked")(detail)
        and _accepted(other, lambda message: any(
            value.strip(" \t").lower() != "chunked"
            for value in message.field_values("transfer-encoding"))),
        POST_CHUNKED.replace(b": chunked", b": , chunked") + b"0\r\n\r\n",
    ),
    Difference(
        "bare LF line ends", "RFC 9112 §2.2", "tapster",
        "A recipient MAY accept a bare LF as a line terminator; tapster does not, since a "
        "front end that splits lines differently is a smuggling vector.",
        # The broadest test, so checked last: where h11 ends a line at a bare LF, tapster
        # reads on to the CRLF and refuses whatever that line then holds.
        lambda data, detail, other: _BARE_LF.search(data) is not None,
        b"GET / HTTP/1.1\nHost: a\n\n",
    ),
    Difference(
        "whitespace around ';' in chunk extensions", "RFC 9112 §7.1.1", "h11",
        "chunk-ext = *( BWS \";\" BWS chunk-ext-name [ BWS \"=\" BWS chunk-ext-val ] ): "
        "whitespace before ';' is allowed (and ignored, like the extension); h11 refuses it.",
        lambda data, detail, other: _detail("illegal chunk header")(detail)
        and other is not None and _BWS_BEFORE_SEMICOLON.search(data) is not None,
        POST_CHUNKED + b"5 ;a=b\r\nhello\r\n0\r\n\r\n",
    ),
    Difference(
        "empty lines before the request line", "RFC 9112 §2.2", "h11",
        "A server SHOULD ignore at least one empty line (CRLF) received before the request "
        "line; tapster ignores up to 8, h11 none.",
        # tapster accepted what h11 took for a request line: empty lines (a bare LF
        # would have been refused), before a request or before the end of the stream.
        lambda data, detail, other: _detail("no request line received")(detail)
        and b"\r\n\r\n" in data,
        b"\r\n" + GET + b"\r\n",
    ),
    Difference(
        "octets 0x80-0xFF in the target", "RFC 9112 §3.2", "h11",
        "The target is ASCII by the URI grammar, but clients send raw UTF-8; tapster keeps it "
        "(latin-1 in PATH_INFO, as PEP 3333 has it), h11 refuses it.",
        lambda data, detail, other: _detail("illegal request line", "Illegal target")(detail)
        and _accepted(other, lambda message: not message.target.isascii()),
        b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
    ),
    Difference(
        "Content-Length values equal in value, not in text", "RFC 9110 §8.6", "h11",
        "Repeated Content-Length values that are the same decimal value ('5' and '05') frame "
        "the body the same way, so tapster takes them as one; h11 compares them as text.",
        lambda data, detail, other: _detail("conflicting Content-Length headers")(detail)
        and _accepted(other, lambda message: len({
            element.strip(" \t") for value in message.field_values("content-length")
            for element in value.split(",")}) > 1),
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\nhello",
    ),
    Difference(
        "Content-Length of over 20 digits", "RFC 9110 §8.6", "h11",
        "Content-Length = 1*DIGIT: leading zeros are valid; tapster judges the value (over 18 "
        "significant digits is 413), h11 refuses more than 20 digits.",
        lambda data, detail, other: _detail("bad Content-Length")(detail)
        and _accepted(other, lambda message: any(
            len(value) > 20 for value in message.field_values("content-length"))),
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + b"0" * 20 + b"5\r\n\r\nhello",
    ),
]

#: Where the parsers agree on accepting but say it differently; normalised before comparing.
REPRESENTATION = {
    "later HTTP/1.x minor versions": "RFC 9110 §2.5: tapster reads HTTP/1.2 as 1.1; h11 "
    "reports 1.2. Compared as 1.1.",
    "framing fields": "RFC 9110 §8.6: h11 rewrites 'Content-Length: 5, 5' to '5' and lower-"
    "cases Transfer-Encoding; tapster keeps values as sent. Compared as framing.",
    "trailer fields": "RFC 9112 §7.1.2: tapster checks trailers and drops them; h11 returns "
    "them. Not compared.",
    "HTTP/1.0 keep-alive": "RFC 9112 §9.3: tapster keeps an HTTP/1.0 connection open on "
    "'Connection: keep-alive', h11 never does. Each request after an HTTP/1.0 one is left "
    "out of the comparison.",
}


@dataclass
class Verdict:
    """How the two parsers compare on some bytes."""

    agree: bool
    #: The difference that excuses a disagreement, if one does.
    difference: Difference | None = None
    explanation: str = ""


def compare(data: bytes) -> Verdict:
    """Parse ``data`` with both; say whether they agree, or which difference excuses them."""
    ours, theirs = tapster_outcome(data), h11_outcome(data)
    index = 0
    while (index < len(ours.messages) and index < len(theirs.messages)
           and ours.messages[index] == theirs.messages[index]):
        index += 1
    mine = ours.messages[index] if index < len(ours.messages) else None
    other = theirs.messages[index] if index < len(theirs.messages) else None
    story = (f"request #{index}: tapster {mine or ours.error!r}\n"
             f"h11 {other or theirs.error!r}\nbytes {data!r}")
    if mine is None and other is None and (ours.error is None) == (theirs.error is None):
        return Verdict(True)
    if mine is not None and other is not None:
        return Verdict(False, None, "both accepted, differently: " + story)
    if mine is None and ours.error is not None:
        refused_by, detail, accepted = "tapster", ours.error, other
    elif other is None and theirs.error is not None:
        refused_by, detail, accepted = "h11", theirs.error, mine
    else:
        return Verdict(False, None, "one stopped without an error: " + story)
    for difference in DIFFERENCES:
        if difference.refused_by == refused_by and difference.explains(data, detail, accepted):
            return Verdict(False, difference, story)
    return Verdict(False, None, f"undocumented: {refused_by} refused. " + story)


def assert_agree_or_documented(data: bytes) -> Verdict:
    verdict = compare(data)
    assert verdict.agree or verdict.difference is not None, verdict.explanation
    return verdict


DIFFERENTIAL = settings(
    max_examples=int(os.environ.get("HTTP_PROPERTY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# Empty lines before a request line are a documented difference that h11 refuses at
# once; most examples go without them, so that the comparison reaches further.
@DIFFERENTIAL
@given(st.lists(requests(leading=False), min_size=1, max_size=3))
@example([Spec("GET", "/", "1.1", "/", "", "a", False, [("Host", "a")], leading_empty_lines=1)])
def test_valid_requests_parse_the_same(specs: list[Spec]) -> None:
    """Valid requests: the same messages from both, or a documented h11 refusal."""
    verdict = assert_agree_or_documented(b"".join(spec.wire() for spec in specs))
    if verdict.difference is not None:
        assert verdict.difference.refused_by == "h11", verdict.explanation


# Values of the framing fields, from the smuggling suite's obfuscations.
TE_VALUES = ["chunked", "Chunked", " chunked ", "\tchunked", "chunked, chunked", "identity",
             "chunked, identity", "identity, chunked", "gzip, chunked", "xchunked", "", ",",
             ", chunked", "chunked,", '"chunked"', "chunked;q=1", "chunked\x0b", "chunk"]
CL_VALUES = ["5", "05", " 5 ", "5, 5", "5,5", "5, 6", "+5", "-5", "0x5", "1_0", "5 5", "",
             "0", "99999999999999999999", "000000000000000000000005", "5,"]
BODIES = [b"hello", b"5\r\nhello\r\n0\r\n\r\n", b"0\r\n\r\n", b"5;a=b\r\nhello\r\n0\r\n\r\n",
          b"5\r\nhelloXX0\r\n\r\n", b"5\nhello\n0\n\n", b"",
          b"0\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n"]


@st.composite
def framed_requests(draw: st.DrawFn) -> bytes:
    """A request whose framing fields are drawn from known obfuscations, with a body
    that may or may not suit them, and a request after it."""
    fields = draw(st.lists(st.one_of(
        st.sampled_from(TE_VALUES).map(lambda value: f"Transfer-Encoding: {value}"),
        st.sampled_from(CL_VALUES).map(lambda value: f"Content-Length: {value}"),
    ), max_size=3))
    version = draw(st.sampled_from(["1.1", "1.0"]))
    head = f"POST /f HTTP/{version}\r\nHost: a\r\n" + "".join(f + "\r\n" for f in fields)
    return head.encode("latin-1") + b"\r\n" + draw(st.sampled_from(BODIES)) + (
        b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n")


@DIFFERENTIAL
@given(framed_requests())
def test_framing_obfuscations_parse_the_same_or_differ_as_documented(data: bytes) -> None:
    """Transfer-Encoding and Content-Length variants: where framing could be read two ways."""
    assert_agree_or_documented(data)


@DIFFERENTIAL
@given(st.one_of(mutated(leading=False), mutated()))
@example(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello")
@example(b"GET / HTTP/1.2\r\nHost: a\r\n\r\n")
def test_mutated_requests_parse_the_same_or_differ_as_documented(data: bytes) -> None:
    """Mutants: the same verdict and messages, or one of DIFFERENCES."""
    assert_agree_or_documented(data)


@pytest.mark.parametrize("difference", DIFFERENCES, ids=[d.name for d in DIFFERENCES])
def test_each_difference_is_real(difference: Difference) -> None:
    """Each documented difference shows on its example, and is excused by itself alone."""
    verdict = compare(difference.example)
    assert not verdict.agree, f"{difference.name}: the parsers now agree"
    assert verdict.difference is difference, verdict.explanation


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        POST_CHUNKED + b"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET http://a/b?c HTTP/1.1\r\nHost: x\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
    ],
)
def test_plain_requests_agree(data: bytes) -> None:
    """The comparison itself: ordinary requests give equal messages from both parsers."""
    ours, theirs = tapster_outcome(data), h11_outcome(data)
    assert ours.messages and ours.error is None
    assert ours == theirs
