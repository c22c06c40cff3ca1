"""What the fuzz targets check, shared by both and by the test that runs them.

Nothing here needs atheris: the checks are plain functions of the input bytes,
so the test suite replays the seed corpus through them too, and a crash found
by a long run can be replayed with ``python fuzz/request_parser.py CRASH_FILE``.

For every input, the engine must:

- raise nothing but ``RemoteProtocolError``, with a status it documents, and
  raise the same error again on every later call (the first error is final);
- give the same complete events, and the same verdict, however the bytes are
  cut into ``feed()`` calls;
- give events that are consistent: a ``Request`` first, ``Data`` pieces that
  are never empty and add up to its Content-Length, then ``EndOfMessage``;
- parse each request it accepted the same way again when that request is
  written out plainly (method, target, version, fields, body by length).

The chunked target also decodes the body with ``reference_chunked()``, a
second decoder written straight from RFC 9112 §7.1 (whole input, no state
machine), and the two must agree on the verdict and the data.
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import asdict
from itertools import pairwise
from typing import Any

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

#: The statuses the engine may answer a request with (docs/http.md).
STATUSES = frozenset((400, 413, 414, 417, 431, 501, 505))
#: Small limits, so that short inputs reach every limit check too.
SMALL_LIMITS = {
    "max_request_line": 64,
    "max_header_bytes": 128,
    "max_header_count": 4,
    "max_body_bytes": 64,
    "max_chunk_line": 16,
    "max_trailer_bytes": 32,
}
#: A bound on events per input: more means the parser stopped making progress.
MAX_STEPS = 100_000


class InvariantError(AssertionError):
    """The engine broke one of the promises above (a fuzzing finding)."""


def run(pieces: list[bytes], **limits: Any) -> tuple[list[Any], RemoteProtocolError | None]:
    """Feed ``pieces`` then EOF, answering each request as a server would.

    Returns the events (``NEED_DATA``/``PAUSED`` left out) and the error, if any.
    """
    parser = RequestParser(**limits)
    events: list[Any] = []
    error = None
    try:
        for piece in [*pieces, b""]:
            parser.feed(piece)
            for _ in range(MAX_STEPS):
                event = parser.next_event()
                if event is NEED_DATA:
                    break
                if event is PAUSED:
                    parser.start_next_cycle()
                    continue
                events.append(event)
                if isinstance(event, ConnectionClosed):
                    break
            else:
                raise InvariantError("the parser made no progress")
    except RemoteProtocolError as caught:
        error = caught
    if error is not None:
        if error.status not in STATUSES:
            raise InvariantError(f"undocumented status {error.status}: {error.detail}")
        if not error.detail or "\n" in error.detail:
            raise InvariantError(f"the detail must be one line: {error.detail!r}")
        try:
            parser.next_event()
        except RemoteProtocolError as again:
            if again is not error:
                raise InvariantError("a later call raised another error") from None
        else:
            raise InvariantError("the parser went on after an error")
    return events, error


def messages(events: list[Any]) -> list[tuple[Request, bytes]]:
    """The complete requests among ``events``, with their bodies; checks their order."""
    complete = []
    request: Request | None = None
    body: list[bytes] = []
    for event in events:
        if isinstance(event, Request):
            if request is not None:
                raise InvariantError("a Request before the last one ended")
            request, body = event, []
        elif isinstance(event, Data):
            if request is None or not event.data:
                raise InvariantError(f"Data outside a request or empty: {event!r}")
            body.append(event.data)
        elif isinstance(event, EndOfMessage):
            if request is None:
                raise InvariantError("EndOfMessage outside a request")
            data = b"".join(body)
            if request.content_length is not None and len(data) != request.content_length:
                raise InvariantError("the body does not match its Content-Length")
            if request.chunked and request.content_length is not None:
                raise InvariantError("chunked with a Content-Length")
            complete.append((request, data))
            request = None
        elif not isinstance(event, ConnectionClosed):
            raise InvariantError(f"unknown event {event!r}")
    return complete


def comparable(complete: list[tuple[Request, bytes]]) -> list[tuple[dict[str, Any], bytes]]:
    return [(asdict(request), body) for request, body in complete]


def cut(data: bytes) -> list[bytes]:
    """``data`` cut at a few places chosen from its own checksum (reproducible)."""
    rng = random.Random(zlib.crc32(data))
    points = sorted({rng.randrange(len(data) + 1) for _ in range(rng.randrange(1, 8))})
    bounds = [0, *points, len(data)]
    return [data[start:end] for start, end in pairwise(bounds) if end > start]


def rewritten(request: Request, body: bytes) -> bytes:
    """The request written out plainly: what it means, without how it was framed."""
    lines = [f"{request.method} {request.target} HTTP/{request.http_version}"]
    for name, value in request.headers:
        if name not in ("content-length", "transfer-encoding"):
            lines.append(f"{name}: {value}")
    if request.content_length is not None or request.chunked:
        lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def check(data: bytes) -> None:
    """Every promise above, on one input; raises ``InvariantError`` (or the bug itself)."""
    whole, whole_error = run([data])
    complete = messages(whole)
    pieces, pieces_error = run(cut(data))
    if comparable(messages(pieces)) != comparable(complete):
        raise InvariantError("the requests depend on how the bytes were cut")
    if (whole_error is None) != (pieces_error is None):
        raise InvariantError("the verdict depends on how the bytes were cut")
    for request, body in complete:
        again, again_error = run([rewritten(request, body)])
        if again_error is not None:
            raise InvariantError(f"a request it accepted, written plainly, is refused: "
                                 f"{again_error}") from again_error
        [(request_again, body_again)] = messages(again)
        expected = asdict(request)
        got = asdict(request_again)
        # Writing the fields plainly changes only the framing fields' spelling.
        for fields in (expected, got):
            fields["headers"] = [(n, v) for n, v in fields["headers"]
                                 if n not in ("content-length", "transfer-encoding")]
            fields["chunked"] = False
            fields["content_length"] = None
        if got != expected or body_again != body:
            raise InvariantError(f"a re-parse differs: {expected} != {got}")
    run([data], **SMALL_LIMITS)  # limits reached early: still only protocol errors
    run(cut(data), **SMALL_LIMITS)


# -- the chunked body, against a reference decoder ---------------------------------------------

#: The head the chunked target puts before its input.
CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n"

# RFC 9110 §5.6.2 token, §5.6.4 quoted-string; RFC 9112 §7.1.1 chunk-ext, §5 field-line.
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_EXT = rb"[ \t]*;[ \t]*" + _TOKEN + rb"(?:[ \t]*=[ \t]*(?:" + _TOKEN + rb"|" + _QUOTED + rb"))?"
_REF_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]+)(?:" + _EXT + rb")*")
_VCHAR = rb"[\x21-\x7e\x80-\xff]"
_REF_FIELD_LINE = re.compile(
    _TOKEN + rb":[ \t]*(?:" + _VCHAR + rb"(?:[ \t\x21-\x7e\x80-\xff]*" + _VCHAR + rb")?)?[ \t]*"
)
_MAX_CHUNK_LINE = 4096  # tapster.http.limits.MAX_CHUNK_LINE
_MAX_DIGITS = 16  # tapster.http.limits.MAX_CHUNK_SIZE_DIGITS
_MAX_TRAILERS = 65536  # tapster.http.limits.MAX_TRAILER_BYTES
_MAX_BODY = 1024**3  # tapster.http.limits.MAX_BODY_BYTES


def reference_chunked(body: bytes) -> bytes | None:
    """The data of the chunked body at the start of ``body``, or None if it is invalid
    or incomplete, by RFC 9112 §7.1 and tapster's limits; what follows it is ignored."""
    pos = 0
    data = []
    total = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0 or end - pos > _MAX_CHUNK_LINE:
            return None
        match = _REF_CHUNK_LINE.fullmatch(body, pos, end)
        if match is None or len(match[1]) > _MAX_DIGITS:
            return None
        size = int(match[1], 16)
        total += size
        if total > _MAX_BODY:
            return None
        pos = end + 2
        if not size:
            break
        if body[pos + size : pos + size + 2] != b"\r\n":  # also when the data is cut short
            return None
        data.append(body[pos : pos + size])
        pos += size + 2
    # trailer-section = *( field-line CRLF ), then the CRLF that ends the body.
    start = pos
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return None
        if end == pos:
            break
        if _REF_FIELD_LINE.fullmatch(body, pos, end) is None:
            return None
        pos = end + 2
    if pos - start - 2 > _MAX_TRAILERS:
        return None
    return b"".join(data)


def check_chunked(body: bytes) -> None:
    """``check()`` on a chunked request with ``body``, and the reference decoder's verdict."""
    data = CHUNKED_HEAD + body
    check(data)
    events, _ = run([data])
    complete = messages(events)
    ours = complete[0][1] if complete else None
    reference = reference_chunked(body)
    if ours != reference:
        raise InvariantError(f"tapster decoded {ours!r}, the reference {reference!r}")
