"""The App through its test client: routing, methods, return values, hooks."""

from __future__ import annotations

import uuid

import pytest

from tapster import App, Response, abort, g, make_response, request, url_for
from tapster.exceptions import NotFound


@pytest.fixture
def app() -> App:
    app = App(__name__)
    app.testing = True
    return app


@pytest.fixture
def client(app: App):
    return app.test_client()


# -- routing -------------------------------------------------------------------------


def test_static_and_dynamic_routes(app, client):
    @app.route("/")
    def index():
        return "index"

    @app.route("/user/<int:user_id>")
    def user(user_id):
        return f"user {user_id + 1}"

    @app.route("/files/<path:name>")
    def files(name):
        return name

    assert client.get("/").text == "index"
    assert client.get("/user/41").text == "user 42"
    assert client.get("/user/x").status_code == 404
    assert client.get("/files/a/b/c.txt").text == "a/b/c.txt"


def test_converters_uuid_any_float_string_length(app, client):
    @app.route("/u/<uuid:key>")
    def by_uuid(key):
        return type(key).__name__

    @app.route("/page/<any(about, help):page>")
    def page(page):
        return page

    @app.route("/f/<float:x>")
    def f(x):
        return repr(x)

    @app.route("/code/<string(length=2):code>")
    def code(code):
        return code

    assert client.get(f"/u/{uuid.uuid4()}").text == "UUID"
    assert client.get("/page/help").text == "help"
    assert client.get("/page/other").status_code == 404
    assert client.get("/f/1.5").text == "1.5"
    assert client.get("/code/fr").text == "fr"
    assert client.get("/code/fra").status_code == 404


def test_custom_converter(app, client):
    from tapster.routing import BaseConverter

    class ListConverter(BaseConverter):
        def to_python(self, value):
            return value.split(",")

        def to_url(self, value):
            return ",".join(super(ListConverter, self).to_url(v) for v in value)

    app.url_map.converters["list"] = ListConverter

    @app.route("/tags/<list:tags>")
    def tags(tags):
        return {"tags": tags, "url": url_for("tags", tags=["x", "y z"])}

    assert client.get("/tags/a,b").json == {"tags": ["a", "b"], "url": "/tags/x,y%20z"}


def test_method_decorators_and_405_allow(app, client):
    @app.get("/thing")
    def read():
        return "read"

    @app.post("/thing")
    def write():
        return "written", 201

    @app.delete("/thing")
    def remove():
        return "", 204

    assert client.get("/thing").text == "read"
    response = client.post("/thing")
    assert (response.status_code, response.text) == (201, "written")
    assert client.delete("/thing").status_code == 204
    response = client.put("/thing")
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "POST", "DELETE", "OPTIONS"}


def test_methods_argument_rejects_a_string_and_method_route_rejects_methods(app):
    with pytest.raises(TypeError, match="list of strings"):
        app.route("/x", methods="POST")(lambda: "x")
    with pytest.raises(TypeError, match="route"):
        app.get("/x", methods=["POST"])


def test_head_is_automatic_and_has_no_body(app, client):
    @app.route("/")
    def index():
        return "hello"

    response = client.head("/")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "5"


def test_automatic_options(app, client):
    @app.route("/", methods=["GET", "POST"])
    def index():
        return "x"

    response = client.open("/", method="OPTIONS")
    assert response.status_code == 200
    assert sorted(m.strip() for m in response.headers["Allow"].split(",")) == [
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    ]
    assert response.data == b""


def test_options_not_automatic_when_view_handles_it(app, client):
    def own_options():
        return "mine"

    app.add_url_rule("/", view_func=own_options, methods=["OPTIONS"])
    assert client.open("/", method="OPTIONS").text == "mine"

    app2 = App(__name__)
    app2.add_url_rule("/", "x", lambda: "x", provide_automatic_options=False)
    assert app2.test_client().open("/", method="OPTIONS").status_code == 405


