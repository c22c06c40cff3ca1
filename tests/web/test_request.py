"""Request: laziness, URL parts, body, form, JSON and limits, from environ dicts.

URL and header attributes are compared with Flask's request (Werkzeug's)
on a table of environs and on generated ones.
"""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

import flask
import pytest
import werkzeug.exceptions
from hypothesis import given, settings
from hypothesis import strategies as st

from tapster.web.datastructures import (
    CombinedMultiDict,
    EnvironHeaders,
    Headers,
    ImmutableList,
    ImmutableMultiDict,
    MultiDict,
)
from tapster.web.exceptions import (
    BadRequest,
    BadRequestKeyError,
    ClientDisconnected,
    RequestEntityTooLarge,
    SecurityError,
    UnsupportedMediaType,
)
from tapster.web.formparser import FormDataParser
from tapster.web.globals import _cv_app
from tapster.web.request import Request
from tapster.web.sansio import SansIORequest
from tapster.web.streams import LimitedStream, get_input_stream

from .environ import make_environ, wsgi_str

FORM = "application/x-www-form-urlencoded"


def post(body: bytes, content_type: str | None = FORM, **options: Any) -> Request:
    """A POST request with ``body``."""
    headers = dict(options.pop("headers", {}))
    if content_type is not None:
        headers["Content-Type"] = content_type
    return Request(make_environ("/", method="POST", headers=headers, body=body, **options))


class ChunkedInput(io.BytesIO):
    """A ``wsgi.input`` of a chunked body: the server ends it, no Content-Length."""


def chunked(body: bytes, content_type: str = "application/octet-stream") -> dict[str, Any]:
    environ = make_environ(
        "/", method="POST", headers={"Content-Type": content_type, "Transfer-Encoding": "chunked"}
    )
    environ["wsgi.input"] = ChunkedInput(body)
    return environ


# --------------------------------------------------------------- laziness


def test_creating_a_request_computes_nothing() -> None:
    environ = make_environ("/a?b=c", headers={"Cookie": "x=y"})
    request = Request(environ)
    assert set(vars(request)) == {"environ", "shallow"}
    assert environ["tapster.request"] is request
    assert request.args["b"] == "c"
    assert "args" in vars(request) and "cookies" not in vars(request)
    assert request.args is request.args  # cached: the same object
    assert request.cookies is request.cookies


def test_populate_request_and_shallow() -> None:
    environ = make_environ(body=b"data")
    Request(environ, populate_request=False)
    assert "tapster.request" not in environ
    shallow = Request(environ, shallow=True)
    assert "tapster.request" not in environ and shallow.shallow
    with pytest.raises(RuntimeError, match="shallow"):
        shallow.get_data()
    assert shallow.args == {}  # the rest still works


# --------------------------------------------------------- URL attributes


def test_url_attributes() -> None:
    request = Request(
        make_environ(
            "/a/b?x=1&y=%C3%A9",
            script_name="/app",
            headers={"Host": "example.com:8080"},
            method="post",
        )
    )
    assert request.method == "POST"
    assert request.scheme == "http" and not request.is_secure
    assert request.host == "example.com:8080"
    assert request.root_path == request.script_root == "/app"
    assert request.path == "/a/b"
    assert request.full_path == "/a/b?x=1&y=%C3%A9"
    assert request.query_string == b"x=1&y=%C3%A9"
    assert request.url == "http://example.com:8080/app/a/b?x=1&y=é"
    assert request.base_url == "http://example.com:8080/app/a/b"
    assert request.url_root == request.root_url == "http://example.com:8080/app/"
    assert request.host_url == "http://example.com:8080/"
    assert request.args["y"] == "é"
    assert repr(request) == "<Request 'http://example.com:8080/app/a/b?x=1&y=é' [POST]>"


def test_path_is_decoded_and_always_absolute() -> None:
    assert Request(make_environ("/ünï")).path == "/ünï"
    assert Request(make_environ("")).path == "/"
    assert Request(make_environ("//a//b")).path == "/a//b"
    environ = make_environ("/")
    environ["PATH_INFO"] = "/\xff\xfe"  # bytes that are not UTF-8
    assert Request(environ).path == "/\ufffd\ufffd"
    environ["PATH_INFO"] = "/☃"  # a server that did not follow PEP 3333
    assert Request(environ).path == "/☃"
    del environ["PATH_INFO"]
    assert Request(environ).path == "/"


