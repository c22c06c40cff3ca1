"""MultiDict and friends, Headers and EnvironHeaders: each method, then side by side with Werkzeug.

The differential tests run the same operations on tapster's class and
Werkzeug's and compare every result (or the kind of error). Deliberate
differences are tested on their own, each with its reason.
"""

from __future__ import annotations

import copy
import io
import pickle
import sys
import tempfile
from typing import Any

import pytest
import werkzeug.datastructures as wz
from hypothesis import given, settings
from hypothesis import strategies as st

from tapster.web.datastructures import (
    Authorization,
    CallbackDict,
    CombinedMultiDict,
    EnvironHeaders,
    FileStorage,
    Headers,
    ImmutableList,
    ImmutableMultiDict,
    MultiDict,
    iter_multi_items,
)
from tapster.web.exceptions import BadRequest, BadRequestKeyError

from .environ import make_environ

# ------------------------------------------------------------- MultiDict


def test_construction_from_pairs_dict_and_multidict() -> None:
    from_pairs = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert from_pairs.getlist("a") == ["1", "3"]
    from_dict = MultiDict({"a": ["1", "3"], "b": "2", "c": (), "d": ("x",), "e": {"y"}})
    assert from_dict.getlist("a") == ["1", "3"]
    assert from_dict["b"] == "2"
    assert "c" not in from_dict  # an empty list gives no key
    assert from_dict.getlist("d") == ["x"]
    assert from_dict.getlist("e") == ["y"]
    copied = MultiDict(from_pairs)
    copied.add("a", "4")
    assert from_pairs.getlist("a") == ["1", "3"]  # the lists are not shared
    assert MultiDict().to_dict() == {}
    assert MultiDict(None) == {}


def test_item_access_gives_the_first_value_and_a_400_key_error() -> None:
    d = MultiDict([("a", "1"), ("a", "2")])
    assert d["a"] == "1"
    with pytest.raises(BadRequestKeyError) as caught:
        d["missing"]
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, BadRequest)
    assert caught.value.code == 400
    assert caught.value.args == ("missing",)
    d.setlist("empty", [])
    with pytest.raises(KeyError):
        d["empty"]
    d["a"] = "x"
    assert d.getlist("a") == ["x"]


def test_get_converts_and_falls_back_to_the_default() -> None:
    d = MultiDict([("n", "42"), ("s", "abc"), ("none", None)])
    assert d.get("n") == "42"
    assert d.get("n", type=int) == 42
    assert d.get("s", -1, type=int) == -1  # ValueError
    assert d.get("none", "dflt", type=int) == "dflt"  # TypeError
    assert d.get("missing") is None
    assert d.get("missing", "x", type=int) == "x"


def test_getlist_add_setlist_setdefault_setlistdefault() -> None:
    d = MultiDict()
    d.add("a", "1")
    d.add("a", "x")
    d.add("a", "3")
    assert d.getlist("a") == ["1", "x", "3"]
    assert d.getlist("a", type=int) == [1, 3]
    assert d.getlist("missing") == []
    d.getlist("a").append("ignored")  # a copy
    assert len(d.getlist("a")) == 3
    d.setlist("b", iter(["p", "q"]))
    assert d.getlist("b") == ["p", "q"]
    assert d.setdefault("b", "z") == "p"
    assert d.setdefault("c", "z") == "z"
    assert d.setdefault("none") is None
    live = d.setlistdefault("e", ["1"])
    live.append("2")
    assert d.getlist("e") == ["1", "2"]
    assert d.setlistdefault("e") == ["1", "2"]
    assert d.setlistdefault("f") == []


def test_views_iteration_and_length() -> None:
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert len(d) == 2
    assert list(d) == ["a", "b"]
    assert list(d.keys()) == ["a", "b"]
    assert list(d.items()) == [("a", "1"), ("b", "2")]
    assert list(d.items(multi=True)) == [("a", "1"), ("a", "3"), ("b", "2")]
    assert list(d.lists()) == [("a", ["1", "3"]), ("b", ["2"])]
    assert list(d.values()) == ["1", "2"]
    assert list(d.listvalues()) == [["1", "3"], ["2"]]
    assert d.to_dict() == {"a": "1", "b": "2"}
    assert d.to_dict(flat=False) == {"a": ["1", "3"], "b": ["2"]}
    # dict() and ** see the first values, as with Werkzeug.
    assert dict(d) == {"a": "1", "b": "2"}
    assert {**d} == {"a": "1", "b": "2"}
    assert isinstance(d, dict)
    assert repr(d) == "MultiDict([('a', '1'), ('a', '3'), ('b', '2')])"


