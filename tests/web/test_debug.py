"""The debug page (``tapster.web.debug``) and what turns it and the reloader on.

The page in a real process over a real socket, and the reloader, are in
tests/integration/test_reload.py.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest

from tapster import App
from tapster.web.debug import DebuggedApplication, render_traceback_html

from .environ import make_environ


def call(app: Any, environ: dict[str, Any] | None = None) -> tuple[str, list, bytes, Any]:
    """Call a WSGI app; its status, headers, body and the exc_info start_response got."""
    seen: dict[str, Any] = {}

    def start_response(status, headers, exc_info=None):
        seen.update(status=status, headers=headers, exc_info=exc_info)

    environ = environ or make_environ()
    environ.setdefault("wsgi.errors", io.StringIO())
    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        if hasattr(iterable, "close"):
            iterable.close()
    return seen["status"], seen["headers"], body, seen["exc_info"]


def failing_app() -> App:
    app = App(__name__)
    app.debug = True

    @app.route("/")
    def index():
        return "fine"

    @app.route("/fail")
    def fail():
        try:
            int("<not a number>")
        except ValueError:
            raise LookupError("looked <everywhere> & found 'nothing'") from None

    return app


def test_an_exception_becomes_the_debug_page():
    app = failing_app()
    errors = io.StringIO()
    status, headers, body, exc_info = call(
        DebuggedApplication(app), make_environ("/fail", **{"wsgi.errors": errors}))
    assert status == "500 INTERNAL SERVER ERROR"
    assert dict(headers)["Content-Type"] == "text/html; charset=utf-8"
    assert dict(headers)["Content-Length"] == str(len(body))
    assert dict(headers)["Cache-Control"] == "no-store"
    assert exc_info[0] is LookupError
    page = body.decode()
    assert page.startswith("<!doctype html>")
    assert "<h1>LookupError</h1>" in page
    assert "looked &lt;everywhere&gt; &amp; found &#x27;nothing&#x27;" in page
    assert "<everywhere>" not in page
    # The view's frame with its source line, marked, and lines around it.
    assert __file__ in page
    assert 'raise LookupError(&quot;looked &lt;everywhere&gt;' in page
    assert '<span class="current">' in page
    assert "int(&quot;&lt;not a number&gt;&quot;)" in page
    # "from None": the ValueError is not part of the story.
    assert "invalid literal" not in page
    assert "During handling" not in page
    # The middleware's own frame is left out; the log has the traceback.
    assert "web/debug.py" not in page
    assert "Exception on /fail [GET]" in errors.getvalue()
    assert "LookupError" in errors.getvalue()


def test_the_page_tells_the_chain_in_the_order_python_prints_it():
    def app(environ, start_response):
        try:
            try:
                raise KeyError("the first")
            except KeyError as error:
                raise ValueError("the cause") from error
        except ValueError:
            raise RuntimeError("the last")  # noqa: B904 - the implicit context is the point

    page = call(DebuggedApplication(app))[2].decode()
    assert "<h1>RuntimeError</h1>" in page
    page = page[page.index("<main>"):]  # past the title and the heading
    first = page.index("KeyError: &#x27;the first&#x27;")
    cause = page.index("The above exception was the direct cause of the following exception:")
    second = page.index("ValueError: the cause")
    context = page.index("During handling of the above exception, another exception occurred:")
    last = page.index("RuntimeError: the last")
    assert first < cause < second < context < last


def test_a_syntax_error_shows_the_bad_line(tmp_path):
    broken = tmp_path / "broken_module.py"
    broken.write_text("x = 1\ndef f(:\n    pass\n")

    def app(environ, start_response):
        compile(broken.read_text(), str(broken), "exec")

    page = call(DebuggedApplication(app))[2].decode()
    assert "<h1>SyntaxError</h1>" in page
    assert str(broken) in page
    assert '<span class="current"><span class="number">    2  </span>def f(:</span>' in page


def test_an_error_before_the_first_body_byte_still_gets_the_page():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])

        def body():
            yield b""
            raise OSError("disk gone")

        return body()

    status, _headers, body, exc_info = call(DebuggedApplication(app))
    assert status == "500 INTERNAL SERVER ERROR"
    assert exc_info[0] is OSError  # replaces the unsent 200 (PEP 3333)
    assert b"disk gone" in body


def test_an_error_after_body_bytes_goes_on_to_the_server():
    closed = []

    class Body:
        def __iter__(self):
            yield b"half a page"
            raise OSError("disk gone")

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body()

    with pytest.raises(OSError, match="disk gone"):
        call(DebuggedApplication(app))
    assert closed == [True]


def test_a_working_app_passes_through():
    app = failing_app()
    wrapped = DebuggedApplication(app)
    status, _headers, body, exc_info = call(wrapped)
    assert (status, body, exc_info) == ("200 OK", b"fine", None)
    closed = []

    class Body:
        def __iter__(self):
            return iter([b"a", b"b"])

        def close(self):
            closed.append(True)

    def streaming(environ, start_response):
        start_response("200 OK", [])
        return Body()

    assert call(DebuggedApplication(streaming))[2] == b"ab"
    assert closed == [True]


def test_ajax_requests_get_the_traceback_as_text():
    environ = make_environ("/fail", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    _status, headers, body, _ = call(DebuggedApplication(failing_app()), environ)
    assert dict(headers)["Content-Type"] == "text/plain; charset=utf-8"
    assert body.decode().startswith("Traceback (most recent call last):")
    assert "LookupError: looked <everywhere>" in body.decode()


def test_render_escapes_exception_names_and_messages():
    class Weird(Exception):
        pass

    Weird.__qualname__ = "<Weird>"
    try:
        raise Weird('"quoted" <tag>')
    except Weird as error:
        page = render_traceback_html(error)
    assert "<Weird>" not in page and "<tag>" not in page
    assert "&lt;Weird&gt;" in page
    assert "&quot;quoted&quot; &lt;tag&gt;" in page


def test_without_debug_the_production_page_reveals_nothing():
    app = failing_app()
    app.debug = False
    status, _headers, body, _ = call(DebuggedApplication(app), make_environ("/fail"))
    assert status == "500 INTERNAL SERVER ERROR"
    assert body == (
        b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
        b"<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was "
        b"unable to complete your request. Either the server is overloaded or there is an "
        b"error in the application.</p>\n"
    )


# -- what turns the debug page and the reloader on ----------------------------------------


@pytest.fixture
def served(monkeypatch):
    """What ``App.run`` hands the server: (app, options)."""
    calls: list[tuple[Any, dict[str, Any]]] = []
    import tapster.wsgi

    monkeypatch.setattr(tapster.wsgi, "serve", lambda app, **options: calls.append((app, options)))
    monkeypatch.delenv("TAPSTER_RUN_FROM_CLI", raising=False)
    monkeypatch.delenv("TAPSTER_DEBUG", raising=False)
    return calls


RUN_DEFAULTS = {"host": "127.0.0.1", "port": 5000}


def test_app_run_in_debug_mode_reloads_and_shows_the_debug_page(served):
    app = App(__name__)
    app.run(debug=True, port=0, load_dotenv=False)
    wrapped, options = served[-1]
    assert isinstance(wrapped, DebuggedApplication) and wrapped.app is app
    assert options == {"port": 0, "reload": True, "defaults": RUN_DEFAULTS}
    assert app.jinja_env.auto_reload  # TEMPLATES_AUTO_RELOAD follows debug mode


def test_app_run_without_debug_serves_the_app_itself(served):
    app = App(__name__)
    app.run(port=0, load_dotenv=False)
    assert served[-1] == (app, {"port": 0, "reload": False, "defaults": RUN_DEFAULTS})
    # use_debugger cannot show tracebacks without debug mode; use_reloader can reload.
    app.run(port=0, load_dotenv=False, use_debugger=True, use_reloader=True,
            extra_files=["settings.toml"], exclude_patterns=["*.tmp"])
    assert served[-1] == (app, {"port": 0, "reload": True,
                                "reload_extra_files": ["settings.toml"],
                                "reload_exclude": ["*.tmp"], "defaults": RUN_DEFAULTS})


def test_app_run_options_turn_either_off_in_debug_mode(served):
    app = App(__name__)
    app.run(debug=True, port=0, load_dotenv=False, use_reloader=False, use_debugger=False)
    assert served[-1] == (app, {"port": 0, "reload": False, "defaults": RUN_DEFAULTS})


def test_app_run_host_and_port_are_given_only_when_the_caller_gives_them(served):
    # Otherwise TAPSTER_SERVE_* variables and the config file decide; failing
    # those, SERVER_NAME's host and port (Flask's rule), else 127.0.0.1:5000.
    app = App(__name__)
    app.run(load_dotenv=False)
    assert served[-1] == (app, {"reload": False, "defaults": RUN_DEFAULTS})
    app.config["SERVER_NAME"] = "localhost:8123"
    app.run(host="0.0.0.0", load_dotenv=False)
    assert served[-1] == (app, {"host": "0.0.0.0", "reload": False,
                                "defaults": {"host": "localhost", "port": 8123}})


def test_run_command_help_lists_the_flask_options():
    from click.testing import CliRunner

    from tapster.web.cli import run_command

    result = CliRunner().invoke(run_command, ["--help"])
    for option in ("--reload / --no-reload", "--debugger / --no-debugger", "--extra-files",
                   "--exclude-patterns", "--debug / --no-debug"):
        assert option in result.output


def test_debug_module_does_not_execute_anything_from_a_request():
    # No console, no evaluation: the module has no eval, exec or code module.
    source = Path(sys.modules[DebuggedApplication.__module__].__file__).read_text()
    for forbidden in ("eval(", "exec(", "import code", "pickle", "subprocess"):
        assert forbidden not in source
