"""Templates: loaders (app, then blueprints), autoescape, context, filters, signals, streaming."""

from __future__ import annotations

import pytest

import tapster
from tapster import App, flash, g, request, session
from tapster.blueprints import Blueprint
from tapster.signals import before_render_template, template_rendered
from tapster.templating import (
    get_template_attribute,
    render_template,
    render_template_string,
    stream_template,
    stream_template_string,
)


@pytest.fixture
def app(tmp_path) -> App:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("<p>{{ value }}</p>")
    (tmp_path / "templates" / "page.txt").write_text("{{ value }}")
    (tmp_path / "templates" / "shared.html").write_text("app version")
    (tmp_path / "bp_templates").mkdir()
    (tmp_path / "bp_templates" / "shared.html").write_text("blueprint version")
    (tmp_path / "bp_templates" / "only_bp.html").write_text("only in {{ request.blueprint }}")
    app = App(__name__, root_path=str(tmp_path))
    app.testing = True
    app.secret_key = "test"
    return app


def test_autoescape_by_extension(app):
    with app.test_request_context():
        assert render_template("page.html", value="<b>") == "<p>&lt;b&gt;</p>"
        assert render_template("page.txt", value="<b>") == "<b>"
        assert render_template_string("{{ v }}", v="<i>") == "&lt;i&gt;"


def test_app_folder_wins_then_blueprints(app, tmp_path):
    bp = Blueprint("bp", __name__, template_folder=str(tmp_path / "bp_templates"))

    @bp.route("/bp")
    def view():
        return render_template("only_bp.html") + " / " + render_template("shared.html")

    app.register_blueprint(bp)
    assert app.test_client().get("/bp").text == "only in bp / app version"


def test_context_has_flask_names(app):
    @app.route("/")
    def index():
        g.user = "ann"
        session["k"] = "v"
        flash("hello")
        return render_template_string(
            "{{ request.path }} {{ g.user }} {{ session.k }} {{ config.TESTING }} "
            "{{ url_for('index') }} {{ get_flashed_messages()|join(',') }}"
        )

    assert app.test_client().get("/").text == "/ ann v True / hello"


def test_context_processors_and_explicit_values_win(app):
    bp = Blueprint("bp", __name__)
    app.context_processor(lambda: {"site": "tapster", "value": "processor"})
    bp.context_processor(lambda: {"section": "blueprint"})

    @bp.route("/")
    def index():
        return render_template_string("{{ site }} {{ section }} {{ value }}", value="given")

    app.register_blueprint(bp)
    assert app.test_client().get("/").text == "tapster blueprint given"


def test_filters_tests_and_globals(app):
    @app.template_filter()
    def reverse(text):
        return text[::-1]

    @app.template_test("even")
    def is_even(n):
        return n % 2 == 0

    @app.template_global()
    def double(n):
        return n * 2

    bp = Blueprint("bp", __name__)
    bp.add_app_template_filter(str.upper, "up")
    app.register_blueprint(bp)
    with app.test_request_context():
        assert render_template_string(
            "{{ 'abc'|reverse }} {{ 4 is even }} {{ double(3) }} {{ 'x'|up }}"
        ) == "cba True 6 X"


def test_tojson_uses_app_json(app):
    with app.test_request_context():
        assert render_template_string("{{ {'b': '<', 'a': 1}|tojson }}") == (
            '{"a": 1, "b": "\\u003c"}'
        )


def test_signals(app):
    seen = []

    def before(sender, template, context):
        seen.append(("before", context["value"]))

    def rendered(sender, template, context):
        seen.append(("rendered", template.name))

    before_render_template.connect(before, app)
    template_rendered.connect(rendered, app)
    try:
        with app.test_request_context():
            render_template("page.html", value=1)
    finally:
        before_render_template.disconnect(before, app)
        template_rendered.disconnect(rendered, app)
    assert seen == [("before", 1), ("rendered", "page.html")]


