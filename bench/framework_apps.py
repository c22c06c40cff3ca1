"""The same small application written for Flask and for tapster's framework.

Four routes, as issue 3's benchmark asks: ``/`` (hello), ``/user/<int:id>``
returning JSON, ``POST /echo`` returning the posted JSON, and any other path
(a 404); and ``/async``, hello from an ``async def`` view (Flask runs it
through asgiref, which it needs installed: ``flask[async]``). ``build()``
writes it once against a module that has Flask's API, so both apps are the
same code: ``flask_app`` and ``tapster_app``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


def build(framework: ModuleType, app_class: str) -> Any:
    """The benchmark app on ``framework`` (``flask`` or ``tapster``)."""
    app = getattr(framework, app_class)(__name__)
    request = framework.request

    @app.route("/")
    def hello() -> str:
        return "Hello, World!"

    @app.route("/user/<int:user_id>")
    def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "name": f"user{user_id}", "active": True}

    @app.post("/echo")
    def echo() -> Any:
        return request.get_json()

    @app.route("/async")
    async def async_hello() -> str:
        return "Hello, World!"

    return app


def _flask_app() -> Any:
    try:
        import flask
    except ImportError:  # the report says Flask is missing; tapster still runs
        return None
    return build(flask, "Flask")


def _tapster_app() -> Any:
    import tapster

    return build(tapster, "App")


flask_app = _flask_app()
tapster_app = _tapster_app()