def test_update_adds_values_and_operators() -> None:
    d = MultiDict({"x": "1"})
    d.update(MultiDict([("x", "2"), ("y", "3")]))
    d.update({"z": ["4", "5"], "empty": []})
    d.update([("x", "6")])
    assert d.getlist("x") == ["1", "2", "6"]
    assert d.getlist("z") == ["4", "5"]
    assert "empty" not in d
    merged = MultiDict({"a": "1"}) | {"a": "2"}
    assert merged.getlist("a") == ["1", "2"]
    assert MultiDict().__or__([("a", "b")]) is NotImplemented
    d2 = MultiDict()
    d2 |= [("k", "v")]
    assert d2["k"] == "v"


def test_pop_family() -> None:
    d = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert d.pop("a") == "1"
    assert "a" not in d
    assert d.pop("missing", "dflt") == "dflt"
    with pytest.raises(BadRequestKeyError):
        d.pop("missing")
    d.setlist("empty", [])
    assert d.pop("empty", "dflt") == "dflt"
    d.setlist("empty", [])
    with pytest.raises(BadRequestKeyError):
        d.pop("empty")
    assert d.poplist("b") == ["3"]
    assert d.poplist("b") == []
    d = MultiDict([("a", "1"), ("a", "2")])
    assert d.popitem() == ("a", "1")
    with pytest.raises(BadRequestKeyError):
        d.popitem()
    d = MultiDict([("a", "1"), ("a", "2")])
    assert d.popitemlist() == ("a", ["1", "2"])
    with pytest.raises(BadRequestKeyError):
        d.popitemlist()
    d.setlist("e", [])
    with pytest.raises(BadRequestKeyError):
        d.popitem()


def test_copies_and_pickling() -> None:
    inner = ["mutable"]
    d = MultiDict([("a", inner), ("a", "2")])
    shallow = d.copy()
    deep = d.deepcopy()
    assert shallow.getlist("a")[0] is inner
    assert deep.getlist("a")[0] == inner and deep.getlist("a")[0] is not inner
    assert copy.copy(d) == d and copy.copy(d) is not d
    assert copy.deepcopy(d).getlist("a")[0] is not inner
    for cls in (MultiDict, ImmutableMultiDict):
        original = cls([("a", "1"), ("a", "2"), ("b", "3")])
        restored = pickle.loads(pickle.dumps(original))
        assert type(restored) is cls
        assert list(restored.items(multi=True)) == list(original.items(multi=True))


def test_immutable_multidict_refuses_changes_and_hashes() -> None:
    d = ImmutableMultiDict([("a", "1"), ("a", "2")])
    for change in (
        lambda: d.__setitem__("a", "x"),
        lambda: d.__delitem__("a"),
        lambda: d.add("a", "x"),
        lambda: d.setlist("a", []),
        lambda: d.setdefault("a", "x"),
        lambda: d.setlistdefault("a"),
        lambda: d.update({"a": "x"}),
        lambda: d.pop("a"),
        lambda: d.popitem(),
        lambda: d.poplist("a"),
        lambda: d.popitemlist(),
        lambda: d.clear(),
        lambda: d.__ior__({"a": "b"}),
    ):
        with pytest.raises(TypeError, match="immutable"):
            change()
    assert hash(d) == hash(ImmutableMultiDict([("a", "1"), ("a", "2")]))
    assert {d: 1}[ImmutableMultiDict([("a", "1"), ("a", "2")])] == 1
    mutable = d.copy()
    assert type(mutable) is MultiDict
    mutable.add("a", "3")
    assert d.getlist("a") == ["1", "2"]
    assert copy.copy(d) is d
    assert ImmutableMultiDict.fromkeys(["a", "b"], "v") == ImmutableMultiDict(
        [("a", "v"), ("b", "v")]
    )
    assert d["a"] == "1" and d.get("a", type=int) == 1