def test_strict_slashes_redirect_with_308(app, client):
    @app.route("/folder/")
    def folder():
        return "folder"

    @app.route("/file")
    def file():
        return "file"

    response = client.get("/folder?x=1")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/folder/?x=1")
    assert client.get("/folder/").text == "folder"
    assert client.get("/file/").status_code == 404
    assert client.get("/folder", follow_redirects=True).text == "folder"


def test_strict_slashes_false(app, client):
    @app.route("/a/", strict_slashes=False)
    def a():
        return "a"

    assert client.get("/a").text == "a"
    assert client.get("/a/").text == "a"


def test_first_registered_wins_among_equals(app, client):
    @app.route("/<name>")
    def first(name):
        return "first"

    @app.route("/<other>")
    def second(other):
        return "second"

    @app.route("/fixed")
    def fixed():
        return "fixed"

    assert client.get("/x").text == "first"
    assert client.get("/fixed").text == "fixed"  # static beats dynamic


def test_endpoint_registered_without_view_then_bound(app, client):
    app.add_url_rule("/later", endpoint="later")

    @app.endpoint("later")
    def later():
        return "bound later"

    assert client.get("/later").text == "bound later"


def test_overwriting_an_endpoint_is_an_error(app):
    app.add_url_rule("/a", "same", lambda: "a")
    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule("/b", "same", lambda: "b")


def test_defaults_and_two_rules_one_view(app, client):
    @app.route("/page/", defaults={"number": 1})
    @app.route("/page/<int:number>")
    def page(number):
        return f"page {number}"

    assert client.get("/page/").text == "page 1"
    assert client.get("/page/3").text == "page 3"


def test_setup_after_first_request_is_an_error(app, client):
    app.add_url_rule("/", "index", lambda: "x")
    client.get("/")
    with pytest.raises(AssertionError, match="already handled its first request"):
        app.add_url_rule("/late", "late", lambda: "x")


# -- url_for ---------------------------------------------------------------------------


def test_url_for(app):
    @app.route("/user/<int:user_id>")
    def user(user_id):
        return ""

    @app.route("/", methods=["GET", "POST"])
    def index():
        return ""

    with app.test_request_context("/", base_url="http://example.com/root"):
        assert url_for("user", user_id=3) == "/root/user/3"
        assert url_for("user", user_id=3, tab="a b", x=["1", "2"]) == (
            "/root/user/3?tab=a+b&x=1&x=2"
        )
        assert url_for("user", user_id=3, _external=True) == "http://example.com/root/user/3"
        assert url_for("user", user_id=3, _scheme="https") == (
            "https://example.com/root/user/3"
        )
        assert url_for("index", _anchor="top part") == "/root/#top%20part"
        assert url_for("index", _method="POST") == "/root/"
        with pytest.raises(ValueError, match="_external"):
            url_for("index", _scheme="https", _external=False)


def test_url_for_build_errors_name_what_is_missing(app):
    @app.route("/user/<int:user_id>")
    def user(user_id):
        return ""

    from tapster.routing import BuildError

    with app.test_request_context():
        with pytest.raises(BuildError, match="user_id"):
            url_for("user")
        with pytest.raises(BuildError, match="usr"):
            url_for("usr")


def test_url_for_outside_request_needs_server_name(app):
    app.add_url_rule("/x", "x", lambda: "")
    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("x")
    app.config.update(SERVER_NAME="example.org", PREFERRED_URL_SCHEME="https")
    with app.app_context():
        assert url_for("x") == "https://example.org/x"


def test_url_build_error_handler(app):
    app.url_build_error_handlers.append(lambda error, endpoint, values: f"/fallback/{endpoint}")
    with app.test_request_context():
        assert url_for("nowhere") == "/fallback/nowhere"


def test_url_defaults_and_value_preprocessor(app, client):
    @app.url_defaults
    def add_language(endpoint, values):
        if app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values.setdefault("lang", g.lang)

    @app.url_value_preprocessor
    def pull_language(endpoint, values):
        g.lang = values.pop("lang", None)

    @app.route("/<lang>/about")
    def about():
        return url_for("about")

    assert client.get("/fr/about").text == "/fr/about"


