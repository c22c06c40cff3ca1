"""Where tapster's header values and conditional responses deliberately differ from Werkzeug 3.1.

Every other answer is Werkzeug's (``test_header_values.py``,
``test_header_properties.py`` and ``test_conditional.py`` compare them).
Each test here shows Werkzeug's answer and tapster's, and says why
tapster's is the one kept: in each case RFC 9110 or RFC 9111 says so.
"""

from __future__ import annotations

import pytest
import werkzeug.datastructures as wzds
import werkzeug.http as wzh

from tapster.web.accept import MIMEAccept, parse_accept_header
from tapster.web.cache_control import (
    RequestCacheControl,
    ResponseCacheControl,
    parse_age,
    parse_cache_control_header,
)
from tapster.web.etags import parse_etags
from tapster.web.header_values import HeaderSet, WWWAuthenticate
from tapster.web.ranges import ContentRange, Range

from .test_conditional import BODY, EARLIER, LATER, MODIFIED_TEXT, answer, make_apps


def accepts(value: str) -> tuple[wzds.MIMEAccept, MIMEAccept]:
    return wzh.parse_accept_header(value, wzds.MIMEAccept), parse_accept_header(value, MIMEAccept)


# ------------------------------------------------------- negotiation


def test_quality_zero_is_not_acceptable():
    """RFC 9110 §12.4.2: "a value of 0 means not acceptable". Werkzeug's ``in`` (and so
    ``accept_html``/``accept_json``) is true for any matching item, q=0 included."""
    theirs, ours = accepts("text/html;q=0, application/json;q=0")
    assert "text/html" in theirs and theirs.accept_html and theirs.accept_json
    assert "text/html" not in ours and not ours.accept_html and not ours.accept_json
    # The most specific range decides (§12.5.1): text/html is refused, the rest is not.
    theirs, ours = accepts("*/*, text/html;q=0")
    assert "text/html" in theirs
    assert "text/html" not in ours and "image/png" in ours


def test_best_is_the_highest_quality():
    """Werkzeug's ``best`` is the first of its list, sorted by specificity before quality: the
    most specific value, even one the client rates lower, or refuses with q=0. tapster's is the
    value the client rates highest, never one of quality 0."""
    theirs, ours = accepts("*/*, application/json;q=0.5")
    assert (theirs.best, ours.best) == ("application/json", "*/*")
    theirs, ours = accepts("text/html;q=0")
    assert (theirs.best, ours.best) == ("text/html", None)
    # The order of iteration is Werkzeug's in both.
    assert list(theirs) == list(ours)


def test_a_range_without_parameters_covers_a_type_with_parameters():
    """RFC 9110 §12.5.1's own example: for this Accept, text/html;level=3 has quality 0.7
    (from text/html). Werkzeug matches parameters only when they are equal, so it finds
    text/* (0.3)."""
    value = "text/*;q=0.3, text/html;q=0.7, text/html;level=1, text/html;level=2;q=0.4, */*;q=0.5"
    theirs, ours = accepts(value)
    assert theirs.quality("text/html;level=3") == 0.3
    assert ours.quality("text/html;level=3") == 0.7
    # The other rows of the RFC's table are the same in both.
    for mimetype, quality in [("text/html;level=1", 1), ("text/html", 0.7), ("text/plain", 0.3),
                              ("image/jpeg", 0.5), ("text/html;level=2", 0.4)]:
        assert theirs.quality(mimetype) == ours.quality(mimetype) == quality
    assert theirs.best_match(["text/html;charset=utf-8"]) == "text/html;charset=utf-8"  # via */*
    assert ours.quality("text/html;charset=utf-8") == 0.7


# ------------------------------------------------------------ ETags


def test_an_empty_entity_tag_is_a_tag():
    """RFC 9110 §8.8.3: ``opaque-tag = DQUOTE *etagc DQUOTE``, so ``""`` is a valid tag.
    Werkzeug stores it as None."""
    assert wzh.parse_etags('""').as_set() == {None}
    assert parse_etags('""').as_set() == {""}
    assert parse_etags('""').contains("")


def test_a_star_with_surrounding_whitespace_is_a_star():
    """A field value carries no surrounding whitespace (RFC 9110 §5.5: parsers drop it), so
    `` *`` is ``*``. Werkzeug checks for exactly ``*`` and otherwise reads a strong tag "*"."""
    assert not wzh.parse_etags(" *").star_tag
    assert parse_etags(" *").star_tag