def test_combined_multidict() -> None:
    args = MultiDict([("a", "1"), ("b", "x")])
    form = MultiDict([("a", "2"), ("c", "3")])
    both = CombinedMultiDict([args, form])
    assert both["a"] == "1"
    assert both["c"] == "3"
    with pytest.raises(BadRequestKeyError):
        both["missing"]
    assert both.getlist("a") == ["1", "2"]
    assert both.getlist("a", type=int) == [1, 2]
    assert both.get("b", type=int) is None  # "x" fails; no other dict has "b"
    assert both.get("a", type=int) == 1
    assert CombinedMultiDict([MultiDict({"n": "x"}), MultiDict({"n": "5"})]).get("n", type=int) == 5
    assert both.get("missing", "d") == "d"
    assert list(both.keys()) == ["a", "b", "c"]  # first-seen order
    assert list(both) == ["a", "b", "c"]
    assert len(both) == 3
    assert "c" in both and "z" not in both
    assert list(both.items()) == [("a", "1"), ("b", "x"), ("c", "3")]
    assert list(both.items(multi=True)) == [("a", "1"), ("b", "x"), ("a", "2"), ("c", "3")]
    assert list(both.values()) == ["1", "x", "3"]
    assert dict(both.lists()) == {"a": ["1", "2"], "b": ["x"], "c": ["3"]}
    assert list(both.listvalues()) == [["1", "2"], ["x"], ["3"]]
    assert both.to_dict() == {"a": "1", "b": "x", "c": "3"}
    assert both.to_dict(flat=False) == {"a": ["1", "2"], "b": ["x"], "c": ["3"]}
    copied = both.copy()
    assert type(copied) is MultiDict and copied.getlist("a") == ["1", "2"]
    assert dict(both) == {"a": "1", "b": "x", "c": "3"}
    with pytest.raises(TypeError):
        both["a"] = "z"
    with pytest.raises(TypeError):
        both.add("a", "z")
    with pytest.raises(TypeError):
        CombinedMultiDict.fromkeys(["a"])
    assert both == CombinedMultiDict([MultiDict(args), MultiDict(form)])
    assert both != CombinedMultiDict([args])
    assert both.__eq__("x") is NotImplemented
    assert hash(both) == hash(CombinedMultiDict([args, form]))
    assert copy.copy(both) is both
    restored = pickle.loads(pickle.dumps(both))
    assert restored.getlist("a") == ["1", "2"]
    assert repr(CombinedMultiDict([])) == "CombinedMultiDict([])"
    # A view: changes to the dicts show through.
    form.add("late", "yes")
    assert both["late"] == "yes"


def test_iter_multi_items() -> None:
    assert list(iter_multi_items(MultiDict([("a", 1), ("a", 2)]))) == [("a", 1), ("a", 2)]
    assert list(iter_multi_items({"a": [1, 2], "b": 3})) == [("a", 1), ("a", 2), ("b", 3)]
    assert list(iter_multi_items([("a", 1)])) == [("a", 1)]


def test_immutable_list() -> None:
    items = ImmutableList(["a", "b"])
    assert items == ["a", "b"] and items[0] == "a"
    for change in (
        lambda: items.append("c"),
        lambda: items.extend(["c"]),
        lambda: items.insert(0, "c"),
        lambda: items.remove("a"),
        lambda: items.pop(),
        lambda: items.sort(),
        lambda: items.reverse(),
        lambda: items.clear(),
        lambda: items.__setitem__(0, "c"),
        lambda: items.__delitem__(0),
        lambda: items.__iadd__(["c"]),
        lambda: items.__imul__(2),
    ):
        with pytest.raises(TypeError):
            change()
    assert hash(items) == hash(("a", "b"))
    assert repr(items) == "ImmutableList(['a', 'b'])"
    assert pickle.loads(pickle.dumps(items)) == items


def test_callback_dict_notifies_each_change() -> None:
    seen: list[dict[str, Any]] = []
    d = CallbackDict({"a": 1}, seen.append)
    d["b"] = 2
    del d["a"]
    d.update(c=3)
    d |= {"e": 5}
    assert d.setdefault("b", 9) == 2  # present: no change, no call
    assert d.setdefault("d", 4) == 4
    assert d.pop("missing", None) is None  # absent: no call
    with pytest.raises(KeyError):
        d.pop("missing")
    assert d.pop("d") == 4
    d.popitem()
    d.clear()
    assert len(seen) == 8
    assert all(item is d for item in seen)
    assert repr(CallbackDict({"x": 1})) == "<CallbackDict {'x': 1}>"
    CallbackDict()["no"] = "callback"  # no on_update: nothing to call


# --------------------------------------------------------------- Headers


def test_headers_lookup_is_case_insensitive_and_ordered() -> None:
    h = Headers([("Content-Type", "text/plain"), ("X-A", "1"), ("x-a", "2")])
    assert h["content-type"] == "text/plain"
    assert h["X-A"] == "1"
    assert h[0] == ("Content-Type", "text/plain")
    assert h[-1] == ("x-a", "2")
    assert h[1:] == Headers([("X-A", "1"), ("x-a", "2")])
    assert isinstance(h[1:], Headers)
    with pytest.raises(BadRequestKeyError):
        h["missing"]
    assert h.getlist("X-a") == ["1", "2"]
    assert h.get_all("x-A") == ["1", "2"]
    assert h.getlist("missing") == []
    assert "x-A" in h and "missing" not in h and 3 not in h
    assert len(h) == 3
    assert list(h) == [("Content-Type", "text/plain"), ("X-A", "1"), ("x-a", "2")]
    assert list(h.items(lower=True)) == [("content-type", "text/plain"), ("x-a", "1"), ("x-a", "2")]
    assert list(h.keys()) == ["Content-Type", "X-A", "x-a"]
    assert list(h.keys(lower=True)) == ["content-type", "x-a", "x-a"]
    assert list(h.values()) == ["text/plain", "1", "2"]
    assert h.to_wsgi_list() == list(h)
    assert str(h) == "Content-Type: text/plain\r\nX-A: 1\r\nx-a: 2\r\n\r\n"
    assert str(Headers()) == "\r\n"
    assert repr(Headers([("A", "b")])) == "Headers([('A', 'b')])"


