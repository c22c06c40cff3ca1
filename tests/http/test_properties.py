"""Properties of the parser over generated requests (hypothesis).

- Valid requests give the events their model predicts, and the same events
  however their bytes are cut into pieces.
- Mutated requests make the parser answer events or RemoteProtocolError,
  never anything else, and the same verdict whether fed whole or in pieces.
- Each limit set to exactly what a request needs accepts it, one less refuses
  it, however the bytes are cut.
"""

from __future__ import annotations

import os
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tapster.http import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    RemoteProtocolError,
    RequestParser,
)

from .helpers import normalised
from .strategies import Spec, mutated, requests


def pieces_of(data: bytes, cut_points: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(point % (len(data) + 1) for point in cut_points)})
    return [data[start:end] for start, end in pairwise(bounds)]


def run(
    parser: RequestParser, pieces: list[bytes], *, eof: bool = False,
    events: list[Any] | None = None,
) -> list[Any]:
    """Feed the pieces, answering each complete request (start_next_cycle) as a server would.

    Events go to ``events`` as they come, so a caller keeps them when an error is raised.
    """
    events = [] if events is None else events

    def drain() -> None:
        for _ in range(10_000):
            event = parser.next_event()
            if event is NEED_DATA:
                return
            if event is PAUSED:
                parser.start_next_cycle()
                continue
            events.append(event)
            if isinstance(event, ConnectionClosed):
                return
        raise AssertionError("the parser made no progress")

    for piece in pieces:
        parser.feed(piece)
        drain()
    if eof:
        parser.feed(b"")
        drain()
    return events


def outcome(pieces: list[bytes], **limits: int) -> tuple[list[Any], int | None]:
    """The events (Data joined) of the pieces fed then closed, and the error status if any."""
    events: list[Any] = []
    try:
        run(RequestParser(**limits), pieces, eof=True, events=events)
    except RemoteProtocolError as error:
        return normalised(events), error.status
    return normalised(events), None


# HTTP_PROPERTY_EXAMPLES raises the count for a longer local hunt.
COMMON = settings(
    max_examples=int(os.environ.get("HTTP_PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- valid requests --------------------------------------------------------------------


@COMMON
@given(st.lists(requests(), min_size=1, max_size=3), st.lists(st.integers(0, 10**6), max_size=12))
def test_valid_requests_give_their_events_however_cut(specs: list[Spec], cuts: list[int]) -> None:
    """Events depend on the bytes, never on how they were cut (sans-IO, RFC 9112 §2.1)."""
    data = b"".join(spec.wire() for spec in specs)
    expected = normalised(event for spec in specs for event in spec.events())
    whole = normalised(run(RequestParser(), [data]))
    assert whole == expected
    cut = normalised(run(RequestParser(), pieces_of(data, cuts)))
    assert cut == expected


@COMMON
@given(requests())
def test_valid_request_fed_one_octet_at_a_time(spec: Spec) -> None:
    """The extreme cut: every octet its own feed()."""
    data = spec.wire()
    events = run(RequestParser(), [data[index : index + 1] for index in range(len(data))])
    assert normalised(events) == normalised(spec.events())


# -- mutated requests ------------------------------------------------------------------

limit_sets = st.fixed_dictionaries(
    {},
    optional={
        "max_request_line": st.integers(1, 120),
        "max_header_bytes": st.integers(0, 300),
        "max_header_count": st.integers(0, 10),
        "max_body_bytes": st.integers(0, 300),
        "max_chunk_line": st.integers(1, 40),
        "max_trailer_bytes": st.integers(0, 100),
    },
)


@COMMON
@given(mutated(), limit_sets, st.lists(st.integers(0, 10**6), max_size=8))
def test_mutated_requests_raise_only_remote_protocol_error(
    data: bytes, limits: dict[str, int], cuts: list[int]
) -> None:
    """Whatever the peer sends, the parser answers events or RemoteProtocolError, nothing else."""
    for pieces in ([data], pieces_of(data, cuts)):
        try:
            run(RequestParser(**limits), pieces, eof=True)
        except RemoteProtocolError as error:
            assert 400 <= error.status <= 505


@COMMON
@given(mutated(), limit_sets, st.lists(st.integers(0, 10**6), max_size=8))
def test_mutated_requests_same_verdict_however_cut(
    data: bytes, limits: dict[str, int], cuts: list[int]
) -> None:
    """Accepted or refused, and the events before, do not depend on where the bytes were cut.

    The status may: a request with two faults (a bare LF in a line that is
    also too long, say) is refused for whichever the parser sees first.
    """
    whole_events, whole_status = outcome([data], **limits)
    cut_events, cut_status = outcome(pieces_of(data, cuts), **limits)
    assert cut_events == whole_events
    assert (cut_status is None) == (whole_status is None)


# -- limits at their exact boundary ----------------------------------------------------


@COMMON
@given(requests(leading=False), st.lists(st.integers(0, 10**6), max_size=6), st.data())
def test_each_limit_is_exact_however_cut(spec: Spec, cuts: list[int], data: st.DataObject) -> None:
    """A limit equal to what the request needs accepts it; one less refuses it, cut anywhere."""
    needs = {
        "max_request_line": (len(spec.request_line), 414),
        "max_header_bytes": (len(spec.field_section), 431),
        "max_header_count": (len(spec.fields), 431),
        "max_body_bytes": (len(spec.body), 413),
    }
    if spec.framing == "chunked":
        needs["max_chunk_line"] = (max(len(line) for line in spec.chunk_lines), 400)
        needs["max_trailer_bytes"] = (len(spec.trailer_section), 431)
    name = data.draw(st.sampled_from(sorted(needs)))
    need, status = needs[name]
    if name == "max_body_bytes" and spec.framing == "none":
        need, status = 0, None  # a request without a body fits any body limit
    wire = spec.wire()
    pieces = pieces_of(wire, cuts)
    assert normalised(run(RequestParser(**{name: need}), pieces)) == normalised(spec.events())
    if status is not None and need > 0:
        parser = RequestParser(**{name: need - 1})
        try:
            run(parser, pieces)
        except RemoteProtocolError as error:
            assert error.status == status
        else:
            raise AssertionError(f"{name}={need - 1} did not refuse the request")
