"""tapster's HTTP/1.1 engine, sans I/O: bytes in, events out; a response in, bytes out.

It knows nothing of sockets, threads or WSGI, so it can be tested on raw
bytes split at any boundary.
"""

from __future__ import annotations

from .errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from .events import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Request,
)
from .parser import ParserState, RequestParser
from .response import LAST_CHUNK, Framing, ResponseHead, chunk_prefix, frame_response, http_date

__all__ = [
    "LAST_CHUNK",
    "NEED_DATA",
    "PAUSED",
    "ConnectionClosed",
    "Data",
    "EndOfMessage",
    "Framing",
    "LocalProtocolError",
    "ParserState",
    "ProtocolError",
    "RemoteProtocolError",
    "Request",
    "RequestParser",
    "ResponseHead",
    "chunk_prefix",
    "frame_response",
    "http_date",
]
