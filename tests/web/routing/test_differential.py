"""tapster's routing against Werkzeug's, on generated rule sets, requests and builds.

Hypothesis draws a map (static and dynamic segments, every converter, methods,
trailing slashes, strict/merge slashes, defaults, subdomains, registration
order), a bound adapter, then requests and builds. Both libraries must give the
same outcome: the endpoint and view arguments, or NotFound, or
MethodNotAllowed with the same methods, or RequestRedirect to the same URL; for
builds the same URL or a BuildError on both sides.

The deliberate differences (see ``test_deviations.py``) are kept out of the
generated input or checked separately:
converters that refuse a matched value (tapster tries the next rule), and
converters that refuse a value when building (tapster raises BuildError, not
the converter's ValueError).

ROUTING_EXAMPLES raises the number of examples for a longer hunt.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import pytest
import werkzeug.exceptions as wz_exceptions
import werkzeug.routing as wz
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

import tapster.exceptions as tp_exceptions
import tapster.routing as tp

EXAMPLES = int(os.environ.get("ROUTING_EXAMPLES", "300"))
COMMON = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Words shared by rules and requests, so generated requests hit rules often.
WORDS = ["a", "b", "ab", "x", "1", "12", "0.5", "-3", "é", "a b", "v1", ""]
METHODS = ["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS"]

# Placeholders; {name} is the variable. None of these converters ever refuses a
# value its regex matched, so matching is free of the validation deviation.
PLACEHOLDERS = [
    "<{name}>",
    "<int:{name}>",
    "<float:{name}>",
    "<path:{name}>",
    "<any(a, ab, x):{name}>",
    "<string(length=2):{name}>",
    "<string(maxlength=1):{name}>",
    "<int(signed=True):{name}>",
    "<uuid:{name}>",
]
# Placeholders whose converters refuse some matched values (bounds, digit counts).
REFUSING = [
    "<int(min=2, max=20):{name}>",
    "<int(fixed_digits=2):{name}>",
    "<float(max=1.0):{name}>",
]

UUID_TEXT = "12345678-1234-5678-1234-567812345678"


@dataclass
class RuleSpec:
    """A rule both libraries build alike."""

    path: str
    endpoint: str
    names: list[str]
    kwargs: dict[str, Any] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)  # the placeholder of each path name

    def make(self, module: Any) -> Any:
        return module.Rule(self.path, endpoint=self.endpoint, **self.kwargs)


@st.composite
def segments(
    draw: st.DrawFn, names: list[str], kinds: list[str], placeholders: list[str]
) -> str:
    """One path segment: a word, a placeholder, or a placeholder with text around it."""
    kind = draw(st.sampled_from(["word", "word", "placeholder", "mixed"]))
    if kind == "word":
        return draw(st.sampled_from([w for w in WORDS if w]))
    name = f"v{len(names)}"
    names.append(name)
    template = draw(st.sampled_from(placeholders))
    kinds.append(template)
    placeholder = template.format(name=name)
    if kind == "placeholder":
        return placeholder
    prefix = draw(st.sampled_from(["", "x", "ab-"]))
    suffix = draw(st.sampled_from(["", ".json", "-b"]))
    return f"{prefix}{placeholder}{suffix}"


@st.composite
def rule_specs(
    draw: st.DrawFn, index: int, endpoints: list[str], placeholders: list[str]
) -> RuleSpec:
    names: list[str] = []
    kinds: list[str] = []
    count = draw(st.integers(0, 3))
    parts = [draw(segments(names, kinds, placeholders)) for _ in range(count)]
    path = "/" + "/".join(parts)
    if parts and draw(st.booleans()):
        path += "/"
    if draw(st.integers(0, 9)) == 0:
        path = path.replace("/", "//", 1)
    kwargs: dict[str, Any] = {}
    methods = draw(
        st.one_of(st.none(), st.lists(st.sampled_from(["GET", "POST", "PUT"]), max_size=2))
    )
    if methods is not None:
        kwargs["methods"] = methods
    strict = draw(st.sampled_from([None, None, None, False, True]))
    if strict is not None:
        kwargs["strict_slashes"] = strict
    if draw(st.integers(0, 7)) == 0:
        kwargs["merge_slashes"] = False
    if draw(st.integers(0, 5)) == 0:
        kwargs["subdomain"] = draw(st.sampled_from(["api", "<sub>", "a.b"]))
        if kwargs["subdomain"] == "<sub>":
            names.append("sub")
    # Share endpoints now and then, so that defaults and build choices matter.
    if endpoints and draw(st.integers(0, 2)) == 0:
        endpoint = draw(st.sampled_from(endpoints))
    else:
        endpoint = f"e{index}"
        endpoints.append(endpoint)
    if draw(st.integers(0, 4)) == 0:
        key = draw(st.sampled_from(["page", *names[:1]]))
        kwargs["defaults"] = {key: draw(st.sampled_from([1, "a", "x"]))}
    extra = draw(st.integers(0, 30))
    if extra == 0:
        kwargs["build_only"] = True
    elif extra == 1 and endpoint != f"e{index}":
        kwargs["alias"] = True
    elif extra == 2:
        kwargs["redirect_to"] = f"new/<{names[0]}>" if names else "/elsewhere"
    elif extra == 3:
        kwargs["redirect_to"] = redirect_somewhere
    elif extra == 4:
        kwargs["websocket"] = True
    return RuleSpec(path, endpoint, names, kwargs, kinds)


def redirect_somewhere(adapter: Any, **values: Any) -> str:
    """A callable redirect_to: the same text for both libraries."""
    return "/to/" + "/".join(f"{key}={values[key]}" for key in sorted(values))


@st.composite
def rule_sets(draw: st.DrawFn, placeholders: list[str] = PLACEHOLDERS) -> list[RuleSpec]:
    endpoints: list[str] = []
    count = draw(st.integers(1, 8))
    return [draw(rule_specs(index, endpoints, placeholders)) for index in range(count)]


@st.composite
def map_options(draw: st.DrawFn) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if draw(st.integers(0, 4)) == 0:
        options["strict_slashes"] = False
    if draw(st.integers(0, 4)) == 0:
        options["merge_slashes"] = False
    if draw(st.integers(0, 4)) == 0:
        options["redirect_defaults"] = False
    if draw(st.integers(0, 4)) == 0:
        options["sort_parameters"] = True
    return options


@st.composite
def bindings(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "server_name": draw(st.sampled_from(["example.com", "Example.com:8080", "localhost"])),
        "script_name": draw(st.sampled_from([None, "/", "/app", "/app/", "/é"])),
        "subdomain": draw(st.sampled_from([None, None, None, "", "api", "x", "a.b"])),
        "url_scheme": draw(st.sampled_from(["http", "https", ""])),
        "query_args": draw(st.sampled_from([None, "q=1", {"a": "b c", "n": ["1", "2"]}])),
    }


# Values a placeholder's converter takes (most of the time), and some it does not.
GOOD_VALUES = {
    "<{name}>": ["a", "ab", "é", "a b"],
    "<int:{name}>": ["1", "12", "007"],
    "<float:{name}>": ["0.5", "12.25"],
    "<path:{name}>": ["a", "x/y", "a/b/"],
    "<any(a, ab, x):{name}>": ["a", "ab", "x"],
    "<string(length=2):{name}>": ["ab", "éa"],
    "<string(maxlength=1):{name}>": ["a", "1"],
    "<int(signed=True):{name}>": ["-3", "4"],
    "<uuid:{name}>": [UUID_TEXT, UUID_TEXT.upper()],
    "<int(min=2, max=20):{name}>": ["1", "2", "20", "21"],
    "<int(fixed_digits=2):{name}>": ["01", "1", "123"],
    "<float(max=1.0):{name}>": ["0.5", "1.5"],
}
OTHER_VALUES = ["a", "12", "0.5", "-3", "x/y", "zz", ""]


def fill(spec: RuleSpec, draw: st.DrawFn) -> str:
    """A request path made from a rule, with plausible values for its placeholders."""
    path = spec.path
    for kind in spec.kinds:
        if draw(st.integers(0, 5)) == 0:
            value = draw(st.sampled_from(OTHER_VALUES))
        else:
            value = draw(st.sampled_from(GOOD_VALUES[kind]))
        start = path.index("<")
        end = path.index(">", start)
        path = path[:start] + value + path[end + 1 :]
    return path


@st.composite
def requests(draw: st.DrawFn, specs: list[RuleSpec]) -> tuple[str, str]:
    kind = draw(st.sampled_from(["rule", "rule", "random"]))
    if kind == "rule":
        path = fill(draw(st.sampled_from(specs)), draw)
        tweak = draw(st.sampled_from(["", "", "slash", "unslash", "double"]))
        if tweak == "slash":
            path += "/"
        elif tweak == "unslash":
            path = path.rstrip("/")
        elif tweak == "double":
            path = path.replace("/", "//")
    else:
        words = draw(st.lists(st.sampled_from(WORDS), max_size=4))
        path = "/" + "/".join(words)
    return path, draw(st.sampled_from(METHODS))


def outcome(
    adapter: Any, path: str | None, method: str | None, websocket: bool | None = None
) -> tuple[Any, ...]:
    """What match() did, comparable across the two libraries."""
    try:
        endpoint, args = adapter.match(path, method, websocket=websocket)
    except (wz.RequestRedirect, tp.RequestRedirect) as redirect:
        return ("redirect", redirect.new_url)
    except (wz_exceptions.MethodNotAllowed, tp_exceptions.MethodNotAllowed) as error:
        return ("405", sorted(error.valid_methods or ()))
    except (wz.WebsocketMismatch, tp.WebsocketMismatch):
        return ("websocket",)
    except (wz_exceptions.NotFound, tp_exceptions.NotFound):
        return ("404",)
    except (ValueError, TypeError, KeyError) as error:
        # Werkzeug lets a converter's error out of an alias redirect; tapster must not.
        assert isinstance(adapter, wz.MapAdapter), error
        return ("werkzeug error", type(error).__name__)
    return ("match", endpoint, args)


def build_outcome(adapter: Any, endpoint: str, values: Any, **kwargs: Any) -> tuple[Any, ...]:
    try:
        return ("url", adapter.build(endpoint, values, **kwargs))
    except (wz.BuildError, tp.BuildError):
        return ("BuildError",)
    except (ValueError, TypeError) as error:  # Werkzeug lets converters' errors through
        return ("converter error", type(error).__name__)


def assert_same_match(
    theirs: Any, ours: Any, path: str | None, method: str | None, websocket: bool | None,
    specs: Any,
) -> None:
    """Both libraries route the request alike, but for one deliberate difference."""
    expected = outcome(theirs, path, method, websocket)
    got = outcome(ours, path, method, websocket)
    if expected[0] == "werkzeug error" or (
        expected[0] == "redirect" and served_alias(ours, got, path, method, websocket)
    ):
        return  # deliberate: see test_deviations.test_an_alias_without_a_canonical_rule_...
    assert got == expected, (path, method, specs)


def served_alias(
    adapter: Any, got: tuple[Any, ...], path: str | None, method: str | None, websocket: Any
) -> bool:
    """Whether tapster matched an alias rule that has no canonical rule to redirect to
    (Werkzeug redirects such an alias to itself), and so served it or went on to the
    rule's other redirects."""
    if got[0] not in ("match", "redirect"):
        return False
    if adapter.map.host_matching or adapter.subdomain is None:
        domain = adapter.server_name
    else:
        domain = adapter.subdomain
    if path is None:
        path = adapter.path_info
    try:
        rule, _ = adapter.map._matcher.match(
            domain, f"/{path.lstrip('/')}" if path else "",
            (method or adapter.default_method).upper(),
            adapter.websocket if websocket is None else websocket,
        )
    except Exception:  # a slash redirect or no match: not an alias
        return False
    return rule.alias