def test_headers_get_with_type() -> None:
    h = Headers({"Content-Length": "42", "X-Bad": "abc"})
    assert h.get("content-length", type=int) == 42
    assert h.get("x-bad", -1, type=int) == -1
    assert h.get("missing", "d") == "d"
    h.add("N", "1")
    h.add("N", "x")
    assert h.getlist("n", type=int) == [1]


def test_headers_add_set_and_parameters() -> None:
    h = Headers()
    h.add("Content-Disposition", "attachment", filename="a b.txt")
    h.add("X-Num", 5)
    h.add_header("X-Opt", "v", some_key="w", skipped=None)
    assert h["Content-Disposition"] == 'attachment; filename="a b.txt"'
    assert h["X-Num"] == "5"
    assert h["x-opt"] == "v; some-key=w"
    h.add("X-A", "1")
    h.add("X-B", "b")
    h.add("x-a", "2")
    h.set("X-A", "new")
    assert h.getlist("x-a") == ["new"]
    assert list(h.keys())[3] == "X-A"  # took the place of the first one
    h.set("X-C", "c", q="1")
    assert list(h)[-1] == ("X-C", "c; q=1")
    h["x-b"] = "bb"
    assert h["X-B"] == "bb"
    h[0] = ("Y", 1)
    assert h[0] == ("Y", "1")
    h[0:1] = [("Z", "z")]
    assert h[0] == ("Z", "z")


def test_headers_setlist_setdefault_remove_pop() -> None:
    h = Headers([("A", "1"), ("B", "2"), ("a", "3")])
    h.setlist("a", ["x", "y"])
    assert h.getlist("A") == ["x", "y"]
    h.setlist("a", [])
    assert "a" not in h
    assert h.setdefault("B", "z") == "2"
    assert h.setdefault("C", "c") == "c"
    assert h.setlistdefault("D", ["d1", "d2"]) == ["d1", "d2"]
    assert h.setlistdefault("d", ["zz"]) == ["d1", "d2"]
    h.remove("d")
    h.remove("nothing")  # no error
    del h["C"]
    assert list(h) == [("B", "2")]
    h.extend([("E", "1"), ("E", "2")], F="f")
    assert h.pop("e") == "1" and "E" not in h
    assert h.pop("missing", None) is None
    with pytest.raises(BadRequestKeyError):
        h.pop("missing")
    assert h.pop() == ("F", "f")
    assert h.pop(0) == ("B", "2")
    h.add("G", "g")
    assert h.popitem() == ("G", "g")
    h.extend({"H": ["1", "2"]})
    del h[0]
    assert list(h) == [("H", "2")]
    h.clear()
    assert len(h) == 0


def test_headers_update_replaces_and_extend_adds() -> None:
    h = Headers([("A", "1"), ("B", "2")])
    h.update({"a": "x", "C": ["3", "4"]}, D="d", E=("e1", "e2"))
    assert list(h) == [
        ("a", "x"),
        ("B", "2"),
        ("C", "3"),
        ("C", "4"),
        ("D", "d"),
        ("E", "e1"),
        ("E", "e2"),
    ]
    h.update(Headers([("B", "p"), ("B", "q")]))
    assert h.getlist("b") == ["p", "q"]
    h.update(MultiDict([("C", "only")]))
    assert h.getlist("c") == ["only"]
    h.update([("D", "1"), ("D", "2")])  # pairs: each replaces, the last wins
    assert h.getlist("d") == ["2"]
    h.extend(Headers([("A", "more")]))
    assert h.getlist("A") == ["x", "more"]
    merged = Headers([("A", "1")]) | {"A": "2"}
    assert merged.getlist("A") == ["2"]
    assert Headers().__or__([("a", "b")]) is NotImplemented
    h2 = Headers()
    h2 |= [("K", "v")]
    assert h2["k"] == "v"


def test_headers_equality_copy_and_hash() -> None:
    h = Headers([("A", "1"), ("b", "2")])
    assert h == Headers([("a", "1"), ("B", "2")])  # names compare case-insensitively
    assert h != Headers([("A", "1")])
    assert h.__eq__([("A", "1"), ("b", "2")]) is NotImplemented
    copied = h.copy()
    copied.add("C", "3")
    assert "C" not in h
    assert copy.copy(h) == h
    with pytest.raises(TypeError):
        hash(h)


