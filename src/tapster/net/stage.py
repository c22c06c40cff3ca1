"""What the stages a new connection may pass before HTTP have in common.

A PROXY header reader (``proxy_protocol.py``) and a TLS handshake
(``tls.py``) are reactor handlers that run on the loop thread only, under
the head deadline set at the accept, and hand the socket on to ``then``
when done. If the server stops first, or the deadline passes, the
connection is closed: nothing has been served on it yet.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .reactor import Reactor

__all__ = ["SetupStage"]


class SetupStage:
    """A reactor handler for a connection not yet speaking HTTP; subclasses read or shake."""

    __slots__ = ("_then", "armed", "deadline", "fd", "reactor", "registered", "sock")

    def __init__(
        self,
        sock: socket.socket,
        reactor: Reactor,
        deadline: float,
        then: Callable[[Any], None],
    ) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.reactor = reactor
        self.deadline = deadline
        self.armed = False
        self.registered = False
        self._then = then

    def on_shutdown(self) -> None:
        """The server stops: nothing was served on this connection yet; close."""
        self.close()

    def close(self) -> None:
        """Close the socket and forget the connection."""
        self.reactor.forget(self)  # type: ignore[arg-type]
        try:
            self.sock.close()
        except OSError:
            pass