def make_maps(
    specs: list[RuleSpec], options: dict[str, Any]
) -> tuple[wz.Map, tp.Map] | None:
    """The same map in both libraries, or None when both refuse the rules."""
    try:
        theirs = wz.Map([spec.make(wz) for spec in specs], **options)
    except (ValueError, LookupError):
        with pytest.raises((ValueError, LookupError)):
            tp.Map([spec.make(tp) for spec in specs], **options)
        return None
    ours = tp.Map([spec.make(tp) for spec in specs], **options)
    return theirs, ours


def bind_both(maps: tuple[wz.Map, tp.Map], binding: dict[str, Any]) -> tuple[Any, Any]:
    return maps[0].bind(**binding), maps[1].bind(**binding)


@COMMON
@given(st.data(), rule_sets(), map_options(), bindings())
def test_match_agrees_with_werkzeug(data, specs, options, binding):
    maps = make_maps(specs, options)
    assume(maps is not None)
    theirs, ours = bind_both(maps, binding)
    for _ in range(6):
        path, method = data.draw(requests(specs))
        websocket = data.draw(st.sampled_from([None, None, None, True, False]))
        assert_same_match(theirs, ours, path, method, websocket, specs)


@COMMON
@given(st.data(), rule_sets(), map_options(), bindings())
def test_build_agrees_with_werkzeug(data, specs, options, binding):
    maps = make_maps(specs, options)
    assume(maps is not None)
    theirs, ours = bind_both(maps, binding)
    endpoints = [*sorted({spec.endpoint for spec in specs}), "missing"]
    for _ in range(6):
        endpoint = data.draw(st.sampled_from(endpoints))
        names = sorted({n for spec in specs for n in spec.names} | {"page", "extra", "q"})
        values: Any = data.draw(
            st.dictionaries(
                st.sampled_from(names),
                st.sampled_from([None, 1, 12, 0.5, "a", "a b/é", "x", UUID_TEXT, ["1", "2"]]),
                max_size=4,
            )
        )
        if data.draw(st.integers(0, 3)) == 0:
            # A MultiDict, as request.args is: one value or several per key.
            values = MultiDict(
                [(key, item) for key, value in values.items()
                 for item in (value if isinstance(value, list) else [value])]
            )
        kwargs = {
            "method": data.draw(st.sampled_from([None, "GET", "POST", "PUT"])),
            "force_external": data.draw(st.booleans()),
            "append_unknown": data.draw(st.booleans()),
            "url_scheme": data.draw(st.sampled_from([None, "https", "ws"])),
        }
        expected = build_outcome(theirs, endpoint, values, **kwargs)
        got = build_outcome(ours, endpoint, values, **kwargs)
        if expected[0] == "converter error":
            # Deliberate: tapster reports a refused value as BuildError after trying the
            # endpoint's other rules, Werkzeug lets the converter's ValueError through.
            assert got[0] in ("url", "BuildError"), (endpoint, values, kwargs, specs)
            continue
        assert got == expected, (endpoint, values, kwargs, specs)