def test_host_and_scheme() -> None:
    assert Request(make_environ(server=("example.org", "8000"))).host == "example.org:8000"
    assert Request(make_environ(server=("example.org", "80"))).host == "example.org"
    secure = Request(make_environ(scheme="https", server=("example.org", "443")))
    assert secure.host == "example.org" and secure.is_secure
    assert Request(make_environ(headers={"Host": "[::1]:5000"})).host == "[::1]:5000"
    assert Request(make_environ(headers={"Host": "bad host"})).host == ""
    assert Request(make_environ(server=("::1", "8080"))).host == "[::1]:8080"
    unix = make_environ(server=("/tmp/app.sock", ""))
    assert Request(unix).host == "" and Request(unix).server == ("/tmp/app.sock", None)
    no_server = make_environ()
    del no_server["SERVER_NAME"]
    assert Request(no_server).server is None and Request(no_server).host == ""


def test_trusted_hosts() -> None:
    class Trusting(Request):
        trusted_hosts = [".example.com"]

    assert Trusting(make_environ(headers={"Host": "a.example.com"})).host == "a.example.com"
    with pytest.raises(SecurityError):
        Trusting(make_environ(headers={"Host": "evil.com"})).host  # noqa: B018
    assert "invalid URL" in repr(Trusting(make_environ(headers={"Host": "evil.com"})))


def test_query_string_and_args() -> None:
    request = Request(make_environ("/?a=1&a=2&b=&c&d=x+y&e=%2B%26&=v&&"))
    assert isinstance(request.args, ImmutableMultiDict)
    assert request.args.getlist("a") == ["1", "2"]
    assert request.args["b"] == "" and request.args["c"] == ""
    assert request.args["d"] == "x y" and request.args["e"] == "+&"
    assert request.args[""] == "v"
    with pytest.raises(BadRequestKeyError):
        request.args["missing"]
    with pytest.raises(TypeError):
        request.args["a"] = "x"  # type: ignore[index]
    assert Request(make_environ("/?a=%FF")).args["a"] == "%FF"  # not UTF-8: kept escaped
    raw = make_environ("/")
    raw["QUERY_STRING"] = "a=\xff"  # a raw byte that is not UTF-8
    assert Request(raw).args["a"] == "%FF"
    assert Request(raw).full_path == "/?a=%FF"
    assert Request(make_environ("/")).full_path == "/?"
    not_pep3333 = make_environ("/")
    not_pep3333["QUERY_STRING"] = "a=☃"
    assert Request(not_pep3333).args["a"] == "☃"

    class Mutable(Request):
        parameter_storage_class = MultiDict

    mutable = Mutable(make_environ("/?a=1"))
    mutable.args["b"] = "2"
    assert mutable.args.to_dict() == {"a": "1", "b": "2"}


def test_headers_cookies_and_client() -> None:
    request = Request(
        make_environ(
            headers={
                "Cookie": 'session=abc; theme="dark mode"; bad pair; n=1; n=2',
                "User-Agent": "curl/8.4.0",
                "X-Forwarded-For": "203.0.113.5, 10.0.0.1",
                "Referer": "http://example.com/from",
                "Origin": "http://example.com",
                "Authorization": "Basic dXNlcjpwYXNz",
                "Content-Encoding": "gzip",
            },
            remote_addr="10.0.0.2",
        )
    )
    assert isinstance(request.headers, EnvironHeaders)
    assert request.headers["user-agent"] == "curl/8.4.0"
    assert request.cookies["session"] == "abc" and request.cookies["theme"] == "dark mode"
    assert request.cookies.getlist("n") == ["1", "2"]
    assert isinstance(request.cookies, ImmutableMultiDict)
    assert request.user_agent.browser == "curl" and str(request.user_agent) == "curl/8.4.0"
    assert request.remote_addr == "10.0.0.2"
    assert request.access_route == ["203.0.113.5", "10.0.0.1"]
    assert isinstance(request.access_route, ImmutableList)
    assert request.referrer == "http://example.com/from"
    assert request.origin == "http://example.com"
    assert request.content_encoding == "gzip"
    auth = request.authorization
    assert auth is not None and (auth.username, auth.password) == ("user", "pass")
    bare = Request(make_environ(remote_addr=None))
    assert bare.access_route == [] and bare.remote_addr is None
    assert Request(make_environ()).access_route == ["127.0.0.1"]
    assert bare.authorization is None and bare.referrer is None
    assert not bare.user_agent and bare.cookies == {}
    assert Request(make_environ(headers={"Authorization": "Basic %%%"})).authorization is None
    utf8 = Request(make_environ(headers={"Cookie": "name=Zoë"}))
    assert utf8.cookies["name"] == "Zoë"  # Werkzeug's Request gives "ZoÃ«" here
    with pytest.raises(AttributeError):
        bare.referrer = "x"  # type: ignore[misc]


