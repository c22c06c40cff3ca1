"""The test client on plain WSGI callables: environs, cookies, redirects, streaming, contexts.

Where Werkzeug's client and tapster's should agree, both run the same app
side by side.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import pytest
import werkzeug.test
from werkzeug.formparser import parse_form_data

from tapster.web.testing import (
    PRESERVE_CONTEXT_KEY,
    Client,
    ClientRedirectError,
    EnvironBuilder,
    TestResponse,
    encode_multipart,
    run_wsgi_app,
)

Environ = dict[str, Any]
StartResponse = Callable[..., Any]

# -- apps ---------------------------------------------------------------------------------------


def echo_environ(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The environ's text values and the body, as JSON."""
    body = environ["wsgi.input"].read()
    shown = {key: value for key, value in environ.items() if isinstance(value, str)}
    shown["body"] = body.decode("latin-1")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(shown).encode()]


def cookie_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Answers the Cookie header it got; ``?set=`` values become Set-Cookie fields."""
    headers = [("Content-Type", "text/plain")]
    for name, value in parse_qsl(environ["QUERY_STRING"]):
        if name == "set":
            headers.append(("Set-Cookie", value))
    start_response("200 OK", headers)
    return [environ.get("HTTP_COOKIE", "").encode()]


def redirect_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """``/to/STATUS?location=URL`` redirects, ``/loop`` to itself; others echo the request."""
    path = environ["PATH_INFO"]
    if path == "/loop":
        start_response("302 Found", [("Location", "/loop")])
        return [b""]
    if re.fullmatch(r"/to/\d{3}", path):
        query = dict(parse_qsl(environ["QUERY_STRING"]))
        headers = [("Location", query["location"]), ("Content-Type", "text/plain")]
        if "cookie" in query:
            headers.append(("Set-Cookie", query["cookie"]))
        start_response(f"{path[4:]} Redirect", headers)
        return [b"redirecting"]
    return echo_environ(environ, start_response)


def answer(response: TestResponse) -> dict[str, Any]:
    return json.loads(response.get_data())


@pytest.fixture
def client() -> Client:
    return Client(echo_environ)


# -- EnvironBuilder -----------------------------------------------------------------------------


def test_default_environ_is_complete_pep_3333():
    environ = EnvironBuilder().get_environ()
    assert environ["REQUEST_METHOD"] == "GET"
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"], environ["QUERY_STRING"]) == ("", "/", "")
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("localhost", "80")
    assert environ["HTTP_HOST"] == "localhost"
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["wsgi.version"] == (1, 0)
    assert environ["wsgi.url_scheme"] == "http"
    assert isinstance(environ["wsgi.input"], io.BytesIO)
    assert environ["wsgi.input"].read() == b""
    assert environ["wsgi.errors"] is sys.stderr
    assert environ["wsgi.multithread"] is False
    assert environ["wsgi.multiprocess"] is False
    assert environ["wsgi.run_once"] is False
    assert "CONTENT_TYPE" not in environ and "CONTENT_LENGTH" not in environ


def test_the_environ_passes_wsgiref_validation():
    from wsgiref.validate import validator

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    response = Client(validator(app)).post("/x?y=1", data={"a": "b"})
    assert response.data == b"ok"


def test_path_with_query_and_query_string_replacing_it():
    environ = EnvironBuilder(path="/search?q=tea").get_environ()
    assert (environ["PATH_INFO"], environ["QUERY_STRING"]) == ("/search", "q=tea")
    environ = EnvironBuilder(path="/search?q=tea", query_string={"q": "café", "n": [1, 2]})
    assert environ.get_environ()["QUERY_STRING"] == "q=caf%C3%A9&n=1&n=2"
    environ = EnvironBuilder(path="/s", query_string="?a=1").get_environ()
    assert environ["QUERY_STRING"] == "a=1"
    assert environ["REQUEST_URI"] == "/s?a=1"


def test_utf8_path_becomes_latin1_path_info():
    environ = EnvironBuilder(path="/caf\u00e9/a%20b").get_environ()
    # PEP 3333: the undecoded bytes, one character per byte.
    assert environ["PATH_INFO"] == "/caf\u00c3\u00a9/a b"
    assert environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/caf\u00e9/a b"
    assert environ["REQUEST_URI"] == "/caf%C3%A9/a%20b"


def test_base_url_gives_scheme_host_port_and_script_root():
    environ = EnvironBuilder(path="/x", base_url="https://example.com:8443/app/").get_environ()
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["HTTP_HOST"] == "example.com:8443"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("example.com", "8443")
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/app", "/x")
    assert environ["REQUEST_URI"] == "/app/x"
    assert EnvironBuilder(base_url="https://example.com").get_environ()["SERVER_PORT"] == "443"


def test_a_whole_url_as_path():
    environ = EnvironBuilder(path="https://shop.example/cart?id=3").get_environ()
    assert (environ["wsgi.url_scheme"], environ["HTTP_HOST"]) == ("https", "shop.example")
    assert (environ["PATH_INFO"], environ["QUERY_STRING"]) == ("/cart", "id=3")


class ConfiguredApp:
    """Stands for an app: a WSGI callable with Flask's config keys."""

    def __init__(self, **config: Any) -> None:
        self.config = {"APPLICATION_ROOT": "/", "PREFERRED_URL_SCHEME": "http", **config}

    def __call__(self, environ, start_response):
        return echo_environ(environ, start_response)


