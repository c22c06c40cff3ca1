"""Where tapster's routing deliberately differs from Werkzeug 3.1, side by side.

Every other behaviour is Werkzeug's (``test_differential.py`` checks that on
generated maps). Each test here shows Werkzeug's answer and tapster's, and
says why tapster's is the one kept.
"""

from __future__ import annotations

import warnings

import pytest
import werkzeug.exceptions as wz_exceptions
import werkzeug.routing as wz

import tapster.exceptions as tp_exceptions
import tapster.routing as tp


def both(*rules: tuple[str, str, dict]):
    """The same map in Werkzeug and tapster: rules as (string, endpoint, options)."""
    return tuple(
        module.Map([module.Rule(string, endpoint=endpoint, **kw) for string, endpoint, kw in rules])
        for module in (wz, tp)
    )


def test_a_refused_value_lets_the_next_rule_match():
    """Werkzeug's ValidationError docstring says "the next URL is tried", but its matcher
    (2.2+) stops with 404. tapster does what the documentation says."""
    theirs, ours = (m.bind("h") for m in both(("/<int(max=10):page>", "page", {}),
                                              ("/<slug>", "slug", {})))
    with pytest.raises(wz_exceptions.NotFound):
        theirs.match("/50")
    assert ours.match("/50") == ("slug", {"slug": "50"})
    assert ours.match("/5") == theirs.match("/5") == ("page", {"page": 5})


def test_a_refused_value_does_not_make_a_405():
    """A rule whose converter refuses the path does not match it, so it adds no methods to
    a 405: /7 does not exist, it is a 404."""
    theirs, ours = (m.bind("h") for m in both(("/<int(max=5):n>", "n", {"methods": ["POST"]})))
    with pytest.raises(wz_exceptions.MethodNotAllowed):
        theirs.match("/7", "GET")
    with pytest.raises(tp_exceptions.NotFound):
        ours.match("/7", "GET")
    with pytest.raises(tp_exceptions.MethodNotAllowed):
        ours.match("/3", "GET")


def test_a_value_a_converter_cannot_build_is_a_build_error():
    """Werkzeug lets the converter's ValueError (or TypeError) out of build(); tapster tries
    the endpoint's other rules, then raises BuildError saying which value was refused, so
    url_for() fails one way and Flask's url_build_error_handlers see it."""
    theirs, ours = (m.bind("h") for m in both(("/<any(a, b):x>", "x", {}),
                                              ("/<int:n>", "n", {})))
    with pytest.raises(ValueError):
        theirs.build("x", {"x": "c"})
    with pytest.raises(tp.BuildError, match="refused 'c'"):
        ours.build("x", {"x": "c"})
    with pytest.raises(ValueError):
        theirs.build("n", {"n": "abc"})
    with pytest.raises(tp.BuildError, match="refused 'abc'"):
        ours.build("n", {"n": "abc"})


def test_a_duplicate_argument_name_is_an_error():
    """Werkzeug fails with a SyntaxError from the builder code it generates."""
    with pytest.raises(SyntaxError):
        wz.Map([wz.Rule("/<a>/<a>", endpoint="x")])
    with pytest.raises(ValueError, match="appears twice"):
        tp.Map([tp.Rule("/<a>/<a>", endpoint="x")])


@pytest.mark.parametrize(
    ("text", "werkzeug", "tapster"),
    [
        # Werkzeug's argument regex has an unescaped ".": "1,2" is read as one string.
        ("1,2", (("1,2",), {}), ((1, 2), {})),
        # Werkzeug cannot read a negative number (min=-5 for a signed int).
        ("min=-5", ValueError, ((), {"min": -5})),
        # Werkzeug silently drops what it cannot read at the end.
        ("a, !", (("a",), {}), ValueError),
        # Werkzeug keeps the last of a repeated keyword.
        ("min=1, min=2", ((), {"min": 2}), ValueError),
    ],
)
def test_converter_arguments_are_read_strictly(text, werkzeug, tapster):
    for module, expected in ((wz, werkzeug), (tp, tapster)):
        parse = module.parse_converter_args
        if expected is ValueError:
            with pytest.raises(ValueError):
                parse(text)
        else:
            assert parse(text) == expected