# ------------------------------------------------------------ ranges


def test_a_suffix_longer_than_the_body_selects_all_of_it():
    """RFC 9110 §14.1.2: "If the selected representation is shorter than the specified
    suffix-length, the entire representation is used." Werkzeug finds it unsatisfiable."""
    assert wzds.Range("bytes", [(-50, None)]).range_for_length(10) is None
    assert Range("bytes", [(-50, None)]).range_for_length(10) == (0, 10)


def test_an_invalid_content_range_is_a_value_error():
    """Werkzeug checks with ``assert``, which ``python -O`` removes."""
    with pytest.raises(AssertionError):
        wzds.ContentRange("bytes", 5, 2, 10)
    with pytest.raises(ValueError, match="Bad range"):
        ContentRange("bytes", 5, 2, 10)


# ------------------------------------------------------ Cache-Control


def test_directive_names_ignore_case():
    """RFC 9111 §5.2: "Cache directives are identified by a token, to be compared
    case-insensitively." Werkzeug compares them as written."""
    theirs = wzh.parse_cache_control_header("No-Cache, MAX-AGE=5", None, wzds.RequestCacheControl)
    ours = parse_cache_control_header("No-Cache, MAX-AGE=5", None, RequestCacheControl)
    assert (theirs.no_cache, theirs.max_age) == (False, None)
    assert (ours.no_cache, ours.max_age) == (True, 5)


@pytest.mark.parametrize(("value", "werkzeug"), [("-1", -1), ("+5", 5), ("1_0", 10)])
def test_numbers_are_delta_seconds(value, werkzeug):
    """RFC 9111 §1.2.2: ``delta-seconds = 1*DIGIT``. Werkzeug hands the value to ``int()``,
    which also takes signs and underscores (and a negative max-age makes no sense). The
    same rule reads ``Age`` (§5.1), where Werkzeug refuses only negative numbers."""
    field = f"max-age={value}"
    assert wzh.parse_cache_control_header(field).max_age == werkzeug
    assert parse_cache_control_header(field).max_age is None
    assert (wzh.parse_age(value) is None) == (werkzeug < 0)
    assert parse_age(value) is None


def test_no_cache_and_private_field_names_are_quoted():
    """RFC 9111 §5.2.2.4 and §5.2.2.7: these two directives take a quoted-string, and "a
    sender SHOULD NOT generate the token form (even if quoting appears not to be needed for
    single-entry lists)". Werkzeug writes the token form."""
    theirs, ours = wzds.ResponseCacheControl(), ResponseCacheControl()
    for control in (theirs, ours):
        control.no_cache = "Set-Cookie"
        control.private = "Authorization"
        control.max_age = 5
    assert theirs.to_header() == "no-cache=Set-Cookie, private=Authorization, max-age=5"
    assert ours.to_header() == 'no-cache="Set-Cookie", private="Authorization", max-age=5'


# ----------------------------------------------------- header sets, auth


def test_removing_from_a_header_set_ignores_case():
    """Werkzeug's ``HeaderSet.remove`` compares the lower-cased item with the name as given,
    so removing "Accept" forgets it in the set but leaves it in the list (and the field)."""
    theirs, ours = wzds.HeaderSet(["Accept"]), HeaderSet(["Accept"])
    theirs.remove("Accept")
    ours.remove("Accept")
    assert (list(theirs), len(theirs)) == (["Accept"], 0)
    assert (list(ours), len(ours)) == ([], 0)


def test_a_header_set_holds_each_name_once():
    """A set: ``Vary: Cookie, cookie`` is one name (field names ignore case, RFC 9110 §5.1).
    Werkzeug keeps both in its list while counting one."""
    theirs, ours = wzds.HeaderSet(["Cookie", "cookie"]), HeaderSet(["Cookie", "cookie"])
    assert (list(theirs), len(theirs)) == (["Cookie", "cookie"], 1)
    assert (list(ours), len(ours)) == (["Cookie"], 1)