@pytest.mark.parametrize("bad", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b"])
def test_headers_refuse_injection(bad: str) -> None:
    h = Headers()
    for action in (
        lambda: h.add("X", bad),
        lambda: h.set("X", bad),
        lambda: h.__setitem__("X", bad),
        lambda: h.add(bad, "v"),
        lambda: Headers([("X", bad)]),
        lambda: Headers({"X": bad}),
        lambda: h.extend(X=bad),
        lambda: h.update({"X": bad}),
        lambda: h.add("X", "v", filename=bad),
    ):
        with pytest.raises(ValueError):
            action()
    h.add("X", "ok")
    with pytest.raises(ValueError):
        h[0] = ("X", bad)
    assert list(h) == [("X", "ok")]


# -------------------------------------------------------- EnvironHeaders


def test_environ_headers_view() -> None:
    environ = make_environ(
        "/",
        headers={"X-Forwarded-For": "1.2.3.4", "Content-Type": "text/plain", "Accept": "*/*"},
        body=b"abc",
    )
    environ["HTTP_CONTENT_TYPE"] = "ignored"  # a CGI artefact Werkzeug skips too
    h = EnvironHeaders(environ)
    assert h["x-forwarded-for"] == "1.2.3.4"
    assert h["X_Forwarded_For"] == "1.2.3.4"
    assert h["Content-Type"] == "text/plain"
    assert h["content-length"] == "3"
    assert h.get("accept") == "*/*"
    assert h.get("content-length", type=int) == 3
    assert h.get("missing", "d") == "d"
    with pytest.raises(BadRequestKeyError):
        h["missing"]
    with pytest.raises(BadRequestKeyError):
        h[0]
    assert "Accept" in h and "missing" not in h
    assert sorted(h) == [
        ("Accept", "*/*"),
        ("Content-Length", "3"),
        ("Content-Type", "text/plain"),
        ("X-Forwarded-For", "1.2.3.4"),
    ]
    assert len(h) == 4
    assert h.getlist("Accept") == ["*/*"]
    assert h.getlist("content-length", type=int) == [3]
    assert h.getlist("accept", type=int) == []
    assert h.getlist("missing") == []
    assert sorted(h.keys(lower=True)) == [
        "accept",
        "content-length",
        "content-type",
        "x-forwarded-for",
    ]
    assert h == EnvironHeaders(environ) and h != EnvironHeaders(dict(environ))
    assert h.__eq__(Headers()) is NotImplemented
    assert Headers(h)["accept"] == "*/*"  # a mutable copy
    with pytest.raises(TypeError):
        h.copy()
    with pytest.raises(TypeError):
        h | {"a": "b"}
    with pytest.raises(TypeError):
        hash(h)


def test_environ_headers_empty_content_type_is_not_listed() -> None:
    h = EnvironHeaders({"CONTENT_TYPE": "", "CONTENT_LENGTH": "", "HTTP_X_A": "1"})
    assert list(h) == [("X-A", "1")]
    assert h.getlist("Content-Type") == []
    assert h["Content-Type"] == ""  # as Werkzeug: item access reads the key


def test_environ_headers_are_read_only() -> None:
    h = EnvironHeaders(make_environ())
    for change in (
        lambda: h.__setitem__("A", "b"),
        lambda: h.__delitem__("A"),
        lambda: h.add("A", "b"),
        lambda: h.add_header("A", "b"),
        lambda: h.set("A", "b"),
        lambda: h.setlist("A", ["b"]),
        lambda: h.setdefault("A", "b"),
        lambda: h.setlistdefault("A", ["b"]),
        lambda: h.remove("A"),
        lambda: h.extend({"A": "b"}),
        lambda: h.update({"A": "b"}),
        lambda: h.pop("A"),
        lambda: h.popitem(),
        lambda: h.clear(),
        lambda: h.__ior__({"A": "b"}),
    ):
        with pytest.raises(TypeError, match="immutable"):
            change()


# --------------------------------------------------------- Authorization


def test_authorization_object() -> None:
    basic = Authorization("basic", {"username": "u", "password": "p:w"})
    assert basic.username == "u" and basic["password"] == "p:w"
    assert basic.get("nothing", "d") == "d" and basic.nothing is None
    assert "username" in basic
    assert basic.to_header() == "Basic dTpwOnc="
    assert str(basic) == basic.to_header()
    assert repr(basic) == "<Authorization Basic dTpwOnc=>"
    bearer = Authorization("bearer", token="abc.def")
    assert bearer.to_header() == "Bearer abc.def" and bearer.parameters == {}
    digest = Authorization("digest", {"username": "u", "realm": "a b"})
    assert digest.to_header() == 'Digest username=u, realm="a b"'
    assert basic == Authorization("basic", {"username": "u", "password": "p:w"})
    assert basic != bearer and basic.__eq__("x") is NotImplemented
    assert Authorization.from_header("Bearer tok") == Authorization("bearer", None, "tok")
    assert Authorization.from_header(None) is None
    assert copy.deepcopy(basic) == basic
    assert pickle.loads(pickle.dumps(basic)) == basic
    with pytest.raises(AttributeError):
        basic.__fancy__  # noqa: B018 - dunders are not parameters


# ------------------------------------------------- differential: Werkzeug

KEYS = st.sampled_from(["a", "b", "C", "c", "x-y"])
VALUES = st.text(alphabet="ab1 2;=\"é", max_size=6)

MULTIDICT_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), KEYS, VALUES),
        st.tuples(st.just("__setitem__"), KEYS, VALUES),
        st.tuples(st.just("setlist"), KEYS, st.lists(VALUES, max_size=3)),
        st.tuples(st.just("setdefault"), KEYS, VALUES),
        st.tuples(st.just("setlistdefault"), KEYS, st.lists(VALUES, max_size=2)),
        st.tuples(st.just("__getitem__"), KEYS),
        st.tuples(st.just("get"), KEYS),
        st.tuples(st.just("get_int"), KEYS),
        st.tuples(st.just("getlist"), KEYS),
        st.tuples(st.just("getlist_int"), KEYS),
        st.tuples(st.just("pop"), KEYS),
        st.tuples(st.just("pop_default"), KEYS),
        st.tuples(st.just("poplist"), KEYS),
        st.tuples(st.just("popitem")),
        st.tuples(st.just("popitemlist")),
        st.tuples(st.just("update"), st.lists(st.tuples(KEYS, VALUES), max_size=3)),
        st.tuples(st.just("update_dict"), st.dictionaries(KEYS, st.lists(VALUES, max_size=2))),
        st.tuples(st.just("__delitem__"), KEYS),
        st.tuples(st.just("__contains__"), KEYS),
        st.tuples(st.just("view")),
    ),
    max_size=25,
)