def test_app_config_gives_the_base_url():
    app = ConfiguredApp(SERVER_NAME="example.com:8080", APPLICATION_ROOT="/root",
                        PREFERRED_URL_SCHEME="https")
    environ = EnvironBuilder(app, "/page").get_environ()
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["HTTP_HOST"] == "example.com:8080"
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/root", "/page")
    environ = EnvironBuilder(app, "/page", subdomain="api", url_scheme="http").get_environ()
    assert (environ["HTTP_HOST"], environ["wsgi.url_scheme"]) == ("api.example.com:8080", "http")


def test_subdomain_or_url_scheme_with_base_url_is_an_error():
    with pytest.raises(TypeError, match="subdomain"):
        EnvironBuilder(base_url="http://x/", subdomain="api")


def test_arguments_after_base_url_are_keyword_only():
    with pytest.raises(TypeError):
        EnvironBuilder(None, "/", None, "a=1")  # type: ignore[misc]


def test_form_dict_is_urlencoded(client):
    got = answer(client.post("/", data={"name": "Zoë", "n": [1, 2]}))
    assert got["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert got["body"] == "name=Zo%C3%AB&n=1&n=2"
    assert got["CONTENT_LENGTH"] == str(len(got["body"]))


def test_str_and_bytes_bodies(client):
    got = answer(client.put("/", data="h\u00e9", content_type="text/plain; charset=utf-8"))
    assert got["body"].encode("latin-1") == "h\u00e9".encode()
    assert got["CONTENT_TYPE"] == "text/plain; charset=utf-8"
    got = answer(client.put("/", data=b"\x00\xff"))
    assert (got["body"], got["CONTENT_LENGTH"]) == ("\x00\xff", "2")
    assert "CONTENT_TYPE" not in got


def test_an_empty_form_sends_no_content_type(client):
    got = answer(client.post("/", data={}))
    assert "CONTENT_TYPE" not in got
    assert got["CONTENT_LENGTH"] == "0"


def test_files_make_multipart_that_werkzeug_parses(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"on disk")
    with path.open("rb") as on_disk:
        builder = EnvironBuilder(
            path="/upload",
            method="POST",
            data={
                "title": "Report \"Q1\"",
                "tuple": (io.BytesIO(b"\x89PNG..."), "logo.png"),
                "typed": (b"raw bytes", "data.bin", "application/x-custom"),
                "disk": on_disk,
                "many": ["a", "b"],
            },
        )
        environ = builder.get_environ()
        builder.close()
        assert on_disk.closed  # read, then closed with the builder, as Werkzeug's does
    assert environ["CONTENT_TYPE"].startswith("multipart/form-data; boundary=")
    _, form, files = parse_form_data(environ)
    assert form.to_dict(flat=False) == {"title": ['Report "Q1"'], "many": ["a", "b"]}
    assert (files["tuple"].filename, files["tuple"].content_type) == ("logo.png", "image/png")
    assert files["tuple"].read() == b"\x89PNG..."
    assert (files["typed"].filename, files["typed"].content_type) == (
        "data.bin", "application/x-custom")
    assert (files["disk"].filename, files["disk"].read()) == ("notes.txt", b"on disk")


def test_multipart_when_asked_even_without_files():
    environ = EnvironBuilder(method="POST", data={"a": "1"},
                             content_type="multipart/form-data").get_environ()
    _, form, files = parse_form_data(environ)
    assert form.to_dict() == {"a": "1"} and not files


def test_encode_multipart_layout():
    body, content_type = encode_multipart([("a", "1"), ("f", (b"x", "f.txt"))], boundary="B")
    assert content_type == "multipart/form-data; boundary=B"
    assert body == (
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b'--B\r\nContent-Disposition: form-data; name="f"; filename="f.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nx\r\n--B--\r\n"
    )


def test_form_data_with_another_content_type_is_an_error():
    with pytest.raises(TypeError, match="form data cannot be sent as 'text/csv'"):
        EnvironBuilder(data={"a": 1}, content_type="text/csv")


def test_json_body(client):
    got = answer(client.post("/", json={"a": [1, "é"]}))
    assert got["CONTENT_TYPE"] == "application/json"
    assert json.loads(got["body"].encode("latin-1")) == {"a": [1, "é"]}


def test_json_uses_the_apps_provider():
    class Provider:
        def dumps(self, obj):
            return "PROVIDED"

    app = ConfiguredApp()
    app.json = Provider()
    assert EnvironBuilder(app, json={"a": 1}).get_environ()["wsgi.input"].read() == b"PROVIDED"


@pytest.mark.parametrize(
    "kwargs",
    [{"json": 1, "data": "x"}, {"data": "x", "input_stream": io.BytesIO()}],
)
def test_conflicting_bodies_are_errors(kwargs):
    with pytest.raises(TypeError):
        EnvironBuilder(**kwargs)


def test_input_stream_and_readable_data():
    stream = io.BytesIO(b"streamed")
    environ = EnvironBuilder(input_stream=stream, content_length=8).get_environ()
    assert environ["wsgi.input"] is stream and environ["CONTENT_LENGTH"] == "8"
    environ = EnvironBuilder(data=io.BytesIO(b"file-like")).get_environ()
    assert environ["wsgi.input"].read() == b"file-like"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Tag": ["a", "b"], "Accept": "text/html"},
        [("X-Tag", "a"), ("X-Tag", "b"), ("Accept", "text/html")],
    ],
)
def test_headers_as_dict_or_list(headers):
    environ = EnvironBuilder(headers=headers).get_environ()
    assert environ["HTTP_X_TAG"] == "a, b"
    assert environ["HTTP_ACCEPT"] == "text/html"