@COMMON
@given(st.data(), rule_sets(PLACEHOLDERS + REFUSING), map_options(), bindings())
def test_match_with_refusing_converters(data, specs, options, binding):
    """When Werkzeug finds a rule, tapster finds the same one.

    Where a converter refuses a value, Werkzeug stops with 404 (or 405) while
    tapster, as the converter documentation promises, tries the next rule; so
    only Werkzeug's matches are compared here.
    """
    maps = make_maps(specs, options)
    assume(maps is not None)
    theirs, ours = bind_both(maps, binding)
    for _ in range(6):
        path, method = data.draw(requests(specs))
        expected = outcome(theirs, path, method)
        got = outcome(ours, path, method)
        if expected[0] == "match":
            assert got == expected, (path, method, specs)


@COMMON
@given(st.data(), rule_sets(), bindings())
def test_environ_binding_agrees_with_werkzeug(data, specs, binding):
    """bind_to_environ reads the same host, subdomain, script name, path and query."""
    from werkzeug.test import EnvironBuilder

    maps = make_maps(specs, {})
    assume(maps is not None)
    host = data.draw(
        st.sampled_from(["example.com", "api.example.com", "a.b.example.com", "other.org:8080",
                         "example.com:80", "bad_host", "[::1]:8000"])
    )
    server_name = data.draw(st.sampled_from([None, "example.com", "example.com:80"]))
    path, method = data.draw(requests(specs))
    query = data.draw(st.sampled_from(["", "a=1&b=%C3%A9", "x"]))
    environ = EnvironBuilder(
        path=path.replace("%", "%25").replace(" ", "%20").replace("?", "%3F"),
        base_url=f"http://{host}{binding['script_name'] or ''}",
        method=method,
        query_string=query,
    ).get_environ()
    if data.draw(st.booleans()):
        environ.pop("HTTP_HOST")
        environ["SERVER_NAME"], _, port = host.rpartition(":") if ":" in host else (host, "", "80")
        environ["SERVER_PORT"] = port or "80"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = maps[0].bind_to_environ(environ, server_name=server_name)
        ours = maps[1].bind_to_environ(environ, server_name=server_name)
    for name in ("server_name", "script_name", "subdomain", "url_scheme", "path_info",
                 "default_method", "query_args"):
        assert getattr(ours, name) == getattr(theirs, name), name
    if ours.subdomain == "<invalid>":
        # Deliberate: a host outside the server name matches nothing, where Werkzeug
        # lets a <name> subdomain rule take "<invalid>" as its value.
        assert outcome(ours, None, None) == ("404",)
    else:
        assert_same_match(theirs, ours, None, None, None, specs)