def _outcome(action: Any) -> Any:
    """What an operation gave: its (listed) result, or the kind of error it raised."""
    try:
        result = action()
    except KeyError:
        return "KeyError"
    except (TypeError, ValueError, IndexError) as error:
        return type(error).__name__
    if hasattr(result, "__next__"):
        return list(result)
    return result


def _apply_multidict(d: Any, op: tuple[Any, ...]) -> Any:
    name, *args = op
    if name == "get_int":
        return _outcome(lambda: d.get(args[0], "dflt", type=int))
    if name == "getlist_int":
        return _outcome(lambda: d.getlist(args[0], type=int))
    if name == "pop_default":
        return _outcome(lambda: d.pop(args[0], "dflt"))
    if name == "update_dict":
        return _outcome(lambda: d.update(args[0]))
    if name == "view":
        # After setlist(key, []) both raise IndexError here: Werkzeug's data
        # model (a key with no values) is kept as it is.
        return _outcome(lambda: _multidict_views(d))
    return _outcome(lambda: getattr(d, name)(*args))


def _multidict_views(d: Any) -> Any:
    return (
        list(d.items(multi=True)),
        list(d.lists()),
        list(d.values()),
        list(d.keys()),
        d.to_dict(),
        d.to_dict(flat=False),
        len(d),
        repr(d),
        dict(d),
    )


@settings(max_examples=300, deadline=None)
@given(initial=st.lists(st.tuples(KEYS, VALUES), max_size=5), ops=MULTIDICT_OPS)
def test_multidict_matches_werkzeug(initial: list[tuple[str, str]], ops: list[Any]) -> None:
    ours, theirs = MultiDict(initial), wz.MultiDict(initial)
    for op in ops:
        assert _apply_multidict(ours, op) == _apply_multidict(theirs, op), op
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))


