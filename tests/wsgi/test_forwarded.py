"""``Forwarded`` (RFC 7239) and ``X-Forwarded-*``: parsing, and the environ they make."""

from __future__ import annotations

from typing import Any

import pytest

from tapster.net.trust import TrustedPeers
from tapster.wsgi.forwarded import apply_forwarded, parse_forwarded, parse_node

# -- parse_forwarded -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("for=192.0.2.60", [{"for": "192.0.2.60"}]),
        ('For="[2001:db8:cafe::17]:4711"', [{"for": "[2001:db8:cafe::17]:4711"}]),
        ("for=192.0.2.60;proto=http;by=203.0.113.43",
         [{"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"}]),
        ("for=192.0.2.43, for=198.51.100.17", [{"for": "192.0.2.43"}, {"for": "198.51.100.17"}]),
        ('for=a ; host="ex,ample.com"', [{"for": "a", "host": "ex,ample.com"}]),  # "," quoted
        (r'for="\"quoted\\\""', [{"for": '"quoted\\"'}]),
        ("for=a,,for=b, ", [{"for": "a"}, {"for": "b"}]),  # empty list elements
        ("for=_hidden;;proto=https", [{"for": "_hidden", "proto": "https"}]),
    ],
)
def test_parse_forwarded(value, expected):
    assert parse_forwarded(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "for",  # no value
        "for=",
        "for=a b",  # two tokens
        'for="unterminated',
        "for=a;for=b",  # a parameter twice in one element (RFC 7239 §4)
        "for = a",  # whitespace around "="
        "for=[2001:db8::1]",  # IPv6 must be quoted: "[" is not a token character
        "for=a\x00",
    ],
)
def test_parse_forwarded_refuses_malformed_values(value):
    assert parse_forwarded(value) is None


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ("192.0.2.43", ("192.0.2.43", "")),
        ("192.0.2.43:47011", ("192.0.2.43", "47011")),
        ("[2001:db8:cafe::17]", ("2001:db8:cafe::17", "")),
        ("[2001:DB8:cafe:0::17]:4711", ("2001:db8:cafe::17", "4711")),
        ("192.0.2.43:_port1", ("192.0.2.43", "")),  # obfuscated port
        ("unknown", None),
        ("_hidden", None),
        ("2001:db8::1", None),  # IPv6 without brackets is not a node
        ("[192.0.2.1]", None),
        ("192.0.2.43:99999", None),
        ("example.com", None),
    ],
)
def test_parse_node(node, expected):
    assert parse_node(node) == expected


# -- apply_forwarded -------------------------------------------------------------------------

TRUSTED = TrustedPeers.parse("127.0.0.1,10.0.0.0/8")


def applied(headers: dict[str, str], *, root: str = "", scheme: str = "http") -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "5555",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SCRIPT_NAME": root,
        "HTTP_HOST": "internal:8000",
        "wsgi.url_scheme": scheme,
    }
    environ.update(headers)
    apply_forwarded(environ, TRUSTED)
    return environ


def summary(environ: dict[str, Any]) -> tuple[str, ...]:
    return (environ["REMOTE_ADDR"], environ["REMOTE_PORT"], environ["wsgi.url_scheme"],
            environ["HTTP_HOST"], environ["SERVER_NAME"], environ["SERVER_PORT"],
            environ["SCRIPT_NAME"])


