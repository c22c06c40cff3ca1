"""Converters: what each placeholder matches, gives the view, and writes into a URL."""

from __future__ import annotations

import uuid

import pytest

from tapster.exceptions import NotFound
from tapster.routing import (
    BaseConverter,
    BuildError,
    Map,
    PathConverter,
    Rule,
    UnicodeConverter,
    ValidationError,
    parse_converter_args,
)


def adapter_for(*rules: Rule, **options) -> object:
    return Map(list(rules), **options).bind("example.com")


def match(rule: str, path: str, **options):
    """The view arguments of ``path`` for a map of one rule, or the exception class."""
    adapter = adapter_for(Rule(rule, endpoint="x"), **options)
    try:
        return adapter.match(path)[1]
    except NotFound:
        return NotFound


# --- arguments in the rule string -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ((), {})),
        ("  ", ((), {})),
        ("1, 2", ((1, 2), {})),
        ("1,2", ((1, 2), {})),
        ("min=1, signed=True", ((), {"min": 1, "signed": True})),
        ("length = 2", ((), {"length": 2})),
        ("1.5", ((1.5,), {})),
        ("-3", ((-3,), {})),
        ("min=-3", ((), {"min": -3})),
        ("x=None", ((), {"x": None})),
        ('about, "help me"', (("about", "help me"), {})),
        ('"a,b", \'c)d\'', (("a,b", "c)d"), {})),
        ('u"x", r"y"', (("x", "y"), {})),
        ('"1"', (("1",), {})),
        ("foo.bar, 1_000", (("foo.bar", 1000), {})),
        ("a, b,", (("a", "b"), {})),
        ("1, key=2, 3", ((1, 3), {"key": 2})),
    ],
)
def test_converter_arguments_are_parsed_without_eval(text, expected):
    assert parse_converter_args(text) == expected


@pytest.mark.parametrize("text", ["a b", "a,,b", "x=", "=1", "a, -", "f(1)", "[1]", '"open'])
def test_malformed_converter_arguments_raise_value_error(text):
    with pytest.raises(ValueError, match="cannot parse converter arguments"):
        parse_converter_args(text)


def test_a_keyword_given_twice_is_refused():
    with pytest.raises(ValueError, match="'min' is given twice"):
        parse_converter_args("min=1, min=2")


def test_arguments_reach_the_converter():
    adapter = adapter_for(Rule("/<any(about, 'help me', \"a,b\"):page>", endpoint="page"))
    assert adapter.match("/about") == ("page", {"page": "about"})
    assert adapter.match("/help me") == ("page", {"page": "help me"})
    assert adapter.match("/a,b") == ("page", {"page": "a,b"})
    with pytest.raises(NotFound):
        adapter.match("/help")


# --- the default converter (string) ---------------------------------------------------------


def test_default_converter_takes_one_segment_of_any_text():
    assert match("/<name>", "/héllo wörld") == {"name": "héllo wörld"}
    assert match("/<name>", "/a/b") is NotFound
    assert match("/<string:name>", "/x") == {"name": "x"}


@pytest.mark.parametrize(
    ("rule", "path", "found"),
    [
        ("/<string(length=2):code>", "/fr", True),
        ("/<string(length=2):code>", "/fra", False),
        ("/<string(minlength=3):code>", "/ab", False),
        ("/<string(minlength=3):code>", "/abc", True),
        ("/<string(maxlength=3):code>", "/abcd", False),
        ("/<string(maxlength=3):code>", "/é", True),
        ("/<string(minlength=2, maxlength=3):code>", "/a", False),
    ],
)
def test_string_lengths(rule, path, found):
    assert (match(rule, path) is not NotFound) is found


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "path", "expected"),
    [
        ("/<int:n>", "/42", {"n": 42}),
        ("/<int:n>", "/0042", {"n": 42}),
        ("/<int:n>", "/-1", NotFound),
        ("/<int:n>", "/1.5", NotFound),
        ("/<int:n>", "/x", NotFound),
        ("/<int(signed=True):n>", "/-1", {"n": -1}),
        ("/<int(min=1):n>", "/0", NotFound),
        ("/<int(min=1):n>", "/1", {"n": 1}),
        ("/<int(max=10):n>", "/11", NotFound),
        ("/<int(max=10):n>", "/10", {"n": 10}),
        ("/<int(signed=True, min=-5):n>", "/-6", NotFound),
        ("/<int(signed=True, min=-5):n>", "/-5", {"n": -5}),
        ("/<int(fixed_digits=4):n>", "/0042", {"n": 42}),
        ("/<int(fixed_digits=4):n>", "/42", NotFound),
        ("/<int(fixed_digits=4):n>", "/12345", NotFound),
        ("/<float:x>", "/1.5", {"x": 1.5}),
        ("/<float:x>", "/1", NotFound),
        ("/<float:x>", "/-1.5", NotFound),
        ("/<float(signed=True):x>", "/-1.5", {"x": -1.5}),
        ("/<float(min=0.5, max=2.0):x>", "/0.25", NotFound),
        ("/<float(min=0.5, max=2.0):x>", "/2.5", NotFound),
        ("/<float(min=0.5, max=2.0):x>", "/2.0", {"x": 2.0}),
    ],
)
def test_numbers_and_their_bounds(rule, path, expected):
    assert match(rule, path) == expected


