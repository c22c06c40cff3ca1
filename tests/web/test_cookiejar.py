"""The test client's cookie jar, sans I/O: RFC 6265's storage and sending rules."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tapster.web.cookiejar import (
    Cookie,
    CookieJar,
    default_path,
    domain_matches,
    parse_cookie_date,
    path_matches,
)

NOW = 1_700_000_000.0


def jar_with(*headers: str, host: str = "example.com", path: str = "/") -> CookieJar:
    jar = CookieJar()
    jar.extract(headers, host, path, now=NOW)
    return jar


# -- the pieces -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 21 Oct 2015 07:28:00 GMT", datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)),
        ("Wednesday, 21-Oct-15 07:28:00 GMT", datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)),
        ("Wed Oct 21 07:28:00 2015", datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)),
        ("Thu, 01 Jan 1970 00:00:00 GMT", datetime(1970, 1, 1, tzinfo=timezone.utc)),
        ("21 Oct 69 01:02:03", datetime(2069, 10, 21, 1, 2, 3, tzinfo=timezone.utc)),
        ("Wed, 31 Feb 2015 07:28:00 GMT", None),  # no such day
        ("Wed, 21 Oct 2015 25:28:00 GMT", None),
        ("tomorrow", None),
        ("", None),
    ],
)
def test_parse_cookie_date(text, expected):
    assert parse_cookie_date(text) == expected


@pytest.mark.parametrize(
    ("host", "domain", "expected"),
    [
        ("example.com", "example.com", True),
        ("www.example.com", "example.com", True),
        ("a.b.example.com", "example.com", True),
        ("badexample.com", "example.com", False),
        ("example.com", "www.example.com", False),
        ("127.0.0.1", "0.0.1", False),  # IP addresses match only themselves
        ("127.0.0.1", "127.0.0.1", True),
    ],
)
def test_domain_matches(host, domain, expected):
    assert domain_matches(host, domain) is expected


@pytest.mark.parametrize(
    ("request_path", "cookie_path", "expected"),
    [
        ("/", "/", True),
        ("/a", "/", True),
        ("/a", "/a", True),
        ("/a/b", "/a", True),
        ("/a/b", "/a/", True),
        ("/ab", "/a", False),
        ("/a", "/a/", False),
        ("/", "/a", False),
    ],
)
def test_path_matches(request_path, cookie_path, expected):
    assert path_matches(request_path, cookie_path) is expected


@pytest.mark.parametrize(
    ("request_path", "expected"),
    [("", "/"), ("/", "/"), ("/a", "/"), ("/a/", "/a"), ("/a/b", "/a"), ("/a/b/c", "/a/b")],
)
def test_default_path(request_path, expected):
    assert default_path(request_path) == expected


# -- Set-Cookie ------------------------------------------------------------------------------


def test_attributes_are_read():
    cookie = Cookie.from_set_cookie(
        "sid=abc; Path=/app; Max-Age=60; Secure; HttpOnly; SameSite=Lax", "example.com", "/",
        now=NOW,
    )
    assert cookie is not None
    assert (cookie.key, cookie.value, cookie.path) == ("sid", "abc", "/app")
    assert (cookie.domain, cookie.origin_only) == ("example.com", True)
    assert (cookie.max_age, cookie.expiry) == (60, NOW + 60)
    assert (cookie.secure, cookie.http_only, cookie.same_site) == (True, True, "Lax")


def test_attribute_names_are_case_insensitive_and_the_last_one_wins():
    cookie = Cookie.from_set_cookie("a=1; path=/x; PATH=/y; max-age=5", "h", "/", now=NOW)
    assert cookie is not None
    assert (cookie.path, cookie.expiry) == ("/y", NOW + 5)


@pytest.mark.parametrize("header", ["novalue", "=value", " = x"])
def test_cookies_without_a_name_are_ignored(header):
    assert Cookie.from_set_cookie(header, "example.com", "/") is None


def test_a_quoted_value_is_sent_as_received_and_decoded_for_reading():
    cookie = Cookie.from_set_cookie('q="a \\"b\\" \\054c"', "h", "/")
    assert cookie is not None
    assert cookie.value == '"a \\"b\\" \\054c"'
    assert cookie.decoded_value == 'a "b" ,c'


def test_a_domain_cookie_goes_to_subdomains_a_host_cookie_does_not():
    jar = jar_with("host=1", "dom=2; Domain=.Example.COM")
    assert jar.get("dom", "example.com").origin_only is False
    assert jar.header_for("example.com", "/", False, now=NOW) == "host=1; dom=2"
    assert jar.header_for("www.example.com", "/", False, now=NOW) == "dom=2"
    assert jar.header_for("other.com", "/", False, now=NOW) is None


def test_a_domain_the_host_is_not_part_of_is_ignored():
    jar = jar_with("a=1; Domain=other.com", "b=2; Domain=www.example.com")
    assert len(jar) == 0


def test_default_path_is_the_folder_of_the_request():
    jar = jar_with("a=1", path="/shop/cart")
    assert jar.get("a", "example.com", "/shop") is not None
    assert jar.header_for("example.com", "/shop", False, now=NOW) == "a=1"
    assert jar.header_for("example.com", "/shop/items/1", False, now=NOW) == "a=1"
    assert jar.header_for("example.com", "/shopping", False, now=NOW) is None
    assert jar.header_for("example.com", "/", False, now=NOW) is None


def test_longer_paths_come_first_then_older_cookies():
    jar = jar_with("b=1; Path=/", "a=2; Path=/x/y", "c=3; Path=/x", "d=4; Path=/")
    assert jar.header_for("example.com", "/x/y/z", False, now=NOW) == "a=2; c=3; b=1; d=4"


def test_same_name_domain_and_path_replaces_and_keeps_its_place():
    jar = jar_with("a=1", "b=2", "a=3")
    assert jar.header_for("example.com", "/", False, now=NOW) == "a=3; b=2"


def test_same_name_on_other_paths_are_separate_cookies():
    jar = jar_with("a=root; Path=/", "a=deep; Path=/x")
    assert jar.header_for("example.com", "/x", False, now=NOW) == "a=deep; a=root"


# -- expiry ------------------------------------------------------------------------------------


def test_max_age_expires_the_cookie_later():
    jar = jar_with("a=1; Max-Age=10")
    assert jar.header_for("example.com", "/", False, now=NOW + 9) == "a=1"
    assert jar.header_for("example.com", "/", False, now=NOW + 10) is None
    assert len(jar) == 0  # dropped, not only hidden


def test_expires_in_the_future_and_in_the_past():
    jar = jar_with("a=1; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
                   "b=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    assert jar.header_for("example.com", "/", False, now=NOW) == "a=1"


def test_max_age_wins_over_expires():
    jar = jar_with("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100")
    assert jar.header_for("example.com", "/", False, now=NOW) == "a=1"
    jar = jar_with("a=1; Max-Age=0; Expires=Wed, 21 Oct 2099 07:28:00 GMT")
    assert len(jar) == 0


def test_an_invalid_max_age_is_ignored():
    jar = jar_with("a=1; Max-Age=soon")
    assert jar.get("a", "example.com").expiry is None


@pytest.mark.parametrize("deletion", ["a=; Max-Age=0", "a=; Max-Age=-1",
                                      "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"])
def test_an_expired_cookie_deletes_the_stored_one(deletion):
    jar = jar_with("a=1", "b=2")
    jar.extract([deletion], "example.com", "/", now=NOW)
    assert jar.header_for("example.com", "/", False, now=NOW) == "b=2"


def test_deleting_needs_the_same_path():
    jar = jar_with("a=1; Path=/x")
    jar.extract(["a=; Max-Age=0"], "example.com", "/", now=NOW)  # path "/" : another cookie
    assert jar.header_for("example.com", "/x", False, now=NOW) == "a=1"


# -- Secure ---------------------------------------------------------------------------------


def test_secure_cookies_go_over_https_only():
    jar = jar_with("s=1; Secure", "p=2")
    assert jar.header_for("example.com", "/", False, now=NOW) == "p=2"
    assert jar.header_for("example.com", "/", True, now=NOW) == "s=1; p=2"


@pytest.mark.parametrize("host", ["localhost", "app.localhost", "127.0.0.1", "::1"])
def test_loopback_hosts_count_as_secure_like_browsers_do(host):
    jar = jar_with("s=1; Secure", host=host)
    assert jar.header_for(host, "/", False, now=NOW) == "s=1"


def test_delete_and_clear():
    jar = jar_with("a=1", "b=2; Path=/x")
    jar.delete("b", "example.com", "/")  # wrong path: nothing happens
    assert len(jar) == 2
    jar.delete("b", "example.com", "/x")
    assert [c.key for c in jar] == ["a"]
    jar.clear()
    assert len(jar) == 0
