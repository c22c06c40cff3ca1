"""Contexts on contextvars: request, g, current_app, app_context, threads, asyncio."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tapster import (
    App,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    stream_with_context,
)
from tapster.web.globals import LocalProxy
from tapster.web.request import Request


@pytest.fixture
def app() -> App:
    app = App(__name__)
    app.testing = True
    return app


def test_outside_any_context_the_errors_say_which():
    assert not has_app_context() and not has_request_context()
    with pytest.raises(RuntimeError, match="outside of application context"):
        current_app.name  # noqa: B018
    with pytest.raises(RuntimeError, match="outside of request context"):
        request.path  # noqa: B018
    assert not request  # a proxy is falsy when unbound
    assert repr(request).endswith("unbound>")
    assert not isinstance(request, Request)  # and no error: it is a LocalProxy then
    assert isinstance(request, LocalProxy)


def test_proxies_pass_on_every_attribute_but_their_own(app):
    with app.test_request_context("/p"):
        real = request._get_current_object()
        assert type(real) is app.request_class
        real._private = "kept"
        assert request._private == "kept"  # names with an underscore reach the request too
        assert request.__dict__ is real.__dict__
        assert request.__class__ is app.request_class
        request.extra = 1  # set on the request itself
        assert real.extra == 1
        del request.extra
        assert not hasattr(real, "extra")


def test_app_context(app):
    with app.app_context():
        assert current_app.name == app.name
        assert current_app._get_current_object() is app
        assert has_app_context() and not has_request_context()
        g.value = 1
        assert g.pop("value") == 1
        assert g.setdefault("x", 2) == 2
        assert list(g) == ["x"]
    assert not has_app_context()


def test_test_request_context(app):
    with app.test_request_context("/path?q=1", method="POST", data={"a": "b"}):
        assert request.path == "/path"
        assert request.args["q"] == "1"
        assert request.form["a"] == "b"
        assert request.method == "POST"
        assert isinstance(request, app.request_class)
    assert not has_request_context()


def test_nested_apps_restore_the_outer_context(app):
    other = App("other")
    with app.app_context():
        with other.app_context():
            assert current_app.name == "other"
        assert current_app.name == app.name


def test_g_lives_for_one_app_context(app):
    with app.app_context():
        g.x = 1
    with app.app_context():
        assert "x" not in g


def test_copy_current_request_context_in_a_thread(app):
    results = []

    @app.route("/")
    def index():
        @copy_current_request_context
        def work():
            results.append(request.args["name"])

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return "ok"

    app.test_client().get("/?name=thread")
    assert results == ["thread"]


def test_threads_see_their_own_request(app):
    seen = {}
    barrier = threading.Barrier(4)

    @app.route("/<name>")
    def index(name):
        barrier.wait(timeout=5)  # all four requests are in flight together
        seen[name] = request.path
        return name

    def call(name):
        app.test_client().get(f"/{name}")

    threads = [threading.Thread(target=call, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {f"t{i}": f"/t{i}" for i in range(4)}


def test_asyncio_tasks_see_their_own_request(app):
    async def handle(path):
        with app.test_request_context(path):
            await asyncio.sleep(0.01)
            return request.path

    async def main():
        return await asyncio.gather(*(handle(f"/{i}") for i in range(5)))

    assert asyncio.run(main()) == [f"/{i}" for i in range(5)]


def test_stream_with_context_keeps_the_request(app):
    @app.route("/")
    def index():
        def generate():
            yield "hello "
            yield request.args["name"]

        return stream_with_context(generate())

    @app.route("/decorated")
    def decorated():
        @stream_with_context
        def generate():
            yield request.path

        return generate()

    client = app.test_client()
    assert client.get("/?name=stream").text == "hello stream"
    assert client.get("/decorated").text == "/decorated"
    with pytest.raises(RuntimeError, match="request context"):
        stream_with_context(iter(["x"]))


def test_teardown_appcontext_runs_for_plain_app_context(app):
    seen = []
    app.teardown_appcontext(lambda error: seen.append(error))
    with app.app_context():
        pass
    assert seen == [None]


def test_with_client_keeps_the_context(app):
    @app.route("/")
    def index():
        g.marker = "kept"
        return "x"

    with app.test_client() as client:
        client.get("/?q=1")
        assert request.args["q"] == "1"
        assert g.marker == "kept"
    assert not has_request_context()


def test_session_without_secret_key_reads_empty_and_refuses_writes(app):
    with app.test_request_context():
        assert session.get("x") is None
        assert "x" not in session
        with pytest.raises(RuntimeError, match="no secret key"):
            session["x"] = 1
