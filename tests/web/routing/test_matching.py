"""Matching: endpoints and view arguments, 404, 405, redirects, hosts, and WSGI environs."""

from __future__ import annotations

import warnings

import pytest

from tapster.exceptions import BadRequest, HTTPException, MethodNotAllowed, NotFound
from tapster.routing import (
    Map,
    RequestRedirect,
    RoutingException,
    Rule,
    WebsocketMismatch,
)


def environ(path: str = "/", method: str = "GET", host: str = "example.com", **extra) -> dict:
    """A bare WSGI environ, as a server builds it: no app, no request object."""
    env = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "server.internal",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "wsgi.url_scheme": "http",
    }
    env.update(extra)
    return env


def redirect_of(adapter, *args, **kwargs) -> str:
    with pytest.raises(RequestRedirect) as caught:
        adapter.match(*args, **kwargs)
    return caught.value.new_url


@pytest.fixture
def adapter():
    url_map = Map(
        [
            Rule("/", endpoint="index"),
            Rule("/about", endpoint="about"),
            Rule("/docs/", endpoint="docs"),
            Rule("/user/<int:id>", endpoint="user", methods=["GET"]),
            Rule("/user/<int:id>", endpoint="user_edit", methods=["PUT", "DELETE"]),
            Rule("/files/<path:name>", endpoint="file"),
        ]
    )
    return url_map.bind("example.com")


# --- the router alone -----------------------------------------------------------------------


def test_routing_needs_only_a_bare_environ():
    url_map = Map([Rule("/hello/<name>", endpoint="hello")])
    adapter = url_map.bind_to_environ(environ("/hello/world"))
    assert adapter.match() == ("hello", {"name": "world"})
    assert adapter.build("hello", {"name": "you"}) == "/hello/you"


def test_match_returns_endpoint_or_rule_and_view_arguments(adapter):
    assert adapter.match("/") == ("index", {})
    assert adapter.match("/user/7") == ("user", {"id": 7})
    assert adapter.match("/files/a/b.txt") == ("file", {"name": "a/b.txt"})
    rule, args = adapter.match("/about", return_rule=True)
    assert (rule.rule, rule.endpoint, args) == ("/about", "about", {})


def test_an_unknown_path_is_not_found(adapter):
    with pytest.raises(NotFound):
        adapter.match("/nope")
    with pytest.raises(NotFound):
        adapter.match("/user/x")
    assert adapter.test("/about") and not adapter.test("/nope")


def test_the_path_defaults_to_the_bound_one_and_leading_slashes_do_not_matter(adapter):
    assert adapter.match() == ("index", {})
    assert adapter.match("about") == ("about", {})
    assert adapter.match("//about") == ("about", {})


# --- methods --------------------------------------------------------------------------------


def test_another_method_on_a_known_path_is_405_with_sorted_valid_methods(adapter):
    with pytest.raises(MethodNotAllowed) as caught:
        adapter.match("/user/7", "POST")
    assert caught.value.valid_methods == ["DELETE", "GET", "HEAD", "PUT"]
    assert ("Allow", "DELETE, GET, HEAD, PUT") in caught.value.get_headers()
    assert adapter.allowed_methods("/user/7") == ["DELETE", "GET", "HEAD", "PUT"]
    assert adapter.allowed_methods("/about") == []  # every method is allowed there
    assert adapter.allowed_methods("/nope") == []


def test_head_is_served_by_get_rules_and_methods_are_case_insensitive(adapter):
    assert adapter.match("/user/7", "HEAD") == ("user", {"id": 7})
    assert adapter.match("/user/7", "put") == ("user_edit", {"id": 7})


def test_options_is_not_added_to_rules():
    adapter = Map([Rule("/x", endpoint="x", methods=["POST"])]).bind("h")
    with pytest.raises(MethodNotAllowed) as caught:
        adapter.match("/x", "OPTIONS")
    assert caught.value.valid_methods == ["POST"]