def test_stream_template_keeps_request_context(app):
    @app.route("/")
    def index():
        return stream_template_string(
            "{% for i in range(3) %}{{ i }}{% endfor %} {{ request.path }}"
        )

    @app.route("/file")
    def from_file():
        return stream_template("page.html", value=request.args["v"])

    client = app.test_client()
    assert client.get("/").text == "012 /"
    assert client.get("/file?v=x").text == "<p>x</p>"


def test_missing_template(app):
    from jinja2 import TemplateNotFound

    with app.test_request_context(), pytest.raises(TemplateNotFound) as caught:
        render_template("nope.html")
    assert str(caught.value) == "nope.html"


def test_missing_template_in_debug_says_where_it_looked(app):
    from jinja2 import TemplateNotFound

    app.debug = True
    app.register_blueprint(Blueprint("admin", __name__, template_folder="admin_templates"))
    with app.test_request_context(), pytest.raises(TemplateNotFound) as caught:
        render_template("nope.html")
    folder = f"{app.root_path}/templates"
    assert str(caught.value) == (f"'nope.html' not found; searched: {folder}, "
                                 f"{__file__.rsplit('/', 1)[0]}/admin_templates (does not exist)")


def test_auto_reload_follows_debug(app):
    assert app.jinja_env.auto_reload is False
    app.debug = True
    assert app.jinja_env.auto_reload is True
    app.config["TEMPLATES_AUTO_RELOAD"] = False
    other = App(__name__)
    other.config["TEMPLATES_AUTO_RELOAD"] = True
    assert other.jinja_env.auto_reload is True


def test_request_in_template_outside_request(app):
    with app.app_context():
        assert render_template_string("{{ g }}").startswith("&lt;tapster.g of")
        assert request.__class__.__name__ == "LocalProxy"


@pytest.mark.parametrize(
    ("name", "escaped"),
    [("a.html", True), ("a.htm", True), ("a.xml", True), ("a.xhtml", True), ("a.svg", True),
     ("a.txt", False), ("a.js", False), ("a.HTML", False)],
)
def test_autoescape_extensions(app, tmp_path, name, escaped):
    (tmp_path / "templates" / name).write_text("{{ value }}")
    with app.test_request_context():
        out = render_template(name, value="<&>")
    assert out == ("&lt;&amp;&gt;" if escaped else "<&>")


def test_blueprint_app_variants_reach_every_template(app):
    bp = Blueprint("bp", __name__)
    bp.app_context_processor(lambda: {"everywhere": "yes"})
    bp.context_processor(lambda: {"local": "bp only"})

    @bp.app_template_test("short")
    def is_short(text):
        return len(text) < 3

    @bp.app_template_global("triple")
    def triple(n):
        return n * 3

    @bp.route("/in")
    def inside():
        return render_template_string("{{ everywhere }} {{ local }}")

    @app.route("/out")
    def outside():
        return render_template_string(
            "{{ everywhere }} [{{ local }}] {{ 'ab' is short }} {{ triple(2) }}"
        )

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/in").text == "yes bp only"
    assert client.get("/out").text == "yes [] True 6"


def test_get_template_attribute_calls_a_macro(app, tmp_path):
    (tmp_path / "templates" / "_macros.html").write_text(
        "{% set greeting = 'Hello' %}"
        "{% macro hello(name) %}{{ greeting }}, {{ name }}!{% endmacro %}"
    )
    with app.app_context():
        hello = tapster.get_template_attribute("_macros.html", "hello")
        assert hello("<World>") == "Hello, &lt;World&gt;!"
        assert get_template_attribute("_macros.html", "greeting") == "Hello"
        with pytest.raises(AttributeError):
            get_template_attribute("_macros.html", "missing")


def test_jinja_environment_class_is_replaceable(tmp_path):
    from tapster.templating import Environment

    class Custom(Environment):
        pass

    class CustomApp(App):
        jinja_environment = Custom

    assert App.jinja_environment is Environment
    assert type(App(__name__).jinja_env) is Environment
    custom = CustomApp(__name__, root_path=str(tmp_path))
    assert type(custom.jinja_env) is Custom
    with custom.app_context():
        assert render_template_string("{{ 1 + 1 }}") == "2"
