"""The PROXY protocol parser (v1 text, v2 binary), on bytes alone."""

from __future__ import annotations

import socket
import struct

import pytest

from tapster.net.proxy_protocol import (
    MAX_HEADER_BYTES,
    V2_SIGNATURE,
    ProxyHeader,
    ProxyProtocolError,
    header_length,
    parse_header,
)


def v2(command: int = 1, family: int = 0x11, addresses: bytes = b"", tlvs: bytes = b"") -> bytes:
    block = addresses + tlvs
    return V2_SIGNATURE + bytes([0x20 | command, family]) + struct.pack("!H", len(block)) + block


def inet(source: str, destination: str, sport: int, dport: int) -> bytes:
    return socket.inet_aton(source) + socket.inet_aton(destination) + struct.pack("!HH", sport,
                                                                                  dport)


def inet6(source: str, destination: str, sport: int, dport: int) -> bytes:
    return (socket.inet_pton(socket.AF_INET6, source)
            + socket.inet_pton(socket.AF_INET6, destination) + struct.pack("!HH", sport, dport))


def parse_whole(data: bytes) -> ProxyHeader:
    """Parse as the reader does: the length first, however the bytes arrive, then the header."""
    for cut in range(len(data)):
        # Unknown yet, or (v2, once its 16 first octets are in) known in advance.
        assert header_length(data[:cut]) in (None, len(data)), cut
    length = header_length(data + b"GET / HTTP/1.1\r\n")
    assert length == len(data)
    return parse_header(data)


# -- version 1 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n",
         ProxyHeader(1, ("192.0.2.1", 56324), ("198.51.100.2", 443))),
        (b"PROXY TCP6 2001:db8::1 2001:db8::2 4711 80\r\n",
         ProxyHeader(1, ("2001:db8::1", 4711), ("2001:db8::2", 80))),
        (b"PROXY TCP6 2001:DB8:0:0::1 ::2 0 65535\r\n",
         ProxyHeader(1, ("2001:db8::1", 0), ("::2", 65535))),
        (b"PROXY UNKNOWN\r\n", ProxyHeader(1)),
        (b"PROXY UNKNOWN ffff:f...f:ffff 1 2 3\r\n", ProxyHeader(1)),  # the rest is ignored
    ],
)
def test_v1_valid(line, expected):
    assert parse_whole(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        b"PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n",  # a field missing
        b"PROXY TCP4 192.0.2.1  198.51.100.2 56324 443\r\n",  # two spaces
        b"PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n",  # IPv6 under TCP4
        b"PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n",  # IPv4 under TCP6
        b"PROXY TCP4 192.0.2.01 198.51.100.2 1 2\r\n",  # leading zero in an octet
        b"PROXY TCP4 192.0.2.1 198.51.100.2 65536 2\r\n",  # port out of range
        b"PROXY TCP4 192.0.2.1 198.51.100.2 -1 2\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.2 1 2 \r\n",  # trailing space
        b"PROXY UDP4 192.0.2.1 198.51.100.2 1 2\r\n",
        b"PROXY tcp4 192.0.2.1 198.51.100.2 1 2\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.\xff 1 2\r\n",
    ],
)
def test_v1_invalid(line):
    with pytest.raises(ProxyProtocolError):
        parse_header(line[: header_length(line)])


@pytest.mark.parametrize(
    "start",
    [
        b"GET / HTTP/1.1\r\n",  # no header at all
        b"PROXY\r\n",
        b"PROXX ",
        b"\x16\x03\x01\x02\x00",  # a TLS ClientHello
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",  # bare LF
        b"PROXY " + b"1" * 120,  # no CRLF within 107 octets
    ],
)
def test_not_a_header_is_refused_as_soon_as_seen(start):
    with pytest.raises(ProxyProtocolError):
        header_length(start)


# -- version 2 ------------------------------------------------------------------------


def test_v2_ipv4():
    data = v2(addresses=inet("192.0.2.1", "198.51.100.2", 56324, 443))
    assert parse_whole(data) == ProxyHeader(2, ("192.0.2.1", 56324), ("198.51.100.2", 443))


def test_v2_ipv6_with_tlvs():
    tlvs = b"\x04\x00\x03abc" + b"\x20\x00\x05\x01\x00\x00\x00\x00"  # NOOP, SSL
    data = v2(family=0x21, addresses=inet6("2001:db8::1", "2001:db8::2", 1, 2), tlvs=tlvs)
    assert parse_whole(data) == ProxyHeader(2, ("2001:db8::1", 1), ("2001:db8::2", 2))


def test_v2_local_keeps_the_socket_peer():
    assert parse_whole(v2(command=0, family=0x00)) == ProxyHeader(2)
    assert parse_whole(v2(command=0, family=0x11, addresses=inet("1.2.3.4", "5.6.7.8", 1, 2))
                       ) == ProxyHeader(2)


@pytest.mark.parametrize("family", [0x00, 0x31, 0x12])  # UNSPEC, UNIX stream, UDP over IPv4
def test_v2_families_without_a_usable_address(family):
    addresses = b"\x00" * 216 if family == 0x31 else inet("1.2.3.4", "5.6.7.8", 1, 2)
    assert parse_whole(v2(family=family, addresses=addresses)) == ProxyHeader(2)


@pytest.mark.parametrize(
    "data",
    [
        v2(addresses=b"\x00" * 11),  # too short for IPv4
        v2(family=0x21, addresses=b"\x00" * 35),  # too short for IPv6
        v2(command=2),  # unknown command
        v2(family=0x41),  # unknown family
        V2_SIGNATURE + b"\x11\x11\x00\x00",  # version 1 in the binary format
    ],
)
def test_v2_invalid(data):
    with pytest.raises(ProxyProtocolError):
        parse_header(data[: header_length(data)])


def test_v2_bad_signature_is_refused_at_once():
    with pytest.raises(ProxyProtocolError):
        header_length(V2_SIGNATURE[:5] + b"X")


def test_v2_length_is_bounded_by_the_format():
    data = V2_SIGNATURE + b"\x21\x11\xff\xff"
    assert header_length(data) == MAX_HEADER_BYTES