def test_a_static_rule_for_other_methods_falls_back_to_a_placeholder():
    adapter = Map([Rule("/a", endpoint="a", methods=["POST"]), Rule("/<x>", endpoint="x")]).bind(
        "h"
    )
    assert adapter.match("/a", "GET") == ("x", {"x": "a"})
    assert adapter.match("/a", "POST") == ("a", {})


def test_method_comes_from_the_bound_default(adapter):
    bound = adapter.map.bind("example.com", default_method="DELETE")
    assert bound.match("/user/3") == ("user_edit", {"id": 3})


# --- redirects ------------------------------------------------------------------------------


def test_a_branch_without_its_slash_redirects_with_308_keeping_the_query(adapter):
    assert redirect_of(adapter, "/docs") == "http://example.com/docs/"
    assert redirect_of(adapter, "/docs", query_args="a=1&b=2") == "http://example.com/docs/?a=1&b=2"
    assert (
        redirect_of(adapter, "/docs", query_args={"q": "a b", "n": [1, 2]})
        == "http://example.com/docs/?q=a+b&n=1&n=2"
    )
    scripted = adapter.map.bind("example.com", "/app", url_scheme="https", query_args="x=1")
    assert redirect_of(scripted, "/docs") == "https://example.com/app/docs/?x=1"


def test_a_redirect_is_an_http_exception_with_location(adapter):
    with pytest.raises(RequestRedirect) as caught:
        adapter.match("/docs")
    redirect = caught.value
    assert isinstance(redirect, HTTPException) and isinstance(redirect, RoutingException)
    assert redirect.code == 308
    assert ("Location", "http://example.com/docs/") in redirect.get_headers()
    assert '<a href="http://example.com/docs/">' in redirect.get_body()


def test_the_slash_redirect_follows_the_environ_query_string():
    url_map = Map([Rule("/docs/", endpoint="docs")])
    adapter = url_map.bind_to_environ(environ("/docs", QUERY_STRING="page=2&q=%C3%A9"))
    with pytest.raises(RequestRedirect) as caught:
        adapter.match()
    assert caught.value.new_url == "http://example.com/docs/?page=2&q=%C3%A9"


def test_without_strict_slashes_both_spellings_match():
    adapter = Map(
        [Rule("/docs/", endpoint="docs"), Rule("/leaf", endpoint="leaf")], strict_slashes=False
    ).bind("h")
    assert adapter.match("/docs") == ("docs", {})
    assert adapter.match("/docs/") == ("docs", {})
    assert adapter.match("/leaf/") == ("leaf", {})
    strict_leaf = Map([Rule("/leaf", endpoint="leaf")]).bind("h")
    with pytest.raises(NotFound):
        strict_leaf.match("/leaf/")


def test_a_redirect_needs_a_rule_for_the_method():
    adapter = Map([Rule("/docs/", endpoint="docs", methods=["POST"])]).bind("h")
    with pytest.raises(NotFound):
        adapter.match("/docs", "GET")
    assert redirect_of(adapter, "/docs", "POST") == "http://h/docs/"


def test_path_converter_rules_with_a_trailing_slash_redirect_too():
    adapter = Map([Rule("/wiki/<path:page>/", endpoint="wiki")]).bind("h")
    assert adapter.match("/wiki/a/b/") == ("wiki", {"page": "a/b"})
    assert redirect_of(adapter, "/wiki/a/b") == "http://h/wiki/a/b/"


def test_merged_slashes_redirect_to_the_canonical_path():
    adapter = Map([Rule("/a/b", endpoint="ab"), Rule("/x/<path:p>", endpoint="x")]).bind("h")
    assert redirect_of(adapter, "/a//b") == "http://h/a/b"
    assert redirect_of(adapter, "/a///b", query_args="q=1") == "http://h/a/b?q=1"
    assert adapter.match("/x/a//b") == ("x", {"p": "a//b"})  # a path value keeps its slashes
    off = Map([Rule("/a/b", endpoint="ab")], merge_slashes=False).bind("h")
    with pytest.raises(NotFound):
        off.match("/a//b")
    rule_off = Map([Rule("/a/b", endpoint="ab", merge_slashes=False)]).bind("h")
    with pytest.raises(NotFound):
        rule_off.match("/a//b")