@settings(max_examples=150, deadline=None)
@given(
    first=st.lists(st.tuples(KEYS, VALUES), max_size=4),
    second=st.lists(st.tuples(KEYS, VALUES), max_size=4),
    key=KEYS,
)
def test_combined_multidict_matches_werkzeug(
    first: list[tuple[str, str]], second: list[tuple[str, str]], key: str
) -> None:
    ours = CombinedMultiDict([MultiDict(first), MultiDict(second)])
    theirs = wz.CombinedMultiDict([wz.MultiDict(first), wz.MultiDict(second)])
    assert _outcome(lambda: ours[key]) == _outcome(lambda: theirs[key])
    assert ours.get(key, "d", type=int) == theirs.get(key, "d", type=int)
    assert ours.getlist(key) == theirs.getlist(key)
    assert (key in ours) == (key in theirs)
    assert len(ours) == len(theirs)
    # Werkzeug's key order comes from a set: compare as sets.
    assert set(ours.keys()) == set(theirs.keys())
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    assert ours.to_dict() == theirs.to_dict()
    assert ours.to_dict(flat=False) == theirs.to_dict(flat=False)
    assert list(ours.copy().items(multi=True)) == list(theirs.copy().items(multi=True))


NAMES = st.sampled_from(["A", "a", "X-Y", "x-y", "Set-Cookie", "B"])
HEADER_VALUES = st.text(alphabet="ab 1;=\"\\é\r", max_size=6)

HEADER_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), NAMES, HEADER_VALUES),
        st.tuples(st.just("add_params"), NAMES, HEADER_VALUES, HEADER_VALUES),
        st.tuples(st.just("set"), NAMES, HEADER_VALUES),
        st.tuples(st.just("__setitem__"), NAMES, HEADER_VALUES),
        st.tuples(st.just("setlist"), NAMES, st.lists(HEADER_VALUES, max_size=3)),
        st.tuples(st.just("setdefault"), NAMES, HEADER_VALUES),
        st.tuples(st.just("setlistdefault"), NAMES, st.lists(HEADER_VALUES, max_size=2)),
        st.tuples(st.just("remove"), NAMES),
        st.tuples(st.just("__delitem__"), NAMES),
        st.tuples(st.just("__getitem__"), NAMES),
        st.tuples(st.just("index"), st.integers(-3, 3)),
        st.tuples(st.just("get"), NAMES),
        st.tuples(st.just("getlist"), NAMES),
        st.tuples(st.just("__contains__"), NAMES),
        st.tuples(st.just("pop"), NAMES),
        st.tuples(st.just("pop_default"), NAMES),
        st.tuples(st.just("extend"), st.lists(st.tuples(NAMES, HEADER_VALUES), max_size=3)),
        st.tuples(st.just("update"), st.lists(st.tuples(NAMES, HEADER_VALUES), max_size=3)),
        st.tuples(st.just("update_dict"), st.dictionaries(NAMES, HEADER_VALUES, max_size=3)),
        st.tuples(st.just("view")),
    ),
    max_size=25,
)


def _apply_headers(h: Any, op: tuple[Any, ...]) -> Any:
    name, *args = op
    if name == "add_params":
        return _outcome(lambda: h.add(args[0], args[1], file_name=args[2]))
    if name == "index":
        return _outcome(lambda: h[args[0]])
    if name == "pop_default":
        return _outcome(lambda: h.pop(args[0], "dflt"))
    if name == "update_dict":
        return _outcome(lambda: h.update(args[0]))
    if name == "view":
        return (list(h), list(h.items(lower=True)), list(h.values()), str(h), len(h))
    return _outcome(lambda: getattr(h, name)(*args))


@settings(max_examples=300, deadline=None)
@given(ops=HEADER_OPS)
def test_headers_match_werkzeug(ops: list[Any]) -> None:
    # NUL is left out of the values: tapster refuses it, Werkzeug does not
    # (see test_headers_refuse_injection). CR is in: both refuse it.
    ours, theirs = Headers(), wz.Headers()
    for op in ops:
        assert _apply_headers(ours, op) == _apply_headers(theirs, op), op
    assert list(ours) == list(theirs)
    assert ours.copy() == Headers(list(theirs))


@settings(max_examples=100, deadline=None)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["X-A", "Accept", "Content-Type", "Content-Length", "Cookie", "X-Long-Name"]
        ),
        st.text(alphabet="ab1 ,;", max_size=5),
    ),
    key=st.sampled_from(["x-a", "ACCEPT", "content-type", "Content-Length", "cookie", "nope"]),
)
def test_environ_headers_match_werkzeug(fields: dict[str, str], key: str) -> None:
    environ = make_environ(headers=fields)
    ours, theirs = EnvironHeaders(environ), wz.EnvironHeaders(environ)
    assert sorted(ours) == sorted(theirs)
    assert len(ours) == len(theirs)
    assert _outcome(lambda: ours[key]) == _outcome(lambda: theirs[key])
    assert ours.get(key) == theirs.get(key)
    assert ours.getlist(key) == theirs.getlist(key)
    assert (key in ours) == (key in theirs)


def test_operators_refuse_what_they_cannot_use() -> None:
    assert MultiDict().__ior__(5) is NotImplemented
    assert Headers().__ior__(5) is NotImplemented
    assert CombinedMultiDict([MultiDict({"a": "1"})]).get("a") == "1"


