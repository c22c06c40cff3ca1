"""The request side of an HTTP/1.1 server connection, sans I/O.

Bytes go in with ``feed()``; events come out of ``next_event()``: one
``Request``, then ``Data`` pieces of its body, then ``EndOfMessage``. The
parser then answers ``PAUSED`` until the server has sent its response and
calls ``start_next_cycle()``; bytes of a pipelined request wait in the buffer
meanwhile.

Invariants:

- The parser never yields an event for bytes it has not validated. A request
  head is checked whole (request line, every field line, framing) before its
  ``Request`` event exists, so a server never starts an application on a head
  it would have refused.
- The first violation is final. ``next_event()`` raises ``RemoteProtocolError``
  carrying the status to answer with, and raises it again on every later call:
  nothing after a framing error is ever parsed as a request (RFC 9112 §11.2,
  request smuggling).
- Every buffer is bounded by a limit: the request line, the header section,
  a chunk-size line, the trailer section. A body is streamed, never held.
- Work is linear in the input: the end of a head or trailer section is
  searched from where the last search stopped, and no pattern can backtrack.

The states and what each one waits for:

============== ====================================== ======================
state          waits for                              then
============== ====================================== ======================
HEAD           a complete request head                BODY_LENGTH or CHUNK_SIZE
                                                      (CLOSED on a clean EOF)
BODY_LENGTH    the rest of a Content-Length body      DONE
CHUNK_SIZE     a chunk-size line                      CHUNK_DATA or TRAILERS
CHUNK_DATA     the rest of the current chunk          CHUNK_DATA_END
CHUNK_DATA_END the CRLF closing a chunk               CHUNK_SIZE
TRAILERS       the trailer section and its blank line DONE
DONE           ``start_next_cycle()``                 HEAD
CLOSED         nothing: the peer is done              (final)
ERROR          nothing: the error is re-raised        (final)
============== ====================================== ======================
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from . import limits
from .errors import RemoteProtocolError
from .events import (
    CONNECTION_CLOSED,
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Request,
)
from .grammar import (
    ABSOLUTE_FORM,
    BARE_CR,
    CHUNK_SIZE_LINE,
    FIELD_SECTION_CTL,
    FIELD_VALUE_INVALID,
    HOST,
    HTTP_VERSION,
    REQUEST_LINE,
    REQUEST_LINE_INVALID,
    TOKEN,
)

__all__ = ["ParserState", "RequestParser"]

Event = Request | Data | EndOfMessage | ConnectionClosed | object


class ParserState(enum.IntEnum):
    """Where the parser is in the request it reads (see the module's table).

    An ``IntEnum`` so that it indexes the state table directly: a plain
    ``Enum`` hashes in Python code, which showed up in profiles.
    """

    HEAD = 0
    BODY_LENGTH = 1
    CHUNK_SIZE = 2
    CHUNK_DATA = 3
    CHUNK_DATA_END = 4
    TRAILERS = 5
    DONE = 6
    CLOSED = 7
    ERROR = 8


_HEAD = ParserState.HEAD
_BODY_LENGTH = ParserState.BODY_LENGTH
_CHUNK_SIZE = ParserState.CHUNK_SIZE
_CHUNK_DATA = ParserState.CHUNK_DATA
_CHUNK_DATA_END = ParserState.CHUNK_DATA_END
_TRAILERS = ParserState.TRAILERS
_DONE = ParserState.DONE
_CLOSED = ParserState.CLOSED
_ERROR = ParserState.ERROR

_VERSIONS = {"HTTP/1.1": "1.1", "HTTP/1.0": "1.0"}
# Methods known to be tokens, checked by a set look-up instead of a regex.
_KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE")
)

# Field names that steer framing or the exchange; all others pass straight through.
_HOST = "host"
_CONTENT_LENGTH = "content-length"
_TRANSFER_ENCODING = "transfer-encoding"
_CONNECTION = "connection"
_EXPECT = "expect"
_STEERING = frozenset((_HOST, _CONTENT_LENGTH, _TRANSFER_ENCODING, _CONNECTION, _EXPECT))

# Valid field names seen so far, mapped to their lower-case form. A hit skips
# the token check; the size cap keeps a peer inventing names from growing it.
_FIELD_NAMES: dict[str, str] = {}
_FIELD_NAMES_MAX = 1024

# Bounds of the parsed-head memo: heads longer than this are parsed every
# time, and a full memo starts over, so a client sending endless distinct
# heads costs a dict insert per request and at most ~1 MiB of memory.
_MEMO_MAX_HEAD = 2048
_MEMO_MAX_ENTRIES = 512

# Content-Length values above 10**18 overflow any sane limit (and int64
# elsewhere): 413 without further thought.
_MAX_LENGTH_DIGITS = 18


def _reject(status: int, detail: str) -> RemoteProtocolError:
    return RemoteProtocolError(status, detail)


class RequestParser:
    """Parses requests off one connection's byte stream (the server's side).

    Every limit is a parameter; ``tapster.http.limits`` documents the defaults.
    ``max_body_bytes=None`` lifts the body limit. Parsers with the same
    limits may share a ``memo`` dict of parsed heads (see ``__init__``).
    """

    __slots__ = (
        "_body_seen",
        "_buf",
        "_empty_lines",
        "_eof",
        "_error",
        "_head_lines",
        "_max_body_bytes",
        "_max_chunk_line",
        "_max_header_bytes",
        "_max_header_count",
        "_max_request_line",
        "_max_trailer_bytes",
        "_parsed_heads",
        "_remaining",
        "_scanned",
        "_state",
    )

    def __init__(
        self,
        *,
        max_request_line: int = limits.MAX_REQUEST_LINE,
        max_header_bytes: int = limits.MAX_HEADER_BYTES,
        max_header_count: int = limits.MAX_HEADER_COUNT,
        max_body_bytes: int | None = limits.MAX_BODY_BYTES,
        max_chunk_line: int = limits.MAX_CHUNK_LINE,
        max_trailer_bytes: int = limits.MAX_TRAILER_BYTES,
        memo: dict[str, Request] | None = None,
    ) -> None:
        self._max_request_line = max_request_line
        self._max_header_bytes = max_header_bytes
        self._max_header_count = max_header_count
        self._max_body_bytes = max_body_bytes
        self._max_chunk_line = max_chunk_line
        self._max_trailer_bytes = max_trailer_bytes
        self._buf = bytearray()
        self._eof = False
        self._state = _HEAD
        self._error: RemoteProtocolError | None = None
        # How far the search for the end of the head (or trailer section) being
        # received has looked; earlier octets were checked and need no second look.
        self._scanned = 0
        self._head_lines = 0  # CRLF-ended lines of an incomplete head, request line included
        self._empty_lines = 0  # empty lines skipped so far before the coming request line
        self._remaining = 0  # bytes left of a Content-Length body or of the current chunk
        self._body_seen = 0  # bytes of chunked body so far, for the body limit
        # Parsing is a pure function of the head's text (and the limits, the
        # same for every parser sharing a memo), so a head seen before - the
        # same client asking again on a keep-alive connection, a health check,
        # a proxy's pooled connection - is answered from the memo. Request
        # events are treated as immutable, so sharing one is safe.
        self._parsed_heads = {} if memo is None else memo

    # -- the public interface -------------------------------------------------

    @property
    def state(self) -> ParserState:
        """The current state (see the module's table)."""
        return self._state

    @property
    def buffered(self) -> int:
        """How many received bytes wait unparsed (a pipelined request, say)."""
        return len(self._buf)

    @property
    def unread_body_bytes(self) -> int | None:
        """Body bytes not yet returned: 0 when the body is done, None if unknown (chunked)."""
        state = self._state
        if state is _BODY_LENGTH:
            return self._remaining
        if state in (_DONE, _HEAD, _CLOSED):
            return 0
        return None

    @property
    def peer_closed(self) -> bool:
        """Whether ``feed(b"")`` told us the peer will send nothing more."""
        return self._eof

    def feed(self, data: bytes) -> None:
        """Add received bytes; ``b""`` says the peer closed its sending side."""
        if data:
            self._buf += data
        else:
            self._eof = True

    def next_event(self) -> Event:
        """Return the next event, ``NEED_DATA`` or ``PAUSED``.

        Raises ``RemoteProtocolError`` when the peer broke the protocol; the
        parser is then in ``ERROR`` for good.
        """
        try:
            return _STEPS[self._state](self)
        except RemoteProtocolError as error:
            self._state = _ERROR
            self._error = error
            raise

    def start_next_cycle(self) -> None:
        """After the response to a complete request: go on to the next one.

        The request must be complete: its ``EndOfMessage`` returned, or
        (saving a call per request without a body) due with nothing left.
        """
        state = self._state
        if state is not _DONE and not (state is _BODY_LENGTH and not self._remaining):
            raise RuntimeError(f"start_next_cycle() in state {state.name}")
        self._state = _HEAD
        self._empty_lines = 0

    # -- the head --------------------------------------------------------------

    def _read_head(self) -> Event:
        buf = self._buf
        if buf and buf[0] == 13:
            self._skip_leading_empty_lines()
        end = buf.find(b"\r\n\r\n", self._scanned)
        if end < 0:
            return self._head_incomplete()
        self._scanned = 0
        head = buf[:end].decode("latin-1")
        del buf[: end + 4]
        request = self._parsed_heads.get(head)
        if request is None:
            request = self._parse_head(head)
            if len(head) <= _MEMO_MAX_HEAD:
                if len(self._parsed_heads) >= _MEMO_MAX_ENTRIES:
                    self._parsed_heads.clear()
                self._parsed_heads[head] = request
        if request.chunked:
            self._state = _CHUNK_SIZE
            self._body_seen = 0
        else:
            self._state = _BODY_LENGTH
            self._remaining = request.content_length or 0
        return request

    def _skip_leading_empty_lines(self) -> None:
        # RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF)
        # received before the request line.
        # The count runs across calls: empty lines fed one at a time must not
        # escape the limit (each would also renew the keep-alive deadline).
        buf = self._buf
        skipped = self._empty_lines
        while skipped < limits.MAX_LEADING_EMPTY_LINES and buf.startswith(b"\r\n"):
            del buf[:2]
            skipped += 1
        if buf.startswith(b"\r\n"):
            raise _reject(400, "too many empty lines before the request line")
        if buf.startswith(b"\r") and len(buf) > 1:
            raise _reject(400, "bare CR before the request line")
        self._empty_lines = skipped  # start_next_cycle() starts the next request's count
        self._scanned = 0

    def _head_incomplete(self) -> Event:
        buf = self._buf
        size = len(buf)
        if not size:
            if self._eof:
                self._state = _CLOSED
                return CONNECTION_CLOSED
            return NEED_DATA
        # Go on searching where this search stopped (a CRLFCRLF may straddle).
        # What lies before ``scanned`` passed the checks below on an earlier
        # call, so they only look at what came since: a head dribbled in
        # octet by octet then costs linear work, not quadratic.
        scanned = self._scanned
        self._scanned = max(0, size - 3)
        if scanned:
            # The last call saw ``scanned + 3`` octets and counted their lines;
            # a CRLF whose LF is new starts at ``scanned + 2`` or later.
            lines = self._head_lines + buf.count(b"\r\n", scanned + 2)
        else:
            lines = buf.count(b"\r\n")
        self._head_lines = lines
        line_end = buf.find(b"\n", 0, self._max_request_line + 2)
        # The limits below allow for the part of a line end or of the closing
        # CRLFCRLF already received: a head that fits must not be refused
        # because it arrived cut just before its last octets.
        if line_end < 0:
            if size > self._max_request_line + 1:  # the line and its CR
                raise _reject(414, "request line too long")
        elif line_end == 0 or buf[line_end - 1] != 13:
            # RFC 9112 §2.2 lets a recipient accept a bare LF; we do not, since
            # parsers that disagree on line ends are how requests are smuggled.
            raise _reject(400, "line ending is a bare LF, not CRLF")
        elif size - line_end > self._max_header_bytes + 4:  # the LF, 3 octets of CRLFCRLF
            raise _reject(431, "request header section too large")
        elif lines - 1 > self._max_header_count:
            # As many complete field lines as the limit allows and one more:
            # no need to wait for the rest of the head to refuse it.
            raise _reject(431, "too many header fields")
        elif buf.find(b"\n\n", scanned) >= 0 or buf.find(b"\n\r\n", scanned) >= 0:
            # Without a CRLFCRLF, either of these is a head ended with bare LFs
            # that would otherwise sit here until the head timeout.
            raise _reject(400, "line ending is a bare LF, not CRLF")
        if BARE_CR.search(buf, scanned):
            # RFC 9112 §2.2: a bare CR (say a head ending "\r\n\r\r\n") is
            # invalid wherever it is; refused now rather than at the head timeout.
            raise _reject(400, "bare CR in the request head")
        if self._eof:
            raise _reject(400, "connection closed inside the request head")
        return NEED_DATA

    def _parse_head(self, head: str) -> Request:
        line_end = head.find("\r\n")
        request_line = head if line_end < 0 else head[:line_end]
        if len(request_line) > self._max_request_line:
            raise _reject(414, "request line too long")
        parts = request_line.split(" ")
        if (
            len(parts) != 3
            or parts[0] not in _KNOWN_METHODS
            or not parts[1]  # "".isprintable() is True: an empty target needs its own test
            or not parts[1].isascii()
            or not parts[1].isprintable()  # no CTL, DEL or SP
            or not parts[2]
        ):
            # The slow path: other methods, obs-text in the target, or errors.
            match = REQUEST_LINE.fullmatch(request_line)
            if match is None:
                raise _reject(400, _request_line_problem(request_line))
            parts = match.groups()
        method, target, version_text = parts
        version = _VERSIONS.get(version_text)
        if version is None:
            version_match = HTTP_VERSION.fullmatch(version_text)
            if version_match is None:
                raise _reject(400, _request_line_problem(request_line, "invalid HTTP version"))
            if version_match[1] != "1":
                raise _reject(505, "HTTP version not supported")
            # RFC 9110 §2.5: a later 1.x minor version is understood as 1.1.
            version = "1.1"

        headers: list[tuple[str, str]] = []
        steering: list[tuple[str, str]] = []
        if line_end >= 0:
            fields = head[line_end + 2 :]
            if len(fields) > self._max_header_bytes:
                raise _reject(431, "request header section too large")
            lines = fields.split("\r\n")
            if len(lines) > self._max_header_count:
                raise _reject(431, "too many header fields")
            # Whole-section scans (C loops) instead of a check per value:
            # after splitting on CRLF, any CR or LF left is bare (RFC 9112
            # §2.2), and any other CTL but HTAB is invalid (RFC 9110 §5.5).
            crlf = len(lines) - 1
            if fields.count("\r") != crlf or fields.count("\n") != crlf:
                raise _reject(400, "bare CR or LF in the header section")
            bad = FIELD_SECTION_CTL.search(fields)
            if bad is not None:
                raise _reject(400, _field_char_problem(bad[0]))
            names = _FIELD_NAMES
            for line in lines:
                name, colon, value = line.partition(":")
                # The cache only vouches for the name: a line without a colon
                # (RFC 9112 §5) must still reach the check, whatever its name.
                lower = (colon and names.get(name)) or _check_field_name(name, colon)
                value = value.strip(" \t")
                headers.append((lower, value))
                if lower in _STEERING:
                    steering.append((lower, value))

        return self._make_request(method, target, version, headers, steering)

    def _make_request(
        self,
        method: str,
        target: str,
        version: str,
        headers: list[tuple[str, str]],
        steering: list[tuple[str, str]],
    ) -> Request:
        hosts: list[str] = []
        lengths: list[str] = []
        codings: list[str] = []
        connection = ""
        expect = ""
        for name, value in steering:
            if name == _HOST:
                hosts.append(value)
            elif name == _CONTENT_LENGTH:
                lengths.append(value)
            elif name == _TRANSFER_ENCODING:
                if not value.strip(" \t,"):
                    # A line of no coding at all ("" or ","), even beside one that
                    # says chunked: parsers disagree on what it means, so refuse it.
                    raise _reject(400, "empty Transfer-Encoding")
                codings.extend(value.split(","))
            elif name == _CONNECTION:
                connection = f"{connection},{value}" if connection else value
            else:
                expect = f"{expect},{value}" if expect else value

        # RFC 9112 §3.2: exactly one valid Host in HTTP/1.1; never more than one.
        if len(hosts) > 1:
            raise _reject(400, "more than one Host header field")
        if hosts:
            host: str | None = hosts[0]
            if host not in _VALID_HOSTS:
                _check_host(host)
        elif version == "1.1":
            raise _reject(400, "missing Host header field")
        else:
            host = None

        path, query, authority = _split_target(method, target)
        if authority is not None:
            # RFC 9112 §3.2.2: the authority of an absolute-form target
            # replaces the Host field.
            host = authority

        chunked = False
        if codings:
            chunked = _check_transfer_coding(codings, version)
            if lengths:
                # RFC 9112 §6.3: such a message is likely an attempt at request
                # smuggling; a server MAY reject it, and we always do.
                raise _reject(400, "both Transfer-Encoding and Content-Length")
        content_length = _check_content_length(lengths) if lengths else None
        limit = self._max_body_bytes
        if content_length is not None and limit is not None and content_length > limit:
            raise _reject(413, "request body too large")

        # RFC 9112 §9.3: "close" ends the connection in any version (§9.6: a
        # server MUST close after answering it); otherwise 1.1 persists, and
        # 1.0 only with "keep-alive".
        if not connection:
            keep_alive = version == "1.1"
        else:
            tokens = {token.strip(" \t") for token in connection.lower().split(",")}
            keep_alive = "close" not in tokens and (version == "1.1" or "keep-alive" in tokens)

        expect_continue = False
        if expect:
            elements = [element.strip(" \t") for element in expect.lower().split(",")]
            elements = [element for element in elements if element]
            # RFC 9110 §10.1.1: 417 only for a member other than 100-continue;
            # the same one repeated (or none: "Expect: ,") expects nothing else.
            if any(element != "100-continue" for element in elements):
                raise _reject(417, "unsupported expectation")
            # RFC 9110 §10.1.1: ignore 100-continue in an HTTP/1.0 request.
            expect_continue = bool(elements) and version == "1.1"

        return Request(
            method,
            target,
            path,
            query,
            version,
            headers,
            host,
            content_length,
            chunked,
            keep_alive,
            expect_continue,
            authority is not None,
        )

    # -- bodies ---------------------------------------------------------------

    def _take(self, size: int) -> bytes:
        buf = self._buf
        if size >= len(buf):
            data = bytes(buf)
            buf.clear()
            return data
        with memoryview(buf) as view:
            data = view[:size].tobytes()
        del buf[:size]  # bytearray drops a prefix in O(1)
        return data

    def _read_length_body(self) -> Event:
        remaining = self._remaining
        if not remaining:
            self._state = _DONE
            return END_OF_MESSAGE
        if not self._buf:
            if self._eof:
                raise _reject(400, "connection closed inside the request body")
            return NEED_DATA
        data = self._take(remaining)
        self._remaining = remaining - len(data)
        return Data(data)

    def _read_chunk_size(self) -> Event:
        buf = self._buf
        line_end = buf.find(b"\r\n", 0, self._max_chunk_line + 2)
        if line_end < 0:
            if len(buf) > self._max_chunk_line + 1:  # the line and its CR
                raise _reject(400, "chunk size line too long")
            if b"\n" in buf:
                raise _reject(400, "chunk size line ends in a bare LF")
            if BARE_CR.search(buf):
                raise _reject(400, "bare CR in a chunk size line")
            if self._eof:
                raise _reject(400, "connection closed inside the request body")
            return NEED_DATA
        line = buf[:line_end].decode("latin-1")
        del buf[: line_end + 2]
        match = CHUNK_SIZE_LINE.fullmatch(line)
        if match is None:
            raise _reject(400, "invalid chunk size line")
        digits = match[1]
        if len(digits) > limits.MAX_CHUNK_SIZE_DIGITS:
            raise _reject(400, "chunk size too large")
        size = int(digits, 16)
        self._body_seen += size
        limit = self._max_body_bytes
        if limit is not None and self._body_seen > limit:
            raise _reject(413, "request body too large")
        if not size:
            self._state = _TRAILERS
            return self._read_trailers()
        self._remaining = size
        self._state = _CHUNK_DATA
        return self._read_chunk_data()

    def _read_chunk_data(self) -> Event:
        if not self._buf:
            if self._eof:
                raise _reject(400, "connection closed inside the request body")
            return NEED_DATA
        data = self._take(self._remaining)
        self._remaining -= len(data)
        if not self._remaining:
            self._state = _CHUNK_DATA_END
        return Data(data)

    def _read_chunk_data_end(self) -> Event:
        buf = self._buf
        if len(buf) < 2:
            if buf and buf[0] != 13:
                raise _reject(400, "chunk data not followed by CRLF")
            if self._eof:
                raise _reject(400, "connection closed inside the request body")
            return NEED_DATA
        if buf[0] != 13 or buf[1] != 10:
            raise _reject(400, "chunk data not followed by CRLF")
        del buf[:2]
        self._state = _CHUNK_SIZE
        return self._read_chunk_size()

    def _read_trailers(self) -> Event:
        # RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ), then CRLF.
        # Trailers are checked as field lines, then dropped: never merged
        # into the request's headers, where they could override framing.
        buf = self._buf
        if buf.startswith(b"\r\n"):
            del buf[:2]
            self._state = _DONE
            return END_OF_MESSAGE
        # As for a head, each search starts where the last one stopped.
        scanned = self._scanned
        end = buf.find(b"\r\n\r\n", scanned, self._max_trailer_bytes + 4)
        if end < 0:
            if len(buf) > self._max_trailer_bytes + 3:  # 3 octets of the closing CRLFCRLF
                raise _reject(431, "trailer section too large")
            if (
                buf.find(b"\n\n", scanned) >= 0
                or buf.find(b"\n\r\n", scanned) >= 0
                or buf[:1] == b"\n"
            ):
                raise _reject(400, "line ending is a bare LF, not CRLF")
            if BARE_CR.search(buf, scanned):
                raise _reject(400, "bare CR in the trailer section")
            if self._eof:
                raise _reject(400, "connection closed inside the trailer section")
            self._scanned = max(0, len(buf) - 3)
            return NEED_DATA
        self._scanned = 0
        trailers = buf[:end].decode("latin-1")
        del buf[: end + 4]
        for line in trailers.split("\r\n"):
            name, colon, value = line.partition(":")
            if not colon or name not in _FIELD_NAMES:
                _check_field_name(name, colon)
            if FIELD_VALUE_INVALID.search(value.strip(" \t")):
                raise _reject(400, f"invalid character in the value of trailer {name!r}")
        self._state = _DONE
        return END_OF_MESSAGE

    def _paused(self) -> Event:
        return PAUSED

    def _closed(self) -> Event:
        return CONNECTION_CLOSED

    def _raise_again(self) -> Event:
        assert self._error is not None
        raise self._error


# The state table: what next_event() does in each state, indexed by ParserState.
_STEPS: tuple[Callable[[RequestParser], Event], ...] = (
    RequestParser._read_head,  # HEAD
    RequestParser._read_length_body,  # BODY_LENGTH
    RequestParser._read_chunk_size,  # CHUNK_SIZE
    RequestParser._read_chunk_data,  # CHUNK_DATA
    RequestParser._read_chunk_data_end,  # CHUNK_DATA_END
    RequestParser._read_trailers,  # TRAILERS
    RequestParser._paused,  # DONE
    RequestParser._closed,  # CLOSED
    RequestParser._raise_again,  # ERROR
)
assert len(_STEPS) == len(ParserState)


def _check_field_name(name: str, colon: str) -> str:
    """Validate a field name not seen before (RFC 9112 §5); return it lower-cased."""
    if name[:1] in (" ", "\t"):
        # RFC 9112 §5.2 (obs-fold) and §2.2 (whitespace before the first
        # field line): rejected rather than unfolded; no client we serve
        # needs line folding, and folding is a classic smuggling vector.
        raise _reject(400, "field line starts with whitespace (obsolete line folding)")
    if not colon:
        raise _reject(400, "field line without a colon")
    if not name:
        raise _reject(400, "empty field name")
    if TOKEN.fullmatch(name) is None:
        if name[-1] in " \t":
            # RFC 9112 §5.1: MUST reject whitespace between name and colon.
            raise _reject(400, "whitespace between field name and colon")
        raise _reject(400, "invalid character in a field name")
    lower = name.lower()
    if len(_FIELD_NAMES) < _FIELD_NAMES_MAX:
        _FIELD_NAMES[name] = lower
    return lower


# Host values already found valid; one server sees few distinct ones.
_VALID_HOSTS: set[str] = set()
_VALID_HOSTS_MAX = 256


def _check_host(host: str) -> None:
    if HOST.fullmatch(host) is None:
        raise _reject(400, "invalid Host header field")
    if len(_VALID_HOSTS) < _VALID_HOSTS_MAX:
        _VALID_HOSTS.add(host)


def _field_char_problem(char: str) -> str:
    if char == "\x00":
        return "NUL in the header section"
    return "control character in the header section"


def _request_line_problem(line: str, otherwise: str = "malformed request line") -> str:
    """Say precisely what is wrong with a request line that did not match."""
    if "\n" in line or "\r" in line:
        # The line ran to the first CRLF across a bare one (RFC 9112 §2.2).
        return "bare CR or LF in the request line"
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        return "malformed request line (expected method, target and version, one space apart)"
    method, target, _ = parts
    if TOKEN.fullmatch(method) is None:
        return "invalid method"
    if REQUEST_LINE_INVALID.search(target):  # a C loop: the target may be 8 KiB of junk
        return "control character in the request target"
    return otherwise


def _split_target(method: str, target: str) -> tuple[str, str, str | None]:
    """Split a request-target (RFC 9112 §3.2) into path, query and authority."""
    if method == "CONNECT":
        # authority-form: tapster is not a tunnelling proxy.
        raise _reject(501, "CONNECT is not supported")
    if target[0] == "/":
        if "#" in target:
            raise _reject(400, "fragment in the request target")
        path, _, query = target.partition("?")
        return path, query, None
    if target == "*":
        if method != "OPTIONS":
            raise _reject(400, "asterisk-form target is only for OPTIONS")
        return "*", "", None
    match = ABSOLUTE_FORM.fullmatch(target)
    if match is None:
        raise _reject(400, "invalid request target")
    scheme, authority, path, query = match.groups()
    if scheme.lower() not in ("http", "https"):
        raise _reject(400, "absolute-form target with a scheme other than http(s)")
    if "@" in authority:
        # RFC 9110 §4.2.4: userinfo is deprecated and a recipient SHOULD
        # treat it as an error: it only ever serves to mislead.
        raise _reject(400, "userinfo in the request target")
    if not authority or HOST.fullmatch(authority) is None:
        raise _reject(400, "invalid authority in the request target")
    if "#" in target:
        raise _reject(400, "fragment in the request target")
    return path or "/", query or "", authority


def _check_transfer_coding(codings: list[str], version: str) -> bool:
    """Validate Transfer-Encoding (RFC 9112 §6.1, §6.3); return True (chunked)."""
    if version == "1.0":
        # RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
        raise _reject(400, "Transfer-Encoding in an HTTP/1.0 request")
    names = []
    for coding in codings:
        coding = coding.strip(" \t")
        if not coding:
            continue  # RFC 9110 §5.6.1: empty list elements are ignored
        name, semicolon, _ = coding.partition(";")
        name = name.rstrip(" \t").lower()
        if TOKEN.fullmatch(name) is None:
            raise _reject(400, "invalid transfer coding")
        if name == "chunked" and semicolon:
            raise _reject(400, "chunked takes no parameters")
        names.append(name)
    if not names:
        raise _reject(400, "empty Transfer-Encoding")
    if names[-1] != "chunked" or names.count("chunked") > 1:
        # RFC 9112 §6.3: chunked not final leaves the length unknowable: 400.
        raise _reject(400, "chunked is not the final transfer coding, or is applied twice")
    if len(names) > 1:
        # RFC 9112 §6.1: a coding we do not implement SHOULD get 501.
        raise _reject(501, f"transfer coding {names[0]!r} is not implemented")
    return True


def _check_content_length(values: list[str]) -> int:
    """Validate Content-Length (RFC 9112 §6.3, RFC 9110 §8.6); return its value.

    Identical duplicates (``5, 5`` or two lines of ``5``) are accepted as one,
    as RFC 9110 §8.6 allows; any difference is a 400.
    """
    seen = None
    for value in values:
        for element in value.split(","):
            element = element.strip(" \t")
            if not element.isascii() or not element.isdigit():
                raise _reject(400, "invalid Content-Length")
            if seen is None:
                seen = element
            elif element.lstrip("0") != seen.lstrip("0"):
                raise _reject(400, "conflicting Content-Length values")
    assert seen is not None
    # Without its leading zeros: int() refuses strings of over 4300 digits
    # (sys.get_int_max_str_digits()), however small their value.
    significant = seen.lstrip("0")
    if len(significant) > _MAX_LENGTH_DIGITS:
        raise _reject(413, "request body too large")
    return int(significant or "0")
