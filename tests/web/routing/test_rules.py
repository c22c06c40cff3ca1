"""Rules: parsing, errors at definition time, attributes, ordering, and rule factories."""

from __future__ import annotations

import pytest

from tapster.routing import (
    EndpointPrefix,
    Map,
    Rule,
    RuleTemplate,
    Subdomain,
    Submount,
    UnknownConverterError,
)

# --- definition-time errors -----------------------------------------------------------------


@pytest.mark.parametrize("string", ["", "foo", "foo/<x>"])
def test_a_rule_must_start_with_a_slash(string):
    with pytest.raises(ValueError, match="must start with a slash"):
        Rule(string)


def test_a_rule_must_be_a_string():
    with pytest.raises(TypeError, match="must be a string, not bytes"):
        Rule(b"/x")


@pytest.mark.parametrize(
    ("string", "position"),
    [
        ("/<", 1),
        ("/a<b", 2),
        ("/<1x>", 1),
        ("/<int:>", 1),
        ("/<int:x", 1),
        ("/<int(:x>", 1),
        ("/<a b>", 1),
        ("/ok/<x>/<>", 8),
    ],
)
def test_malformed_rule_strings_say_where(string, position):
    with pytest.raises(ValueError, match=f"malformed URL rule .* position {position} "):
        Map([Rule(string)])


def test_an_unknown_converter_names_itself_the_rule_and_the_known_ones():
    with pytest.raises(UnknownConverterError) as caught:
        Map([Rule("/<slug:x>", endpoint="e")])
    message = str(caught.value)
    assert "'slug'" in message and "'/<slug:x>'" in message and "int" in message
    # Werkzeug raises LookupError; tapster's error is also the ValueError of a bad definition.
    assert isinstance(caught.value, LookupError) and isinstance(caught.value, ValueError)


def test_a_duplicate_argument_name_is_refused():
    with pytest.raises(ValueError, match="'id' appears twice in rule '/<id>/<int:id>'"):
        Map([Rule("/<id>/<int:id>")])
    with pytest.raises(ValueError, match="'x' appears twice"):
        Map([Rule("/<x>", subdomain="<x>")])


def test_bad_converter_arguments_name_the_rule():
    with pytest.raises(TypeError, match=r"<int\(foo=1\):x> in rule '/<int\(foo=1\):x>'"):
        Map([Rule("/<int(foo=1):x>")])
    with pytest.raises(ValueError, match="in rule '/<string\\(length=abc\\):x>'"):
        Map([Rule("/<string(length=abc):x>")])
    with pytest.raises(ValueError, match="cannot parse converter arguments"):
        Map([Rule("/<int(min=1 2):x>")])


def test_methods_must_be_a_list_and_websocket_rules_only_get():
    with pytest.raises(TypeError, match="'methods' should be a list of strings"):
        Rule("/", methods="GET")
    with pytest.raises(ValueError, match=r"WebSocket rules .* not \['POST'\]"):
        Rule("/", methods=["GET", "POST"], websocket=True)


def test_redirect_to_may_only_name_placeholders_of_the_rule():
    with pytest.raises(ValueError, match="names <slug>, which is not a placeholder"):
        Map([Rule("/old/<int:id>", redirect_to="new/<slug>")])


def test_a_host_pattern_with_a_slash_is_refused():
    with pytest.raises(ValueError, match="has a '/'"):
        Map([Rule("/", subdomain="a/b")])


def test_a_rule_binds_to_one_map():
    rule = Rule("/x", endpoint="x")
    Map([rule])
    with pytest.raises(RuntimeError, match="already bound"):
        Map([rule])
    Map([rule.empty()])


# --- attributes -----------------------------------------------------------------------------


def test_rule_attributes():
    rule = Rule(
        "/page/<int:id>/",
        endpoint="page",
        methods=["get", "post"],
        defaults={"lang": "en"},
    )
    assert rule.methods == {"GET", "HEAD", "POST"}
    assert rule.arguments == {"lang"}  # until bound and parsed
    assert rule.map is None
    assert rule.provide_automatic_options is False
    assert (rule.is_leaf, rule.is_branch) == (False, True)
    url_map = Map([rule], strict_slashes=False, default_subdomain="www")
    assert rule.map is url_map
    assert rule.arguments == {"id", "lang"}
    assert rule.defaults == {"lang": "en"}
    assert (rule.strict_slashes, rule.merge_slashes, rule.subdomain) == (False, True, "www")
    assert str(rule) == "/page/<int:id>/"
    assert repr(rule) == "<Rule 'www|/page/<id>/' (GET, HEAD, POST) -> page>"
    assert Rule("/x", methods=[]).methods == set()
    assert Rule("/x").methods is None


