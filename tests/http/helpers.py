"""Helpers for the engine's tests: build requests as bytes, feed them, collect events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from itertools import pairwise
from typing import Any

import pytest

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


def message(*lines: str, body: bytes = b"") -> bytes:
    """A request head from its lines (request line first), CRLF-ended, then ``body``.

    Lines are ``str`` encoded as latin-1, so any octet can be written as ``"\\xNN"``.
    """
    return "".join(line + "\r\n" for line in lines).encode("latin-1") + b"\r\n" + body


def drain(parser: RequestParser) -> list[Any]:
    """Every event the parser can give now, up to ``NEED_DATA`` or ``PAUSED`` (left out)."""
    events: list[Any] = []
    while True:
        event = parser.next_event()
        if event is NEED_DATA or event is PAUSED:
            return events
        events.append(event)
        if isinstance(event, ConnectionClosed):
            return events


def parse(data: bytes, *, eof: bool = False, **limits: Any) -> list[Any]:
    """The events of ``data`` fed at once to a new parser (then EOF if ``eof``)."""
    parser = RequestParser(**limits)
    parser.feed(data)
    if eof:
        parser.feed(b"")
    return drain(parser)


def parse_request(data: bytes, **limits: Any) -> Request:
    """The ``Request`` event of ``data``, which must be a valid head."""
    events = parse(data, **limits)
    assert events and isinstance(events[0], Request), events
    return events[0]


def parse_body(data: bytes, **limits: Any) -> bytes:
    """The body of the one complete request in ``data``, its ``Data`` pieces joined."""
    events = parse(data, **limits)
    assert isinstance(events[0], Request), events
    assert isinstance(events[-1], EndOfMessage), events
    assert all(isinstance(event, Data) for event in events[1:-1]), events
    return b"".join(event.data for event in events[1:-1])


def rejection(data: bytes, *, eof: bool = False, **limits: Any) -> RemoteProtocolError:
    """The error a new parser raises on ``data``; fails the test if there is none."""
    parser = RequestParser(**limits)
    parser.feed(data)
    if eof:
        parser.feed(b"")
    with pytest.raises(RemoteProtocolError) as caught:
        drain(parser)
    return caught.value


def feed_pieces(parser: RequestParser, pieces: Iterable[bytes]) -> list[Any]:
    """Feed ``pieces`` one at a time, draining the events after each."""
    events: list[Any] = []
    for piece in pieces:
        parser.feed(piece)
        events += drain(parser)
    return events


def normalised(events: Iterable[Any]) -> list[Any]:
    """Events as comparable values: consecutive ``Data`` pieces joined into one, and each
    ``Request`` as a dict of its fields (``Request`` compares by identity, ``eq=False``)."""
    merged: list[Any] = []
    for event in events:
        if isinstance(event, Data) and merged and isinstance(merged[-1], Data):
            merged[-1] = Data(merged[-1].data + event.data)
        elif isinstance(event, Request):
            merged.append(asdict(event))
        else:
            merged.append(event)
    return merged


def cuts(data: bytes, *positions: int) -> list[bytes]:
    """``data`` cut at the given offsets (negative ones count from the end)."""
    offsets = sorted({p % len(data) if p < 0 else p for p in positions})
    bounds = [0, *offsets, len(data)]
    return [data[start:end] for start, end in pairwise(bounds) if end > start]