def test_headers_object_from_werkzeug():
    from werkzeug.datastructures import Headers

    environ = EnvironBuilder(headers=Headers([("X-A", "1"), ("X-A", "2")])).get_environ()
    assert environ["HTTP_X_A"] == "1, 2"


def test_content_type_and_length_headers_become_cgi_variables():
    environ = EnvironBuilder(
        data=b"abc", headers={"Content-Type": "text/csv", "Content-Length": "99"}
    ).get_environ()
    assert environ["CONTENT_TYPE"] == "text/csv"
    assert environ["CONTENT_LENGTH"] == "3"  # the body's real length
    assert "HTTP_CONTENT_TYPE" not in environ and "HTTP_CONTENT_LENGTH" not in environ


def test_basic_auth():
    environ = EnvironBuilder(auth=("aladdin", "open sesame")).get_environ()
    assert environ["HTTP_AUTHORIZATION"] == "Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ=="


def test_environ_base_first_overrides_last():
    environ = EnvironBuilder(
        environ_base={"REMOTE_ADDR": "10.0.0.1", "PATH_INFO": "/lost", "custom.key": 1},
        environ_overrides={"SERVER_PROTOCOL": "HTTP/1.0"},
    ).get_environ()
    assert environ["REMOTE_ADDR"] == "10.0.0.1"
    assert environ["PATH_INFO"] == "/"
    assert environ["custom.key"] == 1
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.0"