def test_content_type_and_length() -> None:
    request = post(b"{}", "Application/JSON; Charset=UTF-8")
    assert request.content_type == "Application/JSON; Charset=UTF-8"
    assert request.mimetype == "application/json"
    assert request.mimetype_params == {"charset": "UTF-8"}
    assert request.is_json
    assert request.content_length == 2
    assert post(b"", "application/vnd.api+json").is_json
    assert not post(b"", "application/jsonx").is_json
    assert not post(b"", "text/json").is_json
    none = Request(make_environ())
    assert none.content_type is None and none.mimetype == "" and none.mimetype_params == {}
    assert none.content_length is None
    # A malformed length reads as 0, as in Werkzeug: nothing will be read.
    assert Request(make_environ(headers={"Content-Length": "abc"})).content_length == 0
    assert Request(make_environ(headers={"Content-Length": "-1"})).content_length == 0
    assert Request(chunked(b"x")).content_length is None


# --------------------------------------------------------- differential


def _url_view(request: Any) -> dict[str, Any]:
    """The attributes compared between tapster's request and Flask's."""
    view: dict[str, Any] = {}
    for name in (
        "method",
        "scheme",
        "is_secure",
        "host",
        "root_path",
        "script_root",
        "path",
        "full_path",
        "query_string",
        "url",
        "base_url",
        "url_root",
        "root_url",
        "host_url",
        "remote_addr",
        "access_route",
        "content_type",
        "mimetype",
        "mimetype_params",
        "content_length",
        "is_json",
        "referrer",
        "origin",
    ):
        try:
            view[name] = getattr(request, name)
        except Exception as error:  # compare the kind of failure too
            view[name] = type(error).__name__
    view["args"] = list(request.args.items(multi=True))
    view["cookies"] = list(request.cookies.items(multi=True))
    view["headers"] = sorted(request.headers)
    auth = request.authorization
    view["authorization"] = auth and (auth.type, auth.parameters, auth.token)
    return view


ENVIRONS = [
    make_environ("/"),
    make_environ("/a/b/"),
    make_environ("/a b/c%20d"),
    make_environ("/ünïcödé/€"),
    make_environ("/a?b=c&d=e&b=f"),
    make_environ("/?q=%C3%A9%20x+y&r=%2F&s=%26"),
    make_environ("/?q=é"),
    make_environ("/?x=%FF%FE"),
    make_environ("/x", script_name="/app"),
    make_environ("/x", script_name="/app/"),
    make_environ("/x", script_name="/ä p/"),
    make_environ("/", script_name="/mount"),
    make_environ("//double//slash"),
    make_environ("/p;params/x@y:z!$&'()*+,="),
    make_environ("/a#b?c"),
    make_environ("/%41%2f"),
    make_environ("/", server=("example.com", "8080")),
    make_environ("/", server=("example.com", "80")),
    make_environ("/", scheme="https", server=("example.com", "443")),
    make_environ("/", scheme="https", server=("example.com", "80")),
    make_environ("/", server=("::1", "8000")),
    make_environ("/", server=("/run/app.sock", "")),
    make_environ("/", headers={"Host": "Example.COM"}),
    make_environ("/", headers={"Host": "example.com:80"}),
    make_environ("/", headers={"Host": "[::1]:8080"}),
    make_environ("/", headers={"Host": "[2001:db8::1]"}),
    make_environ("/", headers={"Host": "xn--n3h.net"}),
    make_environ("/", headers={"Host": "bad host"}),
    make_environ("/", headers={"Host": "evil.com@good.com"}),
    make_environ("/", headers={"Host": ""}),
    make_environ("/", headers={"Host": "a.b:99999"}),
    make_environ("/", scheme="https", headers={"Host": "secure.example:443"}),
    make_environ("/", method="delete"),
    make_environ("/", headers={"X-Forwarded-For": '1.1.1.1, "2.2.2.2", ,3.3.3.3'}),
    make_environ("/", headers={"Cookie": 'a=b; c="d\\"e"; f g=h; i=j'}),
    make_environ("/", headers={"Content-Type": "text/plain; charset=latin-1; format=flowed"}),
    make_environ("/", headers={"Content-Type": "multipart/form-data; boundary=xyz"}),
    make_environ("/", headers={"Content-Type": "application/problem+json"}),
    make_environ("/", headers={"Content-Length": " 12 "}),
    make_environ("/", headers={"Content-Length": "1e3"}),
    make_environ("/", headers={"Authorization": "Bearer abc.def"}),
    make_environ("/", headers={"Authorization": 'Digest username="u", realm="r"'}),
    make_environ("/", headers={"Referer": "/from", "Origin": "null"}),
    make_environ("/", remote_addr=None),
]


