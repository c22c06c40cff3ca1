"""Response: status, headers, body, cookies, and its WSGI output beside Flask's.

Responses are called as WSGI applications with a recording
``start_response``; the same construction is run through ``flask.Response``
and the status line, header list and body bytes compared.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import flask
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tapster.web.datastructures import Headers
from tapster.web.exceptions import STATUS_PHRASES
from tapster.web.globals import _cv_app
from tapster.web.response import ClosingIterator, Response, run_wsgi_app

from .environ import make_environ


class Recorder:
    """A ``start_response`` that remembers what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        self.calls.append((status, headers))
        return lambda data: None

    @property
    def status(self) -> str:
        return self.calls[-1][0]

    @property
    def headers(self) -> list[tuple[str, str]]:
        return self.calls[-1][1]


def run(app: Any, method: str = "GET", **environ: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call a WSGI app; ``(status, headers, body)``, closing the iterable."""
    recorder = Recorder()
    iterable = app(make_environ("/", method=method, **environ), recorder)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return recorder.status, recorder.headers, body


# ------------------------------------------------------------- construction


def test_defaults() -> None:
    response = Response()
    assert response.status == "200 OK" and response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.mimetype == "text/html"
    assert response.response == [] and response.get_data() == b""
    assert response.direct_passthrough is False
    assert run(response) == (
        "200 OK",
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "0")],
        b"",
    )


def test_bodies() -> None:
    assert Response("héllo").get_data() == "héllo".encode()
    assert Response("héllo").headers["Content-Length"] == "6"
    assert Response(b"bytes").data == b"bytes"
    assert Response(bytearray(b"ba")).data == b"ba"
    listed = Response(["a", b"b", "ç"])
    assert listed.is_sequence and not listed.is_streamed
    assert listed.get_data() == "abç".encode() and "Content-Length" not in listed.headers
    assert listed.get_data(as_text=True) == "abç"
    streamed = Response(chunk for chunk in ["x", "y"])
    assert streamed.is_streamed and not streamed.is_sequence
    assert list(streamed.iter_encoded()) == [b"x", b"y"]
    response = Response()
    response.data = "new"
    assert response.response == [b"new"] and response.headers["Content-Length"] == "3"
    response.set_data(b"other")
    assert response.content_length == 5


def test_mimetype_and_content_type() -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"mimetype": "text/plain"},
        {"mimetype": "application/json"},
        {"mimetype": "image/svg+xml"},
        {"content_type": "text/csv; charset=latin-1"},
        {"content_type": "text/csv", "mimetype": "ignored/when-content-type-given"},
        {"headers": {"Content-Type": "application/xml"}},
        {"headers": {"content-type": "application/xml"}, "mimetype": "text/plain"},
        {"headers": [("X-A", "1")]},
    ]
    for arguments in cases:
        ours = Response("x", **arguments)
        theirs = flask.Response("x", **arguments)
        assert list(ours.headers) == list(theirs.headers), arguments
        assert ours.mimetype == theirs.mimetype
        assert ours.mimetype_params == theirs.mimetype_params

    class Plain(Response):
        default_mimetype = None

    assert "Content-Type" not in Plain("x").headers


def test_headers_argument() -> None:
    given_headers = Headers([("X-A", "1")])
    response = Response("x", headers=given_headers)
    assert response.headers is given_headers  # used as is, as in Werkzeug
    assert Response(headers={"X-B": ["1", "2"]}).headers.getlist("x-b") == ["1", "2"]
    assert Response(headers=[("X-C", "3")]).headers["X-C"] == "3"
    with pytest.raises(ValueError):
        Response(headers={"X-Bad": "a\r\nSet-Cookie: x=1"})
    with pytest.raises(ValueError):
        Response(content_type="text/plain\r\nX-Injected: 1")


# ------------------------------------------------------------------ status

STATUS_CASES: list[Any] = [
    200,
    "200",
    404,
    "404",
    418,
    "418",
    " 404 ",
    299,
    "299",
    0,
    -1,
    999,
    "abc",
    "200 ok then",
    "418 I'm a teapot",
    "404 Whatever Reason",
    HTTPStatus.NOT_FOUND,
    HTTPStatus.IM_A_TEAPOT,
    True,
    *sorted(STATUS_PHRASES),
]


@pytest.mark.parametrize("status", STATUS_CASES)
def test_status_matches_flask(status: Any) -> None:
    ours, theirs = Response(status=status), flask.Response(status=status)
    assert (ours.status, ours.status_code) == (theirs.status, theirs.status_code)
    changed, theirs_changed = Response(), flask.Response()
    changed.status = status
    theirs_changed.status = status
    assert changed.status == theirs_changed.status
    if isinstance(status, int):
        changed.status_code = status
        theirs_changed.status_code = status
        assert (changed.status, changed.status_code) == (theirs_changed.status, status)


def test_status_examples_and_errors() -> None:
    assert Response(status=404).status == "404 NOT FOUND"
    assert Response(status=418).status == "418 I'M A TEAPOT"
    assert Response(status=414).status == "414 REQUEST URI TOO LONG"
    assert Response(status=299).status == "299 UNKNOWN"
    assert Response(status="abc").status == "0 abc"
    response = Response()
    response.status_code = 201
    assert response.status == "201 CREATED"
    response.status = "202"
    assert response.status_code == 202
    for empty in ("", "   "):
        with pytest.raises(ValueError, match="Empty status"):
            Response(status=empty)
    # Werkzeug passes these on to the server; a status line must not be split.
    for injected in ("200 OK\r\nX-Injected: 1", "200\nx", "200 \x00"):
        with pytest.raises(ValueError, match="CR, LF or NUL"):
            Response(status=injected)
    # Werkzeug raises TypeError for bytes and AttributeError for a float.
    for wrong in (b"200", 200.0, ["200"]):
        with pytest.raises(TypeError):
            Response(status=wrong)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(status=st.one_of(st.integers(-1000, 1000), st.text(max_size=12)))
def test_status_matches_flask_on_anything(status: int | str) -> None:
    def outcome(cls: Any) -> Any:
        try:
            response = cls(status=status)
        except (ValueError, TypeError) as error:
            return type(error).__name__
        return response.status, response.status_code

    stripped = status.strip() if isinstance(status, str) else ""
    if any(char in stripped for char in "\r\n\x00"):
        assert outcome(Response) == "ValueError"  # deliberate: see test_status_examples_and_errors
    else:
        assert outcome(Response) == outcome(flask.Response)


# --------------------------------------------------------- header fields


def test_header_properties() -> None:
    response = Response("x")
    response.location = "/next"
    assert response.headers["Location"] == "/next" == response.location
    response.content_encoding = "gzip"
    response.content_location = "/here"
    assert response.content_encoding == "gzip" and response.content_location == "/here"
    response.content_length = 42
    assert response.headers["Content-Length"] == "42" and response.content_length == 42
    response.headers["Content-Length"] = "nonsense"
    assert response.content_length is None
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    response.last_modified = moment
    response.expires = moment
    response.date = moment
    assert response.headers["Last-Modified"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert response.last_modified == response.expires == response.date == moment
    response.location = None
    assert "Location" not in response.headers
    del response.content_encoding
    assert response.content_encoding is None
    response.content_type = "text/plain"
    assert response.mimetype == "text/plain"
    response.mimetype = "text/csv"
    assert response.content_type == "text/csv; charset=utf-8"
    response.mimetype = "application/pdf"
    assert response.content_type == "application/pdf"
    assert Response.content_type.name == "Content-Type"  # the descriptor itself


def test_mimetype_params_update_the_field() -> None:
    response = Response(content_type="text/plain; charset=utf-8")
    params = response.mimetype_params
    assert params == {"charset": "utf-8"}
    params["format"] = "flowed"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8; format=flowed"
    del params["charset"]
    assert response.headers["Content-Type"] == "text/plain; format=flowed"
    theirs = flask.Response(content_type="text/plain; charset=utf-8")
    theirs.mimetype_params["format"] = "flowed"
    assert theirs.headers["Content-Type"] == "text/plain; charset=utf-8; format=flowed"
    no_type = Response()
    del no_type.headers["Content-Type"]
    assert no_type.mimetype is None and no_type.mimetype_params == {}


def test_json() -> None:
    response = Response('{"a": 1}', mimetype="application/json")
    assert response.is_json and response.json == {"a": 1}
    assert Response("[1]", mimetype="application/vnd.api+json").get_json() == [1]
    assert Response("[1]").json is None
    assert Response("[1]").get_json(force=True) == [1]
    broken = Response("{", mimetype="application/json")
    with pytest.raises(ValueError):
        broken.get_json()
    assert broken.get_json(silent=True) is None
    no_type = Response()
    del no_type.headers["Content-Type"]
    assert not no_type.is_json


def test_etags_and_freeze() -> None:
    response = Response(chunk for chunk in ["a", "b"])
    response.freeze()
    theirs = flask.Response(chunk for chunk in ["a", "b"])
    theirs.freeze()
    assert response.response == [b"a", b"b"]
    assert list(response.headers) == list(theirs.headers)
    assert response.get_etag() == ("da23614e02469a0d7c7bd1bdab5c9c474b1904dc", False)
    response.set_etag("v1", weak=True)
    assert response.headers["ETag"] == 'W/"v1"' and response.get_etag() == ("v1", True)
    response.add_etag()  # already there: kept
    assert response.get_etag() == ("v1", True)
    response.add_etag(overwrite=True)
    assert response.get_etag()[1] is False
    assert Response().get_etag() == (None, None)


def test_sequence_conversion() -> None:
    closed: list[str] = []

    class Body:
        def __iter__(self) -> Iterator[str]:
            yield from ["a", "b"]

        def close(self) -> None:
            closed.append("body")

    response = Response(Body())
    assert response.calculate_content_length() == 2
    assert response.is_sequence and response.response == [b"a", b"b"]
    response.close()
    assert closed == ["body"]  # the original iterable is closed with the response
    passthrough = Response(iter([b"x"]), direct_passthrough=True)
    with pytest.raises(RuntimeError, match="direct passthrough"):
        passthrough.get_data()
    assert passthrough.calculate_content_length() is None

    class Strict(Response):
        implicit_sequence_conversion = False

    strict = Strict(iter([b"x"]))
    with pytest.raises(RuntimeError, match="implicit conversion was disabled"):
        strict.get_data()
    strict.make_sequence()
    assert strict.get_data() == b"x"
    tupled = Response((b"a", b"b"))
    tupled._ensure_sequence(mutable=True)
    assert tupled.response == [b"a", b"b"]


def test_repr() -> None:
    assert repr(Response("hello", 404)) == "<Response 5 bytes [404 NOT FOUND]>"
    assert repr(Response(iter([b"x"]))) == "<Response streamed [200 OK]>"

    class Sized:
        def __len__(self) -> int:
            return 1

        def __iter__(self) -> Iterator[bytes]:
            return iter([b"x"])

    assert repr(Response(Sized())) == "<Response likely-streamed [200 OK]>"
    for body in ("hello", iter([b"x"])):
        ours, theirs = repr(Response(body, 404)), repr(flask.Response(body, 404))
        assert ours.split(" [")[0] == theirs.split(" [")[0]


# ----------------------------------------------------------------- cookies

COOKIE_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("set_cookie", {"key": "a", "value": "b"}),
    ("set_cookie", {"key": "a", "value": "b c", "path": "/x", "domain": "example.com"}),
    ("set_cookie", {"key": "a", "max_age": 3600, "expires": 0, "secure": True, "httponly": True}),
    ("set_cookie", {"key": "a", "value": "v", "samesite": "Lax", "partitioned": True}),
    ("set_cookie", {"key": "a", "value": "v", "expires": datetime(2030, 1, 1)}),
    ("delete_cookie", {"key": "a"}),
    ("delete_cookie", {"key": "a", "path": "/p", "domain": ".x.org", "samesite": "strict"}),
    ("delete_cookie", {"key": "a", "secure": True, "httponly": True, "partitioned": True}),
]


@pytest.mark.parametrize(("method", "arguments"), COOKIE_CALLS)
def test_cookies_match_flask(method: str, arguments: dict[str, Any]) -> None:
    ours, theirs = Response(), flask.Response()
    getattr(ours, method)(**arguments)
    getattr(theirs, method)(**arguments)
    assert ours.headers.getlist("Set-Cookie") == theirs.headers.getlist("Set-Cookie")


def test_cookie_errors_and_size() -> None:
    response = Response()
    with pytest.raises(ValueError):
        response.set_cookie("a", samesite="Maybe")
    assert response.max_cookie_size == 4093
    with pytest.warns(UserWarning):
        response.set_cookie("big", "x" * 5000)
    app = SimpleNamespace(config={"MAX_COOKIE_SIZE": 10}, debug=False)
    token = _cv_app.set(SimpleNamespace(app=app))  # type: ignore[arg-type]
    try:
        assert response.max_cookie_size == 10
        with pytest.warns(UserWarning):
            response.set_cookie("small", "x" * 20)
    finally:
        _cv_app.reset(token)
    token = _cv_app.set(SimpleNamespace(app=SimpleNamespace()))  # type: ignore[arg-type]
    try:
        assert response.max_cookie_size == 4093
    finally:
        _cv_app.reset(token)


# ---------------------------------------------------------------- closing


def test_call_on_close_and_close() -> None:
    events: list[str] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            return iter([b"x"])

        def close(self) -> None:
            events.append("body")

    response = Response(Body())

    @response.call_on_close
    def first() -> None:
        events.append("first")

    assert first.__name__ == "first"  # usable as a decorator
    response.call_on_close(lambda: events.append("second"))
    with response:
        pass
    assert events == ["body", "first", "second"]


def test_closing_iterator_runs_every_callback() -> None:
    events: list[str] = []

    def fail() -> None:
        events.append("fail")
        raise RuntimeError("first error")

    closing = ClosingIterator(iter([b"a"]), [fail, lambda: events.append("after")])
    assert list(closing) == [b"a"]
    with pytest.raises(RuntimeError, match="first error"):
        closing.close()
    assert events == ["fail", "after"]
    ClosingIterator([b"x"]).close()
    single = ClosingIterator([b"x"], lambda: events.append("one"))
    single.close()
    assert events[-1] == "one"


# ------------------------------------------------------------------- WSGI


def test_plain_response_returns_its_list() -> None:
    response = Response("hello")
    recorder = Recorder()
    iterable = response(make_environ(), recorder)
    assert iterable is response.response  # nothing to close: no wrapper
    assert recorder.status == "200 OK"
    assert recorder.headers == [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "5"),
    ]
    assert recorder.headers is not response.headers._list  # a copy


def test_sequence_gets_a_content_length_and_strings_are_encoded() -> None:
    _status, headers, body = run(Response(["é", b"x"]))
    assert ("Content-Length", "3") in headers and body == "éx".encode()
    recorder = Recorder()
    iterable = Response(["a"])(make_environ(), recorder)
    assert iterable == [b"a"]


def test_generators_are_streamed_not_joined() -> None:
    produced: list[int] = []

    def generate() -> Iterator[bytes]:
        for index in range(3):
            produced.append(index)
            yield f"chunk{index}".encode()

    response = Response(generate())
    recorder = Recorder()
    iterable = response(make_environ(), recorder)
    assert produced == []  # nothing ran before the server iterates
    assert ("Content-Length") not in dict(recorder.headers)
    iterator = iter(iterable)
    assert next(iterator) == b"chunk0" and produced == [0]
    iterable.close()  # type: ignore[attr-defined]
    assert produced == [0]


def test_close_is_honoured() -> None:
    events: list[str] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            return iter([b"x"])

        def close(self) -> None:
            events.append("body")

    response = Response(Body())
    response.call_on_close(lambda: events.append("callback"))
    assert run(response)[2] == b"x"
    assert events == ["body", "callback"]
    with_callback = Response("listed")
    with_callback.call_on_close(lambda: events.append("listed"))
    run(with_callback)
    assert events[-1] == "listed"
    head = Response(Body())
    run(head, method="HEAD")
    assert events[-1] == "body"  # the body is closed though never sent

    class Closing(Response):
        def close(self) -> None:
            events.append("subclass")

    run(Closing("x"))
    assert events[-1] == "subclass"


def test_bodiless_responses() -> None:
    for status in (100, 101, 204):
        _status_line, headers, body = run(Response("dropped", status=status))
        assert body == b"" and "Content-Length" not in dict(headers)
        assert ("Content-Type", "text/html; charset=utf-8") in headers
    not_modified = Response("dropped", status=304, headers={"ETag": '"1"', "Expires": "x"})
    not_modified.headers["Last-Modified"] = "y"
    _status_line, headers, body = run(not_modified)
    assert body == b"" and headers == [("ETag", '"1"'), ("Expires", "x")]


def test_head_keeps_the_headers() -> None:
    _status, headers, body = run(Response("hello"), method="HEAD")
    assert body == b"" and ("Content-Length", "5") in headers


def test_location_is_sent_as_a_uri() -> None:
    response = Response(status=302)
    response.location = "/über uns?q=ä#frag"
    _, headers, _ = run(response)
    assert dict(headers)["Location"] == "/%C3%BCber%20uns?q=%C3%A4#frag"
    response.headers["Content-Location"] = "http://☃.net/ä"
    _, headers, _ = run(response)
    assert dict(headers)["Content-Location"] == "http://xn--n3h.net/%C3%A4"
    assert response.location == "/über uns?q=ä#frag"  # the response itself is unchanged

    class Absolute(Response):
        autocorrect_location_header = True

    absolute = Absolute(status=302)
    absolute.location = "next"
    _, headers, _ = run(absolute, script_name="/app")
    assert dict(headers)["Location"] == "http://localhost/app/next"
    assert Response.autocorrect_location_header is False


def test_direct_passthrough_returns_the_body() -> None:
    body = iter([b"a", b"b"])
    response = Response(body, direct_passthrough=True)
    recorder = Recorder()
    assert response(make_environ(), recorder) is body
    assert "Content-Length" not in dict(recorder.headers)


def test_automatic_content_length_can_be_off() -> None:
    class Manual(Response):
        automatically_set_content_length = False

    manual = Manual("abc")
    assert "Content-Length" not in manual.headers
    _, headers, body = run(manual)
    assert "Content-Length" not in dict(headers) and body == b"abc"
    Response.automatically_set_content_length = False
    try:
        assert "Content-Length" not in Response("abc").headers
    finally:
        Response.automatically_set_content_length = True


def test_overridden_hooks_are_used() -> None:
    statuses: list[Any] = []

    class Tagged(Response):
        @Response.status.setter  # type: ignore[attr-defined,untyped-decorator]
        def status(self, value: Any) -> None:
            statuses.append(value)
            Response.status.fset(self, value)  # type: ignore[attr-defined]

        def get_wsgi_headers(self, environ: dict[str, Any]) -> Headers:
            headers = super().get_wsgi_headers(environ)
            headers["X-Tag"] = "yes"
            return headers

        def set_data(self, value: bytes | str) -> None:
            super().set_data(value)
            self.headers["X-Set"] = "1"

    tagged = Tagged("x", 201)
    assert tagged.headers["X-Set"] == "1"
    _, headers, _ = run(tagged)
    assert ("X-Tag", "yes") in headers
    assert statuses == [201] and tagged.status == "201 CREATED"
    wsgi_headers = Response("x").get_wsgi_headers(make_environ())
    assert isinstance(wsgi_headers, Headers) and wsgi_headers["Content-Length"] == "1"


def _wsgi_cases() -> list[tuple[str, Any]]:
    return [
        ("str", lambda cls: cls("hello")),
        ("bytes 404", lambda cls: cls(b"missing", 404)),
        ("list", lambda cls: cls(["a", b"b", "é"])),
        ("tuple", lambda cls: cls((b"a", b"b"))),
        ("generator", lambda cls: cls(c for c in [b"x", "y"])),
        ("json", lambda cls: cls("{}", 201, {"X-A": "1"}, mimetype="application/json")),
        ("204", lambda cls: cls("x", 204)),
        ("101", lambda cls: cls("x", 101)),
        ("304", lambda cls: cls("x", 304, {"ETag": '"a"', "Expires": "e", "Allow": "GET"})),
        ("redirect", lambda cls: cls("", 302, {"Location": "/ä b?c=d e"})),
        ("content-location", lambda cls: cls("", 200, {"Content-Location": "/ä"})),
        ("explicit length", lambda cls: cls(["abc"], headers={"Content-Length": "3"})),
        ("no type", lambda cls: cls("x", headers={"Content-Type": "text/plain"})),
        ("empty", lambda cls: cls()),
        ("unknown status", lambda cls: cls("x", 299)),
        ("cookies", lambda cls: _with_cookies(cls("x"))),
    ]


def _with_cookies(response: Any) -> Any:
    response.set_cookie("a", "b", path="/p")
    response.delete_cookie("c")
    return response


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
@pytest.mark.parametrize(("name", "build"), _wsgi_cases(), ids=[c[0] for c in _wsgi_cases()])
def test_wsgi_output_matches_flask(name: str, build: Any, method: str) -> None:
    assert run(build(Response), method) == run(build(flask.Response), method)


@settings(max_examples=200, deadline=None)
@given(
    chunks=st.lists(st.one_of(st.binary(max_size=5), st.text(max_size=5)), max_size=4),
    status=st.sampled_from([200, 201, 204, 304, 404, 500, 101, 299]),
    as_generator=st.booleans(),
    method=st.sampled_from(["GET", "HEAD"]),
)
def test_wsgi_output_matches_flask_on_anything(
    chunks: list[bytes | str], status: int, as_generator: bool, method: str
) -> None:
    def body() -> Iterable[bytes | str]:
        return (chunk for chunk in chunks) if as_generator else list(chunks)

    assert run(Response(body(), status), method) == run(flask.Response(body(), status), method)


# --------------------------------------------------- other WSGI applications


def hello_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("201 CREATED", [("Content-Type", "text/plain"), ("X-App", "1")])
    return [b"hello ", b"app"]


def test_force_type() -> None:
    class Mine(Response):
        pass

    response = Response("x")
    assert Mine.force_type(response) is response and type(response) is Mine
    converted = Mine.force_type(hello_app, make_environ())
    assert type(converted) is Mine
    assert converted.status == "201 CREATED" and converted.get_data() == b"hello app"
    assert converted.headers["X-App"] == "1" and converted.mimetype == "text/plain"
    with pytest.raises(TypeError, match="without an environ"):
        Response.force_type(hello_app)


def test_from_app_with_write_and_late_start() -> None:
    def writer(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        return [b"returned"]

    events: list[str] = []

    class LateBody:
        def __init__(self, start_response: Any) -> None:
            self.start_response = start_response

        def __iter__(self) -> Iterator[bytes]:
            self.start_response("202 ACCEPTED", [])
            yield b"late"

        def close(self) -> None:
            events.append("closed")

    def late(environ: dict[str, Any], start_response: Any) -> LateBody:
        return LateBody(start_response)

    assert Response.from_app(writer, make_environ()).get_data() == b"written returned"
    assert Response.from_app(writer, make_environ(), buffered=True).get_data() == (
        b"written returned"
    )
    lazy = Response.from_app(late, make_environ())
    assert lazy.status == "202 ACCEPTED" and lazy.get_data() == b"late"
    lazy.close()
    assert events == ["closed"]
    buffered = Response.from_app(late, make_environ(), buffered=True)
    assert buffered.get_data() == b"late" and events == ["closed", "closed"]


def test_run_wsgi_app_keeps_writes_and_chunks_in_order() -> None:
    def interleaved(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        write = start_response("200 OK", [])
        write(b"1")
        yield b"2"
        write(b"3")
        yield b"4"

    for buffered in (False, True):
        iterable, _, _ = run_wsgi_app(interleaved, make_environ(), buffered)
        assert b"".join(iterable) == b"1234"


def test_run_wsgi_app_errors() -> None:
    closed: list[bool] = []

    class Silent(list):  # type: ignore[type-arg]
        def close(self) -> None:
            closed.append(True)

    def silent(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return Silent()

    with pytest.raises(RuntimeError, match="start_response"):
        run_wsgi_app(silent, make_environ())
    assert closed == [True]
    with pytest.raises(RuntimeError, match="start_response"):
        run_wsgi_app(silent, make_environ(), buffered=True)
    assert closed == [True, True]

    def failing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        try:
            raise KeyError("boom")
        except KeyError:
            start_response("500 INTERNAL SERVER ERROR", [], sys.exc_info())
        return []

    with pytest.raises(KeyError, match="boom"):
        run_wsgi_app(failing, make_environ())
    environ = make_environ()
    iterable, status, headers = run_wsgi_app(hello_app, environ)
    assert status == "201 CREATED" and isinstance(headers, Headers)
    assert b"".join(iterable) == b"hello app"


def test_exceptions_render_through_response() -> None:
    from tapster.web.exceptions import NotFound

    status, headers, body = run(NotFound())
    assert status == "404 NOT FOUND"
    assert b"<title>404 Not Found</title>" in body
    assert ("Content-Type", "text/html; charset=utf-8") in headers
    assert run(NotFound()) == run(lambda e, s: __import__("werkzeug").exceptions.NotFound()(e, s))


def test_content_type_with_other_headers() -> None:
    response = Response("x", headers={"X-A": "1"}, content_type="text/plain")
    assert list(response.headers) == [
        ("X-A", "1"),
        ("Content-Type", "text/plain"),
        ("Content-Length", "1"),
    ]
    assert list(response.headers) == list(
        flask.Response("x", headers={"X-A": "1"}, content_type="text/plain").headers
    )