def test_each_environ_gets_a_fresh_body_stream():
    builder = EnvironBuilder(data=b"again")
    assert builder.get_environ()["wsgi.input"].read() == b"again"
    assert builder.get_environ()["wsgi.input"].read() == b"again"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"path": "/a/b?x=1&y=%20"},
        {"path": "/caf\u00e9", "method": "delete"},
        {"path": "/p", "base_url": "https://example.com:444/root/"},
        {"path": "/f", "method": "POST", "data": {"a": "1", "b": ["2", "3"]}},
        {"path": "/j", "method": "POST", "json": {"k": [1, 2]}},
        {"path": "/h", "headers": {"X-One": "1", "Accept": "*/*"}},
        {"path": "/q", "query_string": {"a": "x y"}},
    ],
)
def test_agrees_with_werkzeugs_builder(kwargs):
    ours = EnvironBuilder(**kwargs).get_environ()
    theirs = werkzeug.test.EnvironBuilder(**kwargs).get_environ()
    for key in ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "SERVER_NAME", "SERVER_PORT",
                "HTTP_HOST", "wsgi.url_scheme", "CONTENT_TYPE", "CONTENT_LENGTH",
                "SERVER_PROTOCOL", "HTTP_X_ONE", "HTTP_ACCEPT"):
        assert ours.get(key) == theirs.get(key), key
    assert parse_qsl(ours["QUERY_STRING"]) == parse_qsl(theirs["QUERY_STRING"])
    assert ours["wsgi.input"].read() == theirs["wsgi.input"].read()


# -- responses ----------------------------------------------------------------------------------


def test_response_fields(client):
    response = client.get("/hello?x=1")
    assert isinstance(response, TestResponse)
    assert (response.status_code, response.status) == (200, "200 OK")
    assert response.headers["Content-Type"] == "application/json"
    assert response.json["PATH_INFO"] == "/hello"
    assert json.loads(response.text) == response.json
    assert response.get_data(as_text=True) == response.text
    assert response.request.path == "/hello"
    assert response.request.args["x"] == "1"
    assert response.history == ()


def test_headers_are_the_apps_own():
    def bare(environ, start_response):
        start_response("204 No Content", [("X-Only", "this")])
        return []

    response = Client(bare).get("/")
    assert list(response.headers) == [("X-Only", "this")]


def test_methods_and_open(client):
    for method in ("get", "post", "put", "patch", "delete", "options", "trace"):
        assert answer(getattr(client, method)("/"))["REQUEST_METHOD"] == method.upper()
    assert client.head("/").request.method == "HEAD"
    assert answer(client.open("/", method="PURGE"))["REQUEST_METHOD"] == "PURGE"


def test_open_a_builder_an_environ_or_a_request(client):
    builder = EnvironBuilder(path="/built", method="PATCH")
    got = answer(client.open(builder))
    assert (got["PATH_INFO"], got["REQUEST_METHOD"]) == ("/built", "PATCH")
    assert got["HTTP_USER_AGENT"].startswith("tapster/")  # the client's environ_base
    environ = EnvironBuilder(path="/raw").get_environ()
    assert answer(client.open(environ))["PATH_INFO"] == "/raw"
    request = client.get("/again").request
    request.environ["wsgi.input"] = io.BytesIO()
    assert answer(client.open(request))["PATH_INFO"] == "/again"


