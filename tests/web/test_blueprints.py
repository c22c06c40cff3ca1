"""Blueprints: prefixes, names, nesting, scoped hooks and handlers, app-wide variants."""

from __future__ import annotations

import pytest

from tapster import App, request, url_for
from tapster.blueprints import Blueprint


@pytest.fixture
def app() -> App:
    app = App(__name__)
    app.testing = True
    return app


def test_prefix_and_endpoint_names(app):
    bp = Blueprint("admin", __name__, url_prefix="/admin")

    @bp.route("/")
    def index():
        return f"{request.endpoint} {request.blueprint} {url_for('.users')}"

    @bp.route("/users")
    def users():
        return url_for("admin.index")

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/admin/").text == "admin.index admin /admin/users"
    assert client.get("/admin/users").text == "/admin/"


def test_registration_options_and_registering_twice(app):
    bp = Blueprint("shop", __name__)
    bp.add_url_rule("/items", "items", lambda: request.endpoint)
    app.register_blueprint(bp, url_prefix="/one")
    app.register_blueprint(bp, url_prefix="/two", name="shop2")
    with pytest.raises(ValueError, match="already registered"):
        app.register_blueprint(bp, url_prefix="/three")
    client = app.test_client()
    assert client.get("/one/items").text == "shop.items"
    assert client.get("/two/items").text == "shop2.items"


def test_nested_blueprints(app):
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")

    @child.route("/")
    def index():
        return f"{request.endpoint} {request.blueprints}"

    @parent.before_request
    def parent_hook():
        request.environ["seen"] = "parent"

    @child.after_request
    def child_after(response):
        response.headers["X-Seen"] = request.environ.get("seen", "")
        return response

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    response = app.test_client().get("/parent/child/")
    assert response.text == "parent.child.index ['parent.child', 'parent']"
    assert response.headers["X-Seen"] == "parent"


def test_blueprint_names_are_checked():
    with pytest.raises(ValueError, match="dot"):
        Blueprint("a.b", __name__)
    with pytest.raises(ValueError, match="empty"):
        Blueprint("", __name__)
    bp = Blueprint("x", __name__)
    with pytest.raises(ValueError, match="dot"):
        bp.add_url_rule("/", "a.b", lambda: "")
    with pytest.raises(ValueError, match="itself"):
        bp.register_blueprint(bp)


def test_hooks_and_error_handlers_are_scoped(app):
    bp = Blueprint("api", __name__, url_prefix="/api")
    calls = []

    @bp.before_request
    def only_api():
        calls.append("api")

    @bp.before_app_request
    def everywhere():
        calls.append("app")

    @bp.errorhandler(404)
    def api_missing(error):
        return {"error": "not found"}, 404

    @bp.app_errorhandler(418)
    def teapot(error):
        return "app-wide teapot", 418

    @bp.route("/missing")
    def missing():
        from tapster import abort

        abort(404)

    @app.route("/")
    def index():
        from tapster import abort

        abort(418)

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/api/missing").json == {"error": "not found"}
    assert calls == ["app", "api"]
    calls.clear()
    assert client.get("/").text == "app-wide teapot"
    assert calls == ["app"]
    # A URL no rule matches belongs to no blueprint: the app's default 404.
    assert "<title>404 Not Found</title>" in client.get("/api/nothing").text


def test_url_defaults_and_value_preprocessors_on_blueprint(app):
    bp = Blueprint("lang", __name__, url_prefix="/<lang_code>")

    @bp.url_defaults
    def add_code(endpoint, values):
        values.setdefault("lang_code", request.environ.get("lang", "en"))

    @bp.url_value_preprocessor
    def pull_code(endpoint, values):
        request.environ["lang"] = values.pop("lang_code")

    @bp.route("/about")
    def about():
        return f"{request.environ['lang']} {url_for('.about')}"

    app.register_blueprint(bp)
    assert app.test_client().get("/de/about").text == "de /de/about"


def test_blueprint_url_defaults_option(app):
    bp = Blueprint("pages", __name__, url_defaults={"page": "home"})
    def show(page):
        return page

    bp.add_url_rule("/", "show", show)
    bp.add_url_rule("/<page>", "show", show)
    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/").text == "home"
    # The default applies to both rules, so /other redirects to the rule that
    # carries page="home" (werkzeug's redirect_defaults; Flask answers the same).
    response = client.get("/other")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/"


def test_setup_after_registration_is_an_error(app):
    bp = Blueprint("late", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="already been registered"):
        bp.route("/x")(lambda: "")


def test_blueprint_cli_group(app):
    bp = Blueprint("tools", __name__)

    @bp.cli.command("clean")
    def clean():
        print("cleaned")

    app.register_blueprint(bp)
    result = app.test_cli_runner().invoke(args=["tools", "clean"])
    assert result.output == "cleaned\n"


def test_blueprint_cli_group_none_merges_commands(app):
    bp = Blueprint("tools", __name__, cli_group=None)

    @bp.cli.command("clean")
    def clean():
        print("merged")

    app.register_blueprint(bp)
    assert app.test_cli_runner().invoke(args=["clean"]).output == "merged\n"