def test_a_url_spelling_out_defaults_redirects_to_the_default_rule():
    url_map = Map(
        [
            Rule("/all/", defaults={"page": 1}, endpoint="all"),
            Rule("/all/page/<int:page>", endpoint="all"),
        ]
    )
    adapter = url_map.bind("example.com")
    assert adapter.match("/all/") == ("all", {"page": 1})
    assert adapter.match("/all/page/2") == ("all", {"page": 2})
    assert redirect_of(adapter, "/all/page/1", query_args="x=y") == "http://example.com/all/?x=y"
    url_map.redirect_defaults = False
    assert adapter.match("/all/page/1") == ("all", {"page": 1})


def test_redirect_to_a_string_or_a_callable():
    def by_id(adapter, id):
        return f"/items/{id * 2}"

    adapter = Map(
        [
            Rule("/old/<int:id>", redirect_to="new/<id>"),
            Rule("/older/<int:id>", redirect_to=by_id),
            Rule("/away", redirect_to="https://elsewhere.example/"),
        ]
    ).bind("example.com", "/app")
    assert redirect_of(adapter, "/old/3") == "http://example.com/app/new/3"
    assert redirect_of(adapter, "/older/3") == "http://example.com/items/6"
    assert redirect_of(adapter, "/away") == "https://elsewhere.example/"


def test_an_alias_redirects_to_the_canonical_rule():
    adapter = Map(
        [
            Rule("/users/<int:id>", endpoint="user"),
            Rule("/u/<int:id>", endpoint="user", alias=True),
        ]
    ).bind("example.com")
    assert redirect_of(adapter, "/u/5", query_args="a=1") == "http://example.com/users/5?a=1"
    assert adapter.build("user", {"id": 5}) == "/users/5"


# --- text -----------------------------------------------------------------------------------


def test_unicode_rules_and_percent_encoded_redirects():
    adapter = Map([Rule("/öäü/", endpoint="u"), Rule("/straße/<name>", endpoint="s")]).bind("h")
    assert adapter.match("/öäü/") == ("u", {})
    assert adapter.match("/straße/zoë") == ("s", {"name": "zoë"})
    assert redirect_of(adapter, "/öäü") == "http://h/%C3%B6%C3%A4%C3%BC/"


def test_environ_paths_are_latin1_text_of_utf8_bytes():
    url_map = Map([Rule("/café/<name>", endpoint="cafe")])
    raw = "/café/zoë".encode().decode("latin-1")  # what a PEP 3333 server puts there
    adapter = url_map.bind_to_environ(environ(raw))
    assert adapter.match() == ("cafe", {"name": "zoë"})
    broken = url_map.bind_to_environ(environ("/caf\xe9/x"))  # not UTF-8: replaced, no error
    with pytest.raises(NotFound):
        broken.match()


def test_decoded_special_characters_are_matched_as_text():
    adapter = Map([Rule("/<name>", endpoint="n"), Rule("/p/<path:rest>", endpoint="p")]).bind("h")
    assert adapter.match("/a?b#c") == ("n", {"name": "a?b#c"})
    assert adapter.match("/a\nb") == ("n", {"name": "a\nb"})
    assert adapter.match("/%2F") == ("n", {"name": "%2F"})
    with pytest.raises(NotFound):  # the path converter, as Werkzeug's, stops at a newline
        adapter.match("/p/a\nb")


# --- hosts and subdomains -------------------------------------------------------------------


def subdomain_map() -> Map:
    return Map(
        [
            Rule("/", endpoint="index"),
            Rule("/", endpoint="api_index", subdomain="api"),
            Rule("/", endpoint="user_home", subdomain="<user>"),
        ]
    )