def test_numbers_build_as_text_padded_to_fixed_digits():
    adapter = adapter_for(
        Rule("/i/<int(fixed_digits=3):n>", endpoint="i"),
        Rule("/f/<float:x>", endpoint="f"),
        Rule("/s/<int(signed=True):n>", endpoint="s"),
    )
    assert adapter.build("i", {"n": 7}) == "/i/007"
    assert adapter.build("i", {"n": "12"}) == "/i/012"
    assert adapter.build("f", {"x": 0.25}) == "/f/0.25"
    assert adapter.build("s", {"n": -4}) == "/s/-4"


def test_a_number_converter_refuses_text_when_building():
    adapter = adapter_for(Rule("/<int:n>", endpoint="n"))
    with pytest.raises(BuildError, match="refused 'abc'"):
        adapter.build("n", {"n": "abc"})


# --- uuid, any, path ------------------------------------------------------------------------


def test_uuid_gives_a_uuid_object_and_builds_its_text():
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    adapter = adapter_for(Rule("/o/<uuid:key>", endpoint="o"))
    assert adapter.match(f"/o/{key}") == ("o", {"key": key})
    assert adapter.match(f"/o/{str(key).upper()}") == ("o", {"key": key})
    assert adapter.build("o", {"key": key}) == f"/o/{key}"
    with pytest.raises(NotFound):
        adapter.match("/o/12345678-1234-5678-1234-56781234567")


def test_any_builds_only_its_items():
    adapter = adapter_for(Rule("/<any(about, help):page>", endpoint="page"))
    assert adapter.build("page", {"page": "help"}) == "/help"
    with pytest.raises(BuildError, match="'other' is not one of 'about', 'help'"):
        adapter.build("page", {"page": "other"})


def test_path_takes_slashes_and_is_tried_after_other_converters():
    adapter = adapter_for(
        Rule("/<path:file>", endpoint="file"),
        Rule("/<name>", endpoint="name"),
        Rule("/<path:wiki>/edit", endpoint="edit"),
    )
    assert adapter.match("/a/b/c") == ("file", {"file": "a/b/c"})
    assert adapter.match("/a") == ("name", {"name": "a"})
    assert adapter.match("/a/b/edit") == ("edit", {"wiki": "a/b"})
    assert adapter.build("file", {"file": "a b/c"}) == "/a%20b/c"
    assert PathConverter.part_isolating is False
    assert UnicodeConverter.part_isolating is True


# --- quoting -------------------------------------------------------------------------------


def test_values_are_percent_encoded_as_utf8_keeping_path_safe_characters():
    adapter = adapter_for(Rule("/p/<name>", endpoint="p"))
    assert adapter.build("p", {"name": "a b/é?#%"}) == "/p/a%20b/%C3%A9%3F%23%25"
    assert adapter.build("p", {"name": "!$&'()*+,:;=@"}) == "/p/!$&'()*+,:;=@"
    assert adapter.build("p", {"name": 42}) == "/p/42"


# --- custom converters ----------------------------------------------------------------------


class ListConverter(BaseConverter):
    """Flask's documentation example: comma-separated values."""

    def to_python(self, value):
        return value.split(",")

    def to_url(self, values):
        return ",".join(super(ListConverter, self).to_url(value) for value in values)


class EvenConverter(BaseConverter):
    regex = r"\d+"

    def to_python(self, value):
        if int(value) % 2:
            raise ValidationError("odd")
        return int(value)


def test_a_custom_converter_registered_on_the_map_before_its_rules():
    url_map = Map()
    url_map.converters["list"] = ListConverter
    url_map.add(Rule("/tags/<list:tags>", endpoint="tags"))
    adapter = url_map.bind("example.com")
    assert adapter.match("/tags/a,b") == ("tags", {"tags": ["a", "b"]})
    assert adapter.build("tags", {"tags": ["x y", "z"]}) == "/tags/x%20y,z"


def test_converters_given_to_the_map_constructor():
    adapter = Map([Rule("/<even:n>", endpoint="n")], converters={"even": EvenConverter}).bind("h")
    assert adapter.match("/4") == ("n", {"n": 4})
    with pytest.raises(NotFound):
        adapter.match("/3")


def test_a_converter_whose_regex_has_a_slash_spans_segments_unless_it_says_otherwise():
    class Slashy(BaseConverter):
        regex = "[a-z]+/[a-z]+"

    class Isolated(BaseConverter):
        regex = "[a-z/]+"
        part_isolating = True

    assert Slashy.part_isolating is False
    assert Isolated.part_isolating is True
    adapter = Map([Rule("/<s:pair>", endpoint="s")], converters={"s": Slashy}).bind("h")
    assert adapter.match("/ab/cd") == ("s", {"pair": "ab/cd"})


def test_converter_weight_orders_dynamic_parts():
    class Early(BaseConverter):
        weight = 10

    adapter = Map(
        [Rule("/<v>", endpoint="default"), Rule("/<early:v>", endpoint="early")],
        converters={"early": Early},
    ).bind("h")
    assert adapter.match("/x") == ("early", {"v": "x"})


def test_converter_regex_groups_do_not_shift_the_values():
    class Grouped(BaseConverter):
        regex = r"(a)(b)?"

    adapter = Map([Rule("/<g:one>-<two>", endpoint="g")], converters={"g": Grouped}).bind("h")
    assert adapter.match("/a-x") == ("g", {"one": "a", "two": "x"})
