"""Errors: abort, the HTTPException pages, handler look-up, 500s, propagation."""

from __future__ import annotations

import logging

import pytest

from tapster import App, abort
from tapster.exceptions import (
    BadRequest,
    BadRequestKeyError,
    Forbidden,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    TooManyRequests,
    Unauthorized,
    default_exceptions,
)


@pytest.fixture
def app() -> App:
    return App(__name__)


def test_error_page_is_short_html(app):
    response = app.test_client().get("/nothing")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.text.startswith("<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>")
    assert "<h1>Not Found</h1>" in response.text


@pytest.mark.parametrize("code", sorted(default_exceptions))
def test_abort_every_code(app, code):
    app.add_url_rule("/", "index", lambda: abort(code))
    response = app.test_client().get("/")
    assert response.status_code == code
    assert f"<title>{code} " in response.text


def test_abort_with_description_and_with_a_response(app):
    from tapster import Response

    app.add_url_rule("/a", "a", lambda: abort(403, "not <yours>"))
    app.add_url_rule("/b", "b", lambda: abort(Response("teapot", 418)))
    client = app.test_client()
    assert "not &lt;yours&gt;" in client.get("/a").text
    response = client.get("/b")
    assert (response.status_code, response.text) == (418, "teapot")


def test_abort_unknown_code_is_a_lookup_error():
    with pytest.raises(LookupError):
        abort(299)


def test_exception_headers():
    assert ("Allow", "GET, POST") in MethodNotAllowed(["GET", "POST"]).get_headers()
    assert ("WWW-Authenticate", 'Basic realm="x"') in Unauthorized(
        www_authenticate='Basic realm="x"'
    ).get_headers()
    assert ("Retry-After", "30") in TooManyRequests(retry_after=30).get_headers()


def test_handler_by_code_and_by_class_hierarchy(app):
    class AppError(Exception):
        pass

    class SpecificError(AppError):
        pass

    @app.errorhandler(AppError)
    def app_error(error):
        return f"app error: {type(error).__name__}", 409

    @app.errorhandler(403)
    def forbidden(error):
        return "no entry", 403

    def raise_specific():
        raise SpecificError()

    app.add_url_rule("/specific", "specific", raise_specific)
    app.add_url_rule("/forbidden", "forbidden", lambda: abort(403))
    client = app.test_client()
    response = client.get("/specific")
    assert (response.status_code, response.text) == (409, "app error: SpecificError")
    assert client.get("/forbidden").text == "no entry"


def test_handler_for_http_exception_base_catches_all_http_errors(app):
    @app.errorhandler(HTTPException)
    def any_http(error):
        return {"code": error.code, "name": error.name}, error.code

    response = app.test_client().get("/missing")
    assert response.json == {"code": 404, "name": "Not Found"}
    assert response.status_code == 404


def test_code_handler_wins_over_base_class_handler(app):
    app.register_error_handler(HTTPException, lambda e: ("generic", e.code))
    app.register_error_handler(NotFound, lambda e: ("specific", 404))
    assert app.test_client().get("/missing").text == "specific"


def test_register_error_handler_rejects_bad_keys(app):
    with pytest.raises(ValueError, match="not a recognized HTTP error code"):
        app.register_error_handler(299, lambda e: "")
    with pytest.raises(TypeError, match="instance"):
        app.register_error_handler(NotFound(), lambda e: "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a subclass of Exception"):
        app.register_error_handler(object, lambda e: "")  # type: ignore[arg-type]


def test_unhandled_exception_is_500_and_logged(app, caplog):
    def fail():
        raise RuntimeError("secret detail")

    app.add_url_rule("/", "index", fail)
    with caplog.at_level(logging.ERROR, logger=app.name):
        response = app.test_client().get("/")
    assert response.status_code == 500
    assert "secret detail" not in response.text
    assert "Internal Server Error" in response.text
    record = caplog.records[-1]
    assert record.getMessage() == "Exception on / [GET]"
    assert record.exc_info[0] is RuntimeError


def test_500_handler_gets_original_exception(app):
    @app.errorhandler(500)
    def server_error(error):
        assert isinstance(error, InternalServerError)
        return f"wrapped {type(error.original_exception).__name__}", 500

    def fail():
        raise KeyError("x")

    app.add_url_rule("/", "index", fail)
    assert app.test_client().get("/").text == "wrapped KeyError"


def test_exceptions_propagate_in_testing_and_debug(app):
    def fail():
        raise RuntimeError("visible")

    app.add_url_rule("/", "index", fail)
    app.testing = True
    with pytest.raises(RuntimeError, match="visible"):
        app.test_client().get("/")
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError):
        app.test_client().get("/")


def test_missing_form_key_is_400_and_a_key_error(app):
    from tapster import request

    @app.route("/", methods=["POST"])
    def index():
        try:
            request.form["missing"]
        except KeyError as error:
            assert isinstance(error, BadRequestKeyError)
            raise
        return "never"

    response = app.test_client().post("/", data={"other": "1"})
    assert response.status_code == 400
    assert "missing" not in response.text  # the key is named only in debug mode


def test_missing_key_named_in_debug_mode(app):
    from tapster import request

    app.debug = True
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False
    app.add_url_rule("/", "index", lambda: request.args["needed"])
    response = app.test_client().get("/")
    assert response.status_code == 400
    assert "KeyError: &#x27;needed&#x27;" in response.text


def test_trap_bad_request_errors(app):
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True
    app.testing = True
    app.add_url_rule("/", "index", lambda: abort(400))
    with pytest.raises(BadRequest):
        app.test_client().get("/")


def test_error_handler_for_routing_errors_sees_405(app):
    app.add_url_rule("/", "index", lambda: "x", methods=["POST"])

    @app.errorhandler(405)
    def not_allowed(error):
        return f"allowed: {','.join(sorted(error.valid_methods))}", 405

    response = app.test_client().get("/")
    assert response.text == "allowed: OPTIONS,POST"


def test_failing_error_handler_gives_500(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(404)
    def broken(error):
        raise ValueError("handler broke")

    assert app.test_client().get("/missing").status_code == 500


def test_unauthorized_and_forbidden_classes_are_http_exceptions():
    assert issubclass(Forbidden, HTTPException)
    assert Unauthorized.code == 401
    assert str(NotFound()).startswith("404 Not Found")
