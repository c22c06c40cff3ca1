"""Class-based views and async views, hooks and handlers."""

from __future__ import annotations

import asyncio

import pytest

from tapster import App, g, request
from tapster.views import MethodView, View


@pytest.fixture
def app() -> App:
    app = App(__name__)
    app.testing = True
    return app


def test_view_class(app):
    class Greeting(View):
        methods = ["GET", "POST"]

        def __init__(self, word):
            self.word = word

        def dispatch_request(self, name):
            return f"{self.word}, {name} ({request.method})"

    app.add_url_rule("/hi/<name>", view_func=Greeting.as_view("hi", "Hello"))
    client = app.test_client()
    assert client.get("/hi/ann").text == "Hello, ann (GET)"
    assert client.post("/hi/bob").text == "Hello, bob (POST)"
    assert client.put("/hi/bob").status_code == 405


def test_view_instance_per_request_or_shared(app):
    instances = []

    class Counter(View):
        init_every_request = False

        def __init__(self):
            instances.append(self)

        def dispatch_request(self):
            return str(len(instances))

    app.add_url_rule("/", view_func=Counter.as_view("counter"))
    client = app.test_client()
    client.get("/")
    client.get("/")
    assert len(instances) == 1


def test_view_decorators(app):
    def shout(f):
        def wrapper(**kwargs):
            return f(**kwargs).upper()

        return wrapper

    class Quiet(View):
        decorators = [shout]

        def dispatch_request(self):
            return "quiet"

    app.add_url_rule("/", view_func=Quiet.as_view("quiet"))
    assert app.test_client().get("/").text == "QUIET"


def test_method_view(app):
    class Items(MethodView):
        def get(self, item_id=None):
            return f"get {item_id}"

        def post(self):
            return "post", 201

    class MoreItems(Items):
        def delete(self, item_id):
            return "", 204

    assert Items.methods == {"GET", "POST"}
    assert MoreItems.methods == {"GET", "POST", "DELETE"}
    view = MoreItems.as_view("items")
    app.add_url_rule("/items/", view_func=view, methods=["GET", "POST"])
    app.add_url_rule("/items/<int:item_id>", view_func=view, methods=["GET", "DELETE"])
    client = app.test_client()
    assert client.get("/items/").text == "get None"
    assert client.get("/items/4").text == "get 4"
    assert client.post("/items/").status_code == 201
    assert client.delete("/items/4").status_code == 204
    head = client.head("/items/4")
    assert head.status_code == 200 and head.data == b""


def test_async_view_hooks_and_handlers(app):
    @app.before_request
    async def before():
        await asyncio.sleep(0)
        g.before = "ran"

    @app.after_request
    async def after(response):
        response.headers["X-Async"] = "yes"
        return response

    @app.errorhandler(LookupError)
    async def lookup(error):
        return "async handler", 404

    @app.route("/")
    async def index():
        await asyncio.sleep(0.001)
        return f"{g.before} {request.path}"

    @app.route("/fail")
    async def fail():
        raise LookupError()

    client = app.test_client()
    response = client.get("/")
    assert response.text == "ran /"
    assert response.headers["X-Async"] == "yes"
    assert client.get("/fail").text == "async handler"


def test_async_method_view(app):
    class Thing(MethodView):
        async def get(self):
            await asyncio.sleep(0)
            return "async get"

    app.add_url_rule("/", view_func=Thing.as_view("thing"))
    assert app.test_client().get("/").text == "async get"


def test_async_view_called_from_inside_a_running_loop(app):
    @app.route("/")
    async def index():
        await asyncio.sleep(0)
        return request.path

    async def main():
        return app.test_client().get("/").text

    assert asyncio.run(main()) == "/"
