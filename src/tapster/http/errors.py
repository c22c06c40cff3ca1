"""Protocol errors, saying who broke the protocol and which status answers it."""

from __future__ import annotations

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError"]


class ProtocolError(Exception):
    """A violation of HTTP/1.1 that ends the exchange.

    ``status`` is the response status to answer with (RFC 9110 §15) and
    ``detail`` a one-line, client-safe explanation used as the response body.
    """

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status} {detail}")
        self.status = status
        self.detail = detail


class RemoteProtocolError(ProtocolError):
    """The peer sent something we must refuse: answer ``status`` and close."""


class LocalProtocolError(ProtocolError):
    """We (or the application behind us) tried to send invalid HTTP.

    Raised before any byte of the offending message is written, so that the
    server can answer 500 instead of emitting a malformed or split response.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(500, detail)
