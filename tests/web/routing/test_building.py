"""Building URLs: choosing the rule, quoting, query strings, external URLs, BuildError."""

from __future__ import annotations

import pytest

from tapster.routing import BuildError, Map, Rule


class FakeMultiDict:
    """The part of a MultiDict that building uses: ``lists()``."""

    def __init__(self, pairs):
        self._pairs = pairs

    def lists(self):
        keys = list(dict.fromkeys(key for key, _ in self._pairs))
        return [(key, [v for k, v in self._pairs if k == key]) for key in keys]


@pytest.fixture
def url_map():
    return Map(
        [
            Rule("/", endpoint="index"),
            Rule("/user/<int:id>", endpoint="user"),
            Rule("/blog/", endpoint="blog", defaults={"page": 1}),
            Rule("/blog/page/<int:page>", endpoint="blog"),
            Rule("/item/<name>", endpoint="item", methods=["GET"]),
            Rule("/item/<name>", endpoint="item_update", methods=["POST"]),
            Rule("/form", endpoint="form", methods=["GET"]),
            Rule("/form/submit", endpoint="form", methods=["POST"]),
            Rule("/ws/<room>", endpoint="ws", websocket=True),
            Rule("/", endpoint="api", subdomain="api"),
            Rule("/static/<path:filename>", endpoint="static", build_only=True),
        ]
    )


@pytest.fixture
def adapter(url_map):
    return url_map.bind("example.com", "/app")


def test_paths_under_the_script_name(adapter):
    assert adapter.build("index") == "/app/"
    assert adapter.build("user", {"id": 5}) == "/app/user/5"
    assert adapter.build("static", {"filename": "css/a b.css"}) == "/app/static/css/a%20b.css"


def test_external_urls_use_the_bound_server_and_scheme(url_map, adapter):
    assert adapter.build("user", {"id": 5}, force_external=True) == "http://example.com/app/user/5"
    assert (
        adapter.build("user", {"id": 5}, force_external=True, url_scheme="https")
        == "https://example.com/app/user/5"
    )
    schemeless = url_map.bind("example.com", url_scheme="")
    assert schemeless.build("index", force_external=True) == "//example.com/"
    assert adapter.build("api") == "http://api.example.com/app/"  # another subdomain


def test_a_websocket_rule_builds_an_absolute_ws_url(url_map, adapter):
    assert adapter.build("ws", {"room": "r1"}) == "ws://example.com/app/ws/r1"
    secure = url_map.bind("example.com", url_scheme="https")
    assert secure.build("ws", {"room": "r1"}) == "wss://example.com/ws/r1"


def test_extra_values_become_the_query_in_order_skipping_none(adapter):
    assert adapter.build("user", {"id": 5, "b": "x y", "a": "é&=", "skip": None}) == (
        "/app/user/5?b=x+y&a=%C3%A9%26%3D"
    )
    assert adapter.build("user", {"tag": ["a", "b"], "id": 1}) == "/app/user/1?tag=a&tag=b"
    assert adapter.build("user", {"id": 1, "tags": ("x",)}) == "/app/user/1?tags=x"
    assert adapter.build("user", {"id": 1, "q": "/?:@!$'()*,;"}) == "/app/user/1?q=/?:@!$'()*,;"
    assert adapter.build("user", {"id": 1, "extra": 1}, append_unknown=False) == "/app/user/1"


def test_multidict_values_repeat_parameters(adapter):
    values = FakeMultiDict([("id", 3), ("tag", "a"), ("tag", "b"), ("one", "x")])
    assert adapter.build("user", values) == "/app/user/3?tag=a&tag=b&one=x"


def test_sorted_parameters():
    url_map = Map([Rule("/", endpoint="i")], sort_parameters=True)
    assert url_map.bind("h").build("i", {"z": 1, "a": 2, "m": 3}) == "/?a=2&m=3&z=1"
    by_value = Map([Rule("/", endpoint="i")], sort_parameters=True, sort_key=lambda kv: kv[1])
    assert by_value.bind("h").build("i", {"x": 20, "y": 10, "z": 30}) == "/?y=10&x=20&z=30"


def test_defaults_choose_the_rule(adapter):
    assert adapter.build("blog") == "/app/blog/"
    assert adapter.build("blog", {"page": 1}) == "/app/blog/"
    assert adapter.build("blog", {"page": 2}) == "/app/blog/page/2"


def test_the_method_chooses_the_rule(adapter):
    assert adapter.build("form") == "/app/form"  # the bound default method, GET
    assert adapter.build("form", method="POST") == "/app/form/submit"
    post_default = adapter.map.bind("example.com", default_method="POST")
    assert post_default.build("form") == "/form/submit"


def test_static_text_is_quoted_like_values():
    adapter = Map([Rule("/ä ö/<x>", endpoint="x")]).bind("h")
    assert adapter.build("x", {"x": "ü"}) == "/%C3%A4%20%C3%B6/%C3%BC"


# --- BuildError -----------------------------------------------------------------------------


def build_error(adapter, *args, **kwargs) -> BuildError:
    with pytest.raises(BuildError) as caught:
        adapter.build(*args, **kwargs)
    return caught.value


def test_build_error_for_an_unknown_endpoint_suggests_close_names(adapter):
    error = build_error(adapter, "usr", {"id": 1})
    assert isinstance(error, LookupError)
    assert (error.endpoint, error.values, error.method, error.adapter) == (
        "usr",
        {"id": 1},
        None,
        adapter,
    )
    assert str(error) == (
        "Could not build url for endpoint 'usr' with values ['id']. "
        "No rule has this endpoint. Did you mean 'user' instead?"
    )
    assert error.suggested.endpoint == "user"
    assert "Did you mean" not in str(build_error(adapter, "zzzzzz"))


def test_build_error_names_missing_values(adapter):
    assert str(build_error(adapter, "user")) == (
        "Could not build url for endpoint 'user'. Did you forget to specify values ['id']?"
    )
    assert "['name']" in str(build_error(adapter, "item", {"id": 3}))


def test_build_error_for_a_method_no_rule_takes(adapter):
    assert str(build_error(adapter, "item", {"name": "x"}, "PUT")) == (
        "Could not build url for endpoint 'item' ('PUT') with values ['name']. "
        "Its rules take the methods ['GET', 'HEAD'] only."
    )


def test_build_error_when_a_value_contradicts_a_default():
    adapter = Map([Rule("/en/", endpoint="home", defaults={"lang": "en"})]).bind("h")
    assert str(build_error(adapter, "home", {"lang": "fr"})) == (
        "Could not build url for endpoint 'home' with values ['lang']. "
        "The rule '/en/' needs lang='en'."
    )


def test_build_error_when_a_converter_refuses(adapter):
    message = str(build_error(adapter, "user", {"id": "abc"}))
    assert message.startswith("Could not build url for endpoint 'user' with values ['id']. ")
    assert "The converter of <id> in '/user/<int:id>' refused 'abc'" in message


def test_build_error_without_an_adapter_is_the_first_sentence():
    assert str(BuildError("x", {}, "GET")) == "Could not build url for endpoint 'x' ('GET')."


def test_none_values_count_as_missing(adapter):
    assert "['id']" in str(build_error(adapter, "user", {"id": None}))