# -- return values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status", "body", "content_type"),
    [
        ("text", 200, b"text", "text/html; charset=utf-8"),
        (b"bytes", 200, b"bytes", "text/html; charset=utf-8"),
        ({"a": 1}, 200, b'{"a":1}\n', "application/json"),
        ([1, 2], 200, b"[1,2]\n", "application/json"),
        (("created", 201), 201, b"created", "text/html; charset=utf-8"),
        (("teapot", "418 I'M A TEAPOT"), 418, b"teapot", "text/html; charset=utf-8"),
        (({"a": 1}, 202), 202, b'{"a":1}\n', "application/json"),
    ],
)
def test_view_return_values(app, client, value, status, body, content_type):
    app.add_url_rule("/", "index", lambda: value)
    response = client.get("/")
    assert response.status_code == status
    assert response.data == body
    assert response.headers["Content-Type"] == content_type


def test_tuple_with_headers(app, client):
    app.add_url_rule("/a", "a", lambda: ("body", {"X-A": "1"}))
    app.add_url_rule("/b", "b", lambda: ("body", 404, [("X-B", "2")]))
    assert client.get("/a").headers["X-A"] == "1"
    response = client.get("/b")
    assert (response.status_code, response.headers["X-B"]) == (404, "2")


def test_generator_is_streamed(app, client):
    @app.route("/")
    def stream():
        def generate():
            yield "one "
            yield b"two"

        return generate()

    response = client.get("/")
    assert response.data == b"one two"
    assert "Content-Length" not in response.headers


def test_response_object_and_wsgi_callable(app, client):
    app.add_url_rule("/r", "r", lambda: Response("made", status=203, mimetype="text/plain"))

    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"from wsgi"]

    app.add_url_rule("/w", "w", lambda: wsgi)
    response = client.get("/r")
    assert (response.status_code, response.text) == (203, "made")
    assert client.get("/w").text == "from wsgi"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "did not return a valid response"),
        (42, "but it was a int"),
        (("a", 200, {}, "extra"), "valid response tuple"),
    ],
)
def test_invalid_return_values_raise_type_error(app, client, value, message):
    app.add_url_rule("/", "index", lambda: value)
    with pytest.raises(TypeError, match=message):
        client.get("/")


def test_make_response(app, client):
    @app.route("/")
    def index():
        response = make_response("body", 201, {"X-Y": "z"})
        response.headers["X-Extra"] = "1"
        return response

    @app.route("/empty")
    def empty():
        return make_response()

    response = client.get("/")
    assert (response.status_code, response.headers["X-Y"], response.headers["X-Extra"]) == (
        201,
        "z",
        "1",
    )
    assert client.get("/empty").data == b""


def test_custom_response_class(app, client):
    class MyResponse(Response):
        default_mimetype = "text/plain"

    app.response_class = MyResponse
    app.add_url_rule("/", "index", lambda: "x")
    assert client.get("/").headers["Content-Type"] == "text/plain; charset=utf-8"


# -- hooks -----------------------------------------------------------------------------


def test_hooks_order_and_short_circuit(app, client):
    calls = []

    @app.before_request
    def first():
        calls.append("before1")

    @app.before_request
    def second():
        calls.append("before2")
        if request.path == "/stop":
            return "stopped"

    @app.after_request
    def after_a(response):
        calls.append("after_a")
        return response

    @app.after_request
    def after_b(response):
        calls.append("after_b")
        response.headers["X-After"] = "b"
        return response

    @app.teardown_request
    def teardown(error):
        calls.append(("teardown", error))

    @app.route("/")
    def index():
        calls.append("view")
        return "ok"

    response = client.get("/")
    assert response.headers["X-After"] == "b"
    assert calls == ["before1", "before2", "view", "after_b", "after_a", ("teardown", None)]
    calls.clear()
    assert client.get("/stop").text == "stopped"
    assert "view" not in calls and "after_a" in calls


