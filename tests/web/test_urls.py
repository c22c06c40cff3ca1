"""IRI <-> URI conversion and URL rebuilding, beside Werkzeug's."""

from __future__ import annotations

import pytest
import werkzeug.sansio.utils as wz_sansio_utils
import werkzeug.urls as wz_urls
from hypothesis import given, settings
from hypothesis import strategies as st

from tapster.web.urls import get_current_url, iri_to_uri, uri_to_iri

URIS = [
    "http://user:p%C3%A4ss@xn--n3h.net:8080/a%2Fb%C3%A4?q=%26%C3%A4#f%C3%A4",
    "http://ü.com/x",
    "http://[::1]:80/",
    "http://u@h/",
    "http://u:@h/",
    "http://:p@h/",
    "mailto:a@b",
    "/rel%20x",
    "/a%c3%a4%2f%ff%41",
    "http://h:0/",
    "/p?q=%2B%3D%26%C3#%41",
]


@pytest.mark.parametrize("uri", URIS)
def test_uri_to_iri_matches_werkzeug(uri: str) -> None:
    assert uri_to_iri(uri) == wz_urls.uri_to_iri(uri)


IRIS = [
    "http://user:pä ss@☃.net:8080/ä b?q=ä#fä",
    "http://[::1]:8080/x",
    "/a?",
    "/a#",
    "/a?#b",
    "x y",
    "http://Ex.COM/",
    "/plain/path?x=1",
    "http://h:/x",
    "/a b",
    "//host/x",
    "/a[b]",
    '/"quoted"<>',
    "relative/path",
    "/already%20quoted",
]


@pytest.mark.parametrize("iri", IRIS)
def test_iri_to_uri_matches_werkzeug(iri: str) -> None:
    assert iri_to_uri(iri) == wz_urls.iri_to_uri(iri)


def test_plain_paths_are_returned_as_they_are() -> None:
    path = "/plain/path?x=1&y=/z"
    assert iri_to_uri(path) is path


def test_conversions_never_raise() -> None:
    # Werkzeug raises on these (UnicodeError from the IDNA codec, ValueError
    # for the port); a URL an application or a client wrote must not be a 500.
    assert uri_to_iri("http://xn--a.com/") == "http://xn--a.com/"
    assert uri_to_iri("http://xn--n3h.xn--a.com/") == "http://☃.xn--a.com/"
    assert iri_to_uri("http://h:99999/ä") == "http://h:99999/%C3%A4"
    assert iri_to_uri("http://a..b/") == "http://a..b/"
    with pytest.raises(UnicodeError):
        wz_urls.uri_to_iri("http://xn--a.com/")


PART_TEXT = st.text(alphabet=st.sampled_from(list("/a%C3A4F2 ?#&=+é€:@[]\\\"")), max_size=15)


@settings(max_examples=500, deadline=None)
@given(path=PART_TEXT, query=PART_TEXT, fragment=PART_TEXT)
def test_conversions_match_werkzeug_on_anything(path: str, query: str, fragment: str) -> None:
    url = f"http://example.com/{path}?{query}#{fragment}"
    try:
        theirs = wz_urls.uri_to_iri(url)
    except ValueError:
        theirs = None
    if theirs is not None:
        assert uri_to_iri(url) == theirs
    try:
        theirs = wz_urls.iri_to_uri(url)
    except ValueError:
        theirs = None
    if theirs is not None:
        assert iri_to_uri(url) == theirs


@pytest.mark.parametrize(
    "parts",
    [
        ("http", "localhost"),
        ("https", "example.com:8443", "/app/"),
        ("http", "example.com", "/app", "/a b/ä"),
        ("http", "example.com", "", "/x", b"q=%C3%A9&r=%26"),
        ("http", "Example.com", "", "/"),
        ("http", "xn--n3h.net", "", "/"),
        ("http", "[::1]:5000", "", "/", b"a=1"),
        ("http", "", "", "/x"),
        ("ws", "h", "", "/x"),
    ],
)
def test_get_current_url_matches_werkzeug(parts: tuple) -> None:
    assert get_current_url(*parts) == wz_sansio_utils.get_current_url(*parts)


def test_get_current_url_never_raises() -> None:
    # "[1:2]" passes the Host check, but urlsplit refuses it as IPv6.
    assert get_current_url("http", "[1:2]", "", "/ä") == "http://[1:2]/ä"
    with pytest.raises(ValueError):
        wz_sansio_utils.get_current_url("http", "[1:2]", "", "/ä")