def test_subdomain_rules_match_the_subdomain_of_the_configured_server_name():
    url_map = subdomain_map()
    bind = url_map.bind_to_environ
    assert bind(environ(host="example.com"), "example.com").match() == ("index", {})
    assert bind(environ(host="api.example.com"), "example.com").match() == ("api_index", {})
    assert bind(environ(host="Bob.Example.com"), "example.com").match() == (
        "user_home",
        {"user": "bob"},
    )
    assert bind(environ(host="api.example.com:80"), "example.com:80").subdomain == "api"


def test_a_host_outside_the_server_name_warns_and_matches_nothing():
    url_map = subdomain_map()
    with pytest.warns(UserWarning, match="doesn't match configured server name"):
        adapter = url_map.bind_to_environ(environ(host="other.org"), "example.com")
    assert adapter.subdomain == "<invalid>"
    with pytest.raises(NotFound):
        adapter.match()


def test_without_a_server_name_there_is_no_subdomain():
    adapter = subdomain_map().bind_to_environ(environ(host="api.example.com"))
    assert (adapter.server_name, adapter.subdomain) == ("api.example.com", "")
    assert adapter.match() == ("index", {})


def test_subdomain_given_explicitly():
    adapter = subdomain_map().bind("example.com", subdomain="api")
    assert adapter.match("/") == ("api_index", {})
    assert adapter.get_host(None) == "api.example.com"
    assert adapter.get_host("") == "example.com"
    assert adapter.build("index") == "http://example.com/"
    assert adapter.build("api_index") == "/"
    assert adapter.build("user_home", {"user": "zoe"}) == "http://zoe.example.com/"


def test_host_matching_matches_the_whole_host():
    url_map = Map(
        [
            Rule("/", endpoint="main", host="example.com"),
            Rule("/", endpoint="shop", host="shop.example.com"),
            Rule("/", endpoint="tenant", host="<tenant>.example.org"),
        ],
        host_matching=True,
    )
    bind = url_map.bind_to_environ
    assert bind(environ(host="example.com")).match() == ("main", {})
    assert bind(environ(host="shop.example.com")).match() == ("shop", {})
    assert bind(environ(host="acme.example.org")).match() == ("tenant", {"tenant": "acme"})
    with pytest.raises(NotFound):
        bind(environ(host="nope.example.com")).match()
    adapter = bind(environ(host="example.com"))
    assert adapter.get_host(None) == "example.com"
    assert adapter.build("main") == "/"
    assert adapter.build("shop") == "http://shop.example.com/"
    assert adapter.build("tenant", {"tenant": "x"}) == "http://x.example.org/"
    with pytest.raises(RuntimeError, match="host matching enabled"):
        url_map.bind("example.com", subdomain="x")


def test_the_host_comes_from_host_then_server_name_and_port():
    url_map = Map([Rule("/", endpoint="i")])
    bind = url_map.bind_to_environ
    assert bind(environ(host="Example.COM:80")).server_name == "example.com"
    assert bind(environ(host="example.com:8080")).server_name == "example.com:8080"
    https = environ(host="example.com:443", **{"wsgi.url_scheme": "https"})
    assert bind(https).server_name == "example.com"
    no_host = environ()
    del no_host["HTTP_HOST"]
    assert bind(no_host).server_name == "server.internal"
    no_host.update(SERVER_NAME="::1", SERVER_PORT="8000")
    assert bind(no_host).server_name == "[::1]:8000"
    no_host["SERVER_PORT"] = "unix-socket"
    assert bind(no_host).server_name == ""
    for bad in ("bad_host", "example.com:99999", "example.com:0", "a b"):
        assert bind(environ(host=bad)).server_name == "", bad


def test_an_unencodable_host_name_is_a_bad_request():
    url_map = Map([Rule("/", endpoint="i")])
    with pytest.raises(BadRequest):
        url_map.bind_to_environ(environ(host="a..b"))
    assert url_map.bind("bücher.example").server_name == "xn--bcher-kva.example"