def test_client_environ_base(client):
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    client.environ_base["HTTP_USER_AGENT"] = "robot"
    got = answer(client.get("/", environ_base={"HTTP_X_EXTRA": "1"}))
    assert (got["REMOTE_ADDR"], got["HTTP_USER_AGENT"], got["HTTP_X_EXTRA"]) == (
        "192.0.2.7", "robot", "1")
    assert answer(client.get("/", headers={"User-Agent": "given"}))["HTTP_USER_AGENT"] == "given"


def test_response_wrapper_subclass_is_mixed_in():
    from tapster.web.response import Response

    class Mine(Response):
        def shout(self):
            return self.get_data(as_text=True).upper()

    response = Client(cookie_app, Mine).get("/")
    assert isinstance(response, TestResponse) and isinstance(response, Mine)
    assert response.shout() == ""


def test_app_errors_propagate(client):
    def broken(environ, start_response):
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        Client(broken).get("/")


# -- running the app: streaming and close ------------------------------------------------------


class Body:
    """An app iterable that records how far it was read and whether it was closed."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.read = 0
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.read += 1
            yield chunk

    def close(self) -> None:
        self.closed += 1


def body_app(body: Body) -> Callable[..., Any]:
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    return app


def test_buffered_reads_everything_and_closes_before_returning():
    body = Body([b"a", b"b", b"c"])
    response = Client(body_app(body)).get("/", buffered=True)
    assert (body.read, body.closed) == (3, 1)
    assert response.data == b"abc"
    response.close()
    assert body.closed == 1


def test_unbuffered_reads_on_demand_and_closes_at_the_end():
    body = Body([b"a", b"b", b"c"])
    response = Client(body_app(body)).get("/")
    assert (body.read, body.closed) == (0, 0)
    iterator = iter(response.response)
    assert next(iterator) == b"a"
    assert (body.read, body.closed) == (1, 0)
    assert list(iterator) == [b"b", b"c"]
    assert body.closed == 1
    response.close()
    assert body.closed == 1  # once


def test_unbuffered_close_before_the_end_closes_the_app_iterable():
    body = Body([b"a", b"b"])
    response = Client(body_app(body)).get("/")
    next(iter(response.response))
    response.close()
    assert (body.read, body.closed) == (1, 1)


def test_data_reads_and_closes():
    body = Body([b"x", b"y"])
    assert Client(body_app(body)).get("/").data == b"xy"
    assert body.closed == 1


def test_start_response_inside_a_generator():
    def lazy(environ, start_response):
        start_response("201 Created", [("X-Late", "yes")])
        yield b"one"
        yield b"two"

    response = Client(lazy).get("/")
    assert (response.status_code, response.headers["X-Late"]) == (201, "yes")
    assert response.data == b"onetwo"


def test_write_callable_output_keeps_its_place():
    def writer(environ, start_response):
        write = start_response("200 OK", [])
        write(b"written ")
        return [b"returned"]

    def interleaved(environ, start_response):
        write = start_response("200 OK", [])
        write(b"1")
        yield b"2"
        write(b"3")
        yield b"4"
        write(b"5")

    for buffered in (False, True):
        assert Client(writer).get("/", buffered=buffered).data == b"written returned"
        assert Client(interleaved).get("/", buffered=buffered).data == b"12345"


def test_exc_info_reraises_the_apps_error_as_werkzeugs_client_does():
    def recovering(environ, start_response):
        start_response("200 OK", [("X-First", "1")])
        try:
            raise ValueError("boom")
        except ValueError:
            start_response("500 Internal Server Error", [("X-Second", "1")], sys.exc_info())
        return [b"error page"]

    with pytest.raises(ValueError, match="boom"):
        Client(recovering).get("/")
    with pytest.raises(ValueError, match="boom"):
        werkzeug.test.Client(recovering).get("/")


def test_exc_info_after_the_body_started_reraises():
    def late(environ, start_response):
        start_response("200 OK", [])
        yield b"partial"
        try:
            raise ValueError("late")
        except ValueError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        yield b"never"

    response = Client(late).get("/")
    with pytest.raises(ValueError, match="late"):
        response.get_data()


def test_no_start_response_is_an_error_and_still_closes():
    body = Body([])

    def silent(environ, start_response):
        return body

    with pytest.raises(RuntimeError, match="start_response"):
        Client(silent).get("/")
    assert body.closed == 1


def test_start_response_twice_without_exc_info_is_an_error():
    def twice(environ, start_response):
        start_response("200 OK", [])
        start_response("200 OK", [])
        return []

    with pytest.raises(RuntimeError, match="second time"):
        Client(twice).get("/")


def test_run_wsgi_app_directly():
    environ = EnvironBuilder(path="/?set=a=1").get_environ()
    body, status, headers = run_wsgi_app(cookie_app, environ, buffered=True)
    assert (list(body), status, list(headers)) == (
        [b""], "200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1")])


def test_request_body_stream_is_closed_with_the_response(client):
    response = client.post("/", data=b"body")
    stream = response.request.environ["wsgi.input"]
    assert not stream.closed
    response.close()
    assert stream.closed


# -- cookies --------------------------------------------------------------------------------


def test_cookies_are_kept_and_sent_back():
    client = Client(cookie_app)
    assert client.get("/?set=a=1").text == ""
    assert client.get("/").text == "a=1"
    cookie = client.get_cookie("a")
    assert (cookie.key, cookie.value, cookie.domain, cookie.path) == ("a", "1", "localhost", "/")
    client.get("/?set=a=; Max-Age=0")
    assert client.get("/").text == ""
    assert client.get_cookie("a") is None


def test_set_get_and_delete_cookie():
    client = Client(cookie_app)
    client.set_cookie("a", "1")
    client.set_cookie("b", "2", path="/b")
    client.set_cookie("c", "3", domain="example.com", origin_only=False)
    assert client.get("/").text == "a=1"
    assert client.get("/b/x").text == "b=2; a=1"
    assert client.get("http://www.example.com/").text == "c=3"
    assert client.get_cookie("b") is None and client.get_cookie("b", path="/b").value == "2"
    client.delete_cookie("a")
    assert client.get("/").text == ""
    client.set_cookie("b", "", path="/b", max_age=0)
    assert client.get_cookie("b", path="/b") is None


def test_an_explicit_cookie_header_is_kept_beside_the_jars():
    client = Client(cookie_app)
    client.set_cookie("jar", "1")
    assert client.get("/", headers={"Cookie": "given=2"}).text == "given=2; jar=1"


def test_cookies_follow_the_request_host_and_scheme():
    client = Client(cookie_app)
    client.get("http://example.com/?set=s=1; Secure")
    client.get("http://example.com/?set=h=2")
    assert client.get("http://example.com/").text == "h=2"
    assert client.get("https://example.com/").text == "s=1; h=2"
    assert client.get("http://sub.example.com/").text == ""
    assert client.get("/").text == ""  # localhost


def test_without_cookies():
    client = Client(cookie_app, use_cookies=False)
    client.get("/?set=a=1")
    assert client.get("/").text == ""
    with pytest.raises(TypeError, match="cookies are disabled"):
        client.get_cookie("a")


COOKIE_SCENARIO = [
    "/?set=a=1&set=b=2; Path=/shop",
    "/shop/cart",
    "/shop/cart?set=c=3",  # default path /shop
    "/shop/other",
    "/?set=b=; Path=/shop; Max-Age=0",
    "/shop/",
    "/?set=a=4; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    "/shop",
]


def test_cookie_jar_agrees_with_werkzeugs_client():
    ours = Client(cookie_app)
    theirs = werkzeug.test.Client(cookie_app)
    for url in COOKIE_SCENARIO:
        # The same cookies; the order differs: RFC 6265 §5.4 puts longer paths
        # first, Werkzeug keeps the order they were set in.
        assert sorted(ours.get(url).text.split("; ")) == sorted(
            theirs.get(url).text.split("; ")), url


# -- redirects ----------------------------------------------------------------------------------


@pytest.fixture
def redirects() -> Client:
    return Client(redirect_app)


def test_not_followed_by_default(redirects):
    response = redirects.get("/to/302?location=/done")
    assert response.status_code == 302
    assert response.headers["Location"] == "/done"


def test_followed_with_history(redirects):
    response = redirects.get("/to/301?location=/to/302%3Flocation%3D/done%253Fx%253D1",
                             follow_redirects=True)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [301, 302]
    assert response.request.path == "/done"
    got = answer(response)
    assert (got["PATH_INFO"], got["QUERY_STRING"]) == ("/done", "x=1")
    assert response.history[0].request.path == "/to/301"


def test_history_responses_are_read_and_closed():
    body = Body([b"moved"])

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/old":
            start_response("302 Found", [("Location", "/new")])
            return body
        return echo_environ(environ, start_response)

    response = Client(app).get("/old", follow_redirects=True)
    assert body.closed == 1
    assert response.history[0].data == b"moved"


@pytest.mark.parametrize(
    ("status", "method", "method_after", "body_kept"),
    [
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (303, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (303, "HEAD", "HEAD", True),  # Fetch keeps HEAD as it is
        (302, "PUT", "PUT", True),  # only POST turns into GET on 301/302 (Fetch)
        (301, "DELETE", "DELETE", True),
        (307, "POST", "POST", True),
        (308, "PUT", "PUT", True),
        (305, "POST", "POST", True),
    ],
)
def test_method_and_body_after_a_redirect(redirects, status, method, method_after, body_kept):
    response = redirects.open(f"/to/{status}?location=/target", method=method,
                              data={"field": "value"}, headers={"X-Keep": "yes"},
                              follow_redirects=True)
    got = answer(response)  # the app answers HEAD with a body too; the client keeps it
    assert got["REQUEST_METHOD"] == method_after
    assert got["HTTP_X_KEEP"] == "yes"
    if body_kept:
        assert got["body"] == "field=value"
        assert got["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
        assert got["CONTENT_LENGTH"] == "11"
    else:
        assert got.get("body", "") == ""
        assert "CONTENT_TYPE" not in got and "CONTENT_LENGTH" not in got


def test_a_307_repeats_a_body_given_as_a_stream(redirects):
    response = redirects.post("/to/307?location=/t", input_stream=io.BytesIO(b"streamed"),
                              content_length=8, follow_redirects=True)
    assert answer(response)["body"] == "streamed"


def test_relative_and_absolute_locations(redirects):
    response = redirects.get("/to/302?location=sibling", follow_redirects=True)
    assert response.request.path == "/to/sibling"
    response = redirects.get("/to/302?location=http://localhost/abs", follow_redirects=True)
    assert response.request.path == "/abs"


def test_script_root_is_kept_when_the_location_is_under_it(redirects):
    response = redirects.get("/to/302?location=/app/inside", base_url="http://localhost/app",
                             follow_redirects=True)
    got = answer(response)
    assert (got["SCRIPT_NAME"], got["PATH_INFO"]) == ("/app", "/inside")
    response = redirects.get("/to/302?location=/outside", base_url="http://localhost/app",
                             follow_redirects=True)
    got = answer(response)
    assert (got["SCRIPT_NAME"], got["PATH_INFO"]) == ("", "/outside")


def test_external_redirects_are_refused(redirects):
    with pytest.raises(RuntimeError, match="external redirects is not supported"):
        redirects.get("/to/302?location=http://example.com/", follow_redirects=True)


def test_subdomain_redirects_only_when_allowed():
    client = Client(redirect_app)
    with pytest.raises(RuntimeError, match="subdomain redirects is not enabled"):
        client.get("http://example.com/to/302?location=http://api.example.com/x",
                   follow_redirects=True)
    client.allow_subdomain_redirects = True
    response = client.get("http://example.com/to/302?location=http://api.example.com/x",
                          follow_redirects=True)
    assert answer(response)["HTTP_HOST"] == "api.example.com"


def test_a_redirect_status_without_location_is_final():
    def app(environ, start_response):
        start_response("302 Found", [])
        return [b"nowhere"]

    response = Client(app).get("/", follow_redirects=True)
    assert (response.status_code, response.data, response.history) == (302, b"nowhere", ())


def test_set_cookie_expiry_arguments():
    client = Client(cookie_app)
    client.set_cookie("past", "1", expires=0)
    client.set_cookie("naive", "2", expires=datetime(2099, 1, 1))
    client.set_cookie("aware", "3", expires=datetime(2099, 1, 1, tzinfo=timezone.utc))
    client.set_cookie("aged", "4", max_age=timedelta(hours=1))
    assert client.get_cookie("past") is None
    assert client.get_cookie("naive").expiry == client.get_cookie("aware").expiry
    assert client.get("/").text == "naive=2; aware=3; aged=4"


def test_redirect_loops_are_detected(redirects):
    with pytest.raises(ClientRedirectError, match="Loop detected"):
        redirects.get("/loop", follow_redirects=True)


def test_cookies_set_by_a_redirect_are_sent_on(redirects):
    response = redirects.get("/to/302?location=/next&cookie=token=abc;Path=/",
                             follow_redirects=True)
    assert answer(response)["HTTP_COOKIE"] == "token=abc"


def test_redirects_agree_with_werkzeug_where_both_follow_fetch():
    for url, method, data in [("/to/303?location=/a", "POST", "x"),
                              ("/to/307?location=/b", "POST", "x"),
                              ("/to/302?location=/c%3Fq%3D1", "GET", None)]:
        ours = Client(redirect_app).open(url, method=method, data=data, follow_redirects=True)
        theirs = werkzeug.test.Client(redirect_app).open(url, method=method, data=data,
                                                         follow_redirects=True)
        for key in ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "body"):
            assert answer(ours).get(key) == theirs.json.get(key), (url, key)
        assert [r.status_code for r in ours.history] == [r.status_code for r in theirs.history]


# -- with client: the last request's contexts stay pushed --------------------------------


class FakeContext:
    """A context that records pushes and pops, as the app's contexts would."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def __enter__(self) -> FakeContext:
        self.log.append(f"push {self.name}")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.log.append(f"pop {self.name}")