@pytest.mark.parametrize("environ", ENVIRONS, ids=lambda e: e["PATH_INFO"] + e["QUERY_STRING"])
def test_request_matches_flask(environ: dict[str, Any]) -> None:
    theirs = _url_view(flask.Request(dict(environ)))
    assert _url_view(Request(dict(environ))) == theirs
    # The sans-IO class gives the same from the plain values alone.
    wsgi = Request(dict(environ))
    sansio = SansIORequest(
        environ["REQUEST_METHOD"],
        environ["wsgi.url_scheme"],
        wsgi.server,
        wsgi.root_path,
        wsgi.path,
        wsgi.query_string,
        Headers(wsgi.headers),
        environ.get("REMOTE_ADDR"),
    )
    sansio_view = _url_view(sansio)
    theirs["headers"] = sorted(Headers(wsgi.headers))
    assert sansio_view == theirs


PATH_TEXT = st.text(
    alphabet=st.sampled_from(list("/ab %?#;:@=&+~!$'()*,[]\\^`{}|\"<>é€😀\x00\x7f\t")), max_size=12
)
QUERY_TEXT = st.text(alphabet=st.sampled_from(list("ab=&+%2FC3A9 #?;é\"<>\\\t")), max_size=15)


@settings(max_examples=400, deadline=None)
@given(
    path=PATH_TEXT,
    script=st.one_of(st.just(""), PATH_TEXT.map(lambda p: "/" + p)),
    query=QUERY_TEXT,
    host=st.one_of(
        st.none(),
        st.sampled_from(
            ["localhost", "example.com:8080", "[::1]:80", "Ex.COM", "xn--bcher-kva.de", "a b"]
        ),
    ),
    scheme=st.sampled_from(["http", "https"]),
    port=st.sampled_from(["80", "443", "5000"]),
)
def test_request_urls_match_flask_on_anything(
    path: str, script: str, query: str, host: str | None, scheme: str, port: str
) -> None:
    headers = {} if host is None else {"Host": host}
    environ = make_environ(
        "/", script_name=script, scheme=scheme, server=("localhost", port), headers=headers
    )
    environ["PATH_INFO"] = wsgi_str(path)
    environ["QUERY_STRING"] = wsgi_str(query)
    assert _url_view(Request(dict(environ))) == _url_view(flask.Request(dict(environ)))


# ------------------------------------------------------------------- body


def test_get_data_and_data() -> None:
    request = post(b"raw body", "application/octet-stream")
    assert request.get_data() == b"raw body"
    assert request.get_data() == b"raw body"  # cached
    assert request.data == b"raw body"
    assert request.get_data(as_text=True) == "raw body"
    assert post(b"\xff", "text/plain").get_data(as_text=True) == "\ufffd"
    uncached = post(b"once", "application/octet-stream")
    assert uncached.get_data(cache=False) == b"once"
    assert uncached.get_data() == b""  # the stream was consumed
    no_type = Request(make_environ(method="POST", body=b"abc"))
    assert no_type.data == b"abc" and no_type.form == {}


def test_stream_stops_at_content_length() -> None:
    environ = make_environ(method="POST", body=b"0123456789", headers={"Content-Length": "4"})
    request = Request(environ)
    assert request.stream.read() == b"0123"
    assert request.stream.read() == b""
    assert request.input_stream is environ["wsgi.input"]
    assert environ["wsgi.input"].read() == b"456789"  # never touched


def test_stream_without_length() -> None:
    # Chunked: the server ends the input, read it all.
    assert Request(chunked(b"a" * 100_000)).get_data() == b"a" * 100_000
    # No length and no promise from the server: reading could block, so nothing is read.
    environ = make_environ(method="POST", terminated=False)
    environ["wsgi.input"] = io.BytesIO(b"unbounded")
    assert Request(environ).get_data() == b""
    assert Request(make_environ(method="POST", body=b"")).get_data() == b""
    missing = make_environ()
    del missing["wsgi.input"]
    assert Request(missing).get_data() == b""


def test_short_body_is_a_disconnect() -> None:
    environ = make_environ(method="POST", headers={"Content-Length": "10"}, terminated=False)
    environ["wsgi.input"] = io.BytesIO(b"abc")
    with pytest.raises(ClientDisconnected) as caught:
        Request(environ).get_data()
    assert caught.value.code == 400