def test_empty_is_an_unbound_copy_with_every_option():
    rule = Rule(
        "/x",
        endpoint="x",
        defaults={"a": 1},
        methods=["GET"],
        strict_slashes=False,
        merge_slashes=False,
        redirect_to="/y",
        alias=True,
        host="h.example",
        websocket=True,
        build_only=True,
        subdomain="s",
    )
    rule.provide_automatic_options = True
    copy = rule.empty()
    assert copy is not rule and copy.map is None
    for name in (
        "rule", "endpoint", "defaults", "methods", "strict_slashes", "merge_slashes",
        "redirect_to", "alias", "host", "websocket", "build_only", "subdomain",
        "provide_automatic_options",
    ):
        assert getattr(copy, name) == getattr(rule, name), name
    assert copy.defaults is not rule.defaults
    assert list(rule.get_rules(None)) == [rule]


def test_rules_are_equal_by_what_they_match():
    url_map = Map()
    one, two, three = Rule("/a/<x>", endpoint="1"), Rule("/a/<x>", endpoint="2"), Rule("/b")
    for rule in (one, two, three):
        url_map.add(rule)
    assert one == two and one != three
    with pytest.raises(TypeError):
        hash(one)


def test_merge_slashes_applies_to_the_rule_string():
    adapter = Map([Rule("//a//b", endpoint="ab")]).bind("h")
    assert adapter.match("/a/b") == ("ab", {})
    assert adapter.build("ab") == "/a/b"
    kept = Map([Rule("/a//b", endpoint="ab", merge_slashes=False)]).bind("h")
    assert kept.match("/a//b") == ("ab", {})
    assert kept.build("ab") == "/a//b"


# --- matching order -------------------------------------------------------------------------


def winner(rules, path):
    adapter = Map([Rule(rule, endpoint=rule) for rule in rules]).bind("h")
    return adapter.match(path)[0]


@pytest.mark.parametrize(
    ("rules", "path", "expected"),
    [
        # static text before placeholders
        (["/<x>", "/about"], "/about", "/about"),
        (["/<x>/edit", "/a/<y>"], "/a/edit", "/a/<y>"),
        # lower converter weight first: int (50) before the default (100) before path (200)
        (["/<x>", "/<int:n>"], "/5", "/<int:n>"),
        (["/<path:p>", "/<x>"], "/5", "/<x>"),
        # more static text in the part first, longer text first
        (["/<x>", "/User:<x>"], "/User:bob", "/User:<x>"),
        (["/a<x>", "/ab<x>"], "/abc", "/ab<x>"),
        # more placeholders in the part first
        (["/<x>", "/<x>-<y>"], "/a-b", "/<x>-<y>"),
        # a static branch that fails falls back to a placeholder
        (["/a/b", "/<x>/c"], "/a/c", "/<x>/c"),
    ],
)
def test_matching_order_is_werkzeugs_whatever_the_registration_order(rules, path, expected):
    assert winner(rules, path) == expected
    assert winner(list(reversed(rules)), path) == expected


@pytest.mark.parametrize("rules", [["/<x>", "/<y>"], ["/<int:a>", "/<int:b>"]])
def test_among_equals_the_first_registered_wins(rules):
    assert winner(rules, "/1") == rules[0]
    assert winner(list(reversed(rules)), "/1") == rules[1]


# --- rule factories -------------------------------------------------------------------------


def test_submount_subdomain_and_endpoint_prefix():
    url_map = Map(
        [
            Rule("/", endpoint="index"),
            Submount("/blog/", [Rule("/", endpoint="blog"), Rule("/<slug>", endpoint="entry")]),
            Subdomain("<lang>", [Rule("/", endpoint="home")]),
            EndpointPrefix("api.", [Submount("/api", [Rule("/users", endpoint="users")])]),
        ]
    )
    rules = sorted((r.rule, r.subdomain, r.endpoint) for r in url_map.iter_rules())
    assert rules == [
        ("/", "", "index"),
        ("/", "<lang>", "home"),
        ("/api/users", "", "api.users"),
        ("/blog/", "", "blog"),
        ("/blog/<slug>", "", "entry"),
    ]
    assert url_map.bind("example.com", subdomain="fr").match("/") == ("home", {"lang": "fr"})


def test_rule_template():
    resource = RuleTemplate(
        [
            Rule("/$name/", endpoint="$name.list", defaults={"kind": "$name"}),
            Rule("/$name/<int:id>", endpoint="$name.show"),
        ]
    )
    url_map = Map([resource(name="user"), resource({"name": "page"})])
    adapter = url_map.bind("h")
    assert adapter.match("/user/") == ("user.list", {"kind": "user"})
    assert adapter.match("/page/3") == ("page.show", {"id": 3})