def preserving_app(log: list[str]) -> Callable[..., Any]:
    """An app that hands its two contexts over as tapster's App does."""

    def app(environ, start_response):
        preserve = environ.get(PRESERVE_CONTEXT_KEY)
        log.append(f"request {environ['PATH_INFO']} preserve={preserve is not None}")
        if preserve is not None:
            preserve(FakeContext(f"app{environ['PATH_INFO']}", log))
            preserve(FakeContext(f"request{environ['PATH_INFO']}", log))
        start_response("200 OK", [])
        return [b""]

    return app


def test_without_with_nothing_is_preserved():
    log: list[str] = []
    Client(preserving_app(log)).get("/a")
    assert log == ["request /a preserve=False"]


def test_with_client_keeps_the_last_contexts_until_the_next_request_and_the_end():
    log: list[str] = []
    client = Client(preserving_app(log))
    with client:
        client.get("/a")
        assert log[-2:] == ["push app/a", "push request/a"]
        client.get("/b")
        assert log[-5:] == ["pop request/a", "pop app/a", "request /b preserve=True",
                            "push app/b", "push request/b"]
    assert log[-2:] == ["pop request/b", "pop app/b"]
    client.get("/c")
    assert log[-1] == "request /c preserve=False"


def test_with_client_after_redirects_keeps_only_the_final_requests_contexts():
    log: list[str] = []
    inner = preserving_app(log)

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/old":
            environ[PRESERVE_CONTEXT_KEY](FakeContext("old", log))
            start_response("302 Found", [("Location", "/new")])
            return [b""]
        return inner(environ, start_response)

    client = Client(app)
    with client:
        client.get("/old", follow_redirects=True)
    assert "push old" not in log
    assert log[-4:] == ["push app/new", "push request/new", "pop request/new", "pop app/new"]


def test_with_client_cannot_nest(client):
    with client, pytest.raises(RuntimeError, match="Cannot nest"), client:
        pass
