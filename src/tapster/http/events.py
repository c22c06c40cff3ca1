"""Events the request parser emits.

Like h11's, they are small slotted dataclasses. ``Data`` and ``EndOfMessage``
are frozen; ``Request`` is not, only because a frozen dataclass pays an
``object.__setattr__`` call per field on construction (about 0.6 µs for its
twelve fields, measured), once per request on the hot path. Treat it as
immutable all the same. It compares and hashes by identity (``eq=False``),
so that layers above can memoize what they derive from a memoized request.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NEED_DATA", "PAUSED", "ConnectionClosed", "Data", "EndOfMessage", "Request"]


@dataclass(slots=True, eq=False)
class Request:
    """A parsed, validated request head (RFC 9112 §2.1).

    Strings are latin-1 decodings of the octets received, so obs-text in a
    field value or a raw UTF-8 target survives byte for byte.
    """

    #: The method token, case kept as sent (RFC 9110 §9.1: methods are case-sensitive).
    method: str
    #: The request-target exactly as sent (RFC 9112 §3.2).
    target: str
    #: The path of the target, not percent-decoded; ``"*"`` for asterisk-form.
    path: str
    #: The query of the target without the ``?``; ``""`` when absent.
    query: str
    #: ``"1.1"`` or ``"1.0"``; other HTTP/1.x minor versions are treated as 1.1 (RFC 9110 §2.5).
    http_version: str
    #: Field lines in the order received, names lower-cased, values trimmed of SP/HTAB.
    headers: list[tuple[str, str]]
    #: The authority the request is for: the absolute-form target's, else the Host field's.
    host: str | None
    #: Declared body length, or ``None`` for a chunked body or none at all.
    content_length: int | None
    #: Whether the body uses the chunked transfer coding.
    chunked: bool
    #: Whether the client allows the connection to stay open after this exchange.
    keep_alive: bool
    #: Whether the client waits for ``100 Continue`` before sending the body (RFC 9110 §10.1.1).
    expect_continue: bool
    #: Whether the target was in absolute-form (``http://host/path``).
    absolute_form: bool = False


@dataclass(frozen=True, slots=True)
class Data:
    """A piece of the request body, already de-chunked."""

    data: bytes


@dataclass(frozen=True, slots=True)
class EndOfMessage:
    """The request body is complete (trailers, if any, were validated and dropped)."""


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The peer closed its sending side cleanly between two requests."""


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: ``next_event()`` needs more bytes before it can say anything.
NEED_DATA = _Sentinel("NEED_DATA")
#: The current request is complete; ``start_next_cycle()`` must be called
#: (after the response is sent) before the next request is parsed.
PAUSED = _Sentinel("PAUSED")

#: The one ``EndOfMessage`` instance (it carries nothing, so one is enough).
END_OF_MESSAGE = EndOfMessage()
#: The one ``ConnectionClosed`` instance.
CONNECTION_CLOSED = ConnectionClosed()
