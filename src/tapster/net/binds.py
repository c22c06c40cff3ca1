"""Bind addresses: parsing ``--bind`` values into what a listener needs.

Accepted forms (the same as gunicorn's, plus systemd):

- ``HOST:PORT``, ``HOST`` (port 8000), ``:PORT`` (all IPv4 interfaces),
- ``[IPV6]:PORT``, ``[IPV6]``,
- ``unix:PATH`` (a unix domain socket),
- ``fd://N`` (an inherited, already listening socket).

Port 0 asks the kernel for a free port; the listener reports the real one.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_PORT", "Bind", "BindError", "parse_bind"]

#: The port of a bind that names none (gunicorn and Flask's ``app.run`` use 8000 and 5000).
DEFAULT_PORT = 8000


class BindError(ValueError):
    """A bind address is malformed, or cannot be bound; the message says which."""


@dataclass(frozen=True, slots=True)
class Bind:
    """One place to listen on: exactly one of (host, port), path or fd is set."""

    #: How the user wrote it, for messages.
    spec: str
    host: str | None = None
    port: int | None = None
    #: Path of a unix domain socket.
    path: str | None = None
    #: An inherited file descriptor.
    fd: int | None = None


def parse_bind(spec: str) -> Bind:
    """Parse one ``--bind`` value, raising ``BindError`` naming what is wrong."""
    text = spec.strip()
    if not text:
        raise BindError("empty bind address")
    if text.startswith("unix:"):
        path = text[5:]
        if not path:
            raise BindError(f"bind {spec!r}: unix: needs a path")
        return Bind(spec, path=path)
    if text.startswith("fd://"):
        digits = text[5:]
        if not digits.isdigit():
            raise BindError(f"bind {spec!r}: fd:// needs a file descriptor number")
        return Bind(spec, fd=int(digits))
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or not host:
            raise BindError(f"bind {spec!r}: unclosed or empty [IPv6] address")
        if rest and not rest.startswith(":"):
            raise BindError(f"bind {spec!r}: expected :PORT after the ]")
        port_text = rest[1:] if rest else None
    else:
        host, colon, port_text_or_empty = text.rpartition(":")
        if not colon:
            host, port_text = text, None
        else:
            if ":" in host:
                raise BindError(f"bind {spec!r}: write an IPv6 address in brackets, [::1]:8000")
            port_text = port_text_or_empty
            host = host or "0.0.0.0"
    return Bind(spec, host=host, port=_parse_port(spec, port_text))


def _parse_port(spec: str, text: str | None) -> int:
    if text is None:
        return DEFAULT_PORT
    if not text.isdigit() or not text.isascii():
        raise BindError(f"bind {spec!r}: port {text!r} is not a number")
    port = int(text)
    if port > 65535:
        raise BindError(f"bind {spec!r}: port {port} is out of range (0-65535)")
    return port
