"""Headers from trusted proxies: ``Forwarded`` (RFC 7239) and ``X-Forwarded-*``.

Applied only on connections from a trusted peer (``--forwarded-allow-ips``,
decided once per connection); from anyone else they reach the application
untouched and change nothing.

**Which hop is the client.** Each proxy appends the address of the peer it
got the request from: ``X-Forwarded-For: client, proxy1`` arriving from
proxy2. Everything left of what the proxies appended is whatever the client
chose to send, so the first entry (what gunicorn takes) is the client's word
for its own address, spoofable by anyone. tapster walks the list from the
right, the end that trusted proxies wrote: while an entry is a trusted
address it is one more proxy, and the first untrusted entry is the client,
as RFC 7239 §7.4 and §8.1 advise (nginx's ``real_ip_recursive`` does the
same). When every entry is trusted, the left-most is taken. An entry that is
not an address (``unknown``, an obfuscated ``_hidden``, garbage) ends the
walk and ``REMOTE_ADDR`` stays the last trusted hop's.

**The other fields** come from the same hop: in ``Forwarded``, the element
whose ``for`` was taken (its ``proto`` and ``host`` are what that proxy,
the one facing the client, received); for ``X-Forwarded-Proto``, ``-Host``,
``-Port`` and ``-Prefix``, the entry at the same position from the right as
the ``X-Forwarded-For`` entry taken, or the left-most when the list is
shorter (the usual single value that the outermost proxy set). When a
``Forwarded`` field is present and valid, the ``X-Forwarded-*`` fields other
than ``-Prefix`` (which it has no parameter for) are ignored.

The original socket peer stays in ``environ["tapster.peer"]``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from ..http.grammar import HOST
from ..net.trust import TrustedPeers, canonical_address

__all__ = ["FORWARDED_KEYS", "apply_forwarded", "parse_forwarded", "parse_node"]

#: The environ keys whose presence makes a trusted connection's request worth rewriting.
FORWARDED_KEYS = frozenset(
    {
        "HTTP_FORWARDED",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PORT",
        "HTTP_X_FORWARDED_PREFIX",
    }
)

# RFC 7239 §4
#   Forwarded         = 1#forwarded-element
#   forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
#   forwarded-pair    = token "=" value
#   value             = token / quoted-string
# (RFC 9110 §5.6.2 token, §5.6.4 quoted-string.) Whitespace is allowed
# around "," (the list syntax, RFC 9110 §5.6.1) and, leniently, around ";".
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_PAIR = re.compile(
    rf'[ \t]*({_TOKEN})=(?:({_TOKEN})|"((?:[\t \x21\x23-\x5b\x5d-\x7e]|\\[\t \x21-\x7e])*)")[ \t]*'
)
_SEPARATOR = re.compile(r"[ \t]*([;,])[ \t]*")
_QUOTED_PAIR = re.compile(r"\\(.)")
_PORT = re.compile(r"[0-9]{1,5}")
# RFC 7239 §6.3: obfport = "_" 1*(ALPHA / DIGIT / "." / "_" / "-")
_OBFUSCATED_PORT = re.compile(r"_[A-Za-z0-9._\-]+")
# A path prefix: visible ASCII without "?" and "#" (query and fragment delimiters).
_PREFIX = re.compile(r"/[\x21\x22\x24-\x3e\x40-\x7e]*")

Environ = dict[str, Any]


def parse_forwarded(value: str) -> list[dict[str, str]] | None:
    """The elements of a ``Forwarded`` field (names lower-cased), or None when malformed.

    RFC 7239 §4: a parameter may occur once per element; quoted values are
    unquoted. Empty elements (``a=b, , c=d``) are skipped.
    """
    elements: list[dict[str, str]] = []
    element: dict[str, str] = {}
    position = 0
    end = len(value)
    while position < end:
        separator = _SEPARATOR.match(value, position)
        if separator is not None:
            if separator.group(1) == ",":
                if element:
                    elements.append(element)
                element = {}
            position = separator.end()
            continue
        pair = _PAIR.match(value, position)
        if pair is None:
            return None
        name = pair.group(1).lower()
        if name in element:
            return None  # RFC 7239 §4: MUST NOT occur more than once per element
        token, quoted = pair.group(2), pair.group(3)
        element[name] = token if token is not None else _QUOTED_PAIR.sub(r"\1", quoted)
        position = pair.end()
        if position < end and _SEPARATOR.match(value, position) is None:
            return None  # two pairs with nothing between them
    if element:
        elements.append(element)
    return elements


def parse_node(node: str) -> tuple[str, str] | None:
    """A ``for`` node (RFC 7239 §6) as (canonical address, port or ``""``).

    None for ``unknown``, an obfuscated identifier (``_hidden``) or anything
    that is not an address: such a hop cannot be identified.
    """
    if node.startswith("["):
        close = node.find("]")
        if close < 0:
            return None
        host, rest = node[1:close], node[close + 1 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
    else:
        host, colon, port = node.partition(":")
        rest = colon + port
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return None
    address = canonical_address(host)
    if address is None:
        return None
    if not rest:
        return address, ""
    port = rest[1:]
    if rest[0] != ":":
        return None
    if _PORT.fullmatch(port) and int(port) <= 65535:
        return address, port
    if _OBFUSCATED_PORT.fullmatch(port):
        return address, ""
    return None


def _parse_x_forwarded_for_entry(entry: str) -> tuple[str, str] | None:
    # Proxies write a bare address (nginx: "2001:db8::1"); some add a port
    # ("192.0.2.1:4711", "[2001:db8::1]:4711").
    address = canonical_address(entry)
    if address is not None:
        return address, ""
    return parse_node(entry)


@dataclass(slots=True)
class _Hop:
    """What the trusted proxy facing the client said about it."""

    address: str | None
    port: str
    scheme: str | None
    host: str | None
    #: 1-based position from the right, to pick the matching X-Forwarded-* entry.
    position: int
    forwarded_port: str | None = None


def apply_forwarded(environ: Environ, trusted: TrustedPeers) -> None:
    """Rewrite ``environ`` by what trusted proxies say (the caller checked the peer is one).

    Changes ``REMOTE_ADDR``/``REMOTE_PORT``, ``wsgi.url_scheme``,
    ``HTTP_HOST``, ``SERVER_NAME``/``SERVER_PORT`` and ``SCRIPT_NAME``;
    a value that is not valid for its key is ignored.
    """
    hop = None
    forwarded = environ.get("HTTP_FORWARDED")
    if forwarded is not None:
        elements = parse_forwarded(forwarded)
        if elements:
            hop = _walk_forwarded(elements, trusted)
    if hop is None:
        hop = _walk_x_forwarded(environ, trusted)
    if hop.address is not None:
        environ["REMOTE_ADDR"] = hop.address
        environ["REMOTE_PORT"] = hop.port
    scheme = hop.scheme.lower() if hop.scheme else None
    if scheme in ("http", "https"):
        environ["wsgi.url_scheme"] = scheme
    else:
        scheme = environ["wsgi.url_scheme"]
    default_port = "443" if scheme == "https" else "80"
    if hop.host and HOST.fullmatch(hop.host):
        name, port = _split_host(hop.host)
        if name:
            environ["HTTP_HOST"] = hop.host
            environ["SERVER_NAME"] = name
            environ["SERVER_PORT"] = port or default_port
    port = hop.forwarded_port
    if port is not None and _PORT.fullmatch(port) and 0 < int(port) <= 65535:
        environ["SERVER_PORT"] = port
        host = environ.get("HTTP_HOST")
        if host:
            name = _split_host(host)[0]
            environ["HTTP_HOST"] = name if port == default_port else f"{name}:{port}"
    prefix = _pick(environ.get("HTTP_X_FORWARDED_PREFIX"), hop.position)
    if prefix and _PREFIX.fullmatch(prefix):
        # Decoded as PATH_INFO is (PEP 3333: latin-1 of the raw octets). The
        # proxy removed it from the path; a --root-path comes after it.
        decoded = unquote_to_bytes(prefix).decode("latin-1").rstrip("/")
        environ["SCRIPT_NAME"] = decoded + environ["SCRIPT_NAME"]


def _walk_forwarded(elements: list[dict[str, str]], trusted: TrustedPeers) -> _Hop:
    last_trusted: tuple[str | None, str] = (None, "")  # None: the socket peer
    for position, element in enumerate(reversed(elements), 1):
        node = element.get("for")
        parsed = parse_node(node) if node is not None else None
        if parsed is None:
            return _Hop(*last_trusted, element.get("proto"), element.get("host"), position)
        address, port = parsed
        last_trusted = parsed
        if position == len(elements) or not trusted.trusts(address):
            return _Hop(address, port, element.get("proto"), element.get("host"), position)
    raise AssertionError("unreachable: the walk ends at the left-most element")


def _walk_x_forwarded(environ: Environ, trusted: TrustedPeers) -> _Hop:
    address: str | None = None
    port = ""
    position = 1
    chain = environ.get("HTTP_X_FORWARDED_FOR")
    if chain:
        entries = chain.split(",")
        position = 0
        for entry in reversed(entries):
            position += 1
            parsed = _parse_x_forwarded_for_entry(entry.strip())
            if parsed is None:
                break  # the last trusted hop (or the socket peer) stays
            address, port = parsed
            if not trusted.trusts(address):
                break
    return _Hop(
        address,
        port,
        _pick(environ.get("HTTP_X_FORWARDED_PROTO"), position),
        _pick(environ.get("HTTP_X_FORWARDED_HOST"), position),
        position,
        _pick(environ.get("HTTP_X_FORWARDED_PORT"), position),
    )


def _pick(value: str | None, position: int) -> str | None:
    """The entry at ``position`` from the right of a comma-separated value, or the left-most."""
    if value is None:
        return None
    entries = value.split(",")
    index = len(entries) - position if position <= len(entries) else 0
    return entries[index].strip()


def _split_host(host: str) -> tuple[str, str]:
    """``("example.com", "8443")`` for ``example.com:8443``; the port may be ``""``."""
    if host.startswith("["):
        close = host.find("]")
        return host[: close + 1], host[close + 2 :]
    name, _, port = host.partition(":")
    return name, port