HOSTS = ["example.com", "api.example.com", "<sub>.example.com", "<sub>.<tld>", "localhost:8080"]


@COMMON
@given(st.data(), rule_sets(), map_options())
def test_host_matching_agrees_with_werkzeug(data, specs, options):
    """With host_matching, rules match on the whole host (``host=``) instead of a subdomain."""
    for spec in specs:
        spec.kwargs.pop("subdomain", None)
        if "sub" in spec.names:
            spec.names.remove("sub")
            if spec.kwargs.get("redirect_to") == "new/<sub>":
                spec.kwargs["redirect_to"] = "/elsewhere"
        if data.draw(st.integers(0, 4)) > 0:
            host = data.draw(st.sampled_from(HOSTS))
            spec.kwargs["host"] = host
            spec.names += [n for n in ("sub", "tld") if f"<{n}>" in host]
    maps = make_maps(specs, {**options, "host_matching": True})
    assume(maps is not None)
    server_name = data.draw(
        st.sampled_from(["example.com", "api.example.com", "x.example.com", "localhost:8080"])
    )
    script_name = data.draw(st.sampled_from([None, "/app"]))
    theirs = maps[0].bind(server_name, script_name)
    ours = maps[1].bind(server_name, script_name)
    for _ in range(4):
        path, method = data.draw(requests(specs))
        assert_same_match(theirs, ours, path, method, None, specs)
    for spec in specs:
        values = {name: "ab" for name in spec.names}
        external = data.draw(st.booleans())
        expected = build_outcome(theirs, spec.endpoint, values, force_external=external)
        got = build_outcome(ours, spec.endpoint, values, force_external=external)
        if expected[0] != "converter error":
            assert got == expected, (spec, values)
