"""The response side, sans I/O: a status and fields in, a framed head out.

``frame_response()`` decides how the body is delimited (RFC 9112 §6), whether
the connection stays open (§9.3), validates every field so that nothing the
application passes can split the response, and returns the head as bytes.
``chunk()`` frames one piece of a chunked body.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

from .errors import LocalProtocolError
from .grammar import FIELD_VALUE_INVALID, TOKEN

__all__ = [
    "LAST_CHUNK",
    "Framing",
    "ResponseHead",
    "chunk_prefix",
    "error_response",
    "frame_response",
    "http_date",
    "reason_phrase",
]


class Framing(enum.Enum):
    """How a response body is delimited (RFC 9112 §6.3)."""

    #: No body at all: a response to HEAD, or status 1xx, 204 or 304.
    NO_BODY = "no-body"
    #: ``Content-Length`` bytes.
    LENGTH = "length"
    #: The chunked transfer coding (HTTP/1.1 only).
    CHUNKED = "chunked"
    #: Until the connection closes (HTTP/1.0 with an unknown length).
    UNTIL_CLOSE = "until-close"


@dataclass(frozen=True, slots=True)
class ResponseHead:
    """A serialised response head and what it promises about the body (shared: immutable)."""

    data: bytes
    status_code: int
    framing: Framing
    #: The body length the head declares, when ``framing`` is ``LENGTH``.
    content_length: int | None
    #: Whether the connection may carry another request after this response.
    keep_alive: bool


#: The body of a chunked message ends with a zero-size chunk and no trailers.
LAST_CHUNK = b"0\r\n\r\n"

# "200 OK" -> (200, b"HTTP/1.1 200 OK\r\n"); statuses repeat, so validate once.
_STATUS_LINES: dict[str, tuple[int, bytes]] = {}
_STATUS_LINES_MAX = 512
# Field names already checked to be tokens, mapped to their lower-case form.
_NAMES: dict[str, str] = {}
_NAMES_MAX = 1024
# RFC 9110 §7.6.1: fields that describe the connection, not the message.
_HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
     "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade")
)

_date_second = 0
_date_line = b""


def http_date() -> bytes:
    """The ``Date`` field line for now (RFC 9110 §6.6.1), computed once a second."""
    global _date_second, _date_line
    now = int(time.time())
    if now != _date_second:
        # Two threads may both refresh at a second boundary: harmless, same value.
        _date_line = b"Date: " + formatdate(now, usegmt=True).encode("ascii") + b"\r\n"
        _date_second = now
    return _date_line


def chunk_prefix(size: int) -> bytes:
    """The chunk-size line that goes before ``size`` bytes of chunk data."""
    return b"%x\r\n" % size


def _status_line(status: str) -> tuple[int, bytes]:
    cached = _STATUS_LINES.get(status)
    if cached is not None:
        return cached
    if type(status) is not str:
        raise LocalProtocolError(f"status must be a str, not {type(status).__name__}")
    # RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
    #              reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
    code, space, reason = status.partition(" ")
    if (
        len(code) != 3
        or not code.isdigit()
        or not code.isascii()
        or code[0] == "0"
        or not space
        or FIELD_VALUE_INVALID.search(reason)
    ):
        raise LocalProtocolError(f"invalid status {status!r}")
    try:
        line = b"HTTP/1.1 " + status.encode("latin-1") + b"\r\n"
    except UnicodeEncodeError:
        raise LocalProtocolError(f"status {status!r} is not latin-1") from None
    cached = (int(code), line)
    if len(_STATUS_LINES) < _STATUS_LINES_MAX:
        _STATUS_LINES[status] = cached
    return cached


def _field_name(name: str) -> str:
    lower = _NAMES.get(name)
    if lower is not None:
        return lower
    if type(name) is not str:
        raise LocalProtocolError(f"header name must be a str, not {type(name).__name__}")
    if TOKEN.fullmatch(name) is None:
        raise LocalProtocolError(f"invalid header name {name!r}")
    lower = name.lower()
    if len(_NAMES) < _NAMES_MAX:
        _NAMES[name] = lower
    return lower


def frame_response(
    status: str,
    headers: Iterable[tuple[str, str]],
    *,
    method: str,
    http_version: str,
    keep_alive: bool,
    body_length: int | None = None,
    server: bytes = b"",
) -> ResponseHead:
    """Validate and serialise a response head, choosing its framing.

    ``keep_alive`` is whether both the request and the server allow another
    request on this connection; the framing can still rule it out.
    ``body_length`` is the body's length when the server knows it without the
    application saying so (a body of one piece); ``server`` is a complete
    ``Server`` field line, or ``b""`` for none. Raises ``LocalProtocolError``
    when a status or field is invalid, before anything is sent.
    """
    # Framing is a pure function of the arguments, and most responses repeat
    # (same status, same headers), so results are memoized without the Date
    # line, which is spliced in fresh. Unhashable headers skip the memo.
    # The headers are read once: an iterator would be empty the second time.
    headers = tuple(headers)
    try:
        key: tuple[Any, ...] | None = (
            status, headers, method == "HEAD", http_version, keep_alive, body_length, server
        )
        framed = _FRAMED.get(key)
    except TypeError:
        key = framed = None
    date = http_date()
    if framed is not None and framed[0] is date:
        return framed[2]  # the same head, already built this second
    if framed is None:
        framed = [None, _frame(status, headers, method, http_version, keep_alive, body_length,
                               server), None]
        if key is not None:
            if len(_FRAMED) >= _FRAMED_MAX:
                _FRAMED.clear()
            _FRAMED[key] = framed
    status_line, with_date, rest, code, framing, length, keep_alive = framed[1]
    data = status_line + date + rest if with_date else status_line + rest
    head = ResponseHead(data, code, framing, length, keep_alive)
    # The head first, then the date that vouches for it: a thread reading in
    # between sees the old date and rebuilds (the same value), never a None.
    framed[2] = head
    framed[0] = date
    return head


# Memo of _frame() results, each with the head last built from it and the Date
# line it was built with; when full it starts over (a bound, not an LRU).
_FRAMED: dict[tuple[Any, ...], list[Any]] = {}
_FRAMED_MAX = 512


def _frame(
    status: str,
    headers: Iterable[tuple[str, str]],
    method: str,
    http_version: str,
    keep_alive: bool,
    body_length: int | None,
    server: bytes,
) -> tuple[bytes, bool, bytes, int, Framing, int | None, bool]:
    code, status_line = _status_line(status)
    lines = []
    declared_length: str | None = None
    has_date = has_server = False
    for name, value in headers:
        lower = _field_name(name)
        if type(value) is not str:
            raise LocalProtocolError(f"value of header {name!r} must be a str")
        if FIELD_VALUE_INVALID.search(value):
            # CR, LF or NUL here would split the response (CWE-113).
            raise LocalProtocolError(f"invalid character in the value of header {name!r}")
        if lower in _HOP_BY_HOP:
            if lower == "connection" and "close" in value.lower():
                keep_alive = False  # honoured; the server writes its own Connection field
                continue
            # PEP 3333: applications must not send hop-by-hop fields; framing
            # and the connection are the server's (RFC 9110 §7.6.1).
            raise LocalProtocolError(f"hop-by-hop header {name!r} is the server's to send")
        if lower == "content-length":
            value = value.strip(" \t")
            if declared_length is not None and value != declared_length:
                raise LocalProtocolError("conflicting Content-Length headers")
            if not value.isascii() or not value.isdigit():
                raise LocalProtocolError(f"invalid Content-Length {value!r}")
            if declared_length is not None:
                continue
            declared_length = value
            if code < 200 or code == 204:
                continue  # RFC 9110 §8.6: MUST NOT send Content-Length with 1xx or 204
        elif lower == "date":
            has_date = True
        elif lower == "server":
            has_server = True
        lines.append(f"{name}: {value}\r\n")

    if method == "HEAD" or code < 200 or code == 204 or code == 304:
        # RFC 9110 §9.3.2, §15.3.5, §15.4.5: these responses have no body. A
        # response to HEAD keeps the fields, Content-Length included, that the
        # same GET would have had: the length of a body the application
        # produced anyway, but never 0 inferred from an empty one; and only
        # where a GET would have had a body (never on 204, §8.6: MUST NOT).
        framing = Framing.NO_BODY
        length = None
        if (
            method == "HEAD"
            and declared_length is None
            and body_length
            and code >= 200
            and code != 204
            and code != 304
        ):
            lines.append(f"Content-Length: {body_length}\r\n")
    elif declared_length is not None:
        framing = Framing.LENGTH
        length = int(declared_length)
    elif body_length is not None:
        framing = Framing.LENGTH
        length = body_length
        lines.append(f"Content-Length: {body_length}\r\n")
    elif http_version == "1.1":
        framing = Framing.CHUNKED
        length = None
        lines.append("Transfer-Encoding: chunked\r\n")
    else:
        # An HTTP/1.0 client cannot decode chunked: the body ends at close.
        framing = Framing.UNTIL_CLOSE
        length = None
        keep_alive = False

    if not keep_alive:
        lines.append("Connection: close\r\n")
    elif http_version == "1.0":
        lines.append("Connection: keep-alive\r\n")  # RFC 9112 §9.3: 1.0 opts in
    lines.append("\r\n")
    try:
        fields = "".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        raise LocalProtocolError("a header value is not latin-1 (PEP 3333 §Unicode)") from None
    rest = fields if has_server else server + fields
    return status_line, not has_date, rest, code, framing, length, keep_alive


def error_response(status: int, detail: str, server: bytes) -> bytes:
    """A complete response for an error the server answers itself, then closes.

    The body is the one-line ``detail``: client-safe, never a traceback.
    """
    body = (detail + "\n").encode("utf-8")
    return (
        f"HTTP/1.1 {status} {reason_phrase(status)}\r\n".encode("ascii")
        + http_date()
        + server
        + b"Content-Type: text/plain; charset=utf-8\r\n"
        + f"Content-Length: {len(body)}\r\n".encode("ascii")
        + b"Connection: close\r\n\r\n"
        + body
    )


def reason_phrase(status: int) -> str:
    """The standard reason phrase of a status code (RFC 9110 §15), or ``"Error"``."""
    return _REASONS.get(status, "Error")


_REASONS = {status.value: status.phrase for status in HTTPStatus}