def test_a_realm_is_always_quoted():
    """RFC 9110 §11.5: "For historical reasons, a sender MUST only generate the quoted-string
    syntax" for realm. Werkzeug quotes it for Digest only."""
    theirs = wzds.WWWAuthenticate("basic", {"realm": "api"})
    ours = WWWAuthenticate("basic", {"realm": "api"})
    assert (theirs.to_header(), ours.to_header()) == ("Basic realm=api", 'Basic realm="api"')


# ----------------------------------------------------- make_conditional


def both(headers: dict[str, str], **options) -> tuple[dict, dict]:
    """(Flask's answer, tapster's answer) for the same request to the same view."""
    ours_app, flask_app = make_apps(**options)
    return answer(flask_app, headers), answer(ours_app, headers)


def test_if_match_star_matches_an_existing_representation():
    """RFC 9110 §13.1.1: "If the field value is "*", the condition is true if the origin
    server has a current representation". Werkzeug answers 412."""
    theirs, ours = both({"If-Match": "*"})
    assert (theirs["status"], ours["status"]) == (412, 200)


def test_if_match_uses_the_strong_comparison():
    """RFC 9110 §13.1.1: If-Match uses the strong comparison, so a weak ETag never matches,
    and a response without an ETag matches nothing. Werkzeug drops the weakness before
    comparing, and skips If-Match when there is no ETag."""
    theirs, ours = both({"If-Match": '"v1"'}, weak=True)
    assert (theirs["status"], ours["status"]) == (200, 412)
    theirs, ours = both({"If-Match": '"v1"'}, etag=None)
    assert (theirs["status"], ours["status"]) == (200, 412)


def test_if_unmodified_since_is_honoured():
    """RFC 9110 §13.2.2 step 2: without If-Match, a representation modified after
    If-Unmodified-Since fails with 412. Werkzeug ignores the field."""
    theirs, ours = both({"If-Unmodified-Since": EARLIER})
    assert (theirs["status"], ours["status"]) == (200, 412)
    theirs, ours = both({"If-Unmodified-Since": LATER})
    assert theirs["status"] == ours["status"] == 200


def test_a_412_carries_no_representation():
    """Werkzeug keeps the body of the representation the precondition was about and sends
    it with the 412; tapster sends none."""
    theirs, ours = both({"If-Match": '"other"'})
    assert (theirs["body"], ours["body"]) == (BODY, b"")


def test_preconditions_come_before_the_range():
    """RFC 9110 §13.2.2: the range is step 5, after If-None-Match (step 3): a cached copy
    still valid is a 304 even when a range is asked for. Werkzeug answers the range first."""
    theirs, ours = both({"Range": "bytes=0-1", "If-None-Match": '"v1"'})
    assert (theirs["status"], ours["status"]) == (206, 304)


def test_a_true_if_match_does_not_cancel_if_none_match():
    """RFC 9110 §13.2.2: If-Match is step 1 and If-None-Match step 3; when both hold and the
    tag is current, the answer is 304. Werkzeug evaluates If-Match last and lets its success
    override If-None-Match: 200."""
    theirs, ours = both({"If-Match": '"v1"', "If-None-Match": '"v1"'})
    assert (theirs["status"], ours["status"]) == (200, 304)


def test_if_none_match_overrides_if_modified_since():
    """RFC 9110 §13.1.3: "A recipient MUST ignore If-Modified-Since if the request contains an
    If-None-Match header field". Without an ETag, Werkzeug falls back on the date."""
    theirs, ours = both({"If-None-Match": '"x"', "If-Modified-Since": MODIFIED_TEXT}, etag=None)
    assert (theirs["status"], ours["status"]) == (304, 200)


@pytest.mark.parametrize("value", ["bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=x-y"])
def test_a_range_the_server_may_ignore_is_ignored(value):
    """RFC 9110 §14.2: a server MUST ignore a range unit it does not understand, and MAY
    ignore an invalid or multiple-range ``Range``; 416 is for ranges outside the body
    (§15.5.17). Werkzeug answers 416 to all of these. send_file has always answered 200."""
    theirs, ours = both({"Range": value})
    assert (theirs["status"], ours["status"]) == (416, 200)
    assert ours["body"] == BODY


