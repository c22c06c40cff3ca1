"""The header properties of Request and Response, beside Werkzeug's.

Requests are built from the same environ for tapster and Werkzeug and each
property compared; responses are changed through their properties and the
resulting header fields compared, then sent through the test client.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import flask
import pytest
import werkzeug.datastructures as wzds
import werkzeug.wrappers as wz

from tapster import App
from tapster.web.accept import Accept, CharsetAccept, LanguageAccept, MIMEAccept
from tapster.web.cache_control import RequestCacheControl, ResponseCacheControl
from tapster.web.etags import ETags
from tapster.web.exceptions import NotFound
from tapster.web.header_values import ContentSecurityPolicy, HeaderSet, WWWAuthenticate
from tapster.web.ranges import ContentRange, IfRange, Range
from tapster.web.request import Request
from tapster.web.response import Response, ResponseStream

from .environ import make_environ

HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "de-AT,de;q=0.9,en;q=0.5",
    "Accept-Encoding": "gzip, deflate, br",
    "Accept-Charset": "utf-8, iso-8859-1;q=0.5",
    "Cache-Control": "no-cache, max-age=0, max-stale, min-fresh=5, only-if-cached",
    "If-Match": '"a", W/"b"',
    "If-None-Match": '"c"',
    "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT",
    "If-Unmodified-Since": "Sunday, 06-Nov-94 08:49:37 GMT",
    "If-Range": '"r"',
    "Range": "bytes=0-99",
    "Date": "Tue, 15 Nov 1994 08:12:31 GMT",
    "Pragma": "no-cache",
    "Max-Forwards": "10",
    "Access-Control-Request-Headers": "X-Token, Content-Type",
    "Access-Control-Request-Method": "PUT",
    "Origin": "https://example.com",
    "Referer": "https://example.com/page",
    "Content-MD5": "Q2hlY2sgSW50ZWdyaXR5IQ==",
}


def both(headers: dict[str, str], **extra: Any) -> tuple[Request, wz.Request]:
    environ = make_environ("/", headers=headers, **extra)
    return Request(dict(environ)), wz.Request(dict(environ))


def test_request_properties_match_werkzeug() -> None:
    ours, theirs = both(HEADERS)
    for name in ("accept_mimetypes", "accept_languages", "accept_encodings", "accept_charsets"):
        assert list(getattr(ours, name)) == list(getattr(theirs, name)), name
    assert isinstance(ours.accept_mimetypes, MIMEAccept)
    assert isinstance(ours.accept_languages, LanguageAccept)
    assert isinstance(ours.accept_charsets, CharsetAccept)
    assert type(ours.accept_encodings) is Accept
    assert ours.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    assert ours.accept_languages.best_match(["en", "de"]) == "de"
    assert isinstance(ours.cache_control, RequestCacheControl)
    assert dict(ours.cache_control) == dict(theirs.cache_control)
    for name in ("no_cache", "max_age", "max_stale", "min_fresh", "only_if_cached", "no_store"):
        assert getattr(ours.cache_control, name) == getattr(theirs.cache_control, name), name
    for name in ("if_match", "if_none_match"):
        tags = getattr(ours, name)
        assert isinstance(tags, ETags)
        assert tags.as_set(True) == getattr(theirs, name).as_set(True)
    assert ours.if_match.contains("a") and not ours.if_match.contains("b")
    assert ours.if_match.contains_weak("b") and ours.if_match.is_weak("b")
    for name in ("if_modified_since", "if_unmodified_since", "date"):
        value = getattr(ours, name)
        assert value == getattr(theirs, name) and value.tzinfo is not None, name
    assert isinstance(ours.if_range, IfRange)
    assert (ours.if_range.etag, ours.if_range.date) == (theirs.if_range.etag, theirs.if_range.date)
    assert isinstance(ours.range, Range)
    assert ours.range.ranges == theirs.range.ranges == [(0, 100)]
    assert isinstance(ours.pragma, HeaderSet) and list(ours.pragma) == list(theirs.pragma)
    assert ours.max_forwards == theirs.max_forwards == 10
    assert list(ours.access_control_request_headers) == list(theirs.access_control_request_headers)
    assert ours.access_control_request_method == theirs.access_control_request_method == "PUT"
    assert ours.origin == theirs.origin
    assert ours.referrer == theirs.referrer
    assert ours.content_md5 == theirs.content_md5


def test_request_properties_without_the_fields_match_werkzeug() -> None:
    ours, theirs = both({})
    for name in ("accept_mimetypes", "accept_languages", "accept_encodings", "accept_charsets"):
        accept = getattr(ours, name)
        assert list(accept) == [] and not accept.provided and accept.best is None
        assert accept.best_match(["x/y"], "d") == getattr(theirs, name).best_match(["x/y"], "d")
    # As in Werkzeug, an absent Cache-Control still reads as "provided" (and empty).
    assert not ours.cache_control
    assert ours.cache_control.provided == theirs.cache_control.provided
    assert ours.cache_control.max_age is None and ours.cache_control.no_cache is False
    assert not ours.if_match and not ours.if_none_match
    for name in ("if_modified_since", "if_unmodified_since", "date", "range", "max_forwards",
                 "access_control_request_headers", "access_control_request_method",
                 "content_md5", "remote_user"):
        assert getattr(ours, name) is None is getattr(theirs, name), name
    assert (ours.if_range.etag, ours.if_range.date) == (None, None)
    assert list(ours.pragma) == []


def test_request_properties_are_lazy_and_cached() -> None:
    request, _ = both(HEADERS)
    before = set(vars(request))
    assert request.accept_mimetypes is request.accept_mimetypes
    assert request.if_none_match is request.if_none_match
    assert set(vars(request)) - before >= {"accept_mimetypes", "if_none_match", "headers"}
    assert "cache_control" not in vars(request) and "range" not in vars(request)


def test_malformed_fields_give_empty_values() -> None:
    ours, theirs = both({"Max-Forwards": "ten", "If-Modified-Since": "yesterday",
                         "Range": "bytes=9-1", "Accept": ";;;", "If-Match": ",,"})
    assert ours.max_forwards is None is theirs.max_forwards
    assert ours.if_modified_since is None is theirs.if_modified_since
    assert ours.range is None is theirs.range
    assert list(ours.accept_mimetypes) == list(theirs.accept_mimetypes)
    assert not ours.if_match and not theirs.if_match


def test_remote_user_from_values_and_application() -> None:
    request = Request(make_environ("/", REMOTE_USER="alice"))
    assert request.remote_user == "alice"

    ours = Request.from_values("/p?a=1", headers={"Accept": "application/json"}, method="POST",
                               data={"f": "v"})
    theirs = wz.Request.from_values("/p?a=1", headers={"Accept": "application/json"},
                                    method="POST", data={"f": "v"})
    assert type(ours) is Request
    assert (ours.path, ours.args, ours.method, ours.form) == (
        theirs.path, theirs.args, theirs.method, theirs.form
    )
    assert ours.accept_mimetypes.accept_json
    assert Request.from_values(base_url="http://example.com/app").url == "http://example.com/app/"

    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/missing":
            raise NotFound()
        return Response(f"hello {request.args.get('name')}")

    client = App(__name__).test_client()
    client.application = app  # any WSGI callable works with the client
    assert client.get("/?name=x").data == b"hello x"
    missing = client.get("/missing")
    assert missing.status_code == 404 and b"Not Found" in missing.data
    assert app.__name__ == "app"

    class Handler:
        @Request.application
        def __call__(self, request: Request) -> Response:
            return Response(request.method)

    client.application = Handler()
    assert client.post("/").data == b"POST"


# ------------------------------------------------------------- Response


def pair(*args: Any, **kwargs: Any) -> tuple[Response, flask.Response]:
    return Response(*args, **kwargs), flask.Response(*args, **kwargs)


def fields(response: Any) -> list[tuple[str, str]]:
    return [(name.lower(), value) for name, value in response.headers.items()]


def test_cache_control_writes_back_as_werkzeug() -> None:
    ours, theirs = pair("x")
    for response in (ours, theirs):
        assert isinstance(response.cache_control, (ResponseCacheControl, wzds.ResponseCacheControl))
        response.cache_control.max_age = 60
        response.cache_control.public = True
        response.cache_control.no_cache = "Set-Cookie"
        response.cache_control.immutable = True
        response.cache_control.must_revalidate = True
        response.cache_control.s_maxage = 120
        response.cache_control.no_transform = True
    # RFC 9111 §5.2.2.4: no-cache's field names are sent quoted (Werkzeug: as a token).
    assert fields(ours) == [
        (name, value.replace("no-cache=Set-Cookie", 'no-cache="Set-Cookie"'))
        for name, value in fields(theirs)
    ]
    assert ours.headers["Cache-Control"] == (
        'max-age=60, public, no-cache="Set-Cookie", immutable, must-revalidate, s-maxage=120,'
        " no-transform"
    )
    assert ours.cache_control.max_age == 60 and ours.cache_control.no_cache == "Set-Cookie"
    for response in (ours, theirs):
        control = response.cache_control
        for name in ("max_age", "public", "no_cache", "immutable", "must_revalidate", "s_maxage",
                     "no_transform"):
            setattr(control, name, None)
    assert "Cache-Control" not in ours.headers and "Cache-Control" not in theirs.headers
    ours.cache_control.no_store = True
    ours.cache_control.private = True
    ours.cache_control.proxy_revalidate = True
    assert ours.headers["Cache-Control"] == "no-store, private, proxy-revalidate"


def test_header_sets_write_back_as_werkzeug() -> None:
    ours, theirs = pair("x", headers={"Vary": "Cookie"})
    for response in (ours, theirs):
        response.vary.add("Accept-Encoding")
        response.vary.add("cookie")
        response.allow.update(["GET", "HEAD"])
        response.content_language.add("de")
        response.content_language.add("en")
        response.content_language.discard("de")
    assert fields(ours) == fields(theirs)
    assert ours.headers["Vary"] == "Cookie, Accept-Encoding"
    assert ours.headers["Allow"] == "GET, HEAD"
    assert ours.headers["Content-Language"] == "en"
    for response in (ours, theirs):
        response.content_language.clear()
        response.allow = ["POST", "PUT"]
        response.vary = "Origin"
    assert fields(ours) == fields(theirs)
    assert "Content-Language" not in ours.headers
    ours.allow = None
    ours.vary = []
    assert "Allow" not in ours.headers and "Vary" not in ours.headers
    assert isinstance(Response.vary, object) and Response.vary.__doc__


def test_cors_and_security_fields_match_werkzeug() -> None:
    ours, theirs = pair("x")
    for response in (ours, theirs):
        response.access_control_allow_origin = "https://example.com"
        response.access_control_allow_credentials = True
        response.access_control_allow_headers = ["X-Token", "Content-Type"]
        response.access_control_allow_methods = ["GET", "POST"]
        response.access_control_expose_headers = ["X-Total"]
        response.access_control_max_age = 600
        response.content_security_policy.default_src = "'self'"
        response.content_security_policy.img_src = "*"
        response.content_security_policy_report_only.script_src = "'none'"
        response.www_authenticate = wzds.WWWAuthenticate("basic", {"realm": "r"}) if isinstance(
            response, wz.Response
        ) else WWWAuthenticate("basic", {"realm": "r"})
        response.www_authenticate.realm = "private"
    # RFC 9110 §11.5: a realm is always sent quoted (Werkzeug: as a token when it is one).
    assert fields(ours) == [
        (name, value.replace("realm=private", 'realm="private"')) for name, value in fields(theirs)
    ]
    assert ours.access_control_allow_credentials is True
    assert list(ours.access_control_allow_headers) == ["X-Token", "Content-Type"]
    assert "get" in ours.access_control_allow_methods
    assert ours.access_control_max_age == 600
    assert isinstance(ours.content_security_policy, ContentSecurityPolicy)
    assert ours.content_security_policy.img_src == "*"
    assert ours.headers["WWW-Authenticate"] == 'Basic realm="private"'
    ours.access_control_allow_credentials = False
    del ours.www_authenticate
    ours.content_security_policy = None
    ours.content_security_policy_report_only = "default-src 'none'"
    assert "Access-Control-Allow-Credentials" not in ours.headers
    assert "WWW-Authenticate" not in ours.headers
    assert "Content-Security-Policy" not in ours.headers
    assert ours.content_security_policy_report_only.default_src == "'none'"
    ours.www_authenticate = [WWWAuthenticate("basic", {"realm": "a"}), WWWAuthenticate("bearer")]
    assert ours.headers.getlist("WWW-Authenticate") == ['Basic realm="a"', "Bearer"]
    ours.www_authenticate = None
    assert "WWW-Authenticate" not in ours.headers
    fresh = Response()
    assert fresh.www_authenticate.type == "basic" and "WWW-Authenticate" not in fresh.headers
    fresh.www_authenticate.realm = "set on first change"
    assert fresh.headers["WWW-Authenticate"] == 'Basic realm="set on first change"'


def test_dates_ages_and_ranges_match_werkzeug() -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    ours, theirs = pair("x")
    for response in (ours, theirs):
        response.age = timedelta(seconds=90)
        response.retry_after = moment
        response.expires = moment
        response.last_modified = moment
        response.date = moment
        response.accept_ranges = "bytes"
        response.content_md5 = "abc=="
        response.content_range = "bytes 0-9/100"
    assert fields(ours) == fields(theirs)
    assert ours.age == timedelta(seconds=90)
    assert ours.retry_after == theirs.retry_after == moment
    assert ours.expires == ours.last_modified == ours.date == moment
    assert isinstance(ours.content_range, ContentRange)
    assert (ours.content_range.start, ours.content_range.stop) == (0, 10)
    for response in (ours, theirs):
        response.content_range.stop = 20
        response.retry_after = 120
        response.age = 3
    assert fields(ours) == fields(theirs)
    assert ours.headers["Content-Range"] == "bytes 0-19/100"
    soon = ours.retry_after
    assert timedelta(seconds=110) < soon - datetime.now(timezone.utc) <= timedelta(seconds=120)
    ours.content_range.unset()
    ours.retry_after = None
    ours.age = None
    assert not {"Content-Range", "Retry-After", "Age"} & {name for name, _ in ours.headers}
    assert not ours.content_range and ours.retry_after is None and ours.age is None
    ours.content_range = ContentRange("bytes", 5, 10, 50)
    assert ours.headers["Content-Range"] == "bytes 5-9/50"
    ours.content_range = None
    assert "Content-Range" not in ours.headers
    ours.headers["Retry-After"] = "soon"
    assert ours.retry_after is None


def test_response_stream() -> None:
    ours, theirs = pair("first;")
    for response in (ours, theirs):
        stream = response.stream
        assert stream.write(b"second;") == 7
        stream.writelines([b"a", b"b"])
        assert stream.tell() == 15
        assert stream.encoding == "utf-8" and not stream.isatty()
        stream.flush()
        stream.close()
        with pytest.raises(ValueError):
            stream.write(b"more")
        with pytest.raises(ValueError):
            stream.flush()
    assert isinstance(ours.stream, ResponseStream)
    assert ours.get_data() == theirs.get_data() == b"first;second;ab"
    assert "Content-Length" not in ours.headers
    client = App(__name__).test_client()
    client.application = ours
    sent = client.get("/")
    assert (sent.data, sent.headers["Content-Length"]) == (b"first;second;ab", "15")


def test_stream_turns_a_generator_into_a_list() -> None:
    response = Response(iter([b"a", b"b"]))
    response.stream.write(b"c")
    assert response.response == [b"a", b"b", b"c"]


def test_freeze_and_etags_match_werkzeug() -> None:
    ours, theirs = Response(iter([b"a", "b"])), flask.Response(iter([b"a", "b"]))
    ours.freeze()
    theirs.freeze()
    assert fields(ours) == fields(theirs)
    assert ours.get_etag() == theirs.get_etag()
    ours.set_etag("v1", weak=True)
    assert ours.get_etag() == ("v1", True)
    ours.add_etag()  # one is there: kept
    assert ours.headers["ETag"] == 'W/"v1"'
    ours.add_etag(overwrite=True)
    assert ours.get_etag() == theirs.get_etag()
    assert list(ours.iter_encoded()) == [b"a", b"b"]


def test_cors_lists_take_a_string_as_it_is() -> None:
    response = Response()
    response.access_control_allow_headers = "X-Token, Content-Type"
    response.access_control_allow_methods = ["GET", "POST"]
    assert response.headers["Access-Control-Allow-Headers"] == "X-Token, Content-Type"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert "content-type" in response.access_control_allow_headers


def test_unauthorized_sends_www_authenticate_challenges() -> None:
    from tapster.web.exceptions import Unauthorized

    error = Unauthorized(www_authenticate=[WWWAuthenticate("basic", {"realm": "site"}),
                                           WWWAuthenticate("bearer")])
    response = error.get_response({})
    assert response.headers.getlist("WWW-Authenticate") == ['Basic realm="site"', "Bearer"]
    assert response.www_authenticate.realm == "site"