def test_teardown_runs_after_an_exception(app):
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen = []

    @app.teardown_request
    def teardown_request(error):
        seen.append(("request", type(error).__name__))

    @app.teardown_appcontext
    def teardown_app(error):
        seen.append(("app", type(error).__name__))

    @app.route("/")
    def index():
        raise ValueError("boom")

    assert app.test_client().get("/").status_code == 500
    assert seen == [("request", "ValueError"), ("app", "ValueError")]


def test_after_this_request(app, client):
    from tapster import after_this_request

    @app.route("/")
    def index():
        @after_this_request
        def add_header(response):
            response.headers["X-Once"] = "yes"
            return response

        return "ok"

    assert client.get("/").headers["X-Once"] == "yes"
    with pytest.raises(RuntimeError, match="request context"):
        after_this_request(lambda r: r)


def test_g_is_per_request(app, client):
    @app.before_request
    def set_user():
        g.user = request.args.get("user")

    @app.route("/")
    def index():
        return f"{g.user}:{'user' in g}:{g.get('missing', 'dflt')}"

    assert client.get("/?user=ann").text == "ann:True:dflt"
    assert client.get("/").text == "None:True:dflt"


def test_abort_in_before_request_uses_error_handler(app, client):
    @app.errorhandler(404)
    def not_found(error):
        return "custom 404", 404

    @app.before_request
    def guard():
        abort(404)

    app.add_url_rule("/", "index", lambda: "never")
    assert client.get("/").text == "custom 404"


def test_abort_outside_context_raises_the_exception():
    with pytest.raises(NotFound):
        abort(404)


def test_max_content_length_gives_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/")
    def upload():
        return str(len(request.get_data()))

    assert client.post("/", data=b"x" * 10).text == "10"
    assert client.post("/", data=b"x" * 11).status_code == 413


TRUSTED_CASES = [
    ("example.com", 200),
    ("example.com:8080", 200),
    ("EXAMPLE.com", 200),  # case-insensitive (RFC 3986 3.2.2); Werkzeug says 400
    ("api.example.com", 200),  # ".example.com" trusts subdomains
    ("example.com.evil.net", 400),
    ("evil.net", 400),
    ("localhost", 400),
    ("exa mple.com", 400),  # not a host at all
    ("example.com:99999", 400),
]


@pytest.mark.parametrize(("host", "status"), TRUSTED_CASES)
def test_trusted_hosts_checked_before_routing(host, status):
    app = App(__name__)
    app.config["TRUSTED_HOSTS"] = ["example.com", ".example.com"]
    seen = []

    @app.route("/")
    def index():
        seen.append(request.host)
        return "ok"

    # A URL that matches no rule: the Host check still comes first.
    response = app.test_client().get("/", headers={"Host": host})
    missing = app.test_client().get("/nowhere", headers={"Host": host})
    assert response.status_code == status
    assert missing.status_code == (404 if status == 200 else 400)
    assert seen == ([host] if status == 200 else [])


@pytest.mark.parametrize(("host", "status"), TRUSTED_CASES)
def test_trusted_hosts_agree_with_flask(host, status):
    flask = pytest.importorskip("flask")
    if host == "EXAMPLE.com":
        status = 400  # the one deliberate difference (docs/framework.md)
    reference = flask.Flask(__name__)
    reference.config["TRUSTED_HOSTS"] = ["example.com", ".example.com"]
    reference.add_url_rule("/", "index", lambda: "ok")
    assert reference.test_client().get("/", headers={"Host": host}).status_code == status


def test_trusted_hosts_error_goes_through_handlers():
    from tapster.exceptions import SecurityError

    app = App(__name__)
    app.config["TRUSTED_HOSTS"] = ["example.com"]
    app.add_url_rule("/", "index", lambda: "ok")

    @app.errorhandler(SecurityError)
    def untrusted(error):
        return f"untrusted: {error.description}", 400

    response = app.test_client().get("/", headers={"Host": "evil.net"})
    assert response.status_code == 400
    assert response.text == "untrusted: Host 'evil.net' is not trusted."


def test_trusted_hosts_unset_allows_any_host():
    app = App(__name__)
    app.add_url_rule("/", "index", lambda: request.host)
    assert app.test_client().get("/", headers={"Host": "anything.test"}).text == "anything.test"