def test_subclass_with_its_own_init_is_built_through_it() -> None:
    class Recording(MultiDict):
        def __init__(self, mapping: Any = None) -> None:
            super().__init__(mapping)
            self.built = True

    built = Recording._from_lists({"a": ["1", "2"]})
    assert built.built and built.getlist("a") == ["1", "2"]
    plain = ImmutableMultiDict._from_lists({"a": ["1"]})
    assert type(plain) is ImmutableMultiDict and plain["a"] == "1"


# ----------------------------------------------------------- FileStorage


def _storage_view(storage: Any) -> dict[str, Any]:
    return {
        "name": storage.name,
        "filename": storage.filename,
        "content_type": storage.content_type,
        "content_length": storage.content_length,
        "mimetype": storage.mimetype,
        "mimetype_params": storage.mimetype_params,
        "bool": bool(storage),
        "repr": repr(storage).replace("werkzeug", "tapster"),
        "headers": list(storage.headers.items()),
    }


FILE_STORAGE_ARGUMENTS = [
    {},
    {"filename": "a.txt", "name": "f"},
    {"filename": "", "name": "f", "content_type": "application/octet-stream"},
    {"filename": b"bytes.bin"},
    {"filename": "x", "content_type": "Text/HTML; Charset=UTF-8; q=1", "content_length": 12},
    {"filename": "x", "headers": [("Content-Length", " 7 ")]},
    {"filename": "x", "headers": [("Content-Length", "seven")]},
    {"filename": "x", "headers": [("Content-Type", 'text/plain; name="a;b"')]},
]


@pytest.mark.parametrize("arguments", FILE_STORAGE_ARGUMENTS)
def test_file_storage_matches_werkzeug(arguments: dict[str, Any]) -> None:
    def make(cls: Any, headers_cls: Any) -> Any:
        kwargs = dict(arguments)
        if "headers" in kwargs:
            kwargs["headers"] = headers_cls(kwargs["headers"])
        return cls(io.BytesIO(b"data"), **kwargs)

    ours = make(FileStorage, Headers)
    theirs = make(wz.FileStorage, wz.Headers)
    assert _storage_view(ours) == _storage_view(theirs)


def test_file_storage_takes_its_filename_from_a_real_file(tmp_path: Any) -> None:
    path = tmp_path / "real.txt"
    path.write_bytes(b"one\ntwo\n")
    with open(path, "rb") as file:
        assert FileStorage(file).filename == str(path)
    assert FileStorage(sys.stdin).filename is None  # "<stdin>" is no file name
    assert FileStorage(io.BytesIO()).filename is None


def test_file_storage_reads_through_its_stream() -> None:
    storage = FileStorage(io.BytesIO(b"one\ntwo\nthree"), "f.txt", "f")
    assert storage.readline() == b"one\n"
    assert list(storage) == [b"two\n", b"three"]
    storage.seek(0)
    assert storage.read(3) == b"one" and storage.tell() == 3
    assert storage.readable() and storage.seekable()
    with pytest.raises(AttributeError):
        storage.no_such_attribute  # noqa: B018
    storage.close()
    assert storage.closed
    storage.close()  # twice is fine


def test_file_storage_save_to_a_path_and_to_a_file(tmp_path: Any) -> None:
    content = bytes(range(256)) * 1000
    storage = FileStorage(io.BytesIO(content), "f.bin")
    storage.save(tmp_path / "out.bin")
    assert (tmp_path / "out.bin").read_bytes() == content
    storage.seek(0)
    storage.save(str(tmp_path / "out2.bin"), buffer_size=7)
    assert (tmp_path / "out2.bin").read_bytes() == content
    storage.seek(100)
    target = io.BytesIO()
    storage.save(target)
    assert target.getvalue() == content[100:] and not target.closed  # the caller closes it


def test_file_storage_on_a_spooled_temporary_file() -> None:
    # What the multipart parser gives for a large body; on Python 3.10 some
    # IOBase methods exist only on its backing file.
    with tempfile.SpooledTemporaryFile(max_size=10, mode="rb+") as spooled:
        spooled.write(b"x" * 100)
        spooled.seek(0)
        storage = FileStorage(spooled, "big")
        assert storage.readable() and storage.seekable()
        assert storage.read() == b"x" * 100
        storage.close()
        assert spooled.closed


def test_file_storage_copies_and_pickles_without_recursion() -> None:
    storage = FileStorage.__new__(FileStorage)
    with pytest.raises(AttributeError):
        storage.read  # noqa: B018  (no stream yet: no infinite __getattr__ loop)
    assert copy.copy(FileStorage(io.BytesIO(b"x"), "a")).filename == "a"
