"""The test client with tapster's App, beside Flask's client on the same app where they agree."""

from __future__ import annotations

from datetime import date
from typing import Any

import flask
import pytest

import tapster
from tapster import App, g, request, session
from tapster.web.testing import Client, TestResponse


def make_app(framework: Any) -> Any:
    """One app, written once for ``tapster`` or ``flask`` (the same API)."""
    app = framework.Flask("same") if framework is flask else framework.App("same")
    app.secret_key = "test secret"
    mod = framework

    @app.route("/set/<name>/<value>")
    def set_cookie(name, value):
        response = mod.make_response("set")
        path = mod.request.args.get("path", "/")
        max_age = mod.request.args.get("max_age", type=int)
        response.set_cookie(name, value, path=path, max_age=max_age)
        return response

    @app.route("/delete/<name>")
    def delete_cookie(name):
        response = mod.make_response("deleted")
        response.delete_cookie(name, path=mod.request.args.get("path", "/"))
        return response

    @app.route("/show", defaults={"rest": ""})
    @app.route("/show/<path:rest>")
    def show(rest):
        return dict(sorted(mod.request.cookies.items()))

    @app.route("/count")
    def count():
        mod.session["n"] = mod.session.get("n", 0) + 1
        mod.g.seen = mod.session["n"]
        return {"n": mod.session["n"]}

    @app.post("/login")
    def login():
        mod.session["user"] = mod.request.form["user"]
        return mod.redirect(mod.url_for("whoami"))

    @app.route("/whoami")
    def whoami():
        return {"user": mod.session.get("user"), "method": mod.request.method}

    @app.route("/old")
    def old():
        return mod.redirect("/new", code=301)

    @app.route("/new")
    def new():
        return "new"

    return app


COOKIE_STEPS = [
    "/set/a/1",
    "/set/b/2?path=/show/deep",
    "/show",
    "/show/deep/x",
    "/set/c/3?max_age=0",
    "/show/deep",
    "/delete/b?path=/show/deep",
    "/show/deep/x",
    "/delete/a",
    "/show",
]


def test_cookies_agree_with_flask():
    ours = make_app(tapster).test_client()
    theirs = make_app(flask).test_client()
    for url in COOKIE_STEPS:
        mine, flasks = ours.get(url), theirs.get(url)
        assert mine.status_code == flasks.status_code == 200, url
        assert mine.get_data() == flasks.get_data(), url
    assert ours.get_cookie("a") is None and theirs.get_cookie("a") is None


def test_session_login_flow_agrees_with_flask():
    results = []
    for framework in (tapster, flask):
        client = make_app(framework).test_client()
        response = client.post("/login", data={"user": "ada"}, follow_redirects=True)
        results.append((response.status_code, response.json,
                        [r.status_code for r in response.history], response.request.path,
                        client.get_cookie("session") is not None))
    assert results[0] == results[1] == (
        200, {"user": "ada", "method": "GET"}, [302], "/whoami", True)


def test_client_is_the_apps_test_client_class():
    app = make_app(tapster)
    client = app.test_client()
    assert isinstance(client, Client)
    response = client.get("/new")
    assert isinstance(response, TestResponse) and isinstance(response, app.response_class)
    assert response.text == "new"


def test_with_client_keeps_request_session_and_g():
    client = make_app(tapster).test_client()
    with client:
        client.get("/count?x=1")
        assert request.path == "/count"
        assert request.args["x"] == "1"
        assert session["n"] == 1
        assert g.seen == 1
        client.get("/count")
        assert session["n"] == 2 and g.seen == 2
    assert not request  # popped at the end of the block
    with pytest.raises(RuntimeError, match="outside of request context"):
        request.path  # noqa: B018


def test_with_client_then_follow_redirects_keeps_the_final_request():
    client = make_app(tapster).test_client()
    with client:
        client.post("/login", data={"user": "grace"}, follow_redirects=True)
        assert request.path == "/whoami"
        assert session["user"] == "grace"


def test_redirect_history_and_methods():
    client = make_app(tapster).test_client()
    response = client.get("/old", follow_redirects=True)
    assert (response.status_code, response.text) == (200, "new")
    assert response.history[0].status_code == 301
    assert response.history[0].headers["Location"] == "/new"


def test_json_argument_uses_the_apps_provider():
    app = App("j")

    @app.post("/")
    def echo():
        return {"got": request.get_data(as_text=True), "parsed": request.json}

    response = app.test_client().post("/", json={"day": date(2024, 1, 2)})
    # The app's provider serializes dates as HTTP dates, as Flask's does.
    assert response.json["parsed"] == {"day": "Tue, 02 Jan 2024 00:00:00 GMT"}


def test_test_request_context_uses_the_builder():
    app = App("ctx")
    app.config["SERVER_NAME"] = "example.com"
    with app.test_request_context("/p?q=1", method="POST", data={"a": "b"}, subdomain="api",
                                  headers={"X-Y": "z"}):
        assert request.method == "POST"
        assert request.host == "api.example.com"
        assert request.args["q"] == "1"
        assert request.form["a"] == "b"
        assert request.headers["X-Y"] == "z"
        assert request.remote_addr == "127.0.0.1"


def test_server_name_gives_the_clients_host():
    app = App("host")
    app.config["SERVER_NAME"] = "example.com:8080"

    @app.route("/")
    def index():
        return request.host

    assert app.test_client().get("/").text == "example.com:8080"


def test_view_errors_propagate_in_testing_mode():
    app = App("errors")
    app.testing = True

    @app.route("/")
    def index():
        raise LookupError("from the view")

    with pytest.raises(LookupError, match="from the view"):
        app.test_client().get("/")


def test_streamed_response_is_read_lazily_and_closed():
    app = App("stream")
    events: list[str] = []

    @app.route("/")
    def stream():
        def generate():
            try:
                for part in ("a", "b", "c"):
                    events.append(part)
                    yield part
            finally:
                events.append("closed")

        return app.response_class(generate())

    response = app.test_client().get("/")
    assert events == []
    assert response.get_data(as_text=True) == "abc"
    response.close()
    assert events == ["a", "b", "c", "closed"]
    buffered = app.test_client().get("/", buffered=True)
    assert events[-1] == "closed"
    assert buffered.data == b"abc"