def test_script_name_and_method_come_from_the_environ():
    url_map = Map([Rule("/x", endpoint="x", methods=["POST"])])
    adapter = url_map.bind_to_environ(environ("/x", "POST", SCRIPT_NAME="/mount"))
    assert adapter.script_name == "/mount/"
    assert adapter.match() == ("x", {})
    assert adapter.build("x") == "/mount/x"


def test_an_object_with_an_environ_is_accepted():
    class FakeRequest:
        def __init__(self, env):
            self.environ = env

    adapter = Map([Rule("/r", endpoint="r")]).bind_to_environ(FakeRequest(environ("/r")))
    assert adapter.match() == ("r", {})


# --- WebSockets -----------------------------------------------------------------------------


def test_websocket_rules_match_only_websocket_requests():
    url_map = Map(
        [Rule("/ws", endpoint="ws", websocket=True), Rule("/both", endpoint="http_both")]
    )
    upgrade = environ("/ws", HTTP_CONNECTION="keep-alive, Upgrade", HTTP_UPGRADE="websocket")
    adapter = url_map.bind_to_environ(upgrade)
    assert adapter.url_scheme == "ws" and adapter.websocket
    assert adapter.match() == ("ws", {})
    with pytest.raises(WebsocketMismatch):
        adapter.match("/both")
    plain = url_map.bind_to_environ(environ("/ws"))
    with pytest.raises(WebsocketMismatch):
        plain.match()
    assert plain.match("/ws", websocket=True) == ("ws", {})
    secure = dict(upgrade, **{"wsgi.url_scheme": "https"})
    assert url_map.bind_to_environ(secure).url_scheme == "wss"


# --- the map --------------------------------------------------------------------------------


def test_rules_added_after_matching_are_compiled_on_the_next_match():
    url_map = Map([Rule("/a", endpoint="a")])
    adapter = url_map.bind("h")
    assert adapter.match("/a") == ("a", {})
    url_map.add(Rule("/<x>", endpoint="x"))
    url_map.add(Rule("/b", endpoint="b"))
    assert adapter.match("/b") == ("b", {})
    assert adapter.match("/c") == ("x", {"x": "c"})


def test_build_only_rules_never_match():
    adapter = Map([Rule("/static/<path:f>", endpoint="static", build_only=True)]).bind("h")
    with pytest.raises(NotFound):
        adapter.match("/static/a.css")
    assert adapter.build("static", {"f": "a.css"}) == "/static/a.css"


def test_iter_rules_groups_by_endpoint_in_build_order():
    url_map = Map(
        [
            Rule("/a", endpoint="a"),
            Rule("/b", endpoint="b"),
            Rule("/a/<int:page>", endpoint="a"),
        ]
    )
    assert [r.rule for r in url_map.iter_rules()] == ["/a/<int:page>", "/a", "/b"]
    assert [r.rule for r in url_map.iter_rules("b")] == ["/b"]
    with pytest.raises(KeyError):
        url_map.iter_rules("missing")
    assert url_map.is_endpoint_expecting("a", "page")
    assert not url_map.is_endpoint_expecting("b", "page")
    assert "Rule '/b'" in repr(url_map)


def test_dispatch_calls_the_view_and_returns_redirects():
    adapter = Map([Rule("/v/<int:n>", endpoint="v"), Rule("/d/", endpoint="d")]).bind("h")
    assert adapter.dispatch(lambda endpoint, args: (endpoint, args), "/v/3") == ("v", {"n": 3})
    assert isinstance(adapter.dispatch(lambda e, a: None, "/d"), RequestRedirect)
    with pytest.raises(NotFound):
        adapter.dispatch(lambda e, a: None, "/nope")
    assert isinstance(
        adapter.dispatch(lambda e, a: None, "/nope", catch_http_exceptions=True), NotFound
    )


def test_matching_emits_no_warnings_when_the_host_fits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        subdomain_map().bind_to_environ(environ(host="api.example.com"), "example.com").match()