UNCHANGED = ("127.0.0.1", "5555", "http", "internal:8000", "127.0.0.1", "8000", "")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # X-Forwarded-For: the right-most untrusted entry, never the spoofable first one.
        ({"HTTP_X_FORWARDED_FOR": "203.0.113.9"},
         ("203.0.113.9", "", "http", "internal:8000", "127.0.0.1", "8000", "")),
        ({"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9, 10.0.0.2"},
         ("203.0.113.9", "", "http", "internal:8000", "127.0.0.1", "8000", "")),
        ({"HTTP_X_FORWARDED_FOR": "10.0.0.3, 10.0.0.2"},  # all trusted: the left-most
         ("10.0.0.3", "", *UNCHANGED[2:])),
        ({"HTTP_X_FORWARDED_FOR": "garbage, 10.0.0.2"},  # the walk stops at the last trusted
         ("10.0.0.2", "", *UNCHANGED[2:])),
        ({"HTTP_X_FORWARDED_FOR": "garbage"}, UNCHANGED),
        ({"HTTP_X_FORWARDED_FOR": "[2001:db8::5]:4711"}, ("2001:db8::5", "4711", *UNCHANGED[2:])),
        ({"HTTP_X_FORWARDED_FOR": "2001:db8::5"}, ("2001:db8::5", "", *UNCHANGED[2:])),
        # The other X-Forwarded-* fields, from the same hop.
        ({"HTTP_X_FORWARDED_FOR": "203.0.113.9", "HTTP_X_FORWARDED_PROTO": "https",
          "HTTP_X_FORWARDED_HOST": "example.com"},
         ("203.0.113.9", "", "https", "example.com", "example.com", "443", "")),
        ({"HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.2",
          "HTTP_X_FORWARDED_PROTO": "https, http"},  # each proxy appended what it received
         ("203.0.113.9", "", "https", *UNCHANGED[3:])),
        ({"HTTP_X_FORWARDED_PROTO": "HTTPS", "HTTP_X_FORWARDED_HOST": "example.com:8443"},
         ("127.0.0.1", "5555", "https", "example.com:8443", "example.com", "8443", "")),
        ({"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_PORT": "443"},
         ("127.0.0.1", "5555", "https", "internal", "127.0.0.1", "443", "")),
        ({"HTTP_X_FORWARDED_PORT": "8080"},
         ("127.0.0.1", "5555", "http", "internal:8080", "127.0.0.1", "8080", "")),
        ({"HTTP_X_FORWARDED_PROTO": "ftp", "HTTP_X_FORWARDED_HOST": "bad host",
          "HTTP_X_FORWARDED_PORT": "99999", "HTTP_X_FORWARDED_PREFIX": "no-slash"}, UNCHANGED),
        ({"HTTP_X_FORWARDED_PREFIX": "/app/"}, (*UNCHANGED[:6], "/app")),
        ({"HTTP_X_FORWARDED_PREFIX": "/caf%C3%A9"}, (*UNCHANGED[:6], "/caf\xc3\xa9")),
        ({"HTTP_X_FORWARDED_PREFIX": "/a?b"}, UNCHANGED),
        # Forwarded: the same walk over its elements; proto and host of the element taken.
        ({"HTTP_FORWARDED": 'for="[2001:db8:cafe::17]:4711";proto=https;host=example.com'},
         ("2001:db8:cafe::17", "4711", "https", "example.com", "example.com", "443", "")),
        ({"HTTP_FORWARDED": "for=6.6.6.6;proto=http, for=203.0.113.9;proto=https;host=a.example,"
                            " for=10.0.0.2;proto=http;host=internal"},
         ("203.0.113.9", "", "https", "a.example", "a.example", "443", "")),
        ({"HTTP_FORWARDED": "for=unknown;proto=https"}, ("127.0.0.1", "5555", "https",
                                                          *UNCHANGED[3:])),
        ({"HTTP_FORWARDED": "for=_hidden, for=10.0.0.2"}, ("10.0.0.2", "", *UNCHANGED[2:])),
        # Forwarded wins over X-Forwarded-For/-Proto/-Host; -Prefix still applies.
        ({"HTTP_FORWARDED": "for=203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.1",
          "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_PREFIX": "/p"},
         ("203.0.113.9", "", "http", "internal:8000", "127.0.0.1", "8000", "/p")),
        # A malformed Forwarded is ignored as a whole; X-Forwarded-* then apply.
        ({"HTTP_FORWARDED": "for=203.0.113.9;for=1.1.1.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1"},
         ("198.51.100.1", "", *UNCHANGED[2:])),
    ],
)
def test_apply_forwarded(headers, expected):
    assert summary(applied(headers)) == expected


def test_prefix_comes_before_the_root_path():
    assert applied({"HTTP_X_FORWARDED_PREFIX": "/outer"}, root="/app")["SCRIPT_NAME"] == \
        "/outer/app"


def test_https_listener_stays_https_without_a_proto():
    environ = applied({"HTTP_X_FORWARDED_HOST": "example.com"}, scheme="https")
    assert (environ["wsgi.url_scheme"], environ["SERVER_PORT"]) == ("https", "443")