class _Trickle(io.RawIOBase):
    """A ``wsgi.input`` that gives at most three bytes a read, or fails."""

    def __init__(self, data: bytes, fail: bool = False) -> None:
        self._data, self._fail = data, fail

    def read(self, size: int = -1) -> bytes:
        if self._fail:
            raise OSError("connection reset")
        piece, self._data = self._data[:3], self._data[3:]
        return piece


@pytest.mark.parametrize("size", [10, 64 * 1024, 64 * 1024 + 1])
def test_get_data_reads_exactly_the_body(size) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    length = {"Content-Length": str(size)}
    environ = make_environ(method="POST", body=body + b"NEXT", headers=length)
    request = Request(environ)
    assert request.get_data() == body
    assert request.stream.read() == b""  # nothing left, whichever way it was read
    assert environ["wsgi.input"].read() == b"NEXT"  # never read past the body
    trickled = make_environ(method="POST", headers=length)
    trickled["wsgi.input"] = _Trickle(body)
    assert Request(trickled).get_data() == body
    broken = make_environ(method="POST", headers=length)
    broken["wsgi.input"] = _Trickle(body, fail=True)
    with pytest.raises(ClientDisconnected):
        Request(broken).get_data()


def test_get_data_after_stream_reads_the_rest() -> None:
    request = post(b"0123456789", "application/octet-stream")
    assert request.stream.read(4) == b"0123"
    assert request.get_data() == b"456789"


def test_form_parsing() -> None:
    request = post(b"a=1&a=2&b=x+y&c=%C3%A9&d")
    assert isinstance(request.form, ImmutableMultiDict)
    assert request.form.getlist("a") == ["1", "2"]
    assert request.form["b"] == "x y" and request.form["c"] == "é" and request.form["d"] == ""
    assert request.files == {}
    assert request.data == b""  # a form body is not data
    assert request.get_data() == b""
    with pytest.raises(BadRequestKeyError):
        request.form["missing"]
    charset = post(b"a=1", "application/x-www-form-urlencoded; charset=utf-8")
    assert charset.form["a"] == "1"


def test_form_after_get_data_uses_the_kept_body() -> None:
    request = post(b"a=1")
    assert request.get_data() == b"a=1"
    assert request.form["a"] == "1"
    assert request.get_data() == b"a=1"


def test_form_of_each_type() -> None:
    multipart = post(
        b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--\r\n',
        "multipart/form-data; boundary=xyz",
    )
    assert multipart.form.to_dict() == {"a": "1"} and multipart.files == {}  # see test_uploads
    assert post(b"{}", "application/json").form == {}
    assert post(b"a=1", "text/plain").form == {}
    assert post(b"a=1", "text/plain").data == b"a=1"
    assert post(b"a=1", None).form == {}


def test_form_with_bytes_that_are_not_utf8() -> None:
    # Deliberate: Werkzeug drops the whole form when the body is not UTF-8;
    # here the bad bytes stay escaped and the other fields survive, as in args.
    request = post(b"a=\xff&b=2")
    assert request.form.to_dict() == {"a": "%FF", "b": "2"}
    environ = make_environ(method="POST", headers={"Content-Type": FORM}, body=b"a=\xff&b=2")
    assert flask.Request(environ).form == {}


def test_custom_form_parser() -> None:
    class CsvParser(FormDataParser):
        parse_functions = {**FormDataParser.parse_functions, "text/csv": "_parse_csv"}

        def _parse_csv(self, stream: Any, mimetype: str, length: Any, options: Any) -> Any:
            pairs = [line.split(",", 1) for line in stream.read().decode().splitlines()]
            return stream, self.cls(pairs), self.cls()

    class CsvRequest(Request):
        form_data_parser_class = CsvParser

    environ = make_environ(method="POST", headers={"Content-Type": "text/csv"}, body=b"a,1\nb,2")
    request = CsvRequest(environ)
    assert request.form.to_dict() == {"a": "1", "b": "2"}
    parser = request.make_form_data_parser()
    assert parser.max_form_memory_size == 500_000 and parser.max_form_parts == 1000
    assert parser.cls is ImmutableMultiDict

    class Failing(FormDataParser):
        parse_functions = {"text/csv": "_fail"}

        def _fail(self, *args: Any) -> Any:
            raise ValueError("bad")

    assert Failing().parse(io.BytesIO(), "text/csv", 0)[1] == {}
    with pytest.raises(ValueError):
        Failing(silent=False).parse(io.BytesIO(), "text/csv", 0)


