"""Header value parsers and types, on tables and generated values, beside Werkzeug's.

Every parser is run on the same input through ``werkzeug.http`` and the
results compared. Where tapster deliberately answers otherwise (RFC 9110 /
9111 over Werkzeug), the comparison is made on the inputs the difference
cannot touch, and ``test_header_deviations.py`` shows the difference itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import werkzeug.datastructures as wzds
import werkzeug.http as wzh
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tapster.web import datastructures
from tapster.web.accept import (
    Accept,
    CharsetAccept,
    LanguageAccept,
    MIMEAccept,
    parse_accept_header,
)
from tapster.web.cache_control import (
    RequestCacheControl,
    ResponseCacheControl,
    dump_age,
    parse_age,
    parse_cache_control_header,
)
from tapster.web.etags import ETags, parse_etags
from tapster.web.header_values import (
    ContentSecurityPolicy,
    HeaderSet,
    WWWAuthenticate,
    dump_csp_header,
    parse_csp_header,
    parse_set_header,
)
from tapster.web.ranges import (
    ContentRange,
    IfRange,
    Range,
    is_byte_range_valid,
    parse_content_range_header,
    parse_if_range_header,
    parse_range_header,
)

ACCEPT_KINDS = [
    (Accept, wzds.Accept),
    (MIMEAccept, wzds.MIMEAccept),
    (LanguageAccept, wzds.LanguageAccept),
    (CharsetAccept, wzds.CharsetAccept),
]

# ------------------------------------------------------------ Accept


ACCEPT_TABLE = [
    None,
    "",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
    "application/json, text/plain;q=0.5, */*;q=0.1",
    "text/*;q=0.3, text/html;q=0.7, text/html;level=1, text/html;level=2;q=0.4, */*;q=0.5",
    "text/html;q=1.5, text/plain;q=-1, image/png;q=abc, image/gif;q=0.12345, a/b;q=01",
    "TEXT/HTML; Charset=UTF-8; q=0.5",
    'text/html; a="b, c"; q=0.2, text/plain',
    "*/*",
    "*, text",
    "text/html;q=0, */*",
    "en-US,en;q=0.9,de;q=0.5,*;q=0.1",
    "en_GB, fr-CA;q=0.8",
    "utf-8, iso-8859-1;q=0.5, UTF8;q=0.1",
    "gzip, deflate, br, zstd;q=0",
    ",,, ;q=0.5, text/html",
]


@pytest.mark.parametrize("value", ACCEPT_TABLE)
@pytest.mark.parametrize(("ours", "theirs"), ACCEPT_KINDS, ids=lambda c: c.__name__)
def test_accept_parses_as_werkzeug(value, ours, theirs) -> None:
    mine, reference = parse_accept_header(value, ours), wzh.parse_accept_header(value, theirs)
    assert list(mine) == list(reference)
    assert mine.provided == reference.provided
    assert mine.to_header() == reference.to_header()
    assert list(mine.values()) == list(reference.values())
    assert isinstance(mine, ours) and mine.__class__.__name__ == theirs.__name__


MIME_OFFERS = [
    "text/html",
    "application/json",
    "application/xhtml+xml",
    "application/xml",
    "text/plain",
    "image/png",
    "TEXT/HTML",
    "text/*",
    "*/*",
]
LANGUAGE_OFFERS = ["en", "en-US", "en_us", "de", "de-AT", "fr", "fr-CA", "zh-Hant-TW"]
CHARSET_OFFERS = ["utf-8", "UTF8", "latin-1", "iso-8859-1", "ascii", "not-a-codec"]
ENCODING_OFFERS = ["gzip", "br", "identity", "zstd", "deflate"]
OFFERS = {
    MIMEAccept: MIME_OFFERS,
    LanguageAccept: LANGUAGE_OFFERS,
    CharsetAccept: CHARSET_OFFERS,
    Accept: ENCODING_OFFERS,
}


def compare_negotiation(value: str | None, ours: type, theirs: type) -> None:
    """Qualities, membership, best_match and best, on offers without parameters.

    On such offers the RFC matching (``test_header_deviations.py``) and
    Werkzeug's agree; ``in`` and ``best`` are checked against the RFC reading
    of Werkzeug's own qualities.
    """
    mine, reference = parse_accept_header(value, ours), wzh.parse_accept_header(value, theirs)
    offers = OFFERS[ours]
    for offer in offers:
        assert mine.quality(offer) == reference.quality(offer), offer
        assert mine[offer] == reference[offer]
        assert (offer in mine) == (reference.quality(offer) > 0), offer
        assert mine.find(offer) == reference.find(offer)
    for start in range(len(offers)):
        rotated = offers[start:] + offers[:start]
        assert mine.best_match(rotated) == reference.best_match(rotated)
        assert mine.best_match(rotated[:2], "x") == reference.best_match(rotated[:2], "x")
    top = max((quality for _value, quality in reference), default=0)
    expected = next((v for v, q in reference if q == top), None) if top > 0 else None
    assert mine.best == expected
    if ours is MIMEAccept:
        for name in ("accept_html", "accept_json", "accept_xhtml"):
            assert getattr(mine, name) == (getattr(reference, name) and _rfc_membership(mine, name))


def _rfc_membership(accept: MIMEAccept, name: str) -> bool:
    types = {
        "accept_html": ["text/html", "application/xhtml+xml", "application/xml"],
        "accept_json": ["application/json"],
        "accept_xhtml": ["application/xhtml+xml", "application/xml"],
    }[name]
    return any(accept.quality(mimetype) > 0 for mimetype in types)


@pytest.mark.parametrize("value", ACCEPT_TABLE)
@pytest.mark.parametrize(("ours", "theirs"), ACCEPT_KINDS, ids=lambda c: c.__name__)
def test_negotiation_matches_werkzeug(value, ours, theirs) -> None:
    compare_negotiation(value, ours, theirs)


MEDIA_RANGES = st.sampled_from(
    ["text/html", "text/plain", "text/*", "*/*", "application/json", "application/xml",
     "application/xhtml+xml", "image/png", "*/html", "html", "*", "TEXT/Html"]
)
LANGUAGES = st.sampled_from(["en", "en-US", "en_us", "EN-us", "de", "de-AT", "fr", "*", "zh"])
CHARSETS = st.sampled_from(["utf-8", "UTF8", "latin-1", "iso-8859-1", "*", "ascii", "x-no"])
CODINGS = st.sampled_from(["gzip", "br", "deflate", "identity", "*", "zstd", "GZIP"])
QVALUES = st.sampled_from(
    ["", ";q=1", ";q=0", ";q=0.5", ";q=0.9", "; q=0.1", ";q=1.0", ";q=0.000", ";q=1.5",
     ";q=-1", ";q=x", ";Q=0.3", ";q=0.12345", ";q=01", ";level=1", ";level=1;q=0.2"]
)


def accept_values(items: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    item = st.tuples(items, QVALUES).map("".join)
    return st.lists(item, max_size=6).flatmap(
        lambda parts: st.sampled_from([",", ", ", " ,"]).map(lambda sep: sep.join(parts))
    )


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(ACCEPT_KINDS),
    data=st.data(),
)
def test_accept_matches_werkzeug_on_generated_values(kind, data) -> None:
    ours, theirs = kind
    items = {MIMEAccept: MEDIA_RANGES, LanguageAccept: LANGUAGES, CharsetAccept: CHARSETS,
             Accept: CODINGS}[ours]
    value = data.draw(accept_values(items))
    mine, reference = parse_accept_header(value, ours), wzh.parse_accept_header(value, theirs)
    assert list(mine) == list(reference)
    assert mine.to_header() == reference.to_header()
    compare_negotiation(value, ours, theirs)


@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet='ab/*;,= q."\t01.5-', max_size=40))
def test_accept_never_raises_and_parses_as_werkzeug(value) -> None:
    for ours, theirs in ACCEPT_KINDS:
        assert list(parse_accept_header(value, ours)) == list(
            wzh.parse_accept_header(value, theirs)
        )


def test_accept_list_behaviour() -> None:
    accept = parse_accept_header("text/html;q=0.5, application/json", MIMEAccept)
    assert accept[0] == ("application/json", 1)
    assert accept[:1] == [("application/json", 1)]
    assert accept.index("text/html") == 1
    with pytest.raises(ValueError):
        accept.index("image/png")
    assert accept.index(("text/html", 0.5)) == 1
    assert str(accept) == "application/json,text/html;q=0.5"
    assert repr(accept) == "MIMEAccept([('application/json', 1), ('text/html', 0.5)])"
    with pytest.raises(TypeError):
        accept.append(("x/y", 1))
    with pytest.raises(ValueError, match="invalid mimetype"):
        accept.quality("html")
    with pytest.raises(ValueError, match="invalid mimetype"):
        accept.quality("*/html")
    assert Accept(accept).provided and not Accept(None).provided
    assert hash(accept) == hash(MIMEAccept(list(accept)))


@pytest.mark.parametrize(
    ("value", "offers", "expected"),
    [
        ("en-US", ["en"], "en"),
        ("en", ["en-GB", "de"], "en-GB"),
        ("de-AT, en;q=0.5", ["de", "en"], "en"),  # an exact match first, even at 0.5
        ("de-AT, fr;q=0.5", ["fr", "de"], "fr"),
        ("fr", ["en", "de"], None),
        ("en_us", ["en-US"], "en-US"),
        ("zh-Hant-TW", ["zh-Hans", "zh"], "zh"),
        ("*", ["de"], "de"),
    ],
)
def test_language_fallbacks_match_werkzeug(value, offers, expected) -> None:
    mine = parse_accept_header(value, LanguageAccept)
    theirs = wzh.parse_accept_header(value, wzds.LanguageAccept)
    assert mine.best_match(offers) == theirs.best_match(offers) == expected
    # A generator of offers is read once.
    assert mine.best_match(iter(offers)) == expected


# ------------------------------------------------------------- ETags

ETAG_TABLE = [
    None,
    "",
    "*",
    '"abc"',
    'W/"abc"',
    'w/"abc", "def"',
    '"a", W/"b", "c"',
    "abc, def",
    '"a,b", "c"',
    '"unterminated, "x"',
    ' "a" , W/"b" ',
    '"", W/""',
    "*, \"a\"",
    '"a" junk, "b"',
]


@pytest.mark.parametrize("value", ETAG_TABLE)
def test_etags_parse_as_werkzeug(value) -> None:
    compare_etags(value)


def compare_etags(value: str | None) -> None:
    mine, reference = parse_etags(value), wzh.parse_etags(value)
    if None in reference.as_set(include_weak=True):
        # Werkzeug stores the empty tag "" as None (test_header_deviations.py).
        return
    assert mine.as_set() == reference.as_set()
    assert mine.as_set(include_weak=True) == reference.as_set(include_weak=True)
    assert mine.star_tag == reference.star_tag
    assert bool(mine) == bool(reference)
    assert len(mine) == len(reference)
    assert set(mine) == set(reference)
    for tag in ["abc", "a", "b", "c", "def", "x", ""]:
        assert mine.contains(tag) == reference.contains(tag)
        assert mine.contains_weak(tag) == reference.contains_weak(tag)
        assert mine.is_weak(tag) == reference.is_weak(tag)
        assert (tag in mine) == (tag in reference)
        assert mine(tag, include_weak=True) == reference(tag, include_weak=True)
        for quoted in (f'"{tag}"', f'W/"{tag}"'):
            assert mine.contains_raw(quoted) == reference.contains_raw(quoted)
    assert wzh.parse_etags(mine.to_header()).as_set(True) == reference.as_set(True)


@settings(max_examples=400, deadline=None)
@given(value=st.text(alphabet='abW/w", *\t', max_size=30))
@example('"a", "b"')
def test_etags_match_werkzeug_on_anything(value) -> None:
    # A field value has no surrounding whitespace (RFC 9110 §5.5): " *" is "*"
    # here and a strong tag "*" in Werkzeug (test_header_deviations.py).
    if value.strip(" \t") == "*" and value != "*":
        return
    compare_etags(value)


def test_etags_type() -> None:
    tags = ETags(["a"], ["b"])
    assert tags.to_header() == '"a", W/"b"'
    assert repr(tags) == "<ETags '\"a\", W/\"b\"'>"
    assert ETags(star_tag=True).to_header() == "*"
    assert tags(data=b"x") is False
    with pytest.raises(TypeError):
        tags()
    assert ETags([wzh.generate_etag(b"x")])(data=b"x")


# ------------------------------------------------------------- Range

RANGE_TABLE = [
    None,
    "",
    "bytes=0-499",
    "bytes=500-",
    "bytes=-500",
    "bytes=-0",
    "bytes=0-0,10-20,-5",
    "bytes=10-20,0-5",
    "bytes=0-10,5-20",
    "bytes=-5,0-1",
    "bytes=5-2",
    "bytes=x-y",
    "bytes=",
    "bytes",
    "items=0-5",
    "BYTES = 1 - 2",
    "bytes=+1-2",
    "bytes=1_0-20",
    "bytes=\u0661-\u0662",  # Arabic-Indic digits: int() takes them, HTTP does not
    "bytes=0-1,,2-3",
    "bytes=1--3",
]


def compare_range(value: str | None) -> None:
    mine, reference = parse_range_header(value), wzh.parse_range_header(value)
    if reference is None:
        assert mine is None
        return
    assert mine is not None
    assert (mine.units, list(mine.ranges)) == (reference.units, list(reference.ranges))
    assert mine.to_header() == reference.to_header()
    for length in (0, 1, 5, 10, 600, None):
        werkzeug_range = reference.range_for_length(length)
        # A suffix longer than the body: the whole body (RFC 9110 §14.1.2), not None.
        start, stop = reference.ranges[0]
        longer_suffix = (
            length and len(reference.ranges) == 1 and stop is None and start < -length
            and reference.units == "bytes"
        )
        if longer_suffix:
            assert mine.range_for_length(length) == (0, length)
            continue
        assert mine.range_for_length(length) == werkzeug_range
        assert mine.to_content_range_header(length) == reference.to_content_range_header(length)
        made, expected = mine.make_content_range(length), reference.make_content_range(length)
        assert (made and made.to_header()) == (expected and expected.to_header())


@pytest.mark.parametrize("value", RANGE_TABLE)
def test_range_parses_as_werkzeug(value) -> None:
    compare_range(value)


@settings(max_examples=400, deadline=None)
@given(value=st.text(alphabet="bytes=0123456789-, \t", max_size=25))
@example("bytes=0-1,3-")
def test_range_matches_werkzeug_on_anything(value) -> None:
    compare_range(value)


@settings(max_examples=300, deadline=None)
@given(
    specs=st.lists(
        st.one_of(
            st.tuples(st.integers(0, 50), st.one_of(st.none(), st.integers(0, 60))).map(
                lambda pair: f"{pair[0]}-{'' if pair[1] is None else pair[1]}"
            ),
            st.integers(0, 60).map(lambda n: f"-{n}"),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_range_matches_werkzeug_on_generated_ranges(specs) -> None:
    compare_range("bytes=" + ",".join(specs))


def test_range_type() -> None:
    with pytest.raises(ValueError):
        Range("bytes", [(5, 2)])
    assert Range("bytes", [(0, None)]).to_header() == "bytes=0-"
    assert repr(Range("bytes", [(-5, None)])) == "<Range 'bytes=-5'>"


IF_RANGE_TABLE = [
    None,
    "",
    '"abc"',
    'W/"abc"',
    "abc",
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "not a date",
]


@pytest.mark.parametrize("value", IF_RANGE_TABLE)
def test_if_range_parses_as_werkzeug(value) -> None:
    mine, reference = parse_if_range_header(value), wzh.parse_if_range_header(value)
    assert (mine.etag, mine.date) == (reference.etag, reference.date)
    if not mine.weak:
        assert mine.to_header() == reference.to_header()
    assert mine.weak == (value or "").startswith("W/")


CONTENT_RANGE_TABLE = [
    None,
    "",
    "bytes 0-499/1234",
    "bytes 0-499/*",
    "bytes */1234",
    "bytes */*",
    "bytes 500-400/1000",
    "bytes 0-1000/1000",
    "bytes 0-999/1000",
    "bytes 0-1",
    "bytes a-b/10",
    "items 1-2/5",
    "bytes -1-2/5",
    "  bytes 1-2/5  ",
]


@pytest.mark.parametrize("value", CONTENT_RANGE_TABLE)
def test_content_range_parses_as_werkzeug(value) -> None:
    mine, reference = parse_content_range_header(value), wzh.parse_content_range_header(value)
    if reference is None:
        assert mine is None
        return
    assert (mine.units, mine.start, mine.stop, mine.length) == (
        reference.units, reference.start, reference.stop, reference.length
    )
    assert mine.to_header() == reference.to_header()
    assert bool(mine) == bool(reference)


@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet="bytes 0123456789-/*", max_size=20))
def test_content_range_matches_werkzeug_on_anything(value) -> None:
    mine, reference = parse_content_range_header(value), wzh.parse_content_range_header(value)
    assert (mine is None) == (reference is None)
    if mine is not None:
        assert mine.to_header() == reference.to_header()


@settings(max_examples=300, deadline=None)
@given(
    start=st.one_of(st.none(), st.integers(-3, 20)),
    stop=st.one_of(st.none(), st.integers(-3, 20)),
    length=st.one_of(st.none(), st.integers(-3, 20)),
)
def test_byte_range_validity_matches_werkzeug(start, stop, length) -> None:
    assert is_byte_range_valid(start, stop, length) == wzh.is_byte_range_valid(start, stop, length)


def test_content_range_updates() -> None:
    seen = []
    content_range = ContentRange("bytes", 0, 10, 100, on_update=lambda cr: seen.append(str(cr)))
    content_range.stop = 20
    content_range.set(5, 6, None)
    content_range.unset()
    assert seen == ["bytes 0-9/100", "bytes 0-19/100", "bytes 5-5/*", ""]
    assert not content_range
    with pytest.raises(ValueError):
        content_range.set(5, 2, 10)


# ------------------------------------------------------- Cache-Control

CACHE_CONTROL_TABLE = [
    None,
    "",
    "no-cache",
    "no-store, max-age=0",
    "max-age=60, s-maxage=120, public, must-revalidate, proxy-revalidate, immutable",
    'private="Set-Cookie", no-cache="Authorization, Cookie"',
    "max-stale, min-fresh=10, only-if-cached, no-transform",
    "max-stale=5",
    'max-age="30"',
    "max-age=abc",
    "stale-while-revalidate=30, stale-if-error=60, must-understand",
    "max-age",
    "a=b, c",
]

REQUEST_DIRECTIVES = ["no_cache", "no_store", "max_age", "max_stale", "min_fresh",
                      "no_transform", "only_if_cached", "stale_if_error"]
RESPONSE_DIRECTIVES = ["no_cache", "no_store", "max_age", "no_transform", "public", "private",
                       "must_revalidate", "proxy_revalidate", "s_maxage", "immutable",
                       "must_understand", "stale_while_revalidate", "stale_if_error"]


def assert_same_directives(ours: str, theirs: str) -> None:
    """The same field, but for quotes: a response's no-cache and private field names are
    always quoted here (RFC 9111 §5.2.2.4, test_header_deviations.py)."""
    assert wzh.parse_dict_header(ours) == wzh.parse_dict_header(theirs)
    if "no-cache=" not in ours and "private=" not in ours:
        assert ours == theirs


def compare_cache_control(value: str | None) -> None:
    for ours, theirs, names in (
        (RequestCacheControl, wzds.RequestCacheControl, REQUEST_DIRECTIVES),
        (ResponseCacheControl, wzds.ResponseCacheControl, RESPONSE_DIRECTIVES),
    ):
        mine = parse_cache_control_header(value, None, ours)
        reference = wzh.parse_cache_control_header(value, None, theirs)
        assert dict(mine) == dict(reference)
        assert mine.provided == reference.provided
        assert_same_directives(mine.to_header(), reference.to_header())
        for name in names:
            assert getattr(mine, name) == getattr(reference, name), name


@pytest.mark.parametrize("value", CACHE_CONTROL_TABLE)
def test_cache_control_parses_as_werkzeug(value) -> None:
    compare_cache_control(value)


DIRECTIVES = st.sampled_from(
    ["no-cache", "no-store", "public", "private", "max-age", "s-maxage", "max-stale",
     "min-fresh", "must-revalidate", "immutable", "only-if-cached", "x-ext"]
)
ARGUMENTS = st.one_of(
    st.none(), st.integers(0, 10**6).map(str), st.sampled_from(['"5"', '"a, b"', "abc", ""])
)


@settings(max_examples=300, deadline=None)
@given(directives=st.lists(st.tuples(DIRECTIVES, ARGUMENTS), max_size=5))
def test_cache_control_matches_werkzeug_on_generated_values(directives) -> None:
    # Lower-case names and plain numbers: where RFC 9111 and Werkzeug agree.
    value = ", ".join(name if arg is None else f"{name}={arg}" for name, arg in directives)
    compare_cache_control(value)


def test_request_cache_control_is_read_only() -> None:
    cache_control = parse_cache_control_header("max-age=5")
    assert isinstance(cache_control, RequestCacheControl)
    for change in (
        lambda: cache_control.__setitem__("a", "b"),
        lambda: setattr(cache_control, "max_age", 3),
        lambda: cache_control.pop("max-age"),
        lambda: cache_control.update(a="b"),
    ):
        with pytest.raises(TypeError, match="immutable"):
            change()
    assert hash(cache_control) == hash(parse_cache_control_header("max-age=5"))


@pytest.mark.parametrize(
    ("name", "value"),
    [("max_age", 60), ("max_age", "60"), ("no_cache", True), ("no_cache", "Set-Cookie"),
     ("private", True), ("public", True), ("public", False), ("s_maxage", 5), ("max_age", None),
     ("no_store", True), ("immutable", True), ("must_revalidate", True), ("no_cache", False)],
)
def test_response_cache_control_setters_match_werkzeug(name, value) -> None:
    seen, seen_wz = [], []
    mine = ResponseCacheControl({"max-age": "10", "public": None}, seen.append)
    reference = wzds.ResponseCacheControl({"max-age": "10", "public": None}, seen_wz.append)
    setattr(mine, name, value)
    setattr(reference, name, value)
    assert dict(mine) == dict(reference)
    assert_same_directives(mine.to_header(), reference.to_header())
    assert len(seen) == len(seen_wz)
    delattr(mine, name)
    delattr(reference, name)
    assert dict(mine) == dict(reference)


@pytest.mark.parametrize("value", [None, "", "0", "60", "-1", "abc", "99999999999999999999"])
def test_age_matches_werkzeug(value) -> None:
    assert parse_age(value) == wzh.parse_age(value)


@pytest.mark.parametrize("age", [None, 0, 60, timedelta(minutes=2), 3.7])
def test_dump_age_matches_werkzeug(age) -> None:
    assert dump_age(age) == wzh.dump_age(age)
    with pytest.raises(ValueError):
        dump_age(-1)


# ------------------------------------------------------ sets, CSP, auth

SET_TABLE = [None, "", "a, b", 'Accept-Encoding, "quoted value", Cookie', "GET,POST, HEAD"]


@pytest.mark.parametrize("value", SET_TABLE)
def test_set_header_parses_as_werkzeug(value) -> None:
    mine, reference = parse_set_header(value), wzh.parse_set_header(value)
    assert list(mine) == list(reference)
    assert mine.to_header() == reference.to_header()
    assert mine.as_set() == reference.as_set()
    assert mine.as_set(True) == reference.as_set(True)


def test_header_set_operations_match_werkzeug() -> None:
    seen: list[str] = []
    mine = HeaderSet(["Accept", "Cookie"], lambda s: seen.append(s.to_header()))
    reference = wzds.HeaderSet(["Accept", "Cookie"])
    for header_set in (mine, reference):
        header_set.add("accept")  # already there
        header_set.add("Origin")
        header_set.update(["X-A", "x-a"])
        header_set.discard("nothing")
        header_set[0] = "Accept-Language"
        del header_set[1]
    assert list(mine) == list(reference) == ["Accept-Language", "Origin", "X-A"]
    assert mine.find("origin") == reference.find("origin") == 1
    assert mine.index("x-a") == reference.index("x-a") == 2
    with pytest.raises(IndexError):
        mine.index("nothing")
    with pytest.raises(KeyError):
        mine.remove("nothing")
    assert "ORIGIN" in mine and 3 not in mine
    assert repr(mine) == "HeaderSet(['Accept-Language', 'Origin', 'X-A'])"
    assert seen[-1] == "Accept-Language, Origin, X-A"
    mine.clear()
    assert not mine and seen[-1] == ""


CSP_TABLE = [
    None,
    "",
    "default-src 'self'",
    "default-src 'self'; img-src *; script-src 'self' https://cdn.example",
    "upgrade-insecure-requests; default-src https:",
    " frame-ancestors 'none' ;;",
]


@pytest.mark.parametrize("value", CSP_TABLE)
def test_csp_parses_as_werkzeug(value) -> None:
    mine, reference = parse_csp_header(value), wzh.parse_csp_header(value)
    assert dict(mine) == dict(reference)
    assert mine.to_header() == reference.to_header() == dump_csp_header(mine)
    assert mine.provided == reference.provided
    assert mine.default_src == reference.default_src
    assert mine.img_src == reference.img_src


def test_csp_properties_write_back() -> None:
    seen = []
    policy = ContentSecurityPolicy((), seen.append)
    policy.default_src = "'self'"
    policy.script_src = "'self' https://cdn"
    policy.default_src = None
    del policy.script_src
    assert [dict(p) for p in seen] == [{}] * 4  # the same object, now empty
    assert len(seen) == 4


WWW_AUTHENTICATE_TABLE = [
    'Basic realm="Login Required"',
    'Digest realm="x", nonce="abc", qop="auth", algorithm=MD5',
    "Bearer abc.def==",
    'Bearer realm="api", error="invalid_token"',
    "Negotiate",
]


@pytest.mark.parametrize("value", WWW_AUTHENTICATE_TABLE)
def test_www_authenticate_matches_werkzeug(value) -> None:
    mine, reference = WWWAuthenticate.from_header(value), wzds.WWWAuthenticate.from_header(value)
    assert (mine.type, mine.token, dict(mine.parameters)) == (
        reference.type, reference.token, dict(reference.parameters)
    )
    # A realm is always quoted here (RFC 9110 §11.5, test_header_deviations.py).
    assert mine.to_header() == reference.to_header().replace("realm=api", 'realm="api"')
    assert WWWAuthenticate.from_header("") is None


def test_www_authenticate_attributes() -> None:
    seen = []
    challenge = WWWAuthenticate("digest", {"realm": "r"})
    challenge._on_update = lambda c: seen.append(c.to_header())
    challenge.nonce = "n"
    challenge["opaque"] = "o"
    del challenge.opaque
    challenge["realm"] = None
    assert challenge.realm is None and challenge.get("nonce") == "n" and "nonce" in challenge
    assert seen == ['Digest realm="r", nonce="n"', 'Digest realm="r", nonce="n", opaque="o"',
                    'Digest realm="r", nonce="n"', 'Digest nonce="n"']
    assert challenge == WWWAuthenticate("Digest", {"nonce": "n"})
    challenge.token = "t"
    assert str(challenge) == "Digest t"
    assert repr(challenge) == "<WWWAuthenticate Digest t>"


# ------------------------------------------------ the Werkzeug names


@pytest.mark.parametrize(
    "name",
    ["Accept", "MIMEAccept", "LanguageAccept", "CharsetAccept", "ETags", "IfRange", "Range",
     "ContentRange", "RequestCacheControl", "ResponseCacheControl", "HeaderSet",
     "ContentSecurityPolicy", "WWWAuthenticate"],
)
def test_types_are_found_under_werkzeugs_module_name(name) -> None:
    found = getattr(datastructures, name)
    assert found.__name__ == name
    assert found is {
        "Accept": Accept, "MIMEAccept": MIMEAccept, "LanguageAccept": LanguageAccept,
        "CharsetAccept": CharsetAccept, "ETags": ETags, "IfRange": IfRange, "Range": Range,
        "ContentRange": ContentRange, "RequestCacheControl": RequestCacheControl,
        "ResponseCacheControl": ResponseCacheControl, "HeaderSet": HeaderSet,
        "ContentSecurityPolicy": ContentSecurityPolicy, "WWWAuthenticate": WWWAuthenticate,
    }[name]
    with pytest.raises(AttributeError):
        datastructures.NoSuchType  # noqa: B018


def test_dates_in_if_range_are_aware() -> None:
    parsed = parse_if_range_header("Sun, 06 Nov 1994 08:49:37 GMT")
    assert parsed.date == datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc)
    assert parsed.to_header() == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert str(IfRange()) == "" and repr(IfRange("a")) == "<IfRange '\"a\"'>"


# ------------------------------------------------------------- dates

DATETIMES = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)
).map(lambda moment: moment.replace(microsecond=0))


def date_forms(moment: datetime) -> list[str]:
    """The three forms of RFC 9110 §5.6.7: IMF-fixdate, RFC 850 and asctime."""
    return [
        moment.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        moment.strftime("%A, %d-%b-%y %H:%M:%S GMT"),
        moment.strftime("%a %b ") + f"{moment.day:2d}" + moment.strftime(" %H:%M:%S %Y"),
    ]


@settings(max_examples=200, deadline=None)
@given(moment=DATETIMES, form=st.integers(0, 2), cut=st.integers(0, 40))
def test_conditional_dates_match_werkzeug(moment, form, cut) -> None:
    from tapster.web.request import Request

    text = date_forms(moment)[form]
    for value in (text, text[:cut]):  # whole, and cut anywhere
        ours = Request.from_values(headers={"If-Modified-Since": value, "If-Range": value,
                                            "If-Unmodified-Since": value, "Date": value})
        expected = wzh.parse_date(value)
        assert ours.if_modified_since == ours.if_unmodified_since == ours.date == expected
        assert ours.if_range.date == wzh.parse_if_range_header(value).date
        if expected is not None:
            assert expected.tzinfo is not None
    # Whole dates read as written; two-digit years fold into a century (RFC 9110 §5.6.7).
    if form != 1 or 1970 <= moment.year < 2069:
        assert wzh.parse_date(text) == moment.replace(tzinfo=timezone.utc)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(
    st.text(alphabet='aW/" ,0123456789:GMTSun', max_size=30),
    DATETIMES.map(lambda moment: date_forms(moment)[0]),
))
def test_if_range_matches_werkzeug_on_anything(value) -> None:
    mine, reference = parse_if_range_header(value), wzh.parse_if_range_header(value)
    assert (mine.etag, mine.date) == (reference.etag, reference.date)


@pytest.mark.parametrize(
    "name",
    ["parse_accept_header", "parse_etags", "parse_range_header", "parse_if_range_header",
     "parse_content_range_header", "is_byte_range_valid", "parse_cache_control_header",
     "parse_age", "dump_age", "parse_set_header", "parse_csp_header", "dump_csp_header"],
)
def test_parsers_are_found_under_werkzeugs_module_name(name) -> None:
    from tapster.web import http

    function = getattr(http, name)
    assert function.__name__ == name and callable(function)
    assert function.__module__ != http.__name__  # found in its own module
    with pytest.raises(AttributeError):
        http.no_such_parser  # noqa: B018


def test_parsers_stay_linear_on_hostile_input() -> None:
    from .test_http import SIZE, _linear

    plain = ('"a", ' * SIZE)[:SIZE]
    _linear(parse_etags, ('"' + ",," * SIZE)[:SIZE], plain)
    _linear(parse_etags, ('"a"x' * SIZE)[:SIZE], plain)
    _linear(parse_etags, ("W/" * SIZE)[:SIZE], plain)
    plain_range = ("bytes=" + "".join(f"{n}-{n}," for n in range(0, SIZE, 2)))[:SIZE]
    _linear(parse_range_header, ("bytes=" + "-" * SIZE)[:SIZE], plain_range)
    _linear(parse_range_header, ("bytes=" + " " * SIZE)[:SIZE], plain_range)
    def negotiate(value: str) -> object:
        return parse_accept_header(value, MIMEAccept).best_match(["a/b", "c/d"])

    plain_accept = ("a/b, " * SIZE)[:SIZE]
    _linear(negotiate, ("a/b;" * SIZE)[:SIZE], plain_accept)
    _linear(negotiate, ('"' * SIZE)[:SIZE], plain_accept)
    _linear(negotiate, ("*/*;q=0.5, " * SIZE)[:SIZE], plain_accept)
    _linear(parse_cache_control_header, ("a=" * SIZE)[:SIZE], ("a, " * SIZE)[:SIZE])
    _linear(parse_csp_header, ("a b;" * SIZE)[:SIZE], ("a b; " * SIZE)[:SIZE])
