"""JSON: jsonify, the provider and its settings, request bodies."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json as std_json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tapster import App, json, jsonify, request
from tapster.web.json.provider import DefaultJSONProvider


@pytest.fixture
def app() -> App:
    app = App(__name__)
    app.testing = True
    return app


def test_jsonify_forms(app):
    with app.app_context():
        assert jsonify({"b": 1, "a": 2}).get_data() == b'{"a":2,"b":1}\n'
        assert jsonify(1, 2).json == [1, 2]
        assert jsonify(a=1).json == {"a": 1}
        assert jsonify().json is None
        assert jsonify([]).mimetype == "application/json"
        with pytest.raises(TypeError, match="either args or kwargs"):
            jsonify(1, a=2)


def test_jsonify_is_indented_in_debug(app):
    app.debug = True
    with app.app_context():
        assert jsonify(a=1).get_data() == b'{\n  "a": 1\n}\n'


def test_provider_settings(app):
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.json.compact = True
    with app.app_context():
        assert jsonify({"b": "é", "a": 1}).get_data().decode() == '{"b":"é","a":1}\n'


def test_values_flask_serialises(app):
    @dataclasses.dataclass
    class Point:
        x: int
        y: int

    class Html:
        def __html__(self):
            return "<b>markup</b>"

    value = {
        "date": datetime.date(2024, 1, 2),
        "datetime": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "decimal": decimal.Decimal("1.10"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "point": Point(1, 2),
        "html": Html(),
    }
    with app.app_context():
        data = json.loads(json.dumps(value))
    assert data == {
        "date": "Tue, 02 Jan 2024 00:00:00 GMT",
        "datetime": "Tue, 02 Jan 2024 03:04:05 GMT",
        "decimal": "1.10",
        "uuid": "12345678-1234-5678-1234-567812345678",
        "point": {"x": 1, "y": 2},
        "html": "<b>markup</b>",
    }
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps(object())


def test_custom_provider_class():
    class Upper(DefaultJSONProvider):
        def dumps(self, obj, **kwargs):
            return super().dumps(obj, **kwargs).upper()

    class MyApp(App):
        json_provider_class = Upper

    app = MyApp(__name__)
    with app.app_context():
        assert jsonify(a="x").get_data() == b'{"A":"X"}\n'


def test_request_json(app):
    @app.post("/")
    def echo():
        return {"got": request.json, "is_json": request.is_json}

    client = app.test_client()
    assert client.post("/", json={"a": [1, 2]}).json == {"got": {"a": [1, 2]}, "is_json": True}
    response = client.post("/", data="{bad", content_type="application/json")
    assert response.status_code == 400
    response = client.post("/", data="{}", content_type="text/plain")
    assert response.status_code == 415


def test_get_json_silent_and_force(app):
    @app.post("/")
    def echo():
        return {
            "silent": request.get_json(silent=True),
            "force": request.get_json(force=True, silent=True),
        }

    response = app.test_client().post("/", data='{"a": 1}', content_type="text/plain")
    assert response.json == {"silent": None, "force": {"a": 1}}


def test_request_json_uses_the_app_provider(app):
    class Marking(DefaultJSONProvider):
        def loads(self, s, **kwargs):
            value = super().loads(s, **kwargs)
            value["marked"] = True
            return value

    app.json = Marking(app)
    app.add_url_rule("/", "echo", lambda: request.get_json(), methods=["POST"])
    assert app.test_client().post("/", json={}).json == {"marked": True}


def test_dict_return_uses_provider(app):
    app.add_url_rule("/", "index", lambda: {"when": datetime.date(2020, 5, 17)})
    assert app.test_client().get("/").json == {"when": "Sun, 17 May 2020 00:00:00 GMT"}


JSON_VALUES = [
    {"b": [1, 2.5, None, True], "a": {"é": "ü", "n": -0.0}},
    "plain",
    "snow ☃ \u2028 </script>",
    [float("inf"), float("nan")],
    {1: "int key", "1.5": 2},
    {"when": datetime.date(2024, 1, 2), "id": uuid.UUID(int=1), "d": decimal.Decimal("1.10")},
    [],
    None,
]


@pytest.mark.parametrize("value", JSON_VALUES)
@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("sort_keys", [True, False])
def test_response_encoding_equals_dumps(app, value, ensure_ascii, sort_keys):
    """The direct C-encoder path of ``response()`` gives exactly what ``dumps`` gives."""
    app.json.ensure_ascii = ensure_ascii
    app.json.sort_keys = sort_keys


    def outcome(encode):
        try:
            return encode()
        except TypeError as error:  # keys of mixed types cannot be sorted
            return type(error)

    with app.app_context():
        body = outcome(lambda: app.json.response(value).get_data(as_text=True))
        dumped = outcome(lambda: app.json.dumps(value, separators=(",", ":")) + "\n")
        assert body == dumped


def test_response_encoding_errors_leave_no_trace(app):
    loop: list = []
    loop.append(loop)
    shared = {"k": [1, 2]}
    with app.app_context():
        with pytest.raises(ValueError, match="Circular reference"):
            app.json.response(loop)
        with pytest.raises(TypeError, match="not JSON serializable"):
            app.json.response({"x": shared, "y": object()})
        # The same objects encode fine afterwards, twice over (no stale records).
        assert app.json.response([shared, shared]).json == [{"k": [1, 2]}] * 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                      "utf-32", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("text", ['{"a": "é☃"}', "[1, 2]", '"x"', "1", " true", "\n null"])
def test_loads_bytes_in_every_json_encoding(app, encoding, text):
    data = text.encode(encoding)
    assert app.json.loads(data) == std_json.loads(data)


JSON_TEXT = st.text(alphabet='{}[]":,. -+0123456789eEtruefalsn\\\t\n\ufeffé\x00x', max_size=30)


@settings(max_examples=2000, deadline=None)
@given(text=JSON_TEXT | st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=8,
).map(std_json.dumps))
def test_loads_agrees_with_the_standard_library_value_for_value_error_for_error(text):
    # The provider scans an object or array directly (no json.loads set-up): the
    # result, or the error's message and position, must be json.loads's.
    provider = DefaultJSONProvider(App(__name__))
    for document in (text, text.encode("utf-8", "surrogatepass")):
        try:
            expected = std_json.loads(document)
        except ValueError as error:
            with pytest.raises(type(error)) as raised:
                provider.loads(document)
            assert str(raised.value) == str(error)
        else:
            assert provider.loads(document) == expected