def test_values() -> None:
    get = Request(make_environ("/?a=1", headers={"Content-Type": FORM}, body=b"a=2&b=3"))
    assert isinstance(get.values, CombinedMultiDict)
    assert get.values.getlist("a") == ["1"]  # a GET body is not in values
    assert "b" not in get.values
    post_request = Request(
        make_environ("/?a=1", method="POST", headers={"Content-Type": FORM}, body=b"a=2&b=3")
    )
    assert post_request.values.getlist("a") == ["1", "2"]
    assert post_request.values["b"] == "3"
    with pytest.raises(BadRequestKeyError):
        post_request.values["missing"]

    class Plain(Request):
        parameter_storage_class = dict  # type: ignore[assignment]

        @property
        def args(self) -> Any:  # type: ignore[override]
            return {"a": "x"}

    assert Plain(make_environ("/")).values["a"] == "x"


# ---------------------------------------------------------------- limits


def test_max_content_length_by_announced_length() -> None:
    for content_type, read in (
        (FORM, lambda r: r.get_data()),
        (FORM, lambda r: r.data),
        (FORM, lambda r: r.form),
        (FORM, lambda r: r.values),
        (FORM, lambda r: r.stream),
        ("application/json", lambda r: r.get_json()),
    ):
        request = post(b'"' + b"x" * 20 + b'"', content_type)
        request.max_content_length = 10
        with pytest.raises(RequestEntityTooLarge) as caught:
            read(request)
        assert caught.value.code == 413
    ok = post(b"a=1")
    ok.max_content_length = 3
    assert ok.form["a"] == "1"


def test_max_content_length_while_streaming() -> None:
    too_big = Request(chunked(b"x" * 11))
    too_big.max_content_length = 10
    with pytest.raises(RequestEntityTooLarge):
        too_big.get_data()
    exact = Request(chunked(b"x" * 10))
    exact.max_content_length = 10
    assert exact.get_data() == b"x" * 10  # exactly the maximum is allowed
    small = Request(chunked(b"x" * 3))
    small.max_content_length = 10
    assert small.get_data() == b"xxx"
    form = Request(chunked(b"a=" + b"x" * 100, FORM))
    form.max_content_length = 50
    with pytest.raises(RequestEntityTooLarge):
        form.form  # noqa: B018
    big_json = Request(chunked(b'{"a": "' + b"x" * 100 + b'"}', "application/json"))
    big_json.max_content_length = 50
    with pytest.raises(RequestEntityTooLarge):
        big_json.json  # noqa: B018


def test_limits_are_flask_defaults() -> None:
    request = Request(make_environ())
    assert request.max_content_length is None
    assert request.max_form_memory_size == 500_000
    assert request.max_form_parts == 1000


# ------------------------------------------------------------------ JSON


def test_json() -> None:
    request = post(b'{"a": [1, 2]}', "application/json")
    assert request.json == {"a": [1, 2]}
    assert request.get_json() is request.get_json()  # cached
    assert post(b'"x"', "application/ld+json").get_json() == "x"
    assert post(b"[1]", "text/plain").get_json(force=True) == [1]
    assert post("{\"é\": 1}".encode("utf-16"), "application/json").json == {"é": 1}


def test_json_with_the_wrong_mimetype_is_415() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        post(b"{}", "text/plain").json  # noqa: B018
    assert caught.value.code == 415
    assert "application/json" in (caught.value.description or "")
    assert post(b"{}", "text/plain").get_json(silent=True) is None
    assert post(b"{}", None).get_json(silent=True) is None


def test_invalid_json_is_400() -> None:
    request = post(b"{not json", "application/json")
    with pytest.raises(BadRequest) as caught:
        request.get_json()
    # As Flask: outside debug mode the description does not echo the parse error...
    assert caught.value.description == BadRequest.description
    assert "Failed to decode JSON object" in str(caught.value.__cause__)
    assert request.get_json(silent=True) is None
    assert post(b"\xff", "application/json").get_json(silent=True) is None
    # ...in debug mode it does.
    token = _cv_app.set(SimpleNamespace(app=SimpleNamespace(debug=True)))  # type: ignore[arg-type]
    try:
        with pytest.raises(BadRequest, match="Failed to decode JSON object: Expecting"):
            post(b"{not json", "application/json").get_json()
    finally:
        _cv_app.reset(token)
    with pytest.raises(BadRequest):
        post(b"", "application/json").json  # noqa: B018


