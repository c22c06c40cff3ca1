"""Which peers are trusted as proxies (``--forwarded-allow-ips``).

The list is parsed once; asking about a peer is a set look-up for the
usual plain addresses, and an ``ipaddress`` parse only when networks are
listed or the address is an IPv4-mapped IPv6 one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

__all__ = ["TrustedPeers", "canonical_address"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_BAD_ENTRY = "{!r} is not an address, a network, 'unix' or '*'"


def canonical_address(text: str) -> str | None:
    """The address in canonical form (``::1`` for ``0::0001``), or None if not an IP address.

    An IPv4-mapped IPv6 address (``::ffff:10.0.0.1``, what a dual-stack
    socket reports for an IPv4 client) is given as the IPv4 address.
    """
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


@dataclass(frozen=True, slots=True)
class TrustedPeers:
    """A parsed ``--forwarded-allow-ips`` list."""

    #: Canonical addresses trusted one by one.
    addresses: frozenset[str]
    #: Networks (CIDRs) trusted as a whole.
    networks: tuple[IPNetwork, ...]
    #: Whether unix socket peers are trusted.
    unix: bool
    #: Whether every peer is trusted (``*``).
    everyone: bool

    @classmethod
    def parse(cls, text: str) -> TrustedPeers:
        """Parse ``"127.0.0.1,::1,10.0.0.0/8,unix"`` or ``"*"``; ValueError names a bad entry."""
        addresses: set[str] = set()
        networks: list[IPNetwork] = []
        unix = everyone = False
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            if item == "*":
                everyone = True
            elif item == "unix":
                unix = True
            elif "/" in item:
                try:
                    networks.append(ipaddress.ip_network(item, strict=False))
                except ValueError:
                    raise ValueError(_BAD_ENTRY.format(item)) from None
            else:
                address = canonical_address(item)
                if address is None:
                    raise ValueError(_BAD_ENTRY.format(item))
                addresses.add(address)
        return cls(frozenset(addresses), tuple(networks), unix, everyone)

    def trusts_peer(self, peer: object) -> bool:
        """Whether a socket peer (``accept()``'s address: a tuple, or a unix path) is trusted."""
        if self.everyone:
            return True
        if isinstance(peer, tuple):
            return self.trusts(peer[0])
        return self.unix

    def trusts(self, address: str) -> bool:
        """Whether the IP address ``address`` (any spelling) is trusted."""
        if self.everyone or address in self.addresses:
            return True
        # Not listed as written: it may be spelt otherwise (IPv4-mapped, zeros
        # written out) or fall in a network. About a microsecond, once per
        # connection (and per hop of a trusted proxy's header).
        canonical = canonical_address(address)
        if canonical is None:
            return False
        if canonical in self.addresses:
            return True
        if not self.networks:
            return False
        ip = ipaddress.ip_address(canonical)
        return any(ip.version == network.version and ip in network for network in self.networks)