def test_a_long_suffix_range_is_the_whole_body():
    """RFC 9110 §14.1.2 (see test_a_suffix_longer_than_the_body_selects_all_of_it)."""
    theirs, ours = both({"Range": "bytes=-50"})
    assert (theirs["status"], ours["status"]) == (416, 206)
    assert (ours["body"], ours["Content-Range"]) == (BODY, "bytes 0-9/10")


def test_if_range_needs_the_exact_date_or_a_strong_tag():
    """RFC 9110 §13.1.5: an If-Range date holds only if it "exactly matches" Last-Modified,
    and a tag only by the strong comparison (a weak tag never). Werkzeug accepts any later
    date and drops the weakness of the tag."""
    theirs, ours = both({"Range": "bytes=0-1", "If-Range": LATER})
    assert (theirs["status"], ours["status"]) == (206, 200)
    theirs, ours = both({"Range": "bytes=0-1", "If-Range": 'W/"v1"'})
    assert (theirs["status"], ours["status"]) == (206, 200)


def test_if_range_is_judged_alone():
    """RFC 9110 §13.1.5: If-Range compares its validator with the representation's, nothing
    more. Werkzeug runs it through the same function as the other conditions, where a
    successful If-Match, or an If-None-Match that does not match, turns an exact If-Range
    date into "modified": the whole body."""
    theirs, ours = both({"Range": "bytes=0-1", "If-Range": MODIFIED_TEXT, "If-Match": '"v1"'})
    assert (theirs["status"], ours["status"]) == (200, 206)
    theirs, ours = both({"Range": "bytes=0-1", "If-Range": MODIFIED_TEXT,
                         "If-None-Match": '"other"'})
    assert (theirs["status"], ours["status"]) == (200, 206)


def test_a_list_body_knows_its_length():
    """Werkzeug serves a range only when ``complete_length`` is given; a list body's length
    is known, so tapster counts it."""
    theirs, ours = both({"Range": "bytes=0-1"}, length=False)
    assert (theirs["status"], ours["status"]) == (200, 206)
    assert ours["body"] == b"01"


def test_if_range_remembers_a_weak_tag():
    """Werkzeug's IfRange forgets the ``W/`` (and then lets a weak tag satisfy If-Range);
    tapster keeps it in ``weak`` and writes it back."""
    from tapster.web.ranges import parse_if_range_header

    theirs, ours = wzh.parse_if_range_header('W/"v1"'), parse_if_range_header('W/"v1"')
    assert (theirs.etag, theirs.to_header()) == ("v1", '"v1"')
    assert (ours.etag, ours.weak, ours.to_header()) == ("v1", True, 'W/"v1"')


def test_retry_after_seconds_are_digits():
    """RFC 9110 §10.2.3: ``delay-seconds = 1*DIGIT``. Werkzeug's ``int()`` also reads "-5"
    (a time in the past) and "+5"."""
    import flask

    from tapster.web.response import Response

    for value in ("-5", "+5"):
        theirs, ours = flask.Response(), Response()
        theirs.headers["Retry-After"] = ours.headers["Retry-After"] = value
        assert theirs.retry_after is not None
        assert ours.retry_after is None


def test_a_304_is_not_given_a_length():
    """A 304 has no body and its Content-Length is dropped when sent (RFC 9110 §15.4.5), so
    ``make_conditional`` does not count the body for it; Werkzeug does, reading a streamed
    body to do so."""
    import flask

    from tapster.web.response import Response

    environ = {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": '"x"'}
    theirs, ours = flask.Response(iter([b"ab"])), Response(iter([b"ab"]))
    for response in (theirs, ours):
        response.set_etag("x")
        response.make_conditional(environ)
    assert (theirs.status_code, theirs.headers.get("Content-Length")) == (304, "2")
    assert (ours.status_code, ours.headers.get("Content-Length")) == (304, None)
    assert not ours.is_sequence  # the generator was not read


def test_from_values_takes_only_the_path_and_base_url_by_position():
    """As tapster's EnvironBuilder (see docs/framework.md): Werkzeug's third positional
    argument is the query string, Flask's builder's is different, so tapster's are keywords."""
    from werkzeug.wrappers import Request as WzRequest

    from tapster.web.request import Request

    assert WzRequest.from_values("/", None, "a=1").args["a"] == "1"
    with pytest.raises(TypeError):
        Request.from_values("/", None, "a=1")
    assert Request.from_values("/", None, query_string="a=1").args["a"] == "1"
