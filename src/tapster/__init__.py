"""tapster: a production-grade HTTP/1.1 WSGI server, and a Flask-compatible framework on it.

``tapster.App`` is the framework (Flask's API: ``from tapster import App,
request, jsonify``); ``tapster.serve(app, **settings)`` serves any WSGI
application, as ``tapster serve MODULE:APP`` does from a shell. The server
is loaded only when it is used, so importing the framework stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from . import web
from .settings import Settings, SettingsError
from .web import (
    App,
    Blueprint,
    Config,
    Request,
    Response,
    abort,
    after_this_request,
    copy_current_request_context,
    current_app,
    flash,
    g,
    get_flashed_messages,
    has_app_context,
    has_request_context,
    json,
    jsonify,
    make_response,
    redirect,
    request,
    send_file,
    send_from_directory,
    session,
    stream_with_context,
    url_for,
)

if TYPE_CHECKING:
    from .web import (
        get_template_attribute,
        render_template,
        render_template_string,
        stream_template,
        stream_template_string,
    )
    from .wsgi import serve

__all__ = [
    "App",
    "Blueprint",
    "Config",
    "Request",
    "Response",
    "Settings",
    "SettingsError",
    "__version__",
    "abort",
    "after_this_request",
    "copy_current_request_context",
    "current_app",
    "flash",
    "g",
    "get_flashed_messages",
    "get_template_attribute",
    "has_app_context",
    "has_request_context",
    "json",
    "jsonify",
    "make_response",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "send_file",
    "send_from_directory",
    "serve",
    "session",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "url_for",
]

def __getattr__(name: str) -> Any:
    if name == "serve":  # the server, imported on first use
        from .wsgi import serve

        return serve
    if name in web.__all__:  # the framework's lazily imported names (templates)
        return getattr(web, name)
    raise AttributeError(f"module 'tapster' has no attribute {name!r}")