def test_json_cache_keeps_silent_and_loud_apart() -> None:
    request = post(b"{bad", "application/json")
    assert request.get_json(silent=True) is None
    with pytest.raises(BadRequest):
        request.get_json()
    # Without the cache the body is read again, and is gone: as in Werkzeug.
    uncached = post(b"[1]", "application/json")
    assert uncached.get_json(cache=False) == [1]
    with pytest.raises(BadRequest):
        uncached.get_json(cache=False)
    theirs = flask.Request(post(b"[1]", "application/json").environ)
    assert theirs.get_json(cache=False) == [1]
    with pytest.raises(werkzeug.exceptions.BadRequest):
        theirs.get_json(cache=False)


def test_json_module_and_failure_hook_are_overridable() -> None:
    class Loader:
        @staticmethod
        def loads(data: bytes) -> Any:
            return ("loaded", data)

    class Custom(Request):
        json_module = Loader

        def on_json_loading_failed(self, e: ValueError | None) -> Any:
            return {"fallback": e is None}

    assert Custom(post(b"x", "application/json").environ).json == ("loaded", b"x")
    assert Custom(post(b"x", "text/plain").environ).json == {"fallback": True}

    class Failing(Request):
        def on_json_loading_failed(self, e: ValueError | None) -> Any:
            return "recovered"

    assert Failing(post(b"{", "application/json").environ).get_json() == "recovered"


# ---------------------------------------------------- Flask's attributes


def test_routing_attributes() -> None:
    request = Request(make_environ())
    assert request.url_rule is None and request.view_args is None
    assert request.routing_exception is None
    assert request.endpoint is None and request.blueprint is None and request.blueprints == []
    request.url_rule = SimpleNamespace(endpoint="index")
    assert request.endpoint == "index" and request.blueprint is None
    request.url_rule = SimpleNamespace(endpoint="admin.users.list")
    assert request.blueprint == "admin.users"
    assert request.blueprints == ["admin.users", "admin"]
    flask_request = flask.Request(make_environ())
    flask_request.url_rule = request.url_rule  # type: ignore[assignment]
    assert flask_request.blueprints == request.blueprints


def test_close_closes_uploaded_files() -> None:
    class Upload:
        closed = False

        def close(self) -> None:
            self.closed = True

    upload = Upload()
    with Request(make_environ()) as request:
        request.__dict__["files"] = MultiDict([("f", upload), ("g", "no close")])
    assert upload.closed
    Request(make_environ()).close()  # nothing parsed: nothing to do


# ---------------------------------------------------------- LimitedStream


def test_limited_stream_reading_methods() -> None:
    stream = LimitedStream(io.BytesIO(b"line1\nline2\nline3\nrest"), 14)  # type: ignore[arg-type]
    assert stream.readable() and not stream.is_exhausted
    assert stream.readline() == b"line1\n"
    assert stream.tell() == 6
    assert stream.read(3) == b"lin"
    buffer = bytearray(4)
    assert stream.readinto(buffer) == 4 and bytes(buffer) == b"e2\nl"
    assert stream.readline(100) == b"i"
    assert stream.is_exhausted
    assert stream.read() == b"" and stream.readline() == b"" and stream.read(0) == b""
    assert list(LimitedStream(io.BytesIO(b"a\nb\nc"), 4)) == [b"a\n", b"b\n"]  # type: ignore[arg-type]
    assert LimitedStream(io.BytesIO(b"abc"), 2).exhaust() == b"ab"  # type: ignore[arg-type]
    done = LimitedStream(io.BytesIO(b""), 0)  # type: ignore[arg-type]
    assert done.exhaust() == b""
    text = io.TextIOWrapper(LimitedStream(io.BytesIO("é\nx".encode()), 3))  # type: ignore[arg-type]
    assert text.read() == "é\n"


def test_limited_stream_errors() -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError("connection reset")

        def readline(self, size: int | None = -1) -> bytes:
            raise OSError("connection reset")

    with pytest.raises(ClientDisconnected):
        LimitedStream(Broken(), 10).read()  # type: ignore[arg-type]
    with pytest.raises(ClientDisconnected):
        LimitedStream(Broken(), 10).readline()  # type: ignore[arg-type]
    with pytest.raises(ClientDisconnected):
        LimitedStream(io.BytesIO(b""), 10).readline()  # type: ignore[arg-type]
    at_most = LimitedStream(io.BytesIO(b"abcdef"), 3, is_max=True)  # type: ignore[arg-type]
    assert at_most.read(3) == b"abc"
    with pytest.raises(RequestEntityTooLarge):
        at_most.read(1)
    line_max = LimitedStream(io.BytesIO(b"ab\ncd"), 3, is_max=True)  # type: ignore[arg-type]
    assert line_max.readline() == b"ab\n"
    with pytest.raises(RequestEntityTooLarge):
        line_max.readline()
    ended = LimitedStream(io.BytesIO(b"ab"), 5, is_max=True)  # type: ignore[arg-type]
    assert ended.read(5) == b"ab" and ended.read() == b"" and ended.readline() == b""

    class NoReadline:
        def __init__(self) -> None:
            self.data = io.BytesIO(b"x\ny")

        def read(self, size: int = -1) -> bytes:
            return self.data.read(size)

    assert LimitedStream(NoReadline(), 3).readline() == b"x\n"  # type: ignore[arg-type]