def test_redirect_to_naming_an_unknown_placeholder_fails_when_added():
    """Werkzeug raises KeyError on the first request that matches the rule."""
    theirs = wz.Map([wz.Rule("/old/<int:id>", redirect_to="new/<slug>")]).bind("h")
    with pytest.raises(KeyError):
        theirs.match("/old/1")
    with pytest.raises(ValueError, match="names <slug>"):
        tp.Map([tp.Rule("/old/<int:id>", redirect_to="new/<slug>")])


def test_empty_copies_merge_slashes_and_websocket():
    """Werkzeug's get_empty_kwargs() forgets merge_slashes and websocket, so a rule copied
    by Submount or Subdomain loses them."""
    options = {"merge_slashes": False, "websocket": True, "endpoint": "x"}
    assert wz.Rule("/x", **options).empty().websocket is False
    copy = tp.Rule("/x", **options).empty()
    assert (copy.merge_slashes, copy.websocket) == (False, True)


def test_valid_methods_are_sorted():
    """Werkzeug's valid_methods is a list made from a set: its order varies between runs."""
    ours = both(("/x", "x", {"methods": ["PUT", "GET", "DELETE"]}))[1].bind("h")
    with pytest.raises(tp_exceptions.MethodNotAllowed) as caught:
        ours.match("/x", "POST")
    assert caught.value.valid_methods == ["DELETE", "GET", "HEAD", "PUT"]


def test_a_host_outside_the_server_name_matches_no_rule():
    """Werkzeug marks such a request with the subdomain "<invalid>", which a <name>
    subdomain rule then accepts as a value: other.org would reach user "<invalid>"'s page."""
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "HTTP_HOST": "other.org",
        "wsgi.url_scheme": "http",
    }
    maps = both(("/", "user_home", {"subdomain": "<user>"}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = (m.bind_to_environ(env, "example.com") for m in maps)
    assert theirs.match() == ("user_home", {"user": "<invalid>"})
    with pytest.raises(tp_exceptions.NotFound):
        ours.match()


def test_an_unencodable_host_is_a_plain_bad_request():
    """Werkzeug raises its BadHost (a BadRequest); tapster.exceptions has no BadHost class,
    so tapster raises BadRequest, which is what BadHost is answered as."""
    with pytest.raises(wz_exceptions.BadHost):
        wz.Map().bind("a..b")
    with pytest.raises(tp_exceptions.BadRequest, match="not valid"):
        tp.Map().bind("a..b")


def test_an_environ_path_that_is_already_text_is_kept():
    """PEP 3333 wants latin-1 text standing for bytes; a server (or a test) that puts other
    text there makes Werkzeug raise UnicodeEncodeError. tapster routes it as it is."""
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/лошадь",
        "HTTP_HOST": "h",
        "wsgi.url_scheme": "http",
    }
    with pytest.raises(UnicodeEncodeError):
        wz.Map([wz.Rule("/лошадь", endpoint="horse")]).bind_to_environ(env)
    adapter = tp.Map([tp.Rule("/лошадь", endpoint="horse")]).bind_to_environ(env)
    assert adapter.match() == ("horse", {})


def test_a_host_or_subdomain_pattern_with_a_slash_is_an_error():
    wz.Map([wz.Rule("/", subdomain="a/b")])
    with pytest.raises(ValueError, match="has a '/'"):
        tp.Map([tp.Rule("/", subdomain="a/b")])


def test_an_alias_without_a_canonical_rule_is_served():
    """An alias redirects to a rule of its endpoint that is not an alias. When none can be
    built for the values, Werkzeug builds the alias itself (a redirect to the same URL,
    forever) or lets the converter's ValueError out; tapster serves the alias's match."""
    theirs, ours = (
        m.bind("h")
        for m in both(
            ("/items/<int:id>", "item", {}),
            ("/i/<id>", "item", {"alias": True}),
            ("/only/<x>", "only", {"alias": True}),
        )
    )
    with pytest.raises(ValueError):
        theirs.match("/i/abc")
    assert ours.match("/i/abc") == ("item", {"id": "abc"})
    with pytest.raises(wz.RequestRedirect, match="http://h/only/x"):
        theirs.match("/only/x")
    assert ours.match("/only/x") == ("only", {"x": "x"})
    for adapter in (theirs, ours):
        with pytest.raises((wz.RequestRedirect, tp.RequestRedirect), match="http://h/items/5"):
            adapter.match("/i/5")
