"""The PROXY protocol (HAProxy's, versions 1 and 2): a header before the connection's data.

A load balancer that forwards TCP connections (HAProxy, AWS NLB, ...) sends
one header at the very start, saying which client it forwards. The parser
is sans I/O: ``header_length(data)`` says how many octets the header takes
(so that the caller reads exactly those and nothing of what follows, which
may be a TLS ClientHello), and ``parse_header`` decodes them.

The specification is haproxy's ``doc/proxy-protocol.txt``; its sections
are quoted beside the code.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .stage import SetupStage

if TYPE_CHECKING:
    from .reactor import Reactor

__all__ = [
    "MAX_HEADER_BYTES",
    "ProxyHeader",
    "ProxyHeaderReader",
    "ProxyProtocolError",
    "header_length",
    "parse_header",
]

log = logging.getLogger("tapster.error")

#: Version 2's 12-octet signature (section 2.2).
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
#: Version 1's header is one line of at most 107 octets, CRLF included (section 2.1).
V1_MAX_BYTES = 107
#: Version 2: 16 octets, then up to 65,535 of addresses and TLVs (section 2.2).
MAX_HEADER_BYTES = 16 + 65535
#: Fewest octets in which either version shows itself ("PROXY UNKNOWN\r\n" is 15).
SNIFF_BYTES = 15

# Version 2 address families and their address block sizes (section 2.2).
_V2_INET = 0x11  # TCP over IPv4: 4 + 4 + 2 + 2
_V2_INET6 = 0x21  # TCP over IPv6: 16 + 16 + 2 + 2


class ProxyProtocolError(ValueError):
    """The connection does not start with a valid PROXY header."""


@dataclass(frozen=True, slots=True)
class ProxyHeader:
    """What a PROXY header says: the client (``source``) and the address it connected to.

    Both are None when the header carries no addresses (v1 ``UNKNOWN``, v2
    ``LOCAL`` or an unspecified family): the connection is then the proxy's
    own (a health check), and its socket address stays the peer's.
    """

    version: int
    source: tuple[str, int] | None = None
    destination: tuple[str, int] | None = None


def header_length(data: bytes) -> int | None:
    """Octets the header at the start of ``data`` takes; None until ``data`` shows it all.

    Raises ``ProxyProtocolError`` as soon as ``data`` cannot start a header.
    """
    if data[:1] == b"P":
        if not b"PROXY "[: len(data)] == data[:6]:
            raise ProxyProtocolError("not a PROXY protocol header")
        end = data.find(b"\r\n", 0, V1_MAX_BYTES)
        if end >= 0:
            return end + 2
        if len(data) >= V1_MAX_BYTES or b"\n" in data[:V1_MAX_BYTES]:
            raise ProxyProtocolError("PROXY v1 header without CRLF in 107 octets")
        return None
    if V2_SIGNATURE[: len(data)] != data[:12]:
        raise ProxyProtocolError("not a PROXY protocol header")
    if len(data) < 16:
        return None
    return 16 + struct.unpack_from("!H", data, 14)[0]


def parse_header(data: bytes) -> ProxyHeader:
    """Decode one whole header (``data`` is exactly ``header_length(data)`` octets)."""
    if data[:1] == b"P":
        return _parse_v1(data)
    return _parse_v2(data)


def _parse_v1(data: bytes) -> ProxyHeader:
    # Section 2.1: "PROXY" SP protocol [SP src SP dst SP sport SP dport] CRLF,
    # fields separated by exactly one space.
    try:
        line = data[:-2].decode("ascii")
    except UnicodeDecodeError:
        raise ProxyProtocolError("PROXY v1 header is not ASCII") from None
    parts = line.split(" ")
    if len(parts) >= 2 and parts[1] == "UNKNOWN":
        return ProxyHeader(1)  # "the receiver must ignore anything presented before the CRLF"
    if len(parts) != 6 or parts[1] not in ("TCP4", "TCP6"):
        raise ProxyProtocolError(f"malformed PROXY v1 header: {line[:60]!r}")
    kind = ipaddress.IPv4Address if parts[1] == "TCP4" else ipaddress.IPv6Address
    try:
        source = str(kind(parts[2]))
        destination = str(kind(parts[3]))
    except ValueError:
        raise ProxyProtocolError(f"bad address in PROXY v1 header: {line[:60]!r}") from None
    return ProxyHeader(1, (source, _port(parts[4])), (destination, _port(parts[5])))


def _port(text: str) -> int:
    if not (text.isdigit() and text.isascii() and len(text) <= 5 and int(text) <= 65535):
        raise ProxyProtocolError(f"bad port in PROXY v1 header: {text[:8]!r}")
    return int(text)


def _parse_v2(data: bytes) -> ProxyHeader:
    version_command = data[12]
    if version_command >> 4 != 2:
        raise ProxyProtocolError(f"PROXY v2 header of version {version_command >> 4}")
    command = version_command & 0x0F
    if command == 0x0:
        return ProxyHeader(2)  # LOCAL: the proxy's own connection (a health check)
    if command != 0x1:
        raise ProxyProtocolError(f"PROXY v2 header with unknown command {command}")
    family = data[13]
    block = data[16:]
    # Section 2.2: an address block longer than its family needs carries
    # TLVs (which tapster does not use), so only "shorter" is an error.
    if family == _V2_INET:
        if len(block) < 12:
            raise ProxyProtocolError("PROXY v2 header too short for IPv4 addresses")
        source_port, destination_port = struct.unpack_from("!HH", block, 8)
        return ProxyHeader(
            2,
            (str(ipaddress.IPv4Address(block[0:4])), source_port),
            (str(ipaddress.IPv4Address(block[4:8])), destination_port),
        )
    if family == _V2_INET6:
        if len(block) < 36:
            raise ProxyProtocolError("PROXY v2 header too short for IPv6 addresses")
        source_port, destination_port = struct.unpack_from("!HH", block, 32)
        return ProxyHeader(
            2,
            (str(ipaddress.IPv6Address(block[0:16])), source_port),
            (str(ipaddress.IPv6Address(block[16:32])), destination_port),
        )
    # UNSPEC, UNIX, or a datagram protocol: "the receiver ... must ignore the
    # address information" it cannot use; the socket's peer stays.
    if family >> 4 > 3 or family & 0x0F > 2:
        raise ProxyProtocolError(f"PROXY v2 header with unknown family {family:#04x}")
    return ProxyHeader(2)


class ProxyHeaderReader(SetupStage):
    """The first stage of a connection from a trusted proxy: read its PROXY header.

    A reactor handler, on the loop thread only. It reads exactly the
    header's octets (peeking first, so that nothing after it is taken from
    the socket), then calls ``then(header)``, which sets up the next stage.
    A connection that sends anything else, or too little before its
    deadline, is closed.
    """

    __slots__ = ("_buffer",)

    def __init__(
        self,
        sock: socket.socket,
        reactor: Reactor,
        deadline: float,
        then: Callable[[ProxyHeader], None],
    ) -> None:
        super().__init__(sock, reactor, deadline, then)
        self._buffer = b""

    def on_readable(self) -> None:
        """Peek at what arrived; take the header when it is whole."""
        sock = self.sock
        buffer = self._buffer
        try:
            peeked = sock.recv(MAX_HEADER_BYTES - len(buffer), socket.MSG_PEEK)
        except BlockingIOError:
            self.reactor.arm(self)
            return
        except OSError:
            peeked = b""
        if not peeked:
            self.close()
            return
        data = buffer + peeked
        try:
            length = header_length(data)
            if length is None or length > len(data):
                # All of it is header: take it, so that the socket is not
                # reported readable again for the same octets.
                self._take(len(peeked))
                self._buffer = data
                self.reactor.arm(self)
                return
            self._take(length - len(buffer))
            header = parse_header(data[:length])
        except (ProxyProtocolError, OSError) as error:
            log.debug("closed a connection from a trusted proxy: %s", error)
            self.close()
            return
        self._then(header)

    def _take(self, count: int) -> None:
        # The octets were peeked, so they are there: one recv takes them all.
        while count > 0:
            taken = self.sock.recv(count)
            if not taken:
                raise ProxyProtocolError("connection closed in the PROXY header")
            count -= len(taken)

    def on_timeout(self) -> None:
        """No whole header in time (or the server stops): close."""
        log.debug("closed a connection from a trusted proxy: no PROXY header in time")
        self.close()