def test_get_input_stream_choices() -> None:
    environ = make_environ(method="POST", body=b"abc")
    assert get_input_stream(environ).read() == b"abc"
    with pytest.raises(RequestEntityTooLarge):
        get_input_stream(make_environ(method="POST", body=b"abc"), max_content_length=2)
    open_ended = make_environ(method="POST", terminated=False)
    open_ended["wsgi.input"] = io.BytesIO(b"xyz")
    assert get_input_stream(open_ended).read() == b""
    assert get_input_stream(open_ended, safe_fallback=False).read() == b"xyz"
    assert get_input_stream(chunked(b"all")).read() == b"all"


# Make sure the request's JSON default is the standard library's.
def test_default_json_module() -> None:
    assert Request.json_module is json


def test_files_before_form() -> None:
    request = post(b"a=1")
    assert request.files == {}
    assert request.form["a"] == "1"


def test_form_parser_checks_the_announced_length() -> None:
    parser = FormDataParser(max_content_length=3)
    with pytest.raises(RequestEntityTooLarge):
        parser.parse(io.BytesIO(b"a=1234"), FORM, 6)
    _stream, form, files = parser.parse(io.BytesIO(b"a=1"), FORM, 3, {"charset": "utf-8"})
    assert form["a"] == "1" and files == {}
    assert FormDataParser().parse(io.BytesIO(b"a=1"), FORM, None)[1]["a"] == "1"


ANY_TEXT = st.text(max_size=30)
ATTRIBUTES = [
    *("method", "path", "root_path", "full_path", "url", "base_url", "url_root", "host_url"),
    *("host", "args", "cookies", "access_route", "user_agent", "authorization"),
    *("content_type", "content_length", "mimetype", "mimetype_params", "is_json", "headers"),
    *("remote_addr", "form", "files", "values", "data", "json"),
]
LATIN1_TEXT = st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=30)


@settings(max_examples=400, deadline=None)
@given(
    path=ANY_TEXT,
    script=ANY_TEXT,
    query=ANY_TEXT,
    host=st.one_of(st.none(), LATIN1_TEXT),
    content_type=st.one_of(
        st.none(), LATIN1_TEXT, st.sampled_from([FORM, "application/json", "multipart/form-data"])
    ),
    content_length=st.one_of(st.none(), LATIN1_TEXT, st.integers(-5, 50).map(str)),
    transfer_encoding=st.one_of(st.none(), st.just("chunked"), LATIN1_TEXT),
    cookie=st.one_of(st.none(), LATIN1_TEXT),
    other=st.dictionaries(
        st.sampled_from(["Authorization", "User-Agent", "X-Forwarded-For", "Referer"]),
        LATIN1_TEXT,
    ),
    body=st.binary(max_size=40),
    method=st.one_of(st.sampled_from(["GET", "POST", "put", "HEAD"]), LATIN1_TEXT),
    limit=st.one_of(st.none(), st.integers(0, 30)),
)
def test_bad_input_only_raises_http_errors(
    path: str,
    script: str,
    query: str,
    host: str | None,
    content_type: str | None,
    content_length: str | None,
    transfer_encoding: str | None,
    cookie: str | None,
    other: dict[str, str],
    body: bytes,
    method: str,
    limit: int | None,
) -> None:
    environ = make_environ("/", method=method)
    # Raw environ values, even ones no PEP 3333 server would produce.
    environ.update(PATH_INFO=path, SCRIPT_NAME=script, QUERY_STRING=query)
    environ["wsgi.input"] = io.BytesIO(body)
    for key, value in (
        ("HTTP_HOST", host),
        ("CONTENT_TYPE", content_type),
        ("CONTENT_LENGTH", content_length),
        ("HTTP_TRANSFER_ENCODING", transfer_encoding),
        ("HTTP_COOKIE", cookie),
    ):
        if value is not None:
            environ[key] = value
    for name, value in other.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    for attribute in ATTRIBUTES:
        request = Request(dict(environ))
        request.max_content_length = limit
        try:
            getattr(request, attribute)
            repr(request)
            list(request.headers)
        except (BadRequest, RequestEntityTooLarge, UnsupportedMediaType):
            pass
