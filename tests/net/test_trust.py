"""``--forwarded-allow-ips``: which peers are trusted as proxies."""

from __future__ import annotations

import pytest

from tapster.net.trust import TrustedPeers, canonical_address
from tapster.settings import Settings, SettingsError


def test_default_trusts_loopback_and_unix_peers():
    trusted = TrustedPeers.parse(Settings().forwarded_allow_ips)
    assert trusted.trusts_peer(("127.0.0.1", 5000))
    assert trusted.trusts_peer(("::1", 5000, 0, 0))
    assert trusted.trusts_peer("")  # a unix socket peer
    assert trusted.trusts_peer(("::ffff:127.0.0.1", 1, 0, 0))  # IPv4 on a dual-stack socket
    assert not trusted.trusts_peer(("127.0.0.2", 5000))
    assert not trusted.trusts_peer(("192.0.2.1", 5000))


def test_networks_and_spellings():
    trusted = TrustedPeers.parse(" 10.0.0.0/8 , 2001:db8::/32,192.0.2.7")
    assert trusted.trusts("10.1.2.3")
    assert trusted.trusts("2001:db8:0:0::99")
    assert trusted.trusts("2001:0db8::1")
    assert trusted.trusts("::ffff:10.9.9.9")
    assert trusted.trusts("192.0.2.7")
    assert not trusted.trusts("11.0.0.1")
    assert not trusted.trusts("2001:db9::1")
    assert not trusted.trusts("unknown")
    assert not trusted.trusts_peer("")  # unix not listed


def test_everyone():
    trusted = TrustedPeers.parse("*")
    assert trusted.trusts("203.0.113.9") and trusted.trusts_peer("") and trusted.trusts("x")


def test_empty_list_trusts_nobody():
    trusted = TrustedPeers.parse("")
    assert not trusted.trusts_peer(("127.0.0.1", 1)) and not trusted.trusts_peer("")


@pytest.mark.parametrize("bad", ["localhost", "10.0.0.0/33", "1.2.3", "unix:/x"])
def test_invalid_entries_are_named(bad):
    with pytest.raises(SettingsError, match=repr(bad).replace("[", r"\[")):
        Settings(forwarded_allow_ips=f"127.0.0.1,{bad}")


def test_a_list_is_accepted_by_serve_options():
    assert Settings(forwarded_allow_ips=["10.0.0.1", "unix"]).forwarded_allow_ips == "10.0.0.1,unix"


def test_canonical_address():
    assert canonical_address("0:0:0:0:0:0:0:1") == "::1"
    assert canonical_address("::ffff:192.0.2.1") == "192.0.2.1"
    assert canonical_address("192.0.2.01") is None
    assert canonical_address("[::1]") is None
